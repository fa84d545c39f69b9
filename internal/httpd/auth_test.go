package httpd

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func TestHealthz(t *testing.T) {
	e := newTestEnv(t)
	r := e.expect(http.StatusOK, http.MethodGet, "/healthz", nil, nil)
	if string(r.body) != "ok" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("healthz: %q %q", r.body, r.header.Get("Content-Type"))
	}
}

func TestTokenIssue(t *testing.T) {
	e := newTestEnv(t)

	r := e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/token", nil, nil)
	if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic realm=") {
		t.Fatalf("missing WWW-Authenticate: %v", r.header)
	}
	r.apiErr(t)
	r = e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/token", basic(testAdmin, "wrong"), nil)
	if r.header.Get("WWW-Authenticate") == "" {
		t.Fatal("missing WWW-Authenticate on bad password")
	}
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/token", basic("nobody", testPassword), nil)

	before := time.Now()
	r = e.expect(http.StatusOK, http.MethodGet, "/api/v2/token", basic(testAdmin, testPassword), nil)
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresAt   string `json:"expires_at"`
	}
	r.json(t, &tok)
	exp, err := time.Parse(time.RFC3339, tok.ExpiresAt)
	if err != nil {
		t.Fatalf("expires_at %q: %v", tok.ExpiresAt, err)
	}
	if d := exp.Sub(before); d < 19*time.Minute || d > 21*time.Minute {
		t.Fatalf("token lifetime %v, want 20m", d)
	}
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/version", bearer(tok.AccessToken), nil)

	// No credentials, garbage, a token signed with another key.
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/version", nil, nil).apiErr(t)
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/version", bearer("not-a-jwt"), nil)
	other := newTokenManager([]byte("another key, another server....."), 0, 0, time.Now)
	forged, _, _ := other.issue(testAdmin, nil, "", "127.0.0.1")
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/version", bearer(forged), nil)
}

func TestTokenDisabledAdmin(t *testing.T) {
	e := newTestEnv(t)
	e.addAdmin("other", dataprovider.AdminPermAny)
	tok := e.token("other", testPassword)
	a, err := e.store.GetAdmin(context.Background(), "other")
	if err != nil {
		t.Fatal(err)
	}
	a.Status = dataprovider.StatusDisabled
	a.Password = ""
	if err := e.store.UpdateAdmin(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	// The existing token stops working and no new one is issued.
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/version", bearer(tok), nil)
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/token", basic("other", testPassword), nil)
}

func TestTokenExpiry(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(testAdmin, testPassword)
	e.srv.now = func() time.Time { return time.Now().Add(19 * time.Minute) }
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/version", bearer(tok), nil)
	e.srv.now = func() time.Time { return time.Now().Add(21 * time.Minute) }
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/version", bearer(tok), nil)
}

func TestJWTLifetime(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.Config.JWTLifetime = 60 })
	tok := e.token(testAdmin, testPassword)
	e.srv.now = func() time.Time { return time.Now().Add(59 * time.Minute) }
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/version", bearer(tok), nil)
	e.srv.now = func() time.Time { return time.Now().Add(61 * time.Minute) }
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/version", bearer(tok), nil)
	if m := newTokenManager(nil, 0, 100000, time.Now); m.lifetime != maxTokenLifetime {
		t.Fatalf("lifetime not capped: %v", m.lifetime)
	}
}

func TestTokenValidationAccountChanges(t *testing.T) {
	for _, c := range []struct {
		validation int
		want       int
	}{{0, http.StatusOK}, {2, http.StatusUnauthorized}} {
		e := newTestEnv(t, func(o *Options) { o.Config.TokenValidation = c.validation })
		adm := e.adminAuth()
		// Any change to the account: its profile, its password.
		e.expect(http.StatusOK, http.MethodPut, "/api/v2/admin/profile", adm, map[string]any{"description": "changed"})
		e.expect(c.want, http.MethodGet, "/api/v2/version", adm, nil)
		adm = e.adminAuth()
		e.expect(http.StatusOK, http.MethodPut, "/api/v2/admin/changepwd", adm,
			map[string]string{"current_password": testPassword, "new_password": "N3w-password!"})
		e.expect(c.want, http.MethodGet, "/api/v2/version", adm, nil)
		if err := e.store.UpdateAdmin(context.Background(), &dataprovider.Admin{Username: testAdmin, Password: testPassword,
			Status: 1, Permissions: []string{"*"}}); err != nil {
			t.Fatal(err)
		}
		// A fresh token works either way.
		e.expect(http.StatusOK, http.MethodGet, "/api/v2/version", e.adminAuth(), nil)
	}
}

func TestLogoutRevokes(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(testAdmin, testPassword)
	other := e.token(testAdmin, testPassword)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/logout", bearer(tok), nil)
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/version", bearer(tok), nil)
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/logout", bearer(tok), nil)
	// Only that token is revoked.
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/version", bearer(other), nil)
}

func TestTokenBoundToIP(t *testing.T) {
	for _, tc := range []struct {
		validation int
		want       int
	}{{0, http.StatusUnauthorized}, {1, http.StatusOK}} {
		e := newTestEnv(t, func(o *Options) { o.Config.TokenValidation = tc.validation })
		h := e.srv.Handler()
		req := httptest.NewRequest(http.MethodGet, "/api/v2/token", nil)
		req.RemoteAddr = "192.0.2.1:1234"
		req.SetBasicAuth(testAdmin, testPassword)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		response{status: rec.Code, body: rec.Body.Bytes()}.json(t, &tok)

		use := func(ip string) int {
			req := httptest.NewRequest(http.MethodGet, "/api/v2/version", nil)
			req.RemoteAddr = ip + ":4321"
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec.Code
		}
		if got := use("192.0.2.1"); got != http.StatusOK {
			t.Fatalf("validation %d: same IP got %d", tc.validation, got)
		}
		if got := use("192.0.2.2"); got != tc.want {
			t.Fatalf("validation %d: other IP got %d, want %d", tc.validation, got, tc.want)
		}
	}
}

func TestAdminAllowList(t *testing.T) {
	e := newTestEnv(t)
	a := dataprovider.Admin{Username: "netadmin", Password: testPassword, Status: 1,
		Permissions: []string{"*"}, Filters: dataprovider.AdminFilters{AllowList: []string{"192.0.2.0/24"}}}
	if err := e.store.AddAdmin(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	// The test client connects from 127.0.0.1, outside the list.
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/token", basic("netadmin", testPassword), nil)
	if !ipAllowed([]string{"192.0.2.0/24"}, "192.0.2.7") || ipAllowed([]string{"192.0.2.0/24", "::1"}, "127.0.0.1") ||
		!ipAllowed([]string{"::1"}, "::1") || !ipAllowed(nil, "1.2.3.4") {
		t.Fatal("ipAllowed")
	}
}

func TestAPIKeyAuth(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()

	var created struct {
		Message string `json:"message"`
		Key     string `json:"key"`
	}
	r := e.expect(http.StatusCreated, http.MethodPost, "/api/v2/apikeys", adm,
		map[string]any{"name": "bound", "scope": dataprovider.APIKeyScopeAdmin, "admin": testAdmin})
	r.json(t, &created)
	if created.Key == "" || created.Message == "" || !strings.HasPrefix(r.header.Get("Location"), "/api/v2/apikeys/") {
		t.Fatalf("create key: %s %v", r.body, r.header)
	}
	bound := created.Key

	// The admin has not allowed API key authentication yet.
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/version", apiKey(bound), nil)
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/admin/profile", adm, map[string]any{"allow_api_key_auth": true})
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/version", apiKey(bound), nil)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/users", apiKey(bound), nil)
	// Naming another admin with a bound key is refused; naming itself is fine.
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/version", apiKey(bound+".someoneelse"), nil)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/version", apiKey(bound+"."+testAdmin), nil)
	// Logout needs a token.
	e.expect(http.StatusBadRequest, http.MethodGet, "/api/v2/logout", apiKey(bound), nil)

	// An unbound key impersonates the admin named after it.
	r = e.expect(http.StatusCreated, http.MethodPost, "/api/v2/apikeys", adm,
		map[string]any{"name": "free", "scope": dataprovider.APIKeyScopeAdmin})
	r.json(t, &created)
	free := created.Key
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/version", apiKey(free), nil)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/version", apiKey(free+"."+testAdmin), nil)
	e.addAdmin("viewer", dataprovider.AdminPermViewUsers)
	// viewer has not enabled API keys.
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/users", apiKey(free+".viewer"), nil)

	// A user-scope key is not an admin credential.
	r = e.expect(http.StatusCreated, http.MethodPost, "/api/v2/users", adm, testUser("keyuser"))
	r = e.expect(http.StatusCreated, http.MethodPost, "/api/v2/apikeys", adm,
		map[string]any{"name": "userkey", "scope": dataprovider.APIKeyScopeUser, "user": "keyuser"})
	r.json(t, &created)
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/version", apiKey(created.Key), nil)

	// Bogus keys.
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/version", apiKey("nope"), nil)
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/version", apiKey(bound+"x"), nil)

	// Deleting the key revokes it.
	var keys []dataprovider.APIKey
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/apikeys", adm, nil).json(t, &keys)
	for _, k := range keys {
		if k.Name == "bound" {
			e.expect(http.StatusOK, http.MethodDelete, "/api/v2/apikeys/"+k.KeyID, adm, nil)
		}
	}
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/version", apiKey(bound), nil)
}

func TestAPIKeyExpired(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/admin/profile", adm, map[string]any{"allow_api_key_auth": true})
	var created struct {
		Key string `json:"key"`
	}
	exp := time.Now().Add(time.Hour).UnixMilli()
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/apikeys", adm,
		map[string]any{"name": "soon", "scope": 1, "admin": testAdmin, "expires_at": exp}).json(t, &created)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/version", apiKey(created.Key), nil)
	e.srv.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/version", apiKey(created.Key), nil)
}

func TestPermissions(t *testing.T) {
	e := newTestEnv(t)
	e.addAdmin("viewer", dataprovider.AdminPermViewUsers)
	v := bearer(e.token("viewer", testPassword))
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/users", v, nil)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/version", v, nil)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/admin/profile", v, nil)
	for _, c := range []struct{ method, path string }{
		{http.MethodPost, "/api/v2/users"},
		{http.MethodPut, "/api/v2/users/x"},
		{http.MethodDelete, "/api/v2/users/x"},
		{http.MethodGet, "/api/v2/admins"},
		{http.MethodPost, "/api/v2/admins"},
		{http.MethodGet, "/api/v2/admins/admin"},
		{http.MethodGet, "/api/v2/groups"},
		{http.MethodGet, "/api/v2/folders"},
		{http.MethodGet, "/api/v2/apikeys"},
		{http.MethodGet, "/api/v2/status"},
		{http.MethodGet, "/api/v2/connections"},
		{http.MethodDelete, "/api/v2/connections/abc"},
		{http.MethodGet, "/api/v2/dumpdata"},
		{http.MethodPost, "/api/v2/loaddata"},
		{http.MethodGet, "/api/v2/quotas/users/scans"},
		{http.MethodPut, "/api/v2/quotas/users/x/usage"},
		{http.MethodPut, "/api/v2/quotas/folders/x/usage"},
	} {
		r := e.expect(http.StatusForbidden, c.method, c.path, v, "{}")
		r.apiErr(t)
	}
}

func TestMethodNotAllowedAndNotFound(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()
	e.expect(http.StatusMethodNotAllowed, http.MethodPatch, "/api/v2/users/x", adm, nil).apiErr(t)
	e.expect(http.StatusMethodNotAllowed, http.MethodPost, "/api/v2/token", nil, nil).apiErr(t)
	e.expect(http.StatusNotFound, http.MethodGet, "/api/v2/nothing-here", adm, nil).apiErr(t)
}

func TestSigningPassphrase(t *testing.T) {
	a, err := signingKey(config.HTTPDConfig{SigningPassphrase: "secret"}, "")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := signingKey(config.HTTPDConfig{SigningPassphrase: "secret"}, "")
	c, _ := signingKey(config.HTTPDConfig{}, "")
	d, _ := signingKey(config.HTTPDConfig{}, "")
	if string(a) != string(b) || string(c) == string(d) {
		t.Fatal("a passphrase must give a stable key, none a random one")
	}
	if _, err := signingKey(config.HTTPDConfig{SigningPassphraseFile: "missing"}, t.TempDir()); err == nil {
		t.Fatal("a missing passphrase file must fail")
	}
}
