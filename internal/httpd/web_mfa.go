package httpd

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
	"github.com/sftpgo-ng/sftpgo/internal/logger"
)

// Two-factor authentication in the web UIs: the second sign-in page that
// asks for the one-time code, and the "Two-factor" page where users and
// admins enrol, see or regenerate their recovery codes and turn it off.

const (
	tokenAudienceWebAdmin2FA  = "WebAdmin2FA"
	tokenAudienceWebClient2FA = "WebClient2FA"
	// cookie2FA holds the short-lived proof that the password was right,
	// scoped to the login path, while the code page is shown.
	cookie2FA          = "sftpgo_2fa"
	pending2FALifetime = 5 * time.Minute
)

// probeOnly makes a login stop after the password check: the web client
// asks for the code on a second page.
func probeOnly(req *common.LoginRequest) { req.Probe = true }

func (s *Server) adminLoginPath() string  { return s.webRoot + webAdminPrefix + "/login" }
func (s *Server) clientLoginPath() string { return s.webRoot + webClientPrefix + "/login" }

// begin2FA remembers that username passed the password check and sends
// the browser to the code page.
func (s *Server) begin2FA(w http.ResponseWriter, r *http.Request, audience, loginPath, username string) {
	tok, _, err := s.tokens.issueFor(audience, pending2FALifetime, username, nil, "", clientIP(r))
	if err != nil {
		s.webError(w, r, http.StatusInternalServerError, "Unable to start the session.", audience == tokenAudienceWebAdmin2FA)
		return
	}
	s.setCookie(w, r, cookie2FA, tok, loginPath, pending2FALifetime)
	http.Redirect(w, r, loginPath+"/2fa", http.StatusSeeOther)
}

func (s *Server) pending2FA(r *http.Request, audience string) (*tokenClaims, error) {
	c, err := r.Cookie(cookie2FA)
	if err != nil || c.Value == "" {
		return nil, errors.New("no pending sign-in")
	}
	return s.tokens.verifyFor(c.Value, clientIP(r), audience)
}

// webClientNeeds2FA reports whether the user signing in has TOTP for
// HTTP, so the web client asks for the code after the password.
func (s *Server) webClientNeeds2FA(r *http.Request, username string) bool {
	u, err := s.store.GetEffectiveUser(r.Context(), username)
	return err == nil && common.TOTPRequired(&u, dataprovider.ProtocolHTTP)
}

// login2FAPage renders the code page of a UI.
func (s *Server) login2FAPage(w http.ResponseWriter, r *http.Request, status int, tmpl, msg string) {
	s.render(w, r, status, tmpl, &page{Title: "Two-factor authentication", CSRF: s.anonCSRF(w, r), Error: msg})
}

// code2FA reads the code form and applies the login page checks; ok is
// false when a check has already answered.
func (s *Server) code2FA(w http.ResponseWriter, r *http.Request, audience, tmpl, loginPath string) (*tokenClaims, string, bool) {
	claims, err := s.pending2FA(r, audience)
	if err != nil {
		http.Redirect(w, r, loginPath, http.StatusSeeOther)
		return nil, "", false
	}
	_ = r.ParseForm()
	if !s.checkLoginRate(w, r, clientIP(r)) {
		s.login2FAPage(w, r, http.StatusTooManyRequests, tmpl, "Too many failed sign-in attempts: wait a little and try again.")
		return nil, "", false
	}
	if !s.checkAnonCSRF(r, r.PostFormValue(csrfField)) {
		s.login2FAPage(w, r, http.StatusForbidden, tmpl, "The form has expired: please try again.")
		return nil, "", false
	}
	code := strings.TrimSpace(r.PostFormValue("passcode"))
	if code == "" {
		s.login2FAPage(w, r, http.StatusBadRequest, tmpl, "Enter the code from your authenticator app or a recovery code.")
		return nil, "", false
	}
	return claims, code, true
}

func (s *Server) end2FA(w http.ResponseWriter, r *http.Request, claims *tokenClaims, loginPath string) {
	s.tokens.revoke(claims)
	s.setCookie(w, r, cookie2FA, "", loginPath, -1)
}

func (s *Server) webAdminLogin2FAGet(w http.ResponseWriter, r *http.Request) {
	if _, err := s.pending2FA(r, tokenAudienceWebAdmin2FA); err != nil {
		http.Redirect(w, r, s.adminLoginPath(), http.StatusFound)
		return
	}
	s.login2FAPage(w, r, http.StatusOK, "admin/login_2fa", "")
}

func (s *Server) webAdminLogin2FAPost(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	claims, code, ok := s.code2FA(w, r, tokenAudienceWebAdmin2FA, "admin/login_2fa", s.adminLoginPath())
	if !ok {
		return
	}
	admin, err := s.loadAdmin(r.Context(), claims.Username, ip)
	if err == nil {
		err = s.checkAdminCode(r.Context(), &admin, code)
	}
	if err != nil {
		var ie *internalError
		if errors.As(err, &ie) {
			s.login2FAPage(w, r, http.StatusInternalServerError, "admin/login_2fa", "The data provider is not available.")
			return
		}
		s.loginLimiter.failed(ip)
		logger.LoginFailed(s.log, ip, claims.Username, dataprovider.LoginMethodPassword, protocolHTTP, err)
		s.login2FAPage(w, r, http.StatusUnauthorized, "admin/login_2fa", "Invalid authentication code.")
		return
	}
	s.end2FA(w, r, claims, s.adminLoginPath())
	s.finishWebAdminLogin(w, r, admin.Username, ip)
}

// finishWebAdminLogin starts the session of an admin whose credentials
// (and code) were checked.
func (s *Server) finishWebAdminLogin(w http.ResponseWriter, r *http.Request, username, ip string) {
	stored, err := s.store.GetAdmin(r.Context(), username)
	if err != nil {
		s.login2FAPage(w, r, http.StatusInternalServerError, "admin/login_2fa", "The data provider is not available.")
		return
	}
	if err := s.startSession(w, r, tokenAudienceWebAdmin, s.adminCookiePath(), stored.Username, stored.Permissions, s.tokens.signature(&stored)); err != nil {
		s.login2FAPage(w, r, http.StatusInternalServerError, "admin/login_2fa", "Unable to start the session.")
		return
	}
	if err := s.store.UpdateAdminLastLogin(r.Context(), stored.Username); err != nil {
		s.log.Warn("unable to update the admin's last login", "user", stored.Username, "error", err)
	}
	s.log.Info("web admin login", "user", stored.Username, "remote", ip, "second_factor", true)
	http.Redirect(w, r, s.webRoot+webAdminPrefix+"/users", http.StatusSeeOther)
}

func (s *Server) webClientLogin2FAGet(w http.ResponseWriter, r *http.Request) {
	if _, err := s.pending2FA(r, tokenAudienceWebClient2FA); err != nil {
		http.Redirect(w, r, s.clientLoginPath(), http.StatusFound)
		return
	}
	s.login2FAPage(w, r, http.StatusOK, "client/login_2fa", "")
}

func (s *Server) webClientLogin2FAPost(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	claims, code, ok := s.code2FA(w, r, tokenAudienceWebClient2FA, "client/login_2fa", s.clientLoginPath())
	if !ok {
		return
	}
	u, err := s.loadSessionUser(r.Context(), claims.Username, ip)
	if err != nil {
		var ie *internalError
		if errors.As(err, &ie) {
			s.login2FAPage(w, r, http.StatusInternalServerError, "client/login_2fa", "The data provider is not available.")
			return
		}
		s.login2FAPage(w, r, http.StatusForbidden, "client/login_2fa", err.Error())
		return
	}
	// the shared login path logs the outcome, scores the defender and
	// runs the post-login hook
	if err := s.common.VerifySecondFactor(r.Context(), &u, protocolHTTP, ip, code); err != nil {
		s.loginLimiter.failed(ip)
		s.login2FAPage(w, r, http.StatusUnauthorized, "client/login_2fa", "Invalid authentication code.")
		return
	}
	// a recovery code changed the account: sign the session with its new state
	if fresh, err := s.store.GetEffectiveUser(r.Context(), u.Username); err == nil {
		u = fresh
	}
	s.end2FA(w, r, claims, s.clientLoginPath())
	if err := s.startSession(w, r, tokenAudienceWebClient, s.clientCookiePath(), u.Username, nil, s.userSignature(&u)); err != nil {
		s.login2FAPage(w, r, http.StatusInternalServerError, "client/login_2fa", "Unable to start the session.")
		return
	}
	s.log.Info("web client login", "user", u.Username, "remote", ip, "second_factor", true)
	http.Redirect(w, r, s.webRoot+webClientPrefix+"/files", http.StatusSeeOther)
}

// webLogin2FARoutes registers the code pages next to the login pages.
func (s *Server) webAdminLogin2FARoutes(r chi.Router) {
	r.Get("/login/2fa", s.webAdminLogin2FAGet)
	r.Post("/login/2fa", s.webAdminLogin2FAPost)
}

func (s *Server) webClientLogin2FARoutes(r chi.Router) {
	r.Get("/login/2fa", s.webClientLogin2FAGet)
	r.Post("/login/2fa", s.webClientLogin2FAPost)
}

// ---- the "Two-factor" page

// mfaPageData is what the two-factor templates get.
type mfaPageData struct {
	Enabled    bool
	ConfigName string
	Protocols  []string
	Required   []string
	Configs    []string
	AllProtos  []string
	// Setup is a new secret waiting for its first code.
	Setup *totpSecret
	QR    template.URL
	// Codes are the current recovery codes; Fresh the ones just made.
	Codes []recoveryCodeInfo
	Fresh []string
}

func (s *Server) mfaData(acc *mfaAccount) *mfaPageData {
	d := &mfaPageData{Enabled: acc.totp.Enabled, ConfigName: acc.totp.ConfigName, Protocols: acc.totp.Protocols,
		Required: acc.required}
	for _, c := range s.totpConfigs() {
		d.Configs = append(d.Configs, c.Name)
	}
	if acc.protocols {
		d.AllProtos = totpProtocols
	}
	return d
}

// mfaUI is one UI's side of the two-factor page.
type mfaUI struct {
	tmpl    string
	path    string // the page, under webRoot
	account func(*http.Request) (*mfaAccount, error)
	page    func(*http.Request) *page
	// saved runs after the account changed: sessions bound to the
	// account state are renewed; it returns the CSRF token of the session
	// now in use.
	saved func(http.ResponseWriter, *http.Request) string
}

func (s *Server) renderMFA(w http.ResponseWriter, r *http.Request, ui mfaUI, d *mfaPageData, msg string, status int) {
	p := ui.page(r)
	p.Data = d
	p.Error = msg
	s.render(w, r, status, ui.tmpl, p)
}

func (s *Server) mfaGet(ui mfaUI) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		acc, err := ui.account(r)
		if err != nil {
			s.webError(w, r, http.StatusInternalServerError, "The data provider is not available.", ui.tmpl == "admin/mfa")
			return
		}
		d := s.mfaData(acc)
		if r.URL.Query().Get("codes") == "1" && acc.totp.Enabled {
			if d.Codes, err = s.plainRecoveryCodes(*acc.codes); err != nil {
				s.renderMFA(w, r, ui, d, "Unable to read the recovery codes.", http.StatusInternalServerError)
				return
			}
		}
		s.renderMFA(w, r, ui, d, "", http.StatusOK)
	}
}

// mfaSetup generates a secret for the chosen configuration and shows its
// QR code with the field for the first code.
func (s *Server) mfaSetup(ui mfaUI, accountName func(*http.Request) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		acc, err := ui.account(r)
		if err != nil {
			s.webError(w, r, http.StatusInternalServerError, "The data provider is not available.", ui.tmpl == "admin/mfa")
			return
		}
		d := s.mfaData(acc)
		sec, err := s.newTOTPSecret(r.PostFormValue("config_name"), accountName(r))
		if err != nil {
			s.renderMFA(w, r, ui, d, err.Error(), http.StatusBadRequest)
			return
		}
		d.Setup = &sec
		d.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(sec.QRCode)) //nolint:gosec // our own PNG
		d.Protocols = r.PostForm["protocols"]
		s.renderMFA(w, r, ui, d, "", http.StatusOK)
	}
}

// mfaEnable saves the secret once the first code matches, and shows the
// new recovery codes.
func (s *Server) mfaEnable(ui mfaUI) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		acc, err := ui.account(r)
		if err != nil {
			s.webError(w, r, http.StatusInternalServerError, "The data provider is not available.", ui.tmpl == "admin/mfa")
			return
		}
		secret := strings.TrimSpace(r.PostFormValue("secret"))
		configName := r.PostFormValue("config_name")
		req := totpSaveRequest{Enabled: true, ConfigName: configName, Protocols: r.PostForm["protocols"]}
		retry := func(msg string) {
			d := s.mfaData(acc)
			sec, err := s.newTOTPSecret(configName, acc.name)
			if err == nil {
				sec.Secret = secret
				d.Setup = &sec
			}
			d.Protocols = req.Protocols
			s.renderMFA(w, r, ui, d, msg, http.StatusBadRequest)
		}
		if !s.checkOTP(configName, secret, r.PostFormValue("passcode")) {
			retry("The code does not match: check the time of your device and try the next code.")
			return
		}
		req.Secret = kms.NewPlainSecret(secret)
		hadCodes := slices.ContainsFunc(*acc.codes, func(c dataprovider.RecoveryCode) bool { return !c.Used })
		if err := s.applyTOTP(acc, req); err != nil {
			retry(err.Error())
			return
		}
		var fresh []string
		if !hadCodes {
			if fresh, err = s.plainCodes(*acc.codes); err != nil {
				retry("Unable to create the recovery codes.")
				return
			}
		}
		if err := acc.save(r.Context()); err != nil {
			retry(err.Error())
			return
		}
		csrf := ui.saved(w, r)
		acc2, err := ui.account(r)
		if err != nil {
			acc2 = acc
		}
		d := s.mfaData(acc2)
		d.Fresh = fresh
		p := ui.page(r)
		p.Data = d
		p.CSRF = csrf
		p.Flash = &flash{Kind: "ok", Msg: "Two-factor authentication is on."}
		s.render(w, r, http.StatusOK, ui.tmpl, p)
	}
}

func (s *Server) plainCodes(codes []dataprovider.RecoveryCode) ([]string, error) {
	info, err := s.plainRecoveryCodes(codes)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(info))
	for _, c := range info {
		out = append(out, c.Code)
	}
	return out, nil
}

func (s *Server) mfaRegenerate(ui mfaUI) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		acc, err := ui.account(r)
		if err != nil || !acc.totp.Enabled {
			s.redirectFlash(w, r, ui.path, "error", "Two-factor authentication is not enabled.")
			return
		}
		codes, plain, err := newRecoveryCodes()
		if err == nil {
			*acc.codes = codes
			err = acc.save(r.Context())
		}
		if err != nil {
			s.redirectFlash(w, r, ui.path, "error", "Unable to save the recovery codes.")
			return
		}
		csrf := ui.saved(w, r)
		d := s.mfaData(acc)
		d.Fresh = plain
		p := ui.page(r)
		p.Data = d
		p.CSRF = csrf
		p.Flash = &flash{Kind: "ok", Msg: "New recovery codes: the old ones no longer work."}
		s.render(w, r, http.StatusOK, ui.tmpl, p)
	}
}

func (s *Server) mfaDisable(ui mfaUI) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		acc, err := ui.account(r)
		if err != nil {
			s.redirectFlash(w, r, ui.path, "error", "The data provider is not available.")
			return
		}
		if err := s.applyTOTP(acc, totpSaveRequest{Enabled: false}); err != nil {
			s.redirectFlash(w, r, ui.path, "error", err.Error())
			return
		}
		if err := acc.save(r.Context()); err != nil {
			s.redirectFlash(w, r, ui.path, "error", err.Error())
			return
		}
		ui.saved(w, r)
		s.redirectFlash(w, r, ui.path, "ok", "Two-factor authentication is off.")
	}
}

func (s *Server) mfaRoutes(r chi.Router, ui mfaUI, accountName func(*http.Request) string) {
	r.Get("/mfa", s.mfaGet(ui))
	r.Post("/mfa/setup", s.mfaSetup(ui, accountName))
	r.Post("/mfa/enable", s.mfaEnable(ui))
	r.Post("/mfa/recoverycodes", s.mfaRegenerate(ui))
	r.Post("/mfa/disable", s.mfaDisable(ui))
}

// webClientMFARoutes registers the user's two-factor page.
func (s *Server) webClientMFARoutes(r chi.Router) {
	ui := mfaUI{tmpl: "client/mfa", path: webClientPrefix + "/mfa",
		account: s.userMFAAccount,
		page:    func(r *http.Request) *page { return s.clientPage(r, "Two-factor authentication", "mfa") },
		saved: func(w http.ResponseWriter, r *http.Request) string {
			sess := webSessionFrom(r.Context())
			u, err := s.store.GetEffectiveUser(r.Context(), sess.claims.Username)
			if err != nil {
				return sess.csrf
			}
			return s.renewSession(w, r, sess, tokenAudienceWebClient, s.clientCookiePath(), nil, s.userSignature(&u))
		}}
	s.mfaRoutes(r, ui, func(r *http.Request) string { return userFromContext(r.Context()).user.Username })
}

// webAdminMFARoutes registers the admin's two-factor page.
func (s *Server) webAdminMFARoutes(r chi.Router) {
	ui := mfaUI{tmpl: "admin/mfa", path: webAdminPrefix + "/mfa",
		account: s.adminMFAAccount,
		page:    func(r *http.Request) *page { return s.adminPage(r, "Two-factor authentication", "mfa") },
		saved: func(w http.ResponseWriter, r *http.Request) string {
			sess := webSessionFrom(r.Context())
			a, err := s.store.GetAdmin(r.Context(), sess.claims.Username)
			if err != nil {
				return sess.csrf
			}
			return s.renewSession(w, r, sess, tokenAudienceWebAdmin, s.adminCookiePath(), a.Permissions, s.tokens.signature(&a))
		}}
	s.mfaRoutes(r, ui, func(r *http.Request) string { return authFromContext(r.Context()).admin.Username })
}

// webRequireUserMFASet sends a user that must enrol (two_factor_protocols
// lists HTTP) to the two-factor page until it has.
func (s *Server) webRequireUserMFASet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := userFromContext(r.Context())
		if sess != nil && !strings.Contains(r.URL.Path, "/mfa") && !strings.HasSuffix(r.URL.Path, "/logout") {
			if missing := common.MissingSecondFactor(&sess.user); slices.Contains(missing, dataprovider.ProtocolHTTP) {
				s.mfaRequired(w, r, webClientPrefix+"/mfa", missing, false)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// webRequireAdminMFASet is webRequireUserMFASet for admins with
// require_two_factor.
func (s *Server) webRequireAdminMFASet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := authFromContext(r.Context())
		if info != nil && info.admin.Filters.RequireTwoFactor && !info.admin.Filters.TOTPConfig.Enabled &&
			!strings.Contains(r.URL.Path, "/mfa") && !strings.HasSuffix(r.URL.Path, "/logout") {
			s.mfaRequired(w, r, webAdminPrefix+"/mfa", []string{dataprovider.ProtocolHTTP}, true)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) mfaRequired(w http.ResponseWriter, r *http.Request, target string, missing []string, admin bool) {
	msg := "Set up two-factor authentication first: it is required for " + strings.Join(missing, ", ") + "."
	if r.Method == http.MethodGet && !isScriptRequest(r) {
		s.redirectFlash(w, r, target, "error", msg)
		return
	}
	s.webError(w, r, http.StatusForbidden, msg, admin)
}

// renewSession replaces a session whose account state signature changed
// (token_validation binds sessions to it) and returns the CSRF token of
// the session in use afterwards.
func (s *Server) renewSession(w http.ResponseWriter, r *http.Request, sess *webSession, audience, cookiePath string, perms []string, sig string) string {
	if sig == sess.claims.Signature {
		return sess.csrf
	}
	tok, _, err := s.tokens.issueFor(audience, s.cookieLifetime(), sess.claims.Username, perms, sig, clientIP(r))
	if err != nil {
		return sess.csrf
	}
	claims, err := s.tokens.verifyFor(tok, clientIP(r), audience)
	if err != nil {
		return sess.csrf
	}
	s.setCookie(w, r, cookieSession, tok, cookiePath, s.cookieLifetime())
	s.tokens.revoke(sess.claims)
	return s.sessionCSRF(claims)
}
