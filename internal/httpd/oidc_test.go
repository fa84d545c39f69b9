package httpd

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/httpd/oidctest"
)

// oidcEnv is a server whose web binding signs in through a test IdP.
type oidcEnv struct {
	*testEnv
	idp     *oidctest.IdP
	binding config.HTTPDBinding
}

func newOIDCEnv(t *testing.T, users []oidctest.User, mod ...func(*config.HTTPDBinding)) *oidcEnv {
	return newOIDCEnvHooks(t, users, common.LoginHooks{}, mod...)
}

func newOIDCEnvHooks(t *testing.T, users []oidctest.User, hooks common.LoginHooks, mod ...func(*config.HTTPDBinding)) *oidcEnv {
	return newOIDCEnvOpts(t, users, hooks, nil, mod...)
}

func newOIDCEnvOpts(t *testing.T, users []oidctest.User, hooks common.LoginHooks, opts []envOption, mod ...func(*config.HTTPDBinding)) *oidcEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	var scratch Options
	for _, f := range opts {
		f(&scratch)
	}
	root := normalizeWebRoot(scratch.Config.WebRoot)
	idp := oidctest.Start(t, base+root+oidcRedirectPath, []string{base + root + webAdminPrefix + "/login", base + root + webClientPrefix + "/login"}, users)
	b := config.HTTPDBinding{Address: "127.0.0.1", Port: 1, EnableRESTAPI: true, EnableWebAdmin: true, EnableWebClient: true,
		OIDC: config.OIDCConfig{
			ConfigURL: idp.URL, ClientID: idp.ClientID, ClientSecret: idp.Secret, RedirectBaseURL: base,
			UsernameField: "preferred_username", RoleField: "sftpgo_role", CustomFields: []string{"sftpgo_home_dir"},
		}}
	for _, m := range mod {
		m(&b)
	}
	e := newTestEnv(t, func(o *Options) {
		o.Config.Bindings = []config.HTTPDBinding{b}
		if o.Store == nil {
			return
		}
		c, err := common.New(config.CommonConfig{UploadMode: common.UploadModeAtomic},
			common.Deps{Store: o.Store, KMS: testSecrets{}, Logger: slog.New(slog.DiscardHandler), Login: hooks})
		if err != nil {
			t.Fatal(err)
		}
		o.Common, o.Connections = c, c
		for _, f := range opts {
			f(o)
		}
	})
	e.ts.Close()
	e.ts = httptest.NewUnstartedServer(e.srv.router(b))
	e.ts.Listener.Close()
	e.ts.Listener = ln
	e.ts.Start()
	t.Cleanup(e.ts.Close)
	t.Cleanup(func() { e.srv.common.Close() })
	return &oidcEnv{testEnv: e, idp: idp, binding: b}
}

var (
	idpFormIDRe  = regexp.MustCompile(`name="id" value="([^"]+)"`)
	metaRefresh  = regexp.MustCompile(`http-equiv="refresh" content="0;url=([^"]+)"`)
	oidcButtonRe = regexp.MustCompile(`href="([^"]*/oidclogin)"`)
)

// oidcBrowser follows redirects across our server and the IdP with one
// cookie jar, like a browser.
type oidcBrowser struct {
	t *testing.T
	c *http.Client
}

func newOIDCBrowser(t *testing.T) *oidcBrowser {
	jar, _ := cookiejar.New(nil)
	return &oidcBrowser{t: t, c: &http.Client{Jar: jar}}
}

func (b *oidcBrowser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *oidcBrowser) get(u string) (*http.Response, string) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

// signIn starts at a login page of ours, clicks "Sign in with OpenID",
// fills the IdP form and follows the way back; it returns the final
// response (after the meta refresh page, if any).
func (b *oidcBrowser) signIn(e *oidcEnv, loginPage, user, pass string) (*http.Response, string) {
	b.t.Helper()
	_, body := b.get(e.ts.URL + loginPage)
	m := oidcButtonRe.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no OpenID button on %s:\n%s", loginPage, excerpt(body))
	}
	resp, body := b.get(e.ts.URL + m[1])
	if !strings.HasPrefix(resp.Request.URL.String(), e.idp.URL+"/login/username") {
		b.t.Fatalf("not at the IdP login page: %s\n%s", resp.Request.URL, excerpt(body))
	}
	id := idpFormIDRe.FindStringSubmatch(body)
	if id == nil {
		b.t.Fatalf("no auth request id in the IdP page:\n%s", body)
	}
	resp, body = b.postForm(e.idp.URL+"/login/username", url.Values{"id": {id[1]}, "username": {user}, "password": {pass}})
	return b.follow(e, resp, body)
}

// follow goes on through a page that moves on by itself (meta refresh).
func (b *oidcBrowser) follow(e *oidcEnv, resp *http.Response, body string) (*http.Response, string) {
	r := metaRefresh.FindStringSubmatch(body)
	if r == nil {
		return resp, body
	}
	target := html.UnescapeString(r[1])
	if strings.HasPrefix(target, "/") {
		target = e.ts.URL + target
	}
	return b.get(target)
}

func (b *oidcBrowser) postForm(u string, v url.Values) (*http.Response, string) {
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func TestOIDCSignInAdminAndUser(t *testing.T) {
	e := newOIDCEnv(t, []oidctest.User{
		{Username: "boss", Password: "idp-pass-1", Claims: map[string]any{"sftpgo_role": "admin"}},
		{Username: "alice", Password: "idp-pass-2", Claims: map[string]any{"sftpgo_role": "user"}},
		{Username: "mallory", Password: "idp-pass-3"},
	})
	e.addAdmin("boss", dataprovider.AdminPermAny)
	e.addUser("alice")
	e.addUser("mallory", func(u *dataprovider.User) { u.Filters.DeniedLoginMethods = []string{dataprovider.LoginMethodIDP} })

	t.Run("role claim maps to admin", func(t *testing.T) {
		b := newOIDCBrowser(t)
		// started from the client login page: the role claim decides
		resp, body := b.signIn(e, webClientPrefix+"/login", "boss", "idp-pass-1")
		if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != webAdminPrefix+"/users" {
			t.Fatalf("admin did not land on the users page: %d %s\n%s", resp.StatusCode, resp.Request.URL, excerpt(body))
		}
		mustContain(t, body, "boss", `data-testid="users-table"`)
		// sign out: the IdP session ends too, and we are back at our login
		csrf := csrfRe.FindStringSubmatch(body)
		resp, body = b.postForm(e.ts.URL+webAdminPrefix+"/logout", url.Values{"_form_token": {csrf[1] + csrf[2]}})
		resp, body = b.follow(e, resp, body)
		if resp.Request.URL.Path != webAdminPrefix+"/login" {
			t.Fatalf("logout ended at %s\n%s", resp.Request.URL, excerpt(body))
		}
		if len(e.idp.Terminated()) != 1 {
			t.Fatalf("the IdP session was not ended: %v", e.idp.Terminated())
		}
		if resp, _ := b.get(e.ts.URL + webAdminPrefix + "/users"); resp.Request.URL.Path != webAdminPrefix+"/login" {
			t.Fatalf("still signed in after logout: %s", resp.Request.URL)
		}
	})
	t.Run("user lands on files", func(t *testing.T) {
		b := newOIDCBrowser(t)
		resp, body := b.signIn(e, webAdminPrefix+"/login", "alice", "idp-pass-2")
		if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != webClientPrefix+"/files" {
			t.Fatalf("user did not land on files: %d %s\n%s", resp.StatusCode, resp.Request.URL, excerpt(body))
		}
		mustContain(t, body, "alice")
		// the session keeps working on the next request
		if resp, _ := b.get(e.ts.URL + webClientPrefix + "/profile"); resp.StatusCode != http.StatusOK || resp.Request.URL.Path != webClientPrefix+"/profile" {
			t.Fatalf("session lost: %d %s", resp.StatusCode, resp.Request.URL)
		}
	})
	t.Run("IDP login method denied", func(t *testing.T) {
		b := newOIDCBrowser(t)
		resp, body := b.signIn(e, webClientPrefix+"/login", "mallory", "idp-pass-3")
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("denied user signed in: %d %s", resp.StatusCode, resp.Request.URL)
		}
		mustContain(t, body, "not allowed to sign in")
	})
	t.Run("forged state refused", func(t *testing.T) {
		b := newOIDCBrowser(t)
		resp, _ := b.get(e.ts.URL + oidcRedirectPath + "?state=forged&code=x")
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("forged state: %d", resp.StatusCode)
		}
	})
	t.Run("state bound to the browser", func(t *testing.T) {
		// a victim's browser must not finish an attacker's sign-in
		attacker := newOIDCBrowser(t)
		attacker.c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), e.ts.URL+oidcRedirectPath) {
				return http.ErrUseLastResponse
			}
			return nil
		}
		_, body := attacker.get(e.ts.URL + webClientPrefix + "/oidclogin")
		id := idpFormIDRe.FindStringSubmatch(body)
		resp, _ := attacker.postForm(e.idp.URL+"/login/username", url.Values{"id": {id[1]}, "username": {"alice"}, "password": {"idp-pass-2"}})
		callback := resp.Header.Get("Location")
		if !strings.Contains(callback, "code=") {
			t.Fatalf("no callback: %d %q", resp.StatusCode, callback)
		}
		victim := newOIDCBrowser(t)
		if resp, _ := victim.get(callback); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("callback accepted in another browser: %d", resp.StatusCode)
		}
	})
}

// A pre-login hook creates the user on the first OIDC sign-in and sees
// the login method IDP and the custom fields.
func TestOIDCPreLoginHookCreatesUser(t *testing.T) {
	seen := &preLoginSeen{home: t.TempDir()}
	e := newOIDCEnvHooks(t, []oidctest.User{{Username: "newbie", Password: "idp-pass", Claims: map[string]any{"sftpgo_home_dir": "/custom/home"}}},
		common.LoginHooks{PreLogin: seen})
	seen.store = e.store
	b := newOIDCBrowser(t)
	resp, body := b.signIn(e, webClientPrefix+"/login", "newbie", "idp-pass")
	if resp.Request.URL.Path != webClientPrefix+"/files" {
		t.Fatalf("new user did not land on files: %d %s\n%s", resp.StatusCode, resp.Request.URL, excerpt(body))
	}
	if seen.method != dataprovider.LoginMethodIDP || seen.fields["sftpgo_home_dir"] != "/custom/home" {
		t.Fatalf("hook saw method %q fields %v", seen.method, seen.fields)
	}
	if _, err := e.store.GetUser(context.Background(), "newbie"); err != nil {
		t.Fatalf("user not created: %v", err)
	}
}

type preLoginSeen struct {
	home   string
	method string
	fields map[string]any
	store  *dataprovider.Store
}

func (p *preLoginSeen) Run(ctx context.Context, req *common.LoginRequest, old *dataprovider.User) (*dataprovider.User, error) {
	p.method, p.fields = req.Method, req.IDPFields
	if old != nil {
		return nil, nil
	}
	u := &dataprovider.User{Username: req.Username, Status: dataprovider.StatusEnabled, HomeDir: p.home,
		Permissions: map[string][]string{"/": {dataprovider.PermAny}}}
	if err := p.store.AddUser(ctx, u); err != nil {
		return nil, err
	}
	stored, err := p.store.GetEffectiveUser(ctx, u.Username)
	return &stored, err
}

func TestOIDCLoginMethodsAndImplicitRoles(t *testing.T) {
	users := []oidctest.User{{Username: "boss", Password: "idp-pass-1"}}
	t.Run("implicit roles", func(t *testing.T) {
		e := newOIDCEnv(t, users, func(b *config.HTTPDBinding) { b.OIDC.ImplicitRoles = true; b.OIDC.RoleField = "" })
		e.addAdmin("boss", dataprovider.AdminPermAny)
		b := newOIDCBrowser(t)
		resp, body := b.signIn(e, webAdminPrefix+"/login", "boss", "idp-pass-1")
		if resp.Request.URL.Path != webAdminPrefix+"/users" {
			t.Fatalf("implicit admin role not applied: %s\n%s", resp.Request.URL, excerpt(body))
		}
	})
	t.Run("OIDC only on the admin login", func(t *testing.T) {
		// 4: the admin password form is disabled; 2: OIDC for the client
		e := newOIDCEnv(t, users, func(b *config.HTTPDBinding) { b.DisabledLoginMethods = 4 | 2 })
		b := newOIDCBrowser(t)
		_, body := b.get(e.ts.URL + webAdminPrefix + "/login")
		if strings.Contains(body, `data-testid="login-form"`) || !strings.Contains(body, "/web/admin/oidclogin") {
			t.Fatalf("admin login page should offer only OpenID:\n%s", excerpt(body))
		}
		_, body = b.get(e.ts.URL + webClientPrefix + "/login")
		if !strings.Contains(body, `data-testid="login-form"`) || strings.Contains(body, "oidclogin") {
			t.Fatalf("client login page should offer only the form:\n%s", excerpt(body))
		}
		// the disabled form refuses a post even with a valid password
		br := e.browser()
		br.get(webAdminPrefix + "/login")
		if st, _ := br.post(webAdminPrefix+"/login", url.Values{"username": {testAdmin}, "password": {testPassword}}); st != http.StatusForbidden {
			t.Fatalf("disabled admin form accepted: %d", st)
		}
	})
	t.Run("enabled_login_methods", func(t *testing.T) {
		// deprecated key: only 1 (OIDC admin) and 8 (client form) stay
		e := newOIDCEnv(t, users, func(b *config.HTTPDBinding) { b.EnabledLoginMethods = 1 | 8 })
		b := newOIDCBrowser(t)
		_, body := b.get(e.ts.URL + webAdminPrefix + "/login")
		if strings.Contains(body, `data-testid="login-form"`) || !strings.Contains(body, "oidclogin") {
			t.Fatalf("admin login page:\n%s", excerpt(body))
		}
		_, body = b.get(e.ts.URL + webClientPrefix + "/login")
		if !strings.Contains(body, `data-testid="login-form"`) || strings.Contains(body, "oidclogin") {
			t.Fatalf("client login page:\n%s", excerpt(body))
		}
	})
}

func TestOIDCClaimHelpers(t *testing.T) {
	claims := map[string]any{"a.b": "flat", "realm": map[string]any{"roles": []any{"user", "admin"}}, "role": "admin"}
	if claimValue(claims, "a.b") != "flat" {
		t.Fatal("a claim named with a dot is read first")
	}
	if !claimHasRole(claimValue(claims, "realm.roles"), "admin") || !claimHasRole(claims["role"], "admin") {
		t.Fatal("nested or list role not found")
	}
	if claimHasRole(claimValue(claims, "missing.x"), "admin") || claimHasRole([]any{"user"}, "admin") {
		t.Fatal("role found where there is none")
	}
}

// client_secret_file replaces client_secret; debug logs the ID token's
// claims at debug level.
func TestOIDCSecretFileAndDebug(t *testing.T) {
	for _, good := range []bool{true, false} {
		secretFile := filepath.Join(t.TempDir(), "secret")
		var logs bytes.Buffer
		var mu sync.Mutex
		logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
		e := newOIDCEnvOpts(t, []oidctest.User{{Username: "alice", Password: "idp-pass", Claims: map[string]any{"sftpgo_role": "user"}}},
			common.LoginHooks{}, []envOption{func(o *Options) { o.Logger = logger }},
			func(b *config.HTTPDBinding) {
				// the provider checks the secret: the inline one must not be used
				secret := b.OIDC.ClientSecret
				if !good {
					secret = "not-the-secret"
				}
				if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				b.OIDC.ClientSecretFile, b.OIDC.Debug = secretFile, true
			})
		e.addUser("alice")
		resp, body := newOIDCBrowser(t).signIn(e, webClientPrefix+"/login", "alice", "idp-pass")
		if landed := resp.Request.URL.Path == webClientPrefix+"/files"; landed != good {
			t.Fatalf("client_secret_file right=%v: landed on %s\n%s", good, resp.Request.URL, excerpt(body))
		}
		mu.Lock()
		logged := strings.Contains(logs.String(), "oidc id token claims") && strings.Contains(logs.String(), "sftpgo_role")
		mu.Unlock()
		if logged != good {
			t.Fatalf("debug claims logged=%v with the right secret=%v", logged, good)
		}
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Under web_root every OIDC path moves with the rest.
func TestOIDCUnderWebRoot(t *testing.T) {
	e := newOIDCEnvOpts(t, []oidctest.User{{Username: "boss", Password: "idp-pass", Claims: map[string]any{"sftpgo_role": "admin"}}},
		common.LoginHooks{}, []envOption{func(o *Options) { o.Config.WebRoot = "/sftpgo" }})
	e.addAdmin("boss", dataprovider.AdminPermAny)
	b := newOIDCBrowser(t)
	resp, body := b.signIn(e, "/sftpgo"+webAdminPrefix+"/login", "boss", "idp-pass")
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/sftpgo"+webAdminPrefix+"/users" {
		t.Fatalf("under web_root: %d %s\n%s", resp.StatusCode, resp.Request.URL, excerpt(body))
	}
	csrf := csrfRe.FindStringSubmatch(body)
	resp, body = b.postForm(e.ts.URL+"/sftpgo"+webAdminPrefix+"/logout", url.Values{"_form_token": {csrf[1] + csrf[2]}})
	resp, _ = b.follow(e, resp, body)
	if resp.Request.URL.Path != "/sftpgo"+webAdminPrefix+"/login" || len(e.idp.Terminated()) != 1 {
		t.Fatalf("logout under web_root ended at %s, provider sessions ended %v", resp.Request.URL, e.idp.Terminated())
	}
}
