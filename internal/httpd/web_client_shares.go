package httpd

import (
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// shareRow is a share in the list, with its public link.
type shareRow struct {
	dataprovider.Share
	Link    string
	Expired bool
}

// publicBase is the binding's base_url, or else the origin the browser
// used, for share links.
func (s *Server) publicBase(r *http.Request) string {
	if wb := webBindingFrom(r.Context()); wb != nil && wb.b.BaseURL != "" {
		return strings.TrimRight(wb.b.BaseURL, "/") + s.webRoot
	}
	scheme := "http"
	if isSecure(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host + s.webRoot
}

func (s *Server) shareLink(r *http.Request, id string) string {
	return s.publicBase(r) + webClientPrefix + "/pubshares/" + url.PathEscape(id)
}

func (s *Server) webClientShares(w http.ResponseWriter, r *http.Request) {
	u := userFromContext(r.Context()).user
	if err := checkSharesAllowed(&u); err != nil {
		s.webError(w, r, http.StatusForbidden, "Sharing is disabled for your account.", false)
		return
	}
	shares, err := s.store.ListUserShares(r.Context(), u.Username, 0, 0, "ASC")
	if err != nil {
		s.webError(w, r, http.StatusInternalServerError, "The data provider is not available.", false)
		return
	}
	q, pageNo := strings.TrimSpace(r.URL.Query().Get("q")), pageNumber(r)
	lp, shown := sharesPage(shares, q, pageNo)
	rows := make([]shareRow, 0, len(shown))
	for _, sh := range shown {
		rows = append(rows, shareRow{Share: redactShare(sh), Link: s.shareLink(r, sh.ShareID), Expired: sh.IsExpired()})
	}
	lp.Items = rows
	p := s.clientPage(r, "Shares", "shares")
	p.Data = lp
	s.render(w, r, http.StatusOK, "client/shares", p)
}

type shareForm struct {
	IsNew bool
	ID    string
	Link  string
	HasPw bool
}

func (s *Server) webClientShareNew(w http.ResponseWriter, r *http.Request) {
	u := userFromContext(r.Context()).user
	if err := checkSharesAllowed(&u); err != nil {
		s.webError(w, r, http.StatusForbidden, "Sharing is disabled for your account.", false)
		return
	}
	paths := r.URL.Query()["path"]
	name := "Share"
	if len(paths) == 1 {
		name = path.Base(paths[0])
		if name == "/" {
			name = "Home"
		}
	}
	p := s.clientPage(r, "New share", "shares")
	p.Form = url.Values{"name": {name}, "scope": {"1"}, "paths": {strings.Join(paths, "\n")}}
	p.Data = shareForm{IsNew: true}
	s.render(w, r, http.StatusOK, "client/share", p)
}

func (s *Server) webClientShareEdit(w http.ResponseWriter, r *http.Request) {
	u := userFromContext(r.Context()).user
	sh, err := s.store.GetUserShare(r.Context(), urlParam(r, "id"), u.Username)
	if err != nil {
		s.webError(w, r, errorStatus(err), "Share not found.", false)
		return
	}
	v := url.Values{"name": {sh.Name}, "description": {sh.Description}, "scope": {itoa(sh.Scope)},
		"paths": {strings.Join(sh.Paths, "\n")}, "expires_at": {formatDate(sh.ExpiresAt)},
		"allow_from": {strings.Join(sh.AllowFrom, "\n")}}
	setIf(v, "max_tokens", itoa(sh.MaxTokens))
	p := s.clientPage(r, "Share "+sh.Name, "shares")
	p.Form = v
	p.Data = shareForm{ID: sh.ShareID, Link: s.shareLink(r, sh.ShareID), HasPw: sh.HasPassword()}
	s.render(w, r, http.StatusOK, "client/share", p)
}

func (s *Server) webClientShareSave(w http.ResponseWriter, r *http.Request) {
	u := userFromContext(r.Context()).user
	if err := checkSharesAllowed(&u); err != nil {
		s.webError(w, r, http.StatusForbidden, "Sharing is disabled for your account.", false)
		return
	}
	id := urlParam(r, "id")
	isNew := id == ""
	fp := newFormParser(r.PostForm)
	sh := dataprovider.Share{ShareID: id, Username: u.Username, Name: fp.str("name"), Description: fp.str("description"),
		Scope: fp.int("scope"), Paths: fp.lines("paths"), ExpiresAt: fp.date("expires_at"),
		MaxTokens: fp.int("max_tokens"), AllowFrom: fp.list("allow_from"), Password: r.PostFormValue("password")}
	hadPw := false
	if !isNew {
		old, err := s.store.GetUserShare(r.Context(), id, u.Username)
		if err != nil {
			s.webError(w, r, errorStatus(err), "Share not found.", false)
			return
		}
		hadPw = old.HasPassword()
		if sh.Password == "" && hadPw && !fp.bool("remove_password") {
			sh.Password = dataprovider.RedactedSharePassword
		}
	}
	err := fp.err()
	if err == nil {
		err = checkShareInput(&u, &sh)
	}
	if err == nil {
		if isNew {
			err = s.store.AddShare(r.Context(), &sh)
		} else {
			err = s.store.UpdateShare(r.Context(), &sh)
		}
	}
	if err != nil {
		p := s.clientPage(r, "Share", "shares")
		p.Form = fp.v
		p.Form.Del("password")
		if len(fp.errors) > 0 {
			p.Errors, p.Error = fp.errors, msgFormInvalid
		} else {
			p.Errors, p.Error = s.fieldErrors(r, err, formKnows(fp.v, "name", "scope", "paths", "expires_at", "password", "max_tokens", "allow_from"))
		}
		p.Data = shareForm{IsNew: isNew, ID: id, HasPw: hadPw}
		s.render(w, r, http.StatusBadRequest, "client/share", p)
		return
	}
	s.redirectFlash(w, r, webClientPrefix+"/shares", "ok", "Share \""+sh.Name+"\" saved. Its link: "+s.shareLink(r, sh.ShareID))
}

func (s *Server) webClientShareDelete(w http.ResponseWriter, r *http.Request) {
	u := userFromContext(r.Context()).user
	if err := s.store.DeleteShare(r.Context(), urlParam(r, "id"), u.Username); err != nil {
		s.redirectFlash(w, r, webClientPrefix+"/shares", "error", "Share not found.")
		return
	}
	s.redirectFlash(w, r, webClientPrefix+"/shares", "ok", "Share deleted.")
}

// ---- profile

type profileForm struct {
	InfoLocked, KeysLocked, APIKeyLocked, CertsLocked, PwdLocked bool
}

func profileLocks(u *dataprovider.User) profileForm {
	return profileForm{
		InfoLocked:   hasWebClientOption(u, webClientInfoChangeDisabled),
		KeysLocked:   hasWebClientOption(u, webClientPubKeyChangeDisabled),
		APIKeyLocked: hasWebClientOption(u, webClientAPIKeyAuthChangeDisabled),
		CertsLocked:  hasWebClientOption(u, webClientTLSCertChangeDisabled),
		PwdLocked:    hasWebClientOption(u, webClientPasswordChangeDisabled),
	}
}

func (s *Server) webClientProfileGet(w http.ResponseWriter, r *http.Request) {
	u := userFromContext(r.Context()).user
	stored, err := s.store.GetUser(r.Context(), u.Username)
	if err != nil {
		s.webError(w, r, http.StatusInternalServerError, "The data provider is not available.", false)
		return
	}
	p := s.clientPage(r, "Your profile", "profile")
	p.Form = url.Values{"email": {stored.Email}, "description": {stored.Description},
		"public_keys": {strings.Join(stored.PublicKeys, "\n")}, "tls_certs": {strings.Join(stored.Filters.TLSCerts, "\n")}}
	setBool(p.Form, "allow_api_key_auth", stored.Filters.AllowAPIKeyAuth)
	p.Data = profileLocks(&stored)
	s.render(w, r, http.StatusOK, "client/profile", p)
}

func (s *Server) webClientProfilePost(w http.ResponseWriter, r *http.Request) {
	u := userFromContext(r.Context()).user
	fp := newFormParser(r.PostForm)
	prof := userProfile{Email: fp.str("email"), Description: fp.str("description"), AllowAPIKeyAuth: fp.bool("allow_api_key_auth"),
		PublicKeys: fp.lines("public_keys"), TLSCerts: splitPEM(r.PostFormValue("tls_certs"))}
	if err := s.saveUserProfile(r.Context(), u.Username, prof); err != nil {
		p := s.clientPage(r, "Your profile", "profile")
		p.Form = r.PostForm
		p.Errors, p.Error = s.fieldErrors(r, err, formKnows(r.PostForm, "public_keys", "email", "filters.tls_certs"))
		if msg, ok := p.Errors["filters.tls_certs"]; ok {
			p.Errors["tls_certs"] = msg
		}
		p.Data = profileLocks(&u)
		s.render(w, r, http.StatusBadRequest, "client/profile", p)
		return
	}
	s.redirectFlash(w, r, webClientPrefix+"/profile", "ok", "Profile updated.")
}

func (s *Server) webClientChangePwd(w http.ResponseWriter, r *http.Request) {
	u := userFromContext(r.Context()).user
	pc := pwdChange{CurrentPassword: r.PostFormValue("current_password"), NewPassword: r.PostFormValue("new_password")}
	var err error
	if pc.NewPassword != "" && pc.NewPassword != r.PostFormValue("confirm_password") {
		err = &dataprovider.ValidationError{Field: "confirm_password", Msg: "the passwords do not match"}
	} else {
		err = s.changeUserPasswordFor(r.Context(), &u, pc)
	}
	if err != nil {
		stored, _ := s.store.GetUser(r.Context(), u.Username)
		p := s.clientPage(r, "Your profile", "profile")
		p.Form = url.Values{"email": {stored.Email}, "description": {stored.Description},
			"public_keys": {strings.Join(stored.PublicKeys, "\n")}}
		p.Errors, p.Error = s.fieldErrors(r, err, func(f string) bool {
			return f == "current_password" || f == "new_password" || f == "confirm_password"
		})
		if m, ok := p.Errors["password"]; ok {
			p.Errors["new_password"] = m
		}
		if p.Error == "" || len(p.Errors) > 0 {
			p.Error = "The password was not changed."
		}
		p.Data = profileLocks(&stored)
		s.render(w, r, http.StatusBadRequest, "client/profile", p)
		return
	}
	s.endSession(w, r, webSessionFrom(r.Context()), s.clientCookiePath())
	s.redirectFlash(w, r, webClientPrefix+"/login", "ok", "Password changed: sign in with the new one.")
}

// ---- public share pages

func (s *Server) shareCookiePath(id string) string {
	return s.webRoot + webClientPrefix + "/pubshares/" + url.PathEscape(id)
}

// shareSig binds a share cookie to the share's password, so changing the
// password signs every visitor out.
func (s *Server) shareSig(sh *dataprovider.Share) string { return s.mac("share", sh.Password)[:16] }

// cookieShareAuth accepts the cookie a visitor got by typing the share's
// password.
func (s *Server) cookieShareAuth(r *http.Request) func(*dataprovider.Share) bool {
	return func(sh *dataprovider.Share) bool {
		c, err := r.Cookie(cookieShare)
		if err != nil {
			return false
		}
		claims, err := s.tokens.verifyFor(c.Value, clientIP(r), tokenAudienceWebShare)
		return err == nil && claims.Username == sh.ShareID && claims.Signature == s.shareSig(sh)
	}
}

type pubSharePage struct {
	ID, Name, Description string
	Dir                   string
	Crumbs                []crumb
	Rows                  []fileRow
	CanRead, CanWrite     bool
	Single                bool // one path, a file
	SingleName            string
	SingleSize            int64
	Multi                 bool // several paths: zip only
	Paths                 []string
}

// webPubShareError shows why a share cannot be used.
func (s *Server) webPubShareError(w http.ResponseWriter, r *http.Request, err error) {
	var se *shareError
	var ie *internalError
	status, msg := http.StatusInternalServerError, "The share is not available right now."
	switch {
	case errors.As(err, &se):
		status, msg = se.status, capitalize(se.err.Error())+"."
	case errors.As(err, &ie):
		s.log.Error("public share", "error", ie.err)
	default:
		status = fsErrorStatus(err)
		msg = capitalize(err.Error()) + "."
	}
	if isScriptRequest(r) {
		sendAPIError(w, r, status, errors.New(msg))
		return
	}
	s.render(w, r, status, "client/pubshare_error", &page{Title: "Shared files", Error: msg})
}

func (s *Server) webPubShare(w http.ResponseWriter, r *http.Request) {
	id := urlParam(r, "id")
	sh, err := s.store.GetShare(r.Context(), id)
	if err != nil {
		s.webPubShareError(w, r, &shareError{http.StatusNotFound, errors.New("share not found")})
		return
	}
	write := sh.Scope == dataprovider.ShareScopeWrite
	a, err := s.openShare(r, id, write, s.cookieShareAuth(r))
	if err != nil {
		var se *shareError
		if errors.As(err, &se) && errors.Is(se.err, errShareAuth) {
			s.render(w, r, http.StatusOK, "client/pubshare_login", &page{Title: "Protected share", CSRF: s.anonCSRF(w, r),
				Data: map[string]string{"ID": id, "Name": sh.Name}})
			return
		}
		s.webPubShareError(w, r, err)
		return
	}
	defer a.done()
	data := pubSharePage{ID: id, Name: a.share.Name, Description: a.share.Description,
		CanRead: a.share.ShareCanRead(), CanWrite: a.share.ShareCanWrite(), Paths: a.share.Paths}
	if len(a.share.Paths) > 1 {
		data.Multi = true
	} else if data.CanRead {
		rel := dataprovider.CleanVirtualPath(r.URL.Query().Get("path"))
		target := path.Join(a.share.Paths[0], rel)
		fi, err := a.conn.Stat(a.ctx, target)
		if err != nil {
			s.webPubShareError(w, r, err)
			return
		}
		if !fi.IsDir() {
			data.Single, data.SingleName, data.SingleSize = true, fi.Name(), fi.Size()
		} else {
			entries, _, err := listCapped(a.ctx, a.conn, target, maxListedFiles)
			if err != nil {
				s.webPubShareError(w, r, err)
				return
			}
			data.Dir = rel
			data.Crumbs = crumbs(rel)
			for _, e := range entries {
				if !regularOrDir(e) {
					continue
				}
				data.Rows = append(data.Rows, fileRow{Name: e.Name(), Path: path.Join(rel, e.Name()), IsDir: e.IsDir(),
					Size: e.Size(), Modified: e.ModTime(), Kind: fileKind(e.Name(), e.IsDir())})
			}
			sortRows(data.Rows, "name", "asc")
		}
	}
	s.render(w, r, http.StatusOK, "client/pubshare", &page{Title: a.share.Name, CSRF: s.anonCSRF(w, r), Data: data})
}

func (s *Server) webPubShareLogin(w http.ResponseWriter, r *http.Request) {
	id := urlParam(r, "id")
	ip := clientIP(r)
	_ = r.ParseForm()
	sh, err := s.store.GetShare(r.Context(), id)
	if err != nil {
		s.webPubShareError(w, r, &shareError{http.StatusNotFound, errors.New("share not found")})
		return
	}
	fail := func(status int, msg string) {
		s.render(w, r, status, "client/pubshare_login", &page{Title: "Protected share", CSRF: s.anonCSRF(w, r), Error: msg,
			Data: map[string]string{"ID": id, "Name": sh.Name}})
	}
	if !s.checkLoginRate(w, r, ip) {
		fail(http.StatusTooManyRequests, "Too many wrong passwords: wait a little and try again.")
		return
	}
	if !s.checkAnonCSRF(r, r.PostFormValue(csrfField)) {
		fail(http.StatusForbidden, "The form has expired: please try again.")
		return
	}
	if !s.store.CheckSharePassword(&sh, r.PostFormValue("password")) {
		s.loginLimiter.failed(ip)
		if s.common != nil {
			s.common.LoginFailed(ip, "share:"+id, dataprovider.LoginMethodPassword, protocolHTTP, errors.New("wrong share password"))
		}
		fail(http.StatusUnauthorized, "Wrong password.")
		return
	}
	tok, _, err := s.tokens.issueFor(tokenAudienceWebShare, s.shareCookieLifetime(), id, nil, s.shareSig(&sh), ip)
	if err != nil {
		fail(http.StatusInternalServerError, "Unable to open the share.")
		return
	}
	s.setCookie(w, r, cookieShare, tok, s.shareCookiePath(id), s.shareCookieLifetime())
	http.Redirect(w, r, s.shareCookiePath(id), http.StatusSeeOther)
}

func (s *Server) webPubShareZip(w http.ResponseWriter, r *http.Request) {
	a, err := s.openShare(r, urlParam(r, "id"), false, s.cookieShareAuth(r))
	if err != nil {
		s.webPubShareError(w, r, err)
		return
	}
	defer a.done()
	if err := s.shareZip(w, a, true); err != nil {
		s.webPubShareError(w, r, err)
	}
}

func (s *Server) webPubShareFile(w http.ResponseWriter, r *http.Request) {
	a, err := s.openShare(r, urlParam(r, "id"), false, s.cookieShareAuth(r))
	if err != nil {
		s.webPubShareError(w, r, err)
		return
	}
	defer a.done()
	if err := s.shareFile(w, r, a, r.URL.Query().Get("path"), r.URL.Query().Get("inline") != ""); err != nil {
		s.webPubShareError(w, r, err)
	}
}

func (s *Server) webPubShareUpload(w http.ResponseWriter, r *http.Request) {
	if !s.checkAnonCSRF(r, r.Header.Get(csrfHeader)) {
		s.webPubShareError(w, r, &shareError{http.StatusForbidden, errors.New("the page has expired: reload it and try again")})
		return
	}
	a, err := s.openShare(r, urlParam(r, "id"), true, s.cookieShareAuth(r))
	if err != nil {
		s.webPubShareError(w, r, err)
		return
	}
	defer a.done()
	names, err := s.shareUpload(w, r, a)
	if err != nil {
		s.webPubShareError(w, r, err)
		return
	}
	renderJSON(w, http.StatusCreated, map[string]any{"message": "Upload completed", "files": names})
}
