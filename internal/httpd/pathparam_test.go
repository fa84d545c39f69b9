package httpd

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// newUTF8Env is a test env whose store accepts any printable name
// (naming_rules 1, so "%" is a valid character), serving the REST API
// and the web admin on a real HTTP server.
func newUTF8Env(t *testing.T) (*testEnv, *dataprovider.Store) {
	e, st, _ := newEnvOnStore(t, "memory", dataprovider.NamingRuleAllowUTF8)
	return e, st
}

// newEnvOnStore is a test env over a store of driver opened in the
// returned config dir (sqlite: sftpgo.db in it).
func newEnvOnStore(t *testing.T, driver string, namingRules int) (*testEnv, *dataprovider.Store, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	cfg := config.DataProviderConfig{Driver: driver, NamingRules: namingRules,
		PasswordHashing: config.PasswordHashing{Algo: "bcrypt", BcryptOptions: config.BcryptOptions{Cost: 4}}}
	if driver == "sqlite" {
		cfg.Name = "sftpgo.db"
	}
	st, err := dataprovider.Open(ctx, dataprovider.Options{
		Config:    cfg,
		ConfigDir: dir,
		Secrets:   testSecrets{},
		Logger:    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	a := dataprovider.Admin{Username: testAdmin, Password: testPassword, Status: dataprovider.StatusEnabled,
		Permissions: []string{dataprovider.AdminPermAny}}
	if err := st.AddAdmin(ctx, &a); err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, func(o *Options) { o.Store = st })
	e.store = st
	e.ts.Close()
	e.ts = httptest.NewServer(e.srv.router(config.HTTPDBinding{EnableRESTAPI: true, EnableWebAdmin: true}))
	t.Cleanup(e.ts.Close)
	return e, st, dir
}

// TestPathParamsDecodedOnce: a name holding an escape sequence is
// reached by escaping it once. Before the fix /users/%2561b reached (and
// deleted) the user "ab" instead of "%61b".
func TestPathParamsDecodedOnce(t *testing.T) {
	e, _ := newUTF8Env(t)
	adm := e.adminAuth()
	kinds := []struct {
		base, nameField string
		body            func(name string) map[string]any
	}{
		{"/api/v2/users", "username", func(n string) map[string]any { return testUser(n) }},
		{"/api/v2/groups", "name", func(n string) map[string]any { return map[string]any{"name": n} }},
		{"/api/v2/folders", "name", func(n string) map[string]any {
			return map[string]any{"name": n, "mapped_path": "/srv/folders/x"}
		}},
		{"/api/v2/admins", "username", func(n string) map[string]any {
			return map[string]any{"username": n, "password": testPassword, "status": 1, "permissions": []string{"*"}}
		}},
	}
	// tricky names and how they appear in a path once escaped
	names := []string{"%61b", "a%2Fb", "a b", "%25", "a+b", "é%"}
	for _, k := range kinds {
		t.Run(strings.TrimPrefix(k.base, "/api/v2/"), func(t *testing.T) {
			e.expect(http.StatusCreated, http.MethodPost, k.base, adm, k.body("ab"))
			for _, n := range names {
				e.expect(http.StatusCreated, http.MethodPost, k.base, adm, k.body(n))
				p := k.base + "/" + url.PathEscape(n)
				var got map[string]any
				e.expect(http.StatusOK, http.MethodGet, p, adm, nil).json(t, &got)
				if got[k.nameField] != n {
					t.Fatalf("GET %s: %s %v, want %q", p, k.nameField, got[k.nameField], n)
				}
				upd := k.body(n)
				upd["description"] = "updated " + n
				e.expect(http.StatusOK, http.MethodPut, p, adm, upd)
				e.expect(http.StatusOK, http.MethodDelete, p, adm, nil)
				e.expect(http.StatusNotFound, http.MethodGet, p, adm, nil)
			}
			// "ab" is untouched by all of it
			var got map[string]any
			e.expect(http.StatusOK, http.MethodGet, k.base+"/ab", adm, nil).json(t, &got)
			if d, _ := got["description"].(string); d != "" {
				t.Fatalf("ab was updated through another name: %q", d)
			}
			// escapes of unreserved characters are what they stand for
			// (RFC 3986), in literal segments and in names alike
			coll := strings.TrimPrefix(k.base, "/api/v2/")
			e.expect(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v2/%%%02X%s/%%61%%62", coll[0], coll[1:]), adm, nil)
			// a name with an escape is not found as what it decodes to
			e.expect(http.StatusNotFound, http.MethodDelete, k.base+"/%2561b", adm, nil)
			e.expect(http.StatusOK, http.MethodGet, k.base+"/ab", adm, nil)
		})
	}
	t.Run("quotas", func(t *testing.T) {
		e.expect(http.StatusCreated, http.MethodPost, "/api/v2/users", adm, testUser("%61b"))
		e.expect(http.StatusOK, http.MethodPut, "/api/v2/quotas/users/%2561b/usage", adm,
			map[string]any{"used_quota_size": 7, "used_quota_files": 1})
		var u, ab map[string]any
		e.expect(http.StatusOK, http.MethodGet, "/api/v2/users/%2561b", adm, nil).json(t, &u)
		e.expect(http.StatusOK, http.MethodGet, "/api/v2/users/ab", adm, nil).json(t, &ab)
		if u["used_quota_size"] != float64(7) || ab["used_quota_size"] != float64(0) {
			t.Fatalf("quota went to the wrong user: %%61b=%v ab=%v", u["used_quota_size"], ab["used_quota_size"])
		}
	})
}

// TestWebPathParamsDecodedOnce: the web admin pages decode their path
// parameters once too.
func TestWebPathParamsDecodedOnce(t *testing.T) {
	e, st := newUTF8Env(t)
	ctx := context.Background()
	for _, n := range []string{"ab", "%61b"} {
		u := dataprovider.User{Username: n, Password: testUserPassword, Status: dataprovider.StatusEnabled,
			HomeDir: t.TempDir(), Permissions: map[string][]string{"/": {dataprovider.PermAny}}}
		if err := st.AddUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		g := dataprovider.Group{Name: n}
		if err := st.AddGroup(ctx, &g); err != nil {
			t.Fatal(err)
		}
	}
	b := e.browser()
	b.adminLogin()
	for _, kind := range []string{"user", "group"} {
		code, body := b.get("/web/admin/" + kind + "/%2561b")
		if code != http.StatusOK || !strings.Contains(body, "%61b") {
			t.Fatalf("%s edit page: %d %s", kind, code, excerpt(body))
		}
		if code, body := b.post("/web/admin/"+kind+"/%2561b/delete", url.Values{}); code >= 400 {
			t.Fatalf("%s delete: %d %s", kind, code, excerpt(body))
		}
	}
	if _, err := st.GetUser(ctx, "%61b"); err == nil {
		t.Fatal("user %61b still exists after the web delete")
	}
	if _, err := st.GetUser(ctx, "ab"); err != nil {
		t.Fatalf("user ab was deleted through %%2561b: %v", err)
	}
	if _, err := st.GetGroup(ctx, "ab"); err != nil {
		t.Fatalf("group ab was deleted through %%2561b: %v", err)
	}
}
