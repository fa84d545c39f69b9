package httpd

import (
	"context"
	"net/http"
	"strconv"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// webBinding is what the pages of one binding share: its OpenID Connect
// relying party, its branding and its login methods. The web routes put
// it in every request's context.
type webBinding struct {
	b    config.HTTPDBinding
	oidc *oidcRP // nil: no OpenID Connect on this binding
	// langs are the languages of b.Languages that have a catalogue
	langs []uiLanguage
}

type ctxWebBindingT struct{}

func (s *Server) newWebBinding(b config.HTTPDBinding) *webBinding {
	return &webBinding{b: b, oidc: s.oidcRPs[bindingKey(b)], langs: bindingLanguages(b.Languages)}
}

func webBindingFrom(ctx context.Context) *webBinding {
	wb, _ := ctx.Value(ctxWebBindingT{}).(*webBinding)
	return wb
}

func withWebBinding(wb *webBinding) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxWebBindingT{}, wb)))
		})
	}
}

// bindingKey names a binding for the per-binding state built at start.
func bindingKey(b config.HTTPDBinding) string {
	return b.Address + "|" + strconv.Itoa(b.Port)
}

// Web login methods, the bits of disabled_login_methods (and of the
// deprecated enabled_login_methods for the first four).
const (
	loginMethodOIDCAdmin   = 1
	loginMethodOIDCClient  = 2
	loginMethodFormAdmin   = 4
	loginMethodFormClient  = 8
	loginMethodTokenAdmin  = 16
	loginMethodTokenUser   = 32
	loginMethodAPIKeyAdmin = 64
	loginMethodAPIKeyUser  = 128
)

// Login kinds for webLoginAllowed.
const (
	loginMethodOIDC = "oidc"
	loginMethodForm = "form"
)

// loginDisabled reports whether a binding disables a login method bit.
// enabled_login_methods (deprecated), when not 0, lists the web logins
// that stay enabled; disabled_login_methods then removes more.
func loginDisabled(b config.HTTPDBinding, bit int) bool {
	if b.DisabledLoginMethods&bit != 0 {
		return true
	}
	if b.EnabledLoginMethods != 0 && bit <= loginMethodFormClient && b.EnabledLoginMethods&bit == 0 {
		return true
	}
	return false
}

// webLoginAllowed reports whether the request's binding accepts a web
// sign-in of kind (loginMethodOIDC or loginMethodForm) for the web admin
// (admin) or the web client.
func (s *Server) webLoginAllowed(r *http.Request, admin bool, kind string) bool {
	wb := webBindingFrom(r.Context())
	if wb == nil {
		return kind == loginMethodForm
	}
	if kind == loginMethodOIDC && wb.oidc == nil {
		return false
	}
	bit := loginMethodFormClient
	switch {
	case admin && kind == loginMethodOIDC:
		bit = loginMethodOIDCAdmin
	case !admin && kind == loginMethodOIDC:
		bit = loginMethodOIDCClient
	case admin:
		bit = loginMethodFormAdmin
	}
	return !loginDisabled(wb.b, bit)
}

// apiLoginAllowed reports whether the request's binding accepts a REST
// API credential: bit is one of the token or API key bits.
func apiLoginAllowed(r *http.Request, bit int) bool {
	wb := webBindingFrom(r.Context())
	if wb == nil {
		return true
	}
	return !loginDisabled(wb.b, bit)
}

// loginNav is what a login page shows besides the form.
type loginNav struct {
	Form bool // the username/password form
	OIDC bool // the "Sign in with ..." button is allowed
	// OIDCURL starts the OpenID Connect sign-in ("" without the button).
	OIDCURL string
	// OtherURL links to the other UI's login page ("" when hidden or not
	// served).
	OtherURL string
}

func (s *Server) loginNav(r *http.Request, admin bool) *loginNav {
	n := &loginNav{Form: s.webLoginAllowed(r, admin, loginMethodForm), OIDC: s.webLoginAllowed(r, admin, loginMethodOIDC)}
	wb := webBindingFrom(r.Context())
	if wb == nil {
		return n
	}
	switch {
	case admin && wb.b.EnableWebClient && wb.b.HideLoginURL&1 == 0:
		n.OtherURL = s.webRoot + webClientPrefix + "/login"
	case !admin && wb.b.EnableWebAdmin && wb.b.HideLoginURL&2 == 0:
		n.OtherURL = s.webRoot + webAdminPrefix + "/login"
	}
	return n
}
