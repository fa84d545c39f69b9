package httpd

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/static"
	"github.com/sftpgo-ng/sftpgo/templates"
)

// The web admin and the web client are server-rendered html/template
// pages with one small stylesheet and one script, all embedded. A file
// with the same relative path under httpd.templates_path or
// httpd.static_files_path replaces the embedded one.

// webUI holds the parsed pages and the static files.
type webUI struct {
	pages  map[string]*template.Template
	static fs.FS
	// cats are the translations by language code (web_i18n.go)
	cats map[string]*catalogue
}

// overlayFS serves a file from disk when present there, else from the
// embedded set.
type overlayFS struct {
	disk fs.FS // may be nil
	base fs.FS
}

func (o overlayFS) Open(name string) (fs.File, error) {
	if o.disk != nil {
		if f, err := o.disk.Open(name); err == nil {
			return f, nil
		}
	}
	return o.base.Open(name)
}

func (o overlayFS) ReadFile(name string) ([]byte, error) {
	if o.disk != nil {
		if b, err := fs.ReadFile(o.disk, name); err == nil {
			return b, nil
		}
	}
	return fs.ReadFile(o.base, name)
}

func dirFS(p string) fs.FS {
	if p == "" {
		return nil
	}
	if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
		return nil
	}
	return os.DirFS(p)
}

// layouts are parsed with every page; a page defines "content" (and may
// define "title" and "scripts").
var layoutFiles = []string{"layout/base.html", "layout/admin.html", "layout/client.html", "layout/plain.html", "layout/fields.html",
	"layout/shared.html"}

func newWebUI(cfg config.HTTPDConfig, configDir string) (*webUI, error) {
	tfs := overlayFS{disk: dirFS(config.ResolvePath(configDir, cfg.TemplatesPath)), base: templates.FS}
	ui := &webUI{
		pages:  map[string]*template.Template{},
		static: overlayFS{disk: dirFS(config.ResolvePath(configDir, cfg.StaticFilesPath)), base: static.FS},
	}
	cats, err := loadCatalogues(tfs)
	if err != nil {
		return nil, err
	}
	ui.cats = cats
	layout := template.New("base").Funcs(templateFuncs)
	for _, f := range layoutFiles {
		b, err := tfs.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("httpd: template %s: %w", f, err)
		}
		if _, err := layout.New(f).Parse(string(b)); err != nil {
			return nil, fmt.Errorf("httpd: template %s: %w", f, err)
		}
	}
	for _, dir := range []string{"admin", "client"} {
		entries, err := fs.ReadDir(templates.FS, dir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			name := dir + "/" + e.Name()
			b, err := tfs.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("httpd: template %s: %w", name, err)
			}
			t, err := layout.Clone()
			if err != nil {
				return nil, err
			}
			if _, err := t.New(name).Parse(string(b)); err != nil {
				return nil, fmt.Errorf("httpd: template %s: %w", name, err)
			}
			ui.pages[strings.TrimSuffix(name, ".html")] = t
		}
	}
	return ui, nil
}

// flash is a one-shot message shown on the next page.
type flash struct {
	Kind string `json:"k"` // "ok" or "error"
	Msg  string `json:"m"`
}

// page is what every template gets.
type page struct {
	Title   string
	Section string // highlighted navigation entry
	Base    string // web_root
	CSRF    string
	Flash   *flash
	Error   string // general form error
	// Retype: the failed save had passwords or secrets typed, which are
	// not sent back; the page asks to type them again.
	Retype  bool
	Form    url.Values
	Errors  map[string]string
	AppName string
	// Admin or User is the signed-in account, if any.
	Admin *adminNav
	User  *userNav
	Data  any
	// Login: the sign-in choices of a login page.
	Login *loginNav
	// Brand: the branding of the UI the page belongs to.
	Brand *brandNav
	// ResetByMail: password reset by e-mail is available (SMTP configured).
	ResetByMail bool
	// UI is "admin" or "client": the UI the page belongs to, for the
	// pages both share (layout/shared.html).
	UI string
	// Lang is the page's language; Langs the binding offers (the menu
	// shows when there are several).
	Lang  string
	Langs []uiLanguage
}

// render writes a page with the headers every HTML response gets.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t, ok := s.web.pages[name]
	if !ok {
		s.log.Error("unknown template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p.Base = s.webRoot
	p.UI, _, _ = strings.Cut(name, "/")
	p.ResetByMail = s.mailer != nil
	if p.Form == nil {
		p.Form = url.Values{}
	}
	if p.Errors == nil {
		p.Errors = map[string]string{}
	}
	if p.AppName == "" {
		p.AppName = "SFTPGo"
	}
	if p.Flash == nil {
		p.Flash = takeFlash(w, r, s.webRoot)
	}
	s.decoratePage(r, name, p)
	p.Lang, p.Langs = s.pageLanguage(w, r)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout/base.html", p); err != nil {
		s.log.Error("render template", "name", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	body := buf.Bytes()
	if c := s.web.cats[p.Lang]; c != nil {
		body = translateHTML(body, c)
	}
	setPageHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", p.Lang)
	w.Header().Add("Vary", "Accept-Language, Cookie")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// setPageHeaders adds a strict policy to every page unless the binding's
// security settings chose their own.
func setPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	if h.Get("Content-Security-Policy") == "" {
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
	}
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
}

// serveStatic serves /static/... with a day of caching.
func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(urlParam(r, "*"), "/")
	name = path.Clean("/" + name)[1:]
	if name == "" {
		http.NotFound(w, r)
		return
	}
	f, err := s.web.static.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		http.NotFound(w, r)
		return
	}
	rs, ok := f.(interface {
		Read([]byte) (int, error)
		Seek(int64, int) (int64, error)
	})
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, name, fi.ModTime(), rs)
}

// webRoutes mounts the web admin, the web client and the static files
// on a binding that enables them.
func (s *Server) webRoutes(r chi.Router, b config.HTTPDBinding) {
	if !b.EnableWebAdmin && !b.EnableWebClient {
		return
	}
	if s.web == nil {
		s.log.Error("web UI templates are not loaded")
		return
	}
	wb := s.newWebBinding(b)
	r.Get("/static/*", s.serveStatic)
	if wb.oidc != nil {
		r.Get(oidcRedirectPath, s.oidcRedirect)
	}
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		if b.EnableWebClient {
			http.Redirect(w, r, s.webRoot+webClientPrefix+"/files", http.StatusFound)
			return
		}
		http.Redirect(w, r, s.webRoot+webAdminPrefix, http.StatusFound)
	})
	if b.EnableWebAdmin {
		r.Route(webAdminPrefix, func(r chi.Router) {
			s.webAdminRoutes(r)
			if wb.oidc != nil {
				r.Get(oidcLoginPath, s.oidcStart(tokenAudienceWebAdmin))
			}
		})
	}
	if b.EnableWebClient {
		r.Route(webClientPrefix, func(r chi.Router) {
			s.webClientRoutes(r)
			if wb.oidc != nil {
				r.Get(oidcLoginPath, s.oidcStart(tokenAudienceWebClient))
			}
		})
	}
}

const (
	webAdminPrefix  = "/web/admin"
	webClientPrefix = "/web/client"
)

// ---- cookies, sessions and CSRF

const (
	cookieSession = "jwt"
	cookieNonce   = "sftpgo_csrf"
	cookieFlash   = "sftpgo_flash"
	cookieShare   = "sftpgo_share"
	csrfField     = "_form_token"
	csrfHeader    = "X-CSRF-TOKEN"
)

// cookieLifetime is httpd.cookie_lifetime (minutes, 20 by default, at
// most 720).
func (s *Server) cookieLifetime() time.Duration {
	return lifetimeMinutes(s.cfg.CookieLifetime, 20)
}

func (s *Server) shareCookieLifetime() time.Duration {
	return lifetimeMinutes(s.cfg.ShareCookieLifetime, 120)
}

func lifetimeMinutes(v, def int) time.Duration {
	if v <= 0 {
		v = def
	}
	return time.Duration(min(v, 720)) * time.Minute
}

// isSecure reports whether the browser reached us over HTTPS (directly or
// through a proxy the binding trusts).
func isSecure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") && r.Context().Value(ctxClientIP{}) != nil
}

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value, cookiePath string, maxAge time.Duration) {
	c := &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     cookiePath,
		HttpOnly: true,
		Secure:   isSecure(r),
		SameSite: http.SameSiteStrictMode,
	}
	if maxAge > 0 {
		c.MaxAge = int(maxAge.Seconds())
		c.Expires = s.now().Add(maxAge)
	} else if maxAge < 0 {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// mac signs v with the server key for purpose.
func (s *Server) mac(purpose, v string) string {
	m := hmac.New(sha256.New, s.tokens.key)
	m.Write([]byte(purpose + "\x00" + v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sessionCSRF is the CSRF token of a signed-in session: only pages of
// that session know it.
func (s *Server) sessionCSRF(claims *tokenClaims) string {
	return s.mac("csrf-session", claims.ID)
}

// anonCSRF returns the CSRF token of a login form, bound to a random
// nonce cookie, setting the cookie when missing.
func (s *Server) anonCSRF(w http.ResponseWriter, r *http.Request) string {
	nonce := ""
	if c, err := r.Cookie(cookieNonce); err == nil && len(c.Value) >= 20 {
		nonce = c.Value
	} else {
		nonce = randomString(24)
		s.setCookie(w, r, cookieNonce, nonce, s.webRoot+"/web", 12*time.Hour)
	}
	return s.mac("csrf-anon", nonce)
}

func (s *Server) checkAnonCSRF(r *http.Request, token string) bool {
	c, err := r.Cookie(cookieNonce)
	if err != nil || token == "" {
		return false
	}
	return hmac.Equal([]byte(token), []byte(s.mac("csrf-anon", c.Value)))
}

// csrfFromRequest reads the token of a form post or a script request.
// Multipart bodies carry it in the header (the body is streamed, not
// parsed up front).
func csrfFromRequest(r *http.Request) string {
	if v := r.Header.Get(csrfHeader); v != "" {
		return v
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		return ""
	}
	return r.PostFormValue(csrfField)
}

// csrfDeferred reports whether a multipart post to a streaming endpoint
// (suffix) checks its CSRF token itself, from the header or the first
// form field, instead of having the body parsed up front. No other
// endpoint accepts a multipart body without the header.
func csrfDeferred(r *http.Request, suffix string) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") && strings.HasSuffix(r.URL.Path, suffix)
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// setFlash keeps a message for the next page.
func (s *Server) setFlash(w http.ResponseWriter, r *http.Request, kind, msg string) {
	b, _ := json.Marshal(flash{Kind: kind, Msg: msg})
	s.setCookie(w, r, cookieFlash, base64.RawURLEncoding.EncodeToString(b), s.webRoot+"/web", time.Minute)
}

func takeFlash(w http.ResponseWriter, r *http.Request, webRoot string) *flash {
	c, err := r.Cookie(cookieFlash)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: cookieFlash, Value: "", Path: webRoot + "/web", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil
	}
	var f flash
	if json.Unmarshal(b, &f) != nil || f.Msg == "" || len(f.Msg) > 500 {
		return nil
	}
	return &f
}

// redirectFlash sends the browser to target with a message.
func (s *Server) redirectFlash(w http.ResponseWriter, r *http.Request, target, kind, msg string) {
	if msg != "" {
		s.setFlash(w, r, kind, msg)
	}
	http.Redirect(w, r, s.webRoot+target, http.StatusSeeOther)
}

// webSession is a verified session cookie.
type webSession struct {
	claims *tokenClaims
	csrf   string
}

// readSession verifies the session cookie for audience.
func (s *Server) readSession(r *http.Request, audience string) (*webSession, error) {
	c, err := r.Cookie(cookieSession)
	if err != nil || c.Value == "" {
		return nil, errors.New("not signed in")
	}
	claims, err := s.tokens.verifyFor(c.Value, clientIP(r), audience)
	if err != nil {
		return nil, err
	}
	return &webSession{claims: claims, csrf: s.sessionCSRF(claims)}, nil
}

// startSession sets a session cookie for username on cookiePath.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, audience, cookiePath, username string, perms []string, sig string) error {
	tok, _, err := s.tokens.issueFor(audience, s.cookieLifetime(), username, perms, sig, clientIP(r))
	if err != nil {
		return err
	}
	s.setCookie(w, r, cookieSession, tok, cookiePath, s.cookieLifetime())
	return nil
}

// refreshSession renews a session cookie past half its life, so an active
// user is not signed out.
func (s *Server) refreshSession(w http.ResponseWriter, r *http.Request, sess *webSession, audience, cookiePath string) {
	if sess.claims.ExpiresAt == nil || sess.claims.ExpiresAt.Sub(s.now()) > s.cookieLifetime()/2 {
		return
	}
	c := s.tokens.newClaims(audience, s.cookieLifetime(), sess.claims.Username, sess.claims.Permissions, sess.claims.Signature, clientIP(r))
	c.IDP = sess.claims.IDP
	if tok, err := s.tokens.sign(c); err == nil {
		s.setCookie(w, r, cookieSession, tok, cookiePath, s.cookieLifetime())
		s.tokens.revoke(sess.claims)
	}
}

func (s *Server) endSession(w http.ResponseWriter, r *http.Request, sess *webSession, cookiePath string) {
	if sess != nil {
		s.tokens.revoke(sess.claims)
	}
	s.setCookie(w, r, cookieSession, "", cookiePath, -1)
}

// isScriptRequest reports whether the page's script (not a form) made the
// request, so errors go back as JSON.
func isScriptRequest(r *http.Request) bool {
	return r.Header.Get(csrfHeader) != "" || strings.Contains(r.Header.Get("Accept"), "application/json")
}
