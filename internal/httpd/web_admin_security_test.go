package httpd

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func webAdminLogin(t *testing.T, b *browser, user string) {
	t.Helper()
	b.get("/web/admin/login")
	if code, body := b.post("/web/admin/login", url.Values{"username": {user}, "password": {testPassword}}); code != http.StatusOK {
		t.Fatalf("login %s: %d %s", user, code, excerpt(body))
	}
}

// TestWebAdminRolesPages: roles are listed, added, edited and deleted in
// the web admin; a role in use is not deleted; an admin with the role
// sees only its users in the user list.
func TestWebAdminRolesPages(t *testing.T) {
	e := newUserEnv(t)
	b := e.browser()
	webAdminLogin(t, b, testAdmin)
	_, body := b.get("/web/admin/roles")
	mustContain(t, body, `href="/web/admin/roles"`, "No role yet.")
	b.get("/web/admin/role")
	code, body := b.post("/web/admin/role", url.Values{"name": {"eu"}, "description": {"Europe"}})
	if code != http.StatusOK {
		t.Fatalf("add role: %d %s", code, excerpt(body))
	}
	mustContain(t, body, "Role eu created", "Europe")
	if code, body = b.post("/web/admin/role", url.Values{"name": {"eu"}}); code != http.StatusBadRequest {
		t.Fatalf("duplicate role: %d", code)
	}
	b.get("/web/admin/role/eu")
	if code, body = b.post("/web/admin/role/eu", url.Values{"description": {"European Union"}}); code != http.StatusOK {
		t.Fatalf("edit role: %d", code)
	}
	mustContain(t, body, "European Union")
	e.addUser("eu-user", func(u *dataprovider.User) { u.Role = "eu" })
	e.addUser("other-user")
	a := dataprovider.Admin{Username: "eu-admin", Password: testPassword, Status: 1, Role: "eu",
		Permissions: []string{dataprovider.AdminPermViewUsers}}
	if err := e.store.AddAdmin(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	_, body = b.get("/web/admin/roles")
	mustContain(t, body, "eu-user", "eu-admin")
	if _, body = b.post("/web/admin/role/eu/delete", url.Values{}); !strings.Contains(body, "still held") {
		t.Fatalf("role in use deleted:\n%s", excerpt(body))
	}

	rb := e.browser()
	webAdminLogin(t, rb, "eu-admin")
	_, body = rb.get("/web/admin/users")
	mustContain(t, body, "eu-user")
	if strings.Contains(body, "other-user") {
		t.Fatal("the role admin sees a user of no role")
	}
	if code, _ := rb.get("/web/admin/roles"); code != http.StatusForbidden {
		t.Fatalf("roles page without manage_roles: %d", code)
	}

	if err := e.store.DeleteAdmin(context.Background(), "eu-admin"); err != nil {
		t.Fatal(err)
	}
	if err := e.store.DeleteUser(context.Background(), "eu-user"); err != nil {
		t.Fatal(err)
	}
	if _, body = b.post("/web/admin/role/eu/delete", url.Values{}); !strings.Contains(body, "Role eu deleted") {
		t.Fatalf("delete role:\n%s", excerpt(body))
	}
}

// TestWebAdminIPListsAndDefenderPages: IP list entries are added and
// deleted per list; the defender page says when the defender is off.
func TestWebAdminIPListsAndDefenderPages(t *testing.T) {
	e := newUserEnv(t)
	b := e.browser()
	webAdminLogin(t, b, testAdmin)
	_, body := b.get("/web/admin/iplists?type=2")
	mustContain(t, body, "This list is empty.", `href="/web/admin/iplists"`, `href="/web/admin/defender"`)
	_, body = b.post("/web/admin/iplists/2", url.Values{"ipornet": {"192.0.2.7"}, "mode": {"2"}, "protocols": {"SSH", "FTP"},
		"description": {"scanner"}})
	mustContain(t, body, "Entry 192.0.2.7/32 added", "scanner", "SSH, FTP", "deny")
	got, err := e.store.GetIPListEntry(context.Background(), dataprovider.IPListTypeDefender, "192.0.2.7/32")
	if err != nil || got.Mode != dataprovider.ListModeDeny || got.Protocols != dataprovider.IPListProtoSSH|dataprovider.IPListProtoFTP {
		t.Fatalf("stored entry %+v, %v", got, err)
	}
	_, body = b.post("/web/admin/iplists/2", url.Values{"ipornet": {"not-an-ip"}})
	mustContain(t, body, "Unable to add the entry")
	_, body = b.get("/web/admin/iplists?type=1")
	mustContain(t, body, "This list is empty.")
	_, body = b.post("/web/admin/iplists/2/delete", url.Values{"ipornet": {"192.0.2.7/32"}})
	mustContain(t, body, "Entry 192.0.2.7/32 deleted", "This list is empty.")
	_, body = b.get("/web/admin/defender")
	mustContain(t, body, "The defender is not enabled", "No host is banned or scored.")
}
