package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sftpgo-ng/sftpgo/internal/httpd/oidctest"
)

// TestWebOIDCInBrowser runs test/browser/oidc.test.js: sign-in through a
// real OpenID Provider started here (zitadel's op package) for an admin
// (role claim) and a user, the branded login page, and the first page of
// a list of 10,000 users, timed in the browser.
func TestWebOIDCInBrowser(t *testing.T) {
	br := requireBrowser(t)

	dir := t.TempDir()
	// the branding logo lives under static_files_path (default "static")
	logo := `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="#c30"/></svg>`
	if err := os.MkdirAll(filepath.Join(dir, "static", "acme"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "static", "acme", "logo.svg"), []byte(logo), 0o644); err != nil {
		t.Fatal(err)
	}
	in := newInstance(t, dir)
	base := in.baseURL()
	idp := oidctest.Start(t, base+"/web/oidc/redirect", []string{base + "/web/admin/login", base + "/web/client/login"}, []oidctest.User{
		{Username: "admin", Password: "idp-admin-pass", Claims: map[string]any{"sftpgo_role": "admin"}},
		{Username: "oidcuser", Password: "idp-user-pass", Claims: map[string]any{"sftpgo_role": "user"}},
	})
	in.env = append(in.env,
		"SFTPGO_HTTPD__BINDINGS__0__ENABLE_WEB_ADMIN=true",
		"SFTPGO_HTTPD__BINDINGS__0__ENABLE_WEB_CLIENT=true",
		"SFTPGO_HTTPD__BINDINGS__0__OIDC__CONFIG_URL="+idp.URL,
		"SFTPGO_HTTPD__BINDINGS__0__OIDC__CLIENT_ID="+idp.ClientID,
		"SFTPGO_HTTPD__BINDINGS__0__OIDC__CLIENT_SECRET="+idp.Secret,
		"SFTPGO_HTTPD__BINDINGS__0__OIDC__REDIRECT_BASE_URL="+base,
		"SFTPGO_HTTPD__BINDINGS__0__OIDC__USERNAME_FIELD=preferred_username",
		"SFTPGO_HTTPD__BINDINGS__0__OIDC__ROLE_FIELD=sftpgo_role",
		"SFTPGO_HTTPD__BINDINGS__0__BRANDING__WEB_CLIENT__NAME=Acme Files",
		"SFTPGO_HTTPD__BINDINGS__0__BRANDING__WEB_CLIENT__LOGO_PATH=/acme/logo.svg",
	)
	in.start()
	token := in.token("admin", "admin-pass")
	in.addUser(token, "oidcuser", "Unused-pass-1!", nil)

	// 10,000 more users through loaddata (one pre-hashed password, so
	// the load does not hash 10,000 times)
	const bulk = 10000
	hash, _ := bcrypt.GenerateFromPassword([]byte("Bulk-pass-1!"), 4)
	users := make([]map[string]any, 0, bulk)
	for i := range bulk {
		users = append(users, map[string]any{"username": fmt.Sprintf("bulk%05d", i), "password": string(hash), "status": 1,
			"home_dir": filepath.Join(dir, "homes", fmt.Sprintf("bulk%05d", i)), "permissions": map[string][]string{"/": {"*"}},
			"email": fmt.Sprintf("bulk%05d@example.com", i), "description": "bulk user"})
	}
	t0 := time.Now()
	if s, d := in.api(token, http.MethodPost, "/api/v2/loaddata", map[string]any{"users": users, "version": 17}); s != http.StatusOK {
		t.Fatalf("loaddata: %d %s", s, d)
	}
	t.Logf("loaded %d users in %v", bulk, time.Since(t0).Round(time.Millisecond))

	out := br.run(t, in, "oidc.test.js",
		"IDP_URL="+idp.URL,
		"IDP_ADMIN=admin", "IDP_ADMIN_PASSWORD=idp-admin-pass",
		"IDP_USER=oidcuser", "IDP_USER_PASSWORD=idp-user-pass",
		"BRAND_NAME=Acme Files", "BRAND_LOGO=/static/acme/logo.svg",
		fmt.Sprintf("BULK_USERS=%d", bulk),
	)
	if !regexp.MustCompile(`measure users-first-page users=10000 wall_ms=\d+`).Match(out) {
		t.Fatal("the first page of the users list was not measured")
	}
}
