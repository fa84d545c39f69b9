package httpd

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/logger"
)

// OpenID Connect sign-in (httpd.bindings[].oidc). The flow is the
// authorization code flow with PKCE (S256), a random state bound to the
// browser by a cookie and a nonce checked in the ID token. The ID token
// names the account (username_field) and, through role_field, whether it
// is an admin; implicit_roles takes the role from the login page used
// instead. Users (not admins) may be created by the pre-login hook, which
// sees the login method "IDP" and the custom_fields claims.

const (
	oidcRedirectPath   = "/web/oidc/redirect"
	oidcLoginPath      = "/oidclogin"
	cookieOIDCState    = "sftpgo_oidc_state"
	cookieOIDCIDToken  = "sftpgo_oidc_idt"
	oidcPendingTimeout = 10 * time.Minute
	oidcRoleAdmin      = "admin"
	oidcMaxPending     = 10000
)

// oidcRP is the relying party of one binding.
type oidcRP struct {
	cfg         config.OIDCConfig
	oauth       oauth2.Config
	verifier    *oidc.IDTokenVerifier
	endSession  string // the provider's end_session_endpoint, if any
	redirectURL string
}

// oidcPending is a sign-in sent to the provider and not back yet.
type oidcPending struct {
	nonce    string
	verifier string // PKCE code verifier
	audience string // where the sign-in started: web admin or web client
	binding  *oidcRP
	expires  time.Time
}

// oidcState holds the relying parties of every binding and the pending
// sign-ins.
type oidcState struct {
	mu      sync.Mutex
	pending map[string]*oidcPending // by state
}

func newOIDCState() *oidcState {
	return &oidcState{pending: map[string]*oidcPending{}}
}

func (o *oidcState) add(state string, p *oidcPending, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, v := range o.pending {
		if now.After(v.expires) {
			delete(o.pending, k)
		}
	}
	if len(o.pending) >= oidcMaxPending {
		for k := range o.pending {
			delete(o.pending, k)
			break
		}
	}
	o.pending[state] = p
}

// take removes and returns the pending sign-in of state (single use).
func (o *oidcState) take(state string, now time.Time) (*oidcPending, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	p, ok := o.pending[state]
	delete(o.pending, state)
	if !ok || now.After(p.expires) {
		return nil, false
	}
	return p, true
}

// oidcEnabled reports whether a binding configures OpenID Connect.
func oidcEnabled(c config.OIDCConfig) bool {
	return c.ConfigURL != "" && c.ClientID != ""
}

// newOIDCRP discovers the provider of a binding. Like SFTPGo, an
// unreachable provider stops the start.
func newOIDCRP(ctx context.Context, b config.HTTPDBinding, webRoot, configDir string) (*oidcRP, error) {
	c := b.OIDC
	secret := c.ClientSecret
	if c.ClientSecretFile != "" {
		raw, err := os.ReadFile(config.ResolvePath(configDir, c.ClientSecretFile))
		if err != nil {
			return nil, fmt.Errorf("httpd: oidc client_secret_file: %w", err)
		}
		secret = strings.TrimSpace(string(raw))
	}
	base := strings.TrimRight(c.RedirectBaseURL, "/")
	if base == "" {
		base = strings.TrimRight(b.BaseURL, "/")
	}
	if base == "" {
		return nil, errors.New("httpd: oidc needs redirect_base_url (or the binding's base_url)")
	}
	issuer := strings.TrimRight(c.ConfigURL, "/")
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		return nil, fmt.Errorf("httpd: oidc discovery at %s: %w", issuer, err)
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	_ = provider.Claims(&meta)
	scopes := c.Scopes
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "profile", "email"}
	}
	if !slices.Contains(scopes, oidc.ScopeOpenID) {
		scopes = append([]string{oidc.ScopeOpenID}, scopes...)
	}
	rp := &oidcRP{
		cfg:         c,
		redirectURL: base + webRoot + oidcRedirectPath,
		endSession:  meta.EndSession,
		verifier: provider.Verifier(&oidc.Config{
			ClientID:                   c.ClientID,
			InsecureSkipSignatureCheck: c.InsecureSkipSignatureCheck,
		}),
	}
	rp.oauth = oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: secret,
		Endpoint:     provider.Endpoint(),
		RedirectURL:  rp.redirectURL,
		Scopes:       scopes,
	}
	return rp, nil
}

// oidcStart sends the browser to the provider (GET .../oidclogin).
func (s *Server) oidcStart(audience string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		wb := webBindingFrom(r.Context())
		if wb == nil || wb.oidc == nil {
			http.NotFound(w, r)
			return
		}
		state, nonce, verifier := randomString(24), randomString(24), oauth2.GenerateVerifier()
		s.oidc.add(state, &oidcPending{nonce: nonce, verifier: verifier, audience: audience, binding: wb.oidc,
			expires: s.now().Add(oidcPendingTimeout)}, s.now())
		// The provider sends the browser back with a cross-site
		// navigation: the cookie must be Lax to come with it.
		http.SetCookie(w, &http.Cookie{Name: cookieOIDCState, Value: s.mac("oidc-state", state), Path: s.webRoot + "/web",
			MaxAge: int(oidcPendingTimeout.Seconds()), HttpOnly: true, Secure: isSecure(r), SameSite: http.SameSiteLaxMode})
		target := wb.oidc.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
		setPageHeaders(w)
		http.Redirect(w, r, target, http.StatusFound)
	}
}

// oidcRedirect is where the provider sends the browser back.
func (s *Server) oidcRedirect(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	q := r.URL.Query()
	state := q.Get("state")
	c, cerr := r.Cookie(cookieOIDCState)
	http.SetCookie(w, &http.Cookie{Name: cookieOIDCState, Value: "", Path: s.webRoot + "/web", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	pend, ok := s.oidc.take(state, s.now())
	if !ok || cerr != nil || !hmac.Equal([]byte(c.Value), []byte(s.mac("oidc-state", state))) {
		s.oidcFail(w, r, nil, http.StatusBadRequest, "The sign-in expired or was not started by this browser: try again.", errors.New("unknown or unbound state"))
		return
	}
	if e := q.Get("error"); e != "" {
		s.oidcFail(w, r, pend, http.StatusUnauthorized, "The identity provider refused the sign-in.", fmt.Errorf("provider error %q: %s", e, q.Get("error_description")))
		return
	}
	rp := pend.binding
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	tok, err := rp.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pend.verifier))
	if err != nil {
		s.oidcFail(w, r, pend, http.StatusUnauthorized, "The identity provider did not accept the sign-in.", fmt.Errorf("code exchange: %w", err))
		return
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		s.oidcFail(w, r, pend, http.StatusUnauthorized, "The identity provider sent no ID token.", errors.New("no id_token in the token response"))
		return
	}
	idToken, err := rp.verifier.Verify(ctx, rawID)
	if err != nil {
		s.oidcFail(w, r, pend, http.StatusUnauthorized, "The ID token is not valid.", fmt.Errorf("verify id token: %w", err))
		return
	}
	if !hmac.Equal([]byte(idToken.Nonce), []byte(pend.nonce)) {
		s.oidcFail(w, r, pend, http.StatusUnauthorized, "The ID token is not valid.", errors.New("nonce mismatch"))
		return
	}
	var claims map[string]any
	if err := idToken.Claims(&claims); err != nil {
		s.oidcFail(w, r, pend, http.StatusUnauthorized, "The ID token is not valid.", fmt.Errorf("id token claims: %w", err))
		return
	}
	if rp.cfg.Debug {
		b, _ := json.Marshal(claims)
		s.log.Debug("oidc id token claims", "claims", string(b), "remote", ip)
	}
	username, _ := claimValue(claims, rp.cfg.UsernameField).(string)
	username = strings.TrimSpace(username)
	if username == "" {
		s.oidcFail(w, r, pend, http.StatusUnauthorized, "The ID token does not name an account.", fmt.Errorf("claim %q missing or empty", rp.cfg.UsernameField))
		return
	}
	isAdmin := pend.audience == tokenAudienceWebAdmin
	if !rp.cfg.ImplicitRoles {
		isAdmin = claimHasRole(claimValue(claims, rp.cfg.RoleField), oidcRoleAdmin)
	}
	fields := map[string]any{}
	for _, f := range rp.cfg.CustomFields {
		if v := claimValue(claims, f); v != nil {
			fields[f] = v
		}
	}
	wb := webBindingFrom(r.Context())
	if !s.runIDPLoginRules(w, r, pend, username, isAdmin, wb, fields) {
		return
	}
	if isAdmin {
		if wb == nil || !wb.b.EnableWebAdmin {
			s.oidcFail(w, r, pend, http.StatusForbidden, "The web admin is not enabled here.", errors.New("admin sign-in on a binding without web admin"))
			return
		}
		s.oidcAdminLogin(w, r, pend, username, rawID)
		return
	}
	if wb == nil || !wb.b.EnableWebClient {
		s.oidcFail(w, r, pend, http.StatusForbidden, "The web client is not enabled here.", errors.New("user sign-in on a binding without web client"))
		return
	}
	s.oidcUserLogin(w, r, pend, username, rawID, fields)
}

// IDPLoginRunner runs the event rules with the IdP login trigger before
// an OpenID Connect sign-in goes on (an account check may create the
// account); *events.Manager is one.
type IDPLoginRunner interface {
	IDPLogin(ctx context.Context, username string, admin bool, ip string, fields map[string]any) error
}

// runIDPLoginRules runs the IdP login rules when the UI signed in to is
// enabled on this binding; false: the sign-in was refused and answered.
func (s *Server) runIDPLoginRules(w http.ResponseWriter, r *http.Request, pend *oidcPending, username string, isAdmin bool,
	wb *webBinding, fields map[string]any) bool {
	ir, ok := s.events.(IDPLoginRunner)
	if !ok || wb == nil || (isAdmin && !wb.b.EnableWebAdmin) || (!isAdmin && !wb.b.EnableWebClient) {
		return true
	}
	if err := ir.IDPLogin(r.Context(), username, isAdmin, clientIP(r), fields); err != nil {
		s.oidcFail(w, r, pend, http.StatusForbidden, "Your account could not be prepared for sign-in.",
			fmt.Errorf("IdP login rules: %w", err))
		return false
	}
	return true
}

func (s *Server) oidcAdminLogin(w http.ResponseWriter, r *http.Request, pend *oidcPending, username, rawID string) {
	ip := clientIP(r)
	if !s.webLoginAllowed(r, true, loginMethodOIDC) {
		s.oidcFail(w, r, pend, http.StatusForbidden, "Sign-in with the identity provider is disabled for the web admin.", errors.New("disabled by the binding's login methods"))
		return
	}
	admin, err := s.store.GetAdmin(r.Context(), username)
	if err == nil {
		err = checkAdminUsable(&admin, ip)
	}
	if err != nil {
		if errorStatus(err) == http.StatusInternalServerError {
			s.log.Error("oidc admin login", "error", err)
			s.oidcFail(w, r, pend, http.StatusInternalServerError, "The data provider is not available.", err)
			return
		}
		s.loginLimiter.failed(ip)
		logger.LoginFailed(s.log, ip, username, dataprovider.LoginMethodIDP, protocolHTTP, err)
		s.oidcFail(w, r, pend, http.StatusUnauthorized, "Your account is not allowed to sign in to the web admin.", nil)
		return
	}
	if err := s.startSession(w, r, tokenAudienceWebAdmin, s.adminCookiePath(), admin.Username, admin.Permissions, s.tokens.signature(&admin)); err != nil {
		s.oidcFail(w, r, pend, http.StatusInternalServerError, "Unable to start the session.", err)
		return
	}
	if err := s.store.UpdateAdminLastLogin(r.Context(), admin.Username); err != nil {
		s.log.Warn("unable to update the admin's last login", "user", admin.Username, "error", err)
	}
	s.setOIDCIDToken(w, r, rawID)
	s.log.Info("web admin login", "user", admin.Username, "remote", ip, "method", dataprovider.LoginMethodIDP)
	s.sameSiteRedirect(w, s.webRoot+s.adminHome(&admin))
}

func (s *Server) oidcUserLogin(w http.ResponseWriter, r *http.Request, pend *oidcPending, username, rawID string, fields map[string]any) {
	ip := clientIP(r)
	if !s.webLoginAllowed(r, false, loginMethodOIDC) {
		s.oidcFail(w, r, pend, http.StatusForbidden, "Sign-in with the identity provider is disabled for the web client.", errors.New("disabled by the binding's login methods"))
		return
	}
	if s.common == nil {
		s.oidcFail(w, r, pend, http.StatusServiceUnavailable, errFilesUnavailable.Error(), errFilesUnavailable)
		return
	}
	res, err := s.common.Login(r.Context(), common.LoginRequest{Protocol: protocolHTTP, Method: dataprovider.LoginMethodIDP,
		Username: username, RemoteAddr: ip, IdentityVerified: true, IDPFields: fields})
	if err != nil {
		status, msg := http.StatusUnauthorized, "Your account is not allowed to sign in here."
		switch {
		case errors.Is(err, common.ErrProviderUnavailable):
			status, msg = http.StatusInternalServerError, "The data provider is not available."
		case errors.Is(err, common.ErrStorageUnavailable):
			status, msg = http.StatusServiceUnavailable, err.Error()
		case errors.Is(err, common.ErrAuthFailed):
			s.loginLimiter.failed(ip)
		}
		s.oidcFail(w, r, pend, status, msg, err)
		return
	}
	u := res.User
	if err := s.startOIDCUserSession(w, r, &u); err != nil {
		s.oidcFail(w, r, pend, http.StatusInternalServerError, "Unable to start the session.", err)
		return
	}
	s.setOIDCIDToken(w, r, rawID)
	s.sameSiteRedirect(w, s.webRoot+s.clientHome(&u))
}

// startOIDCUserSession issues a web client session marked as an IDP
// login, so each request checks the account against the IDP method.
func (s *Server) startOIDCUserSession(w http.ResponseWriter, r *http.Request, u *dataprovider.User) error {
	claims := s.tokens.newClaims(tokenAudienceWebClient, s.cookieLifetime(), u.Username, nil, s.userSignature(u), clientIP(r))
	claims.IDP = true
	tok, err := s.tokens.sign(claims)
	if err != nil {
		return err
	}
	s.setCookie(w, r, cookieSession, tok, s.clientCookiePath(), s.cookieLifetime())
	return nil
}

// sameSiteRedirect answers with a page that moves on by itself: the
// browser arrived from the provider (a cross-site navigation), and our
// SameSite=Strict session cookie is sent only on a navigation that
// starts here. Logout uses it the other way: a form post may not be
// redirected to the provider (CSP form-action 'self'), a page may move
// there.
func (s *Server) sameSiteRedirect(w http.ResponseWriter, target string) {
	setPageHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	esc := html.EscapeString(target)
	_, _ = fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=%s"><link rel="icon" href="data:,"><title>Redirecting</title></head><body><p><a href="%s">Continue</a></p></body></html>`, esc, esc)
}

func (s *Server) setOIDCIDToken(w http.ResponseWriter, r *http.Request, raw string) {
	if len(raw) > 3500 {
		return // too large for a cookie: logout then only ends our session
	}
	s.setCookie(w, r, cookieOIDCIDToken, raw, s.webRoot+"/web", s.cookieLifetime())
}

// oidcLogoutTarget ends the provider's session too when the sign-in came
// through it and the provider has an end_session_endpoint: the browser
// goes there and comes back to loginPath. It returns "" otherwise.
func (s *Server) oidcLogoutTarget(w http.ResponseWriter, r *http.Request, loginPath string) string {
	c, err := r.Cookie(cookieOIDCIDToken)
	if err != nil || c.Value == "" {
		return ""
	}
	s.setCookie(w, r, cookieOIDCIDToken, "", s.webRoot+"/web", -1)
	wb := webBindingFrom(r.Context())
	if wb == nil || wb.oidc == nil || wb.oidc.endSession == "" {
		return ""
	}
	rp := wb.oidc
	u, err := url.Parse(rp.endSession)
	if err != nil {
		return ""
	}
	base := strings.TrimSuffix(rp.redirectURL, oidcRedirectPath)
	q := u.Query()
	q.Set("id_token_hint", c.Value)
	q.Set("client_id", rp.cfg.ClientID)
	q.Set("post_logout_redirect_uri", strings.TrimSuffix(base, s.webRoot)+s.webRoot+loginPath)
	u.RawQuery = q.Encode()
	return u.String()
}

// oidcFail logs a failed sign-in and shows the login page it started
// from with a message.
func (s *Server) oidcFail(w http.ResponseWriter, r *http.Request, pend *oidcPending, status int, msg string, detail error) {
	if detail != nil {
		s.log.Warn("oidc sign-in failed", "remote", clientIP(r), "error", detail)
	}
	tmpl := "client/login"
	if pend != nil && pend.audience == tokenAudienceWebAdmin {
		tmpl = "admin/login"
	}
	if wb := webBindingFrom(r.Context()); wb != nil && tmpl == "client/login" && !wb.b.EnableWebClient {
		tmpl = "admin/login"
	}
	s.render(w, r, status, tmpl, &page{Title: "Sign in", Error: msg, CSRF: s.anonCSRF(w, r)})
}

// claimValue reads a claim, following dots into nested objects
// ("realm_access.roles") when the full name is not a claim itself.
func claimValue(claims map[string]any, name string) any {
	if name == "" {
		return nil
	}
	if v, ok := claims[name]; ok {
		return v
	}
	var cur any = claims
	for _, part := range strings.Split(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[part]; !ok {
			return nil
		}
	}
	return cur
}

// claimHasRole reports whether a role claim (a string or a list of
// strings) holds role.
func claimHasRole(v any, role string) bool {
	switch t := v.(type) {
	case string:
		return t == role
	case []any:
		for _, it := range t {
			if s, ok := it.(string); ok && s == role {
				return true
			}
		}
	}
	return false
}

// setupOIDC discovers the provider of every binding with OpenID Connect.
func (s *Server) setupOIDC() error {
	s.oidc = newOIDCState()
	s.oidcRPs = map[string]*oidcRP{}
	for _, b := range s.cfg.Bindings {
		if !oidcEnabled(b.OIDC) || (!b.EnableWebAdmin && !b.EnableWebClient) {
			continue
		}
		rp, err := newOIDCRP(context.Background(), b, s.webRoot, s.configDir)
		if err != nil {
			return err
		}
		s.oidcRPs[bindingKey(b)] = rp
	}
	return nil
}

// adminHome is where an admin lands after signing in.
func (s *Server) adminHome(_ *dataprovider.Admin) string { return webAdminPrefix + "/users" }

// clientHome is where a user lands after signing in.
func (s *Server) clientHome(_ *dataprovider.User) string { return webClientPrefix + "/files" }
