package httpd

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebAdminHTTPStorageUser: a user on HTTP storage (provider 6) is
// created and edited from the web admin; the password and API key are
// stored encrypted and kept when the edit leaves them empty; a bad
// endpoint is refused next to its field.
func TestWebAdminHTTPStorageUser(t *testing.T) {
	e := newUserEnv(t)
	b := e.browser()
	b.adminLogin()
	code, body := b.get("/web/admin/user")
	if code != http.StatusOK {
		t.Fatal(code)
	}
	mustContain(t, body, "HTTP storage", `name="filesystem.httpconfig.endpoint"`, `name="filesystem.httpconfig.api_key"`)
	form := url.Values{
		"username": {"hfsuser"}, "password": {"W3b-pass!"}, "status": {"1"}, "home_dir": {t.TempDir()},
		"permissions./": {"*"}, "filesystem.provider": {"6"},
		"filesystem.httpconfig.endpoint": {"ftp://storage.example.com"},
		"filesystem.httpconfig.username": {"svc"},
		"filesystem.httpconfig.password": {"svc-password-1"},
		"filesystem.httpconfig.api_key":  {"svc-api-key-1"},
	}
	code, body = b.post("/web/admin/user", form)
	if code != http.StatusBadRequest {
		t.Fatalf("bad endpoint: %d %s", code, excerpt(body))
	}
	mustContain(t, body, "http or https", "has-error")

	form.Set("filesystem.httpconfig.endpoint", "https://storage.example.com/api/v1")
	form.Set("filesystem.httpconfig.equality_check_mode", "1")
	code, body = b.post("/web/admin/user", form)
	if code != http.StatusOK {
		t.Fatalf("create: %d %s", code, excerpt(body))
	}
	mustContain(t, body, "User hfsuser created.")
	u, err := e.store.GetUser(t.Context(), "hfsuser")
	if err != nil {
		t.Fatal(err)
	}
	hc := u.FsConfig.HTTPConfig
	if u.FsConfig.Provider != 6 || hc.Endpoint != "https://storage.example.com/api/v1" || hc.Username != "svc" || hc.EqualityCheckMode != 1 {
		t.Fatalf("stored filesystem: %+v", u.FsConfig)
	}
	if hc.Password == nil || hc.Password.IsPlain() || hc.Password.Payload == "svc-password-1" ||
		hc.APIKey == nil || hc.APIKey.IsPlain() || hc.APIKey.Payload == "svc-api-key-1" {
		t.Fatalf("secrets not stored encrypted: %+v %+v", hc.Password, hc.APIKey)
	}
	code, body = b.get("/web/admin/user/hfsuser")
	if code != http.StatusOK {
		t.Fatal(code)
	}
	mustContain(t, body, `value="https://storage.example.com/api/v1"`)
	for _, secret := range []string{"svc-password-1", "svc-api-key-1", hc.Password.Payload} {
		if secret != "" && strings.Contains(body, secret) {
			t.Fatalf("the edit form shows a secret")
		}
	}
	// Saving without typing the secrets keeps them.
	before := hc.Password.Payload
	form.Del("username")
	form.Del("filesystem.httpconfig.password")
	form.Del("filesystem.httpconfig.api_key")
	if code, body := b.post("/web/admin/user/hfsuser", form); code != http.StatusOK {
		t.Fatalf("edit: %d %s", code, excerpt(body))
	}
	u, _ = e.store.GetUser(t.Context(), "hfsuser")
	if u.FsConfig.HTTPConfig.Password == nil || u.FsConfig.HTTPConfig.Password.Payload != before || u.FsConfig.HTTPConfig.APIKey == nil {
		t.Fatal("stored secrets lost on edit")
	}
}
