package httpd

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// newBindingEnv serves the web UIs and the API through binding b (and
// httpd options set by mod).
func newBindingEnv(t *testing.T, b config.HTTPDBinding, mod ...func(*Options)) *testEnv {
	t.Helper()
	b.EnableRESTAPI, b.EnableWebAdmin, b.EnableWebClient = true, true, true
	opts := []envOption{func(o *Options) { o.Config.Bindings = []config.HTTPDBinding{b} }}
	for _, m := range mod {
		opts = append(opts, m)
	}
	e := newUserEnv(t, opts...)
	e.ts.Close()
	e.ts = httptest.NewServer(e.srv.router(b))
	t.Cleanup(e.ts.Close)
	return e
}

func TestWebBrandingOnEveryPage(t *testing.T) {
	static := t.TempDir()
	for name, body := range map[string]string{"brand/logo.png": "PNGLOGO", "brand/fav.ico": "ICO", "brand/extra.css": "body{}", "brand/terms.html": "<p>terms</p>"} {
		p := filepath.Join(static, name)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b := config.HTTPDBinding{Branding: config.WebBranding{
		WebAdmin: config.BrandingConfig{Name: "Acme Files Admin", ShortName: "Acme Admin", LogoPath: "/brand/logo.png",
			FaviconPath: "/brand/fav.ico", ExtraCSS: []string{"/brand/extra.css"}, DisclaimerName: "Terms", DisclaimerPath: "/brand/terms.html"},
		WebClient: config.BrandingConfig{Name: "Acme Files", ShortName: "Acme", LogoPath: "/brand/logo.png",
			DefaultCSS: []string{"/brand/extra.css"}},
	}}
	e := newBindingEnv(t, b, func(o *Options) { o.Config.StaticFilesPath = static })
	br := e.browser()

	_, body := br.get(webAdminPrefix + "/login")
	mustContain(t, body, "<title>Sign in · Acme Files Admin</title>", `src="/static/brand/logo.png" alt="" data-testid="brand-logo">Acme Admin`,
		`href="/static/brand/fav.ico"`, `href="/static/css/sftpgo-ng.css"`, `href="/static/brand/extra.css"`,
		`href="/static/brand/terms.html"`, ">Terms</a>")
	// the logo is served from static_files_path
	if st, logo := br.get("/static/brand/logo.png"); st != http.StatusOK || logo != "PNGLOGO" {
		t.Fatalf("logo: %d %q", st, logo)
	}
	// signed-in pages too
	br.get(webAdminPrefix + "/login")
	_, body = br.post(webAdminPrefix+"/login", formOf("username", testAdmin, "password", testPassword))
	mustContain(t, body, "· Acme Files Admin</title>", `<img src="/static/brand/logo.png" alt="">Acme Admin`)

	// the client has its own branding; default_css replaces our sheet
	_, body = br.get(webClientPrefix + "/login")
	mustContain(t, body, "<title>Sign in · Acme Files</title>", `data-testid="brand-logo">Acme</div>`, `href="/static/brand/extra.css"`)
	if strings.Contains(body, "sftpgo-ng.css") || strings.Contains(body, "Terms") {
		t.Fatalf("client login kept the default sheet or the admin's disclaimer:\n%s", excerpt(body))
	}
}

func TestWebLoginLinksAndSupport(t *testing.T) {
	t.Run("links shown", func(t *testing.T) {
		e := newBindingEnv(t, config.HTTPDBinding{})
		br := e.browser()
		_, body := br.get(webAdminPrefix + "/login")
		mustContain(t, body, `href="/web/client/login" data-testid="other-login"`)
		_, body = br.get(webClientPrefix + "/login")
		mustContain(t, body, `href="/web/admin/login" data-testid="other-login"`)
	})
	t.Run("hide_login_url", func(t *testing.T) {
		for _, c := range []struct {
			mask       int
			adminLink  bool
			clientLink bool
		}{{1, false, true}, {2, true, false}, {3, false, false}} {
			e := newBindingEnv(t, config.HTTPDBinding{HideLoginURL: c.mask})
			br := e.browser()
			_, body := br.get(webAdminPrefix + "/login")
			if strings.Contains(body, "other-login") != c.adminLink {
				t.Fatalf("mask %d: admin login page link shown=%v", c.mask, !c.adminLink)
			}
			_, body = br.get(webClientPrefix + "/login")
			if strings.Contains(body, "other-login") != c.clientLink {
				t.Fatalf("mask %d: client login page link shown=%v", c.mask, !c.clientLink)
			}
		}
	})
	t.Run("hide_support_link", func(t *testing.T) {
		for _, hide := range []bool{false, true} {
			e := newBindingEnv(t, config.HTTPDBinding{}, func(o *Options) { o.Config.HideSupportLink = hide })
			// the setup page shows only while no admin exists
			if err := e.store.DeleteAdmin(context.Background(), testAdmin); err != nil {
				t.Fatal(err)
			}
			_, body := e.browser().get(webAdminPrefix + "/setup")
			if strings.Contains(body, "support-link") == hide {
				t.Fatalf("hide_support_link=%v: link shown=%v", hide, !hide)
			}
		}
	})
}

func TestWebBaseURLInShareLinks(t *testing.T) {
	e := newBindingEnv(t, config.HTTPDBinding{BaseURL: "https://files.example.com/"})
	e.addUser("bob")
	tok := e.userToken("bob", testUserPassword)
	r := e.expect(http.StatusCreated, http.MethodPost, "/api/v2/user/shares", bearer(tok),
		map[string]any{"name": "s1", "scope": 1, "paths": []string{"/"}})
	id := r.header.Get("X-Object-ID")
	br := e.browser()
	br.get(webClientPrefix + "/login")
	br.post(webClientPrefix+"/login", formOf("username", "bob", "password", testUserPassword))
	_, body := br.get(webClientPrefix + "/shares")
	mustContain(t, body, "https://files.example.com/web/client/pubshares/"+id)
}

func TestAPILoginMethodsDisabled(t *testing.T) {
	e := newBindingEnv(t, config.HTTPDBinding{DisabledLoginMethods: loginMethodTokenAdmin | loginMethodTokenUser | loginMethodAPIKeyAdmin | loginMethodAPIKeyUser})
	e.addUser("bob")
	e.expect(http.StatusForbidden, http.MethodGet, "/api/v2/token", basic(testAdmin, testPassword), nil)
	e.expect(http.StatusForbidden, http.MethodGet, "/api/v2/user/token", basic("bob", testUserPassword), nil)
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/users", apiKey("whatever"), nil)
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/user/dirs", apiKey("whatever"), nil)
	// the same credentials work where the methods are enabled
	open := newBindingEnv(t, config.HTTPDBinding{})
	open.expect(http.StatusOK, http.MethodGet, "/api/v2/token", basic(testAdmin, testPassword), nil)
}

// formOf builds form values from name, value pairs.
func formOf(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}
