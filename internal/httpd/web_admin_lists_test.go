package httpd

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func TestWebAdminListsPaginateAndSearch(t *testing.T) {
	e := newUserEnv(t, driverEnv("sqlite"))
	for i := range 60 {
		e.addUser(fmt.Sprintf("u%03d", i), func(u *dataprovider.User) {
			if i%20 == 5 {
				u.Email = fmt.Sprintf("needle%d@example.com", i)
			}
		})
	}
	br := e.browser()
	br.get(webAdminPrefix + "/login")
	br.post(webAdminPrefix+"/login", formOf("username", testAdmin, "password", testPassword))
	_, body := br.get(webAdminPrefix + "/users?page=2")
	mustContain(t, body, "/web/admin/user/u025", "/web/admin/user/u049", "Page 2", "page=3")
	if strings.Contains(body, "/web/admin/user/u024\"") || strings.Contains(body, "/web/admin/user/u050\"") {
		t.Fatal("page 2 holds users of another page")
	}
	_, body = br.get(webAdminPrefix + "/users?page=3")
	if strings.Contains(body, "page=4") || !strings.Contains(body, "/web/admin/user/u059") {
		t.Fatalf("last page:\n%s", excerpt(body))
	}
	_, body = br.get(webAdminPrefix + "/users?q=" + url.QueryEscape("NEEDLE"))
	for _, n := range []string{"u005", "u025", "u045"} {
		mustContain(t, body, "/web/admin/user/"+n+"\"")
	}
	if strings.Count(body, `<div class="name-cell">`) != 3 {
		t.Fatalf("search found other users:\n%s", excerpt(body))
	}

}

func TestConnectionsPage(t *testing.T) {
	var conns []ConnectionStatus
	for i := range 30 {
		conns = append(conns, ConnectionStatus{Username: fmt.Sprintf("c%02d", i), ConnectionID: fmt.Sprintf("id%02d", i), Protocol: "SFTP"})
	}
	lp := connectionsPage(conns, "", 2)
	items := lp.Items.([]ConnectionStatus)
	if lp.Total != 30 || len(items) != 5 || items[0].Username != "c25" || lp.HasNext || !lp.HasPrev {
		t.Fatalf("page 2: %+v", lp)
	}
	lp = connectionsPage(conns, "C1", 1)
	if items = lp.Items.([]ConnectionStatus); lp.Total != 10 || len(items) != 10 || items[9].Username != "c19" || lp.HasNext {
		t.Fatalf("search: %+v", lp)
	}
	if lp = connectionsPage(conns, "", 9); len(lp.Items.([]ConnectionStatus)) != 0 || lp.HasNext {
		t.Fatalf("past the end: %+v", lp)
	}
}

func TestSharesPage(t *testing.T) {
	var shares []dataprovider.Share
	for i := range 40 {
		shares = append(shares, dataprovider.Share{ShareID: fmt.Sprintf("id%02d", i), Name: fmt.Sprintf("share%02d", i), Paths: []string{fmt.Sprintf("/dir%d", i%4)}})
	}
	lp, shown := sharesPage(shares, "", 2)
	if lp.Total != 40 || len(shown) != 15 || shown[0].Name != "share25" || lp.HasNext {
		t.Fatalf("page 2: %+v %d", lp, len(shown))
	}
	lp, shown = sharesPage(shares, "/DIR3", 1)
	if lp.Total != 10 || len(shown) != 10 || shown[0].Name != "share03" {
		t.Fatalf("search by path: %+v", lp)
	}
}
