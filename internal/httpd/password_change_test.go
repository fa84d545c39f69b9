package httpd

import (
	"context"
	"net/http"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func TestRequirePasswordChangeAdmin(t *testing.T) {
	e := newUserEnv(t)
	a := dataprovider.Admin{Username: "newadmin", Password: testPassword, Status: dataprovider.StatusEnabled,
		Permissions: []string{dataprovider.AdminPermAny}, Filters: dataprovider.AdminFilters{RequirePasswordChange: true}}
	if err := e.store.AddAdmin(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	// API: the token is issued but limited to the password change
	tok := e.token("newadmin", testPassword)
	r := e.expect(http.StatusForbidden, http.MethodGet, "/api/v2/users", bearer(tok), nil)
	errContains(t, r, "password change required")
	// web: every page leads to the profile page
	br := e.browser()
	br.get(webAdminPrefix + "/login")
	resp, err := br.c.PostForm(e.ts.URL+webAdminPrefix+"/login", formOf("username", "newadmin", "password", testPassword, "_form_token", br.csrf))
	if err != nil {
		t.Fatal(err)
	}
	_, body := br.keep(resp)
	if resp.Request.URL.Path != webAdminPrefix+"/profile" {
		t.Fatalf("web admin sign-in landed on %s", resp.Request.URL.Path)
	}
	mustContain(t, body, "You must change your password")
	if st, _ := br.post(webAdminPrefix+"/user/x/delete", formOf()); st != http.StatusForbidden {
		t.Fatalf("a post while the change is due: %d", st)
	}
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/admin/changepwd", bearer(tok),
		map[string]string{"current_password": testPassword, "new_password": "N3w-admin-pass!"})
	tok = e.token("newadmin", "N3w-admin-pass!")
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/users", bearer(tok), nil)
}

func TestRequirePasswordChangeUser(t *testing.T) {
	e := newUserEnv(t)
	e.addUser("carol", func(u *dataprovider.User) { u.Filters.RequirePasswordChange = true })
	tok := e.userToken("carol", testUserPassword)
	r := e.expect(http.StatusForbidden, http.MethodGet, "/api/v2/user/dirs", bearer(tok), nil)
	errContains(t, r, "password change required")

	br := e.browser()
	br.get(webClientPrefix + "/login")
	resp, err := br.c.PostForm(e.ts.URL+webClientPrefix+"/login", formOf("username", "carol", "password", testUserPassword, "_form_token", br.csrf))
	if err != nil {
		t.Fatal(err)
	}
	_, body := br.keep(resp)
	if resp.Request.URL.Path != webClientPrefix+"/profile" {
		t.Fatalf("web client sign-in landed on %s", resp.Request.URL.Path)
	}
	mustContain(t, body, "You must change your password")
	// changing it in the web client lifts the hold
	br.post(webClientPrefix+"/changepwd", formOf("current_password", testUserPassword, "new_password", "N3w-user-pass!", "confirm_password", "N3w-user-pass!"))
	tok = e.userToken("carol", "N3w-user-pass!")
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/dirs", bearer(tok), nil)
	if u, _ := e.store.GetUser(context.Background(), "carol"); u.Filters.RequirePasswordChange {
		t.Fatal("require_password_change still set after the change")
	}
}
