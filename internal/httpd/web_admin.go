package httpd

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/logger"
)

// adminNav is the signed-in admin as the templates see it.
type adminNav struct {
	Username string
	Role     string
	perms    []string
}

// Can reports whether the admin holds perm; the navigation shows only
// what the admin may open.
func (a *adminNav) Can(perm string) bool {
	return slices.Contains(a.perms, dataprovider.AdminPermAny) || slices.Contains(a.perms, perm)
}

type ctxWebSessionT struct{}

func webSessionFrom(ctx context.Context) *webSession {
	s, _ := ctx.Value(ctxWebSessionT{}).(*webSession)
	return s
}

func (s *Server) adminCookiePath() string { return s.webRoot + webAdminPrefix }

func (s *Server) webAdminRoutes(r chi.Router) {
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, s.webRoot+webAdminPrefix+"/users", http.StatusFound)
	})
	r.Get("/setup", s.webAdminSetupGet)
	r.Post("/setup", s.webAdminSetupPost)
	r.Get("/login", s.webAdminLoginGet)
	r.Post("/login", s.webAdminLoginPost)
	s.webAdminLogin2FARoutes(r)
	s.webPasswordResetRoutes(r, true)
	r.Group(func(r chi.Router) {
		r.Use(s.requireWebAdmin)
		r.Use(s.webRequireAdminMFASet)
		s.webAdminMFARoutes(r)
		s.webAdminSecurityRoutes(r)
		s.webAdminEventRoutes(r)
		r.Get("/logout", s.webAdminLogout)
		r.Post("/logout", s.webAdminLogout)
		r.Get("/profile", s.webAdminProfileGet)
		r.Post("/profile", s.webAdminProfilePost)
		r.Post("/changepwd", s.webAdminChangePwd)

		r.With(s.webPerm(dataprovider.AdminPermViewUsers)).Get("/users", s.webAdminUsers)
		r.With(s.webPerm(dataprovider.AdminPermAddUsers)).Get("/user", s.webAdminUserNew)
		r.With(s.webPerm(dataprovider.AdminPermAddUsers)).Post("/user", s.webAdminUserCreate)
		r.With(s.webPerm(dataprovider.AdminPermViewUsers)).Get("/user/{username}", s.webAdminUserEdit)
		r.With(s.webPerm(dataprovider.AdminPermEditUsers)).Post("/user/{username}", s.webAdminUserUpdate)
		r.With(s.webPerm(dataprovider.AdminPermDelUsers)).Post("/user/{username}/delete", s.webAdminUserDelete)

		r.Group(func(r chi.Router) {
			r.Use(s.webPerm(dataprovider.AdminPermManageGroups))
			r.Get("/groups", s.webAdminGroups)
			r.Get("/group", s.webAdminGroupNew)
			r.Post("/group", s.webAdminGroupSave)
			r.Get("/group/{name}", s.webAdminGroupEdit)
			r.Post("/group/{name}", s.webAdminGroupSave)
			r.Post("/group/{name}/delete", s.webAdminGroupDelete)
		})
		r.Group(func(r chi.Router) {
			r.Use(s.webPerm(dataprovider.AdminPermManageFolders))
			r.Get("/folders", s.webAdminFolders)
			r.Get("/folder", s.webAdminFolderNew)
			r.Post("/folder", s.webAdminFolderSave)
			r.Get("/folder/{name}", s.webAdminFolderEdit)
			r.Post("/folder/{name}", s.webAdminFolderSave)
			r.Post("/folder/{name}/delete", s.webAdminFolderDelete)
		})
		r.Group(func(r chi.Router) {
			r.Use(s.webPerm(dataprovider.AdminPermManageAdmins))
			r.Get("/admins", s.webAdminAdmins)
			r.Get("/admin", s.webAdminAdminNew)
			r.Post("/admin", s.webAdminAdminSave)
			r.Get("/admin/{username}", s.webAdminAdminEdit)
			r.Post("/admin/{username}", s.webAdminAdminSave)
			r.Post("/admin/{username}/delete", s.webAdminAdminDelete)
		})
		r.Group(func(r chi.Router) {
			r.Use(s.webPerm(dataprovider.AdminPermManageAPIKeys))
			r.Get("/apikeys", s.webAdminAPIKeys)
			r.Get("/apikey", s.webAdminAPIKeyNew)
			r.Post("/apikey", s.webAdminAPIKeySave)
			r.Get("/apikey/{id}", s.webAdminAPIKeyEdit)
			r.Post("/apikey/{id}", s.webAdminAPIKeySave)
			r.Post("/apikey/{id}/delete", s.webAdminAPIKeyDelete)
		})
		r.With(s.webPerm(dataprovider.AdminPermViewConns)).Get("/connections", s.webAdminConnections)
		r.With(s.webPerm(dataprovider.AdminPermCloseConns)).Post("/connections/{id}/close", s.webAdminCloseConnection)
		r.With(s.webPerm(dataprovider.AdminPermViewStatus)).Get("/status", s.webAdminStatus)
		r.With(s.webPerm(dataprovider.AdminPermManageSystem)).Get("/maintenance", s.webAdminMaintenance)
		r.With(s.webPerm(dataprovider.AdminPermManageSystem)).Get("/backup", s.webAdminBackup)
		r.With(s.webPerm(dataprovider.AdminPermManageSystem)).Post("/restore", s.webAdminRestore)
	})
}

// requireWebAdmin accepts a valid admin session cookie (and, on POST, its
// CSRF token); otherwise it sends the browser to the login page.
func (s *Server) requireWebAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := clientIP(r)
		sess, err := s.readSession(r, tokenAudienceWebAdmin)
		var admin dataprovider.Admin
		if err == nil {
			admin, err = s.loadAdmin(r.Context(), sess.claims.Username, ip)
			if err == nil && sess.claims.Signature != s.tokens.signature(&admin) {
				err = errors.New("the account changed")
			}
		}
		if err != nil {
			var ie *internalError
			if errors.As(err, &ie) {
				s.log.Error("web admin session", "error", ie.err)
			}
			if sess != nil {
				s.endSession(w, r, sess, s.adminCookiePath())
			}
			if r.Method == http.MethodGet {
				http.Redirect(w, r, s.webRoot+webAdminPrefix+"/login", http.StatusFound)
				return
			}
			s.webError(w, r, http.StatusUnauthorized, "Your session has expired: please sign in again.", true)
			return
		}
		if r.Method == http.MethodPost && !csrfDeferred(r, "/restore") && subtle.ConstantTimeCompare([]byte(csrfFromRequest(r)), []byte(sess.csrf)) != 1 {
			s.webError(w, r, http.StatusForbidden, "The form has expired or was not sent by this site: reload the page and try again.", true)
			return
		}
		if s.holdWeb(w, r, admin.Filters.RequirePasswordChange, sess, webAdminPrefix, true) {
			return
		}
		s.refreshSession(w, r, sess, tokenAudienceWebAdmin, s.adminCookiePath())
		ctx := context.WithValue(r.Context(), ctxKeyAdmin, &authInfo{admin: admin})
		ctx = context.WithValue(ctx, ctxWebSessionT{}, sess)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// webPerm requires an admin permission for a page.
func (s *Server) webPerm(perm string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !authFromContext(r.Context()).admin.HasPermission(perm) {
				s.webError(w, r, http.StatusForbidden, fmt.Sprintf("You need the %q permission to open this page.", perm), true)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// adminPage starts a page for the signed-in admin.
func (s *Server) adminPage(r *http.Request, title, section string) *page {
	a := authFromContext(r.Context()).admin
	p := &page{Title: title, Section: section, Admin: &adminNav{Username: a.Username, Role: a.Role, perms: a.Permissions}}
	if sess := webSessionFrom(r.Context()); sess != nil {
		p.CSRF = sess.csrf
	}
	return p
}

// webError renders an error page (or JSON for the page's scripts).
func (s *Server) webError(w http.ResponseWriter, r *http.Request, status int, msg string, admin bool) {
	if isScriptRequest(r) {
		sendAPIError(w, r, status, errors.New(msg))
		return
	}
	p := &page{Title: http.StatusText(status), Error: msg}
	name := "client/error"
	if admin {
		name = "admin/error"
		if info := authFromContext(r.Context()); info != nil {
			p = s.adminPage(r, http.StatusText(status), "")
			p.Error = msg
		}
	} else if sess := userFromContext(r.Context()); sess != nil {
		p = s.clientPage(r, http.StatusText(status), "")
		p.Error = msg
	}
	s.render(w, r, status, name, p)
}

// ---- setup and login

func (s *Server) setupAllowed(r *http.Request) (bool, error) {
	has, err := s.store.HasAdmin(r.Context())
	return !has, err
}

func (s *Server) webAdminSetupGet(w http.ResponseWriter, r *http.Request) {
	ok, err := s.setupAllowed(r)
	if err != nil {
		s.webError(w, r, http.StatusInternalServerError, "The data provider is not available.", false)
		return
	}
	if !ok {
		http.Redirect(w, r, s.webRoot+webAdminPrefix+"/login", http.StatusFound)
		return
	}
	s.render(w, r, http.StatusOK, "admin/setup", &page{Title: "Create the first admin", CSRF: s.anonCSRF(w, r),
		Data: map[string]any{"CodeHint": s.cfg.Setup.InstallationCodeHint, "NeedCode": s.cfg.Setup.InstallationCode != ""}})
}

func (s *Server) webAdminSetupPost(w http.ResponseWriter, r *http.Request) {
	ok, err := s.setupAllowed(r)
	if err != nil || !ok {
		http.Redirect(w, r, s.webRoot+webAdminPrefix+"/login", http.StatusSeeOther)
		return
	}
	_ = r.ParseForm()
	p := &page{Title: "Create the first admin", Form: cloneValues(r.PostForm), Errors: map[string]string{},
		Data: map[string]any{"CodeHint": s.cfg.Setup.InstallationCodeHint, "NeedCode": s.cfg.Setup.InstallationCode != ""}}
	p.Form.Del("password")
	p.Form.Del("confirm_password")
	if !s.checkAnonCSRF(r, r.PostFormValue(csrfField)) {
		p.Error = "The form has expired: please try again."
	}
	username := strings.TrimSpace(r.PostFormValue("username"))
	pwd := r.PostFormValue("password")
	if username == "" {
		p.Errors["username"] = "is required"
	}
	if pwd == "" {
		p.Errors["password"] = "is required"
	} else if pwd != r.PostFormValue("confirm_password") {
		p.Errors["confirm_password"] = "the passwords do not match"
	}
	if code := s.cfg.Setup.InstallationCode; code != "" && subtle.ConstantTimeCompare([]byte(code), []byte(r.PostFormValue("install_code"))) != 1 {
		p.Errors["install_code"] = "is not the installation code"
	}
	if p.Error == "" && len(p.Errors) == 0 {
		a := dataprovider.Admin{Username: username, Password: pwd, Status: dataprovider.StatusEnabled,
			Permissions: []string{dataprovider.AdminPermAny}}
		err = s.store.AddAdmin(r.Context(), &a)
		if err == nil {
			s.log.Info("first admin created from the setup page", "user", username, "remote", clientIP(r))
			stored, _ := s.store.GetAdmin(r.Context(), a.Username)
			if err := s.startSession(w, r, tokenAudienceWebAdmin, s.adminCookiePath(), stored.Username, stored.Permissions, s.tokens.signature(&stored)); err == nil {
				s.redirectFlash(w, r, webAdminPrefix+"/users", "ok", "Welcome! Your admin account is ready.")
				return
			}
			http.Redirect(w, r, s.webRoot+webAdminPrefix+"/login", http.StatusSeeOther)
			return
		}
		p.Errors, p.Error = s.fieldErrors(r, err, formKnows(r.PostForm, "username", "password"))
	}
	p.CSRF = s.anonCSRF(w, r)
	s.render(w, r, http.StatusBadRequest, "admin/setup", p)
}

func (s *Server) webAdminLoginGet(w http.ResponseWriter, r *http.Request) {
	if ok, err := s.setupAllowed(r); err == nil && ok {
		http.Redirect(w, r, s.webRoot+webAdminPrefix+"/setup", http.StatusFound)
		return
	}
	if _, err := s.readSession(r, tokenAudienceWebAdmin); err == nil {
		http.Redirect(w, r, s.webRoot+webAdminPrefix+"/users", http.StatusFound)
		return
	}
	s.render(w, r, http.StatusOK, "admin/login", &page{Title: "Sign in", CSRF: s.anonCSRF(w, r)})
}

// loginForm reads a sign-in form and applies the checks every login page
// shares: the per-IP rate limit and the anonymous CSRF token. fail
// re-renders the page tmpl with a message and the typed username; ok is
// false when a check has already answered.
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request, ip, tmpl string) (string, func(int, string), bool) {
	_ = r.ParseForm()
	username := strings.TrimSpace(r.PostFormValue("username"))
	p := &page{Title: "Sign in", Form: url.Values{"username": {username}}}
	fail := func(status int, msg string) {
		p.Error = msg
		p.CSRF = s.anonCSRF(w, r)
		s.render(w, r, status, tmpl, p)
	}
	if !s.checkLoginRate(w, r, ip) {
		fail(http.StatusTooManyRequests, "Too many failed sign-in attempts: wait a little and try again.")
		return "", nil, false
	}
	if !s.checkAnonCSRF(r, r.PostFormValue(csrfField)) {
		fail(http.StatusForbidden, "The form has expired: please try again.")
		return "", nil, false
	}
	if !s.webLoginAllowed(r, tmpl == "admin/login", loginMethodForm) {
		fail(http.StatusForbidden, "Sign-in with a password is disabled here.")
		return "", nil, false
	}
	return username, fail, true
}

func (s *Server) webAdminLoginPost(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	username, fail, ok := s.loginForm(w, r, ip, "admin/login")
	if !ok {
		return
	}
	admin, err := s.store.CheckAdminPassword(r.Context(), username, r.PostFormValue("password"))
	if err == nil {
		err = checkAdminUsable(&admin, ip)
	}
	if err != nil {
		if errorStatus(err) == http.StatusInternalServerError {
			s.log.Error("web admin login", "error", err)
			fail(http.StatusInternalServerError, "The data provider is not available.")
			return
		}
		s.loginLimiter.failed(ip)
		logger.LoginFailed(s.log, ip, username, dataprovider.LoginMethodPassword, protocolHTTP, err)
		fail(http.StatusUnauthorized, "Invalid credentials.")
		return
	}
	if admin.Filters.TOTPConfig.Enabled {
		s.begin2FA(w, r, tokenAudienceWebAdmin2FA, s.adminLoginPath(), admin.Username)
		return
	}
	stored, err := s.store.GetAdmin(r.Context(), admin.Username)
	if err != nil {
		fail(http.StatusInternalServerError, "The data provider is not available.")
		return
	}
	if err := s.startSession(w, r, tokenAudienceWebAdmin, s.adminCookiePath(), stored.Username, stored.Permissions, s.tokens.signature(&stored)); err != nil {
		fail(http.StatusInternalServerError, "Unable to start the session.")
		return
	}
	if err := s.store.UpdateAdminLastLogin(r.Context(), stored.Username); err != nil {
		s.log.Warn("unable to update the admin's last login", "user", stored.Username, "error", err)
	}
	s.log.Info("web admin login", "user", stored.Username, "remote", ip)
	http.Redirect(w, r, s.webRoot+webAdminPrefix+"/users", http.StatusSeeOther)
}

func (s *Server) webAdminLogout(w http.ResponseWriter, r *http.Request) {
	s.endSession(w, r, webSessionFrom(r.Context()), s.adminCookiePath())
	if t := s.oidcLogoutTarget(w, r, webAdminPrefix+"/login"); t != "" {
		s.sameSiteRedirect(w, t)
		return
	}
	http.Redirect(w, r, s.webRoot+webAdminPrefix+"/login", http.StatusSeeOther)
}

// ---- profile

func (s *Server) webAdminProfileGet(w http.ResponseWriter, r *http.Request) {
	a := authFromContext(r.Context()).admin
	p := s.adminPage(r, "Your profile", "profile")
	p.Form = url.Values{"email": {a.Email}, "description": {a.Description}}
	if a.Filters.AllowAPIKeyAuth {
		p.Form.Set("allow_api_key_auth", "1")
	}
	s.render(w, r, http.StatusOK, "admin/profile", p)
}

func (s *Server) webAdminProfilePost(w http.ResponseWriter, r *http.Request) {
	a := authFromContext(r.Context()).admin
	fp := newFormParser(r.PostForm)
	a.Email = fp.str("email")
	a.Description = fp.str("description")
	a.Filters.AllowAPIKeyAuth = fp.bool("allow_api_key_auth")
	a.Password = ""
	if err := s.store.UpdateAdmin(r.Context(), &a); err != nil {
		p := s.adminPage(r, "Your profile", "profile")
		p.Form = r.PostForm
		p.Errors, p.Error = s.fieldErrors(r, err, formKnows(r.PostForm))
		s.render(w, r, http.StatusBadRequest, "admin/profile", p)
		return
	}
	s.redirectFlash(w, r, webAdminPrefix+"/profile", "ok", "Profile updated.")
}

func (s *Server) webAdminChangePwd(w http.ResponseWriter, r *http.Request) {
	caller := authFromContext(r.Context()).admin
	fail := func(field, msg string) {
		p := s.adminPage(r, "Your profile", "profile")
		p.Form = url.Values{"email": {caller.Email}, "description": {caller.Description}}
		p.Errors = map[string]string{field: msg}
		p.Error = "The password was not changed."
		s.render(w, r, http.StatusBadRequest, "admin/profile", p)
	}
	cur, nw := r.PostFormValue("current_password"), r.PostFormValue("new_password")
	switch {
	case cur == "":
		fail("current_password", "is required")
		return
	case nw == "":
		fail("new_password", "is required")
		return
	case nw != r.PostFormValue("confirm_password"):
		fail("confirm_password", "the passwords do not match")
		return
	case nw == cur:
		fail("new_password", "must differ from the current password")
		return
	}
	a, err := s.store.CheckAdminPassword(r.Context(), caller.Username, cur)
	if err != nil {
		fail("current_password", "does not match")
		return
	}
	a.Password = nw
	a.Filters.RequirePasswordChange = false
	if err := s.store.UpdateAdmin(r.Context(), &a); err != nil {
		errs, msg := s.fieldErrors(r, err, func(f string) bool { return f == "password" })
		if m, ok := errs["password"]; ok {
			msg = m
		}
		fail("new_password", msg)
		return
	}
	s.endSession(w, r, webSessionFrom(r.Context()), s.adminCookiePath())
	s.redirectFlash(w, r, webAdminPrefix+"/login", "ok", "Password changed: sign in with the new one.")
}

// ---- connections, status, maintenance

func (s *Server) webAdminConnections(w http.ResponseWriter, r *http.Request) {
	var conns []ConnectionStatus
	if s.conns != nil {
		conns = s.conns.Connections()
	}
	sort.Slice(conns, func(i, j int) bool { return conns[i].ConnectionTime > conns[j].ConnectionTime })
	p := s.adminPage(r, "Active connections", "connections")
	p.Data = connectionsPage(conns, strings.TrimSpace(r.URL.Query().Get("q")), pageNumber(r))
	s.render(w, r, http.StatusOK, "admin/connections", p)
}

func (s *Server) webAdminCloseConnection(w http.ResponseWriter, r *http.Request) {
	id := urlParam(r, "id")
	if s.conns == nil || !s.conns.CloseConnection(id) {
		s.redirectFlash(w, r, webAdminPrefix+"/connections", "error", "The connection no longer exists.")
		return
	}
	s.log.Info("connection closed from the web admin", "conn_id", id, "admin", authFromContext(r.Context()).admin.Username)
	s.redirectFlash(w, r, webAdminPrefix+"/connections", "ok", "Connection closed.")
}

// statusEntry is one service on the status page.
type statusEntry struct {
	Name   string
	Active bool
	// Disabled: not configured (no binding, feature off), as opposed to
	// configured and failing.
	Disabled bool
	Detail   string
}

func (s *Server) webAdminStatus(w http.ResponseWriter, r *http.Request) {
	raw := map[string]any{}
	if s.status != nil {
		maps := s.status.ServicesStatus(r.Context())
		for k, v := range maps {
			raw[k] = v
		}
	}
	var entries []statusEntry
	names := map[string]string{"ssh": "SFTP/SSH", "ftp": "FTP", "webdav": "WebDAV", "defender": "Defender", "mfa": "Two-factor authentication"}
	for _, key := range []string{"ssh", "ftp", "webdav", "defender", "mfa"} {
		e := statusEntry{Name: names[key]}
		if v, ok := raw[key]; ok {
			b, _ := json.Marshal(v)
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			e.Active, _ = m["is_active"].(bool)
			delete(m, "is_active")
			e.Detail = statusDetail(m)
		}
		e.Disabled = !e.Active && e.Detail == ""
		entries = append(entries, e)
	}
	dp := statusEntry{Name: "Data provider (" + s.driver + ")", Active: true}
	if err := s.store.CheckAvailability(r.Context()); err != nil {
		dp.Active, dp.Detail = false, err.Error()
	}
	entries = append(entries, dp)
	p := s.adminPage(r, "Server status", "status")
	p.Data = map[string]any{"Services": entries, "Version": s.version}
	s.render(w, r, http.StatusOK, "admin/status", p)
}

// statusDetail turns a service's status object into short lines:
// "listening on host:port" per binding, then "key: value".
func statusDetail(m map[string]any) string {
	var lines []string
	if list, ok := m["bindings"].([]any); ok {
		for _, b := range list {
			bm, _ := b.(map[string]any)
			host := fmt.Sprint(bm["address"])
			if host == "" || host == "<nil>" {
				host = "*"
			}
			line := "listening on " + host + ":" + strings.TrimSuffix(fmt.Sprint(bm["port"]), ".0")
			if tls, _ := bm["tls_mode"].(float64); tls > 0 {
				line += " (TLS)"
			}
			lines = append(lines, line)
		}
		delete(m, "bindings")
	}
	if list, ok := m["host_keys"].([]any); ok {
		for _, k := range list {
			km, _ := k.(map[string]any)
			lines = append(lines, fmt.Sprintf("host key %v %v", km["fingerprint"], km["path"]))
		}
		delete(m, "host_keys")
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m[k]
		switch t := v.(type) {
		case map[string]any, []any:
			b, _ := json.Marshal(t)
			lines = append(lines, k+": "+string(b))
		default:
			lines = append(lines, k+": "+fmt.Sprint(t))
		}
	}
	return strings.Join(lines, "\n")
}

func (s *Server) webAdminMaintenance(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "admin/maintenance", s.adminPage(r, "Backup and restore", "maintenance"))
}

// webAdminBackup downloads a dump of every object.
func (s *Server) webAdminBackup(w http.ResponseWriter, r *http.Request) {
	data, err := s.store.Dump(r.Context())
	if err != nil {
		s.log.Error("backup from the web admin", "error", err)
		s.webError(w, r, http.StatusInternalServerError, "The backup failed: see the server log.", true)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", contentDisposition("attachment", fmt.Sprintf("sftpgo-backup-%d.json", s.now().Unix())))
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(data)
}

// webAdminRestore loads an uploaded dump. The multipart body is read as a
// stream: the CSRF token field comes first, then the file, capped at the
// same size as POST /loaddata.
func (s *Server) webAdminRestore(w http.ResponseWriter, r *http.Request) {
	fail := func(msg string) { s.redirectFlash(w, r, webAdminPrefix+"/maintenance", "error", msg) }
	r.Body = http.MaxBytesReader(w, r.Body, maxRestoreSize+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		fail("Choose a backup file to restore.")
		return
	}
	sess := webSessionFrom(r.Context())
	tokenOK := subtle.ConstantTimeCompare([]byte(r.Header.Get(csrfHeader)), []byte(sess.csrf)) == 1
	mode := dataprovider.RestoreModeAddUpdate
	var data *dataprovider.BackupData
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fail("The upload failed or the file is too large.")
			return
		}
		switch part.FormName() {
		case csrfField:
			v, _ := io.ReadAll(io.LimitReader(part, 200))
			tokenOK = tokenOK || subtle.ConstantTimeCompare(v, []byte(sess.csrf)) == 1
		case "mode":
			v, _ := io.ReadAll(io.LimitReader(part, 10))
			if n, err := strconv.Atoi(strings.TrimSpace(string(v))); err == nil && n >= 0 && n <= 2 {
				mode = n
			}
		case "backup_file":
			if !tokenOK {
				s.webError(w, r, http.StatusForbidden, "The form has expired: reload the page and try again.", true)
				return
			}
			var d dataprovider.BackupData
			dec := json.NewDecoder(part)
			if err := dec.Decode(&d); err != nil {
				fail("The file is not a valid backup: " + jsonError(err).Error())
				return
			}
			data = &d
		}
		part.Close()
	}
	if !tokenOK {
		s.webError(w, r, http.StatusForbidden, "The form has expired: reload the page and try again.", true)
		return
	}
	if data == nil {
		fail("Choose a backup file to restore.")
		return
	}
	if err := s.store.Restore(r.Context(), data, mode); err != nil {
		if errorStatus(err) == http.StatusInternalServerError {
			s.log.Error("restore from the web admin", "error", err)
			fail("The restore failed: see the server log.")
			return
		}
		fail("The restore failed: " + err.Error())
		return
	}
	if mode == dataprovider.RestoreModeDisconnect {
		for _, u := range data.Users {
			s.disconnectUser(u.Username)
		}
	}
	s.log.Info("backup restored from the web admin", "admin", authFromContext(r.Context()).admin.Username,
		"users", len(data.Users), "folders", len(data.Folders), "groups", len(data.Groups), "admins", len(data.Admins))
	s.redirectFlash(w, r, webAdminPrefix+"/maintenance", "ok",
		fmt.Sprintf("Backup restored (users %d, groups %d, folders %d, admins %d, API keys %d, shares %d).",
			len(data.Users), len(data.Groups), len(data.Folders), len(data.Admins), len(data.APIKeys), len(data.Shares)))
}
