package httpd

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/defender"
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
		t.Fatalf("duplicate role: %d %s", code, excerpt(body))
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

// TestWebAdminDefenderUnban: a host the defender banned is listed with
// its ban time and the unban button lifts the ban.
func TestWebAdminDefenderUnban(t *testing.T) {
	var guard *defender.Guard
	e := newUserEnv(t, func(o *Options) {
		if o.Store == nil { // the first pass only picks the driver
			return
		}
		cfg := config.Default().Common
		cfg.Defender.Enabled = true
		cfg.Defender.Driver = "memory"
		cfg.Defender.Threshold = 5
		g, err := defender.New(context.Background(), cfg, defender.Stores{Lists: o.Store}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(g.Close)
		o.Guard, guard = g, g
	})
	for range 3 {
		guard.Defender().AddEvent("192.0.2.9", "SSH", common.DefenderUserNotFound)
	}
	if !guard.Defender().IsBanned("192.0.2.9") {
		t.Fatal("host not banned")
	}
	b := e.browser()
	webAdminLogin(t, b, testAdmin)
	_, body := b.get("/web/admin/defender")
	mustContain(t, body, "192.0.2.9", `badge badge-off`, "Unban")
	id := defenderHostID("192.0.2.9")
	_, body = b.post("/web/admin/defender/"+id+"/delete", url.Values{})
	mustContain(t, body, "Host 192.0.2.9 removed from the defender", "No host is banned or scored.")
	if guard.Defender().IsBanned("192.0.2.9") {
		t.Fatal("still banned after the unban")
	}
}

func defenderHostID(ip string) string { return hex.EncodeToString([]byte(ip)) }

// TestWebAdminIPListPaging: a long list is walked a page at a time by
// address, and a prefix search narrows it.
func TestWebAdminIPListPaging(t *testing.T) {
	e := newUserEnv(t)
	ctx := context.Background()
	st := e.store
	for i := range 250 {
		ent := dataprovider.IPListEntry{IPOrNet: fmt.Sprintf("10.0.%d.%d/32", i/100, i%100), Type: dataprovider.IPListTypeAllowList, Mode: 1}
		if err := st.AddIPListEntry(ctx, &ent); err != nil {
			t.Fatal(err)
		}
	}
	b := e.browser()
	webAdminLogin(t, b, testAdmin)
	_, body := b.get("/web/admin/iplists?type=1")
	if n := strings.Count(body, `name="ipornet" value="10.0.`); n != ipListPageSize {
		t.Fatalf("first page shows %d entries", n)
	}
	nextRe := regexp.MustCompile(`href="\?type=1&(?:amp;)?q=&(?:amp;)?from=([^"]+)" data-testid="iplist-next"`)
	m := nextRe.FindStringSubmatch(body)
	if m == nil {
		i := strings.Index(body, "iplist-pager")
		t.Fatalf("no next link: %s", body[max(i-10, 0):min(i+400, len(body))])
	}
	seen := strings.Count(body, `name="ipornet" value="10.0.`)
	for pages := 1; m != nil && pages < 10; pages++ {
		_, body = b.get("/web/admin/iplists?type=1&from=" + m[1])
		seen += strings.Count(body, `name="ipornet" value="10.0.`)
		m = nextRe.FindStringSubmatch(body)
	}
	if seen != 250 {
		t.Fatalf("the pages show %d entries, want 250", seen)
	}
	_, body = b.get("/web/admin/iplists?type=1&q=" + url.QueryEscape("10.0.2."))
	if n := strings.Count(body, `name="ipornet" value="10.0.`); n != 50 || strings.Contains(body, `data-testid="iplist-next"`) {
		t.Fatalf("search shows %d entries", n)
	}
}
