package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/dbtest"
)

// newNode is a `sftpgo serve` process sharing the database with others:
// the example configuration of docs/cluster.md, with this machine's
// addresses, database and key given through the environment as an
// administrator would.
func newNode(t *testing.T, db dbtest.Database) *instance {
	t.Helper()
	dir := t.TempDir()
	example, err := os.ReadFile(filepath.Join("..", "..", "docs", "examples", "cluster", "sftpgo.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sftpgo.json"), example, 0o600); err != nil {
		t.Fatal(err)
	}
	// the master key every node shares
	if err := os.WriteFile(filepath.Join(dir, "master.key"), []byte("0123456789abcdef0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	in := newInstance(t, dir)
	in.env = append(in.env, db.Env()...)
	in.env = append(in.env,
		"SFTPGO_DATA_PROVIDER__NODE__HOST=127.0.0.1",
		"SFTPGO_DATA_PROVIDER__NODE__PORT="+strconv.Itoa(in.httpPort),
		// WebDAV logins cached for 10 hours: only the change that A passes
		// on can make B forget one within the test.
		"SFTPGO_WEBDAVD__CACHE__USERS__EXPIRATION_TIME=600",
	)
	return in
}

type connInfo struct {
	Username     string `json:"username"`
	ConnectionID string `json:"connection_id"`
	Protocol     string `json:"protocol"`
	Node         string `json:"node"`
}

func listConns(t *testing.T, in *instance, token string) []connInfo {
	t.Helper()
	status, body := in.api(token, http.MethodGet, "/api/v2/connections", nil)
	if status != http.StatusOK {
		t.Fatalf("connections: %d %s", status, body)
	}
	var conns []connInfo
	if err := json.Unmarshal(body, &conns); err != nil {
		t.Fatal(err)
	}
	return conns
}

type userUsage struct {
	UsedQuotaSize  int64 `json:"used_quota_size"`
	UsedQuotaFiles int   `json:"used_quota_files"`
}

func getUsage(t *testing.T, in *instance, token, name string) userUsage {
	t.Helper()
	status, body := in.api(token, http.MethodGet, "/api/v2/users/"+name, nil)
	if status != http.StatusOK {
		t.Fatalf("get user: %d %s", status, body)
	}
	var u userUsage
	if err := json.Unmarshal(body, &u); err != nil {
		t.Fatal(err)
	}
	return u
}

func davGet(t *testing.T, in *instance, user, password, p string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", in.davPort, p), nil)
	req.SetBasicAuth(user, password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func uploadBytes(c *sftp.Client, name string, data []byte) error {
	f, err := c.Create(name)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Two nodes on one PostgreSQL database, then on one MariaDB database.
func TestMultiNode(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) { testMultiNode(t, kind) })
	}
}

func testMultiNode(t *testing.T, kind dbtest.Kind) {
	srv := dbtest.Start(t, kind)
	db := srv.NewDatabase(t)
	a := newNode(t, db)
	a.start()
	b := newNode(t, db)
	b.start()
	tokA := a.token("admin", "admin-pass")
	home := filepath.Join(t.TempDir(), "shared-home") // the storage both nodes share
	a.addUser(tokA, "multi", "first-pass", map[string]any{"home_dir": home, "quota_size": 1 << 30})
	nodeB := dataprovider.NodeName("127.0.0.1", b.httpPort)

	// A user created through A logs in on B; A lists the session with B's
	// name and closing it from A ends it on B.
	connB, clientB := dialSFTP(t, b.sftpPort, "multi", "first-pass")
	defer connB.Close()
	if err := uploadBytes(clientB, "/hello.txt", []byte("from node B")); err != nil {
		t.Fatal(err)
	}
	var onB *connInfo
	for _, c := range listConns(t, a, tokA) {
		if c.Username == "multi" {
			onB = &c
		}
	}
	if onB == nil || onB.Node != nodeB {
		t.Fatalf("node A does not list the session on B (%s): %+v", nodeB, listConns(t, a, tokA))
	}
	if status, body := a.api(tokA, http.MethodDelete, "/api/v2/connections/"+url.PathEscape(onB.ConnectionID)+
		"?node="+nodeB, nil); status != http.StatusOK {
		t.Fatalf("close from A: %d %s", status, body)
	}
	ended := false
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, err := clientB.Getwd(); err != nil {
			ended = true
			break
		}
	}
	if !ended {
		t.Fatal("the session on B survived its closing from A")
	}
	for _, c := range listConns(t, b, b.token("admin", "admin-pass")) {
		if c.ConnectionID == onB.ConnectionID {
			t.Fatalf("B still lists the closed session: %+v", c)
		}
	}
	if status, _ := a.api(tokA, http.MethodDelete, "/api/v2/connections/no-such-conn", nil); status != http.StatusNotFound {
		t.Fatalf("closing an unknown connection: %d", status)
	}

	// The node-to-node routes refuse callers without a node token.
	for _, tok := range []string{"", tokA} {
		if status, _ := b.api(tok, http.MethodGet, "/api/v2/nodes/connections", nil); status != http.StatusUnauthorized {
			t.Fatalf("node route with token %q: %d", tok, status)
		}
	}

	// A password change on A is enforced on B at the next login, also for
	// WebDAV, whose logins B caches.
	if status := davGet(t, b, "multi", "first-pass", "/hello.txt"); status != http.StatusOK {
		t.Fatalf("WebDAV on B: %d", status)
	}
	if status, body := a.api(tokA, http.MethodPut, "/api/v2/users/multi", map[string]any{"username": "multi",
		"password": "second-pass", "status": 1, "home_dir": home, "quota_size": 1 << 30,
		"permissions": map[string][]string{"/": {"*"}}}); status != http.StatusOK {
		t.Fatalf("password change: %d %s", status, body)
	}
	if c, err := sshDialPassword(b.sftpPort, "multi", "first-pass"); err == nil {
		c.Close()
		t.Fatal("node B accepted the old password")
	}
	forgotten := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if davGet(t, b, "multi", "first-pass", "/hello.txt") == http.StatusUnauthorized {
			forgotten = true
			break
		}
	}
	if !forgotten {
		t.Fatal("node B's WebDAV still accepts the old password")
	}
	if status := davGet(t, b, "multi", "second-pass", "/hello.txt"); status != http.StatusOK {
		t.Fatalf("WebDAV on B with the new password: %d", status)
	}

	// Concurrent uploads of one user on both nodes end with the exact used
	// quota, read on either node.
	before := getUsage(t, a, tokA, "multi")
	const perNode, size = 10, 64 << 10
	var wg sync.WaitGroup
	errs := make(chan error, 2*perNode)
	for i, in := range []*instance{a, b} {
		conn, client := dialSFTP(t, in.sftpPort, "multi", "second-pass")
		defer conn.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := make([]byte, size)
			for j := 0; j < perNode; j++ {
				rand.Read(data)
				errs <- uploadBytes(client, fmt.Sprintf("/up-%d-%d.bin", i, j), data)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("upload: %v", err)
		}
	}
	want := userUsage{UsedQuotaSize: before.UsedQuotaSize + 2*perNode*size, UsedQuotaFiles: before.UsedQuotaFiles + 2*perNode}
	for _, in := range []*instance{a, b} {
		if got := getUsage(t, in, in.token("admin", "admin-pass"), "multi"); got != want {
			t.Fatalf("used quota on :%d: %+v, want %+v", in.httpPort, got, want)
		}
	}

	testDatabaseOutage(t, srv, b, home)

	// B dies without leaving the nodes table: A still answers, with its
	// own sessions, and an unknown session is still "not found".
	connA, _ := dialSFTP(t, a.sftpPort, "multi", "second-pass")
	defer connA.Close()
	if err := b.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	err := <-b.done
	b.done <- err
	conns := listConns(t, a, tokA)
	nodeA := dataprovider.NodeName("127.0.0.1", a.httpPort)
	for _, c := range conns {
		if c.Node != nodeA {
			t.Fatalf("connections with node B dead: %+v", conns)
		}
	}
	if len(conns) == 0 {
		t.Fatal("node A lists none of its own sessions with node B dead")
	}
	if status, _ := a.api(tokA, http.MethodDelete, "/api/v2/connections/no-such-conn", nil); status != http.StatusNotFound {
		t.Fatalf("closing an unknown connection with node B dead: %d", status)
	}
}

// The database stops under node B: an open upload finishes, new logins
// fail cleanly, and once the database is back logins succeed again
// without restarting the node.
func testDatabaseOutage(t *testing.T, srv *dbtest.Server, b *instance, home string) {
	tokB := b.token("admin", "admin-pass")
	before := getUsage(t, b, tokB, "multi")
	conn, client := dialSFTP(t, b.sftpPort, "multi", "second-pass")
	defer conn.Close()
	f, err := client.Create("/during-outage.bin")
	if err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 2<<20)
	rand.Read(payload)
	if _, err := f.Write(payload[:1<<20]); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(payload[1<<20:]); err != nil {
		t.Fatalf("open transfer during the outage: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("closing the upload during the outage: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(home, "during-outage.bin"))
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("file uploaded during the outage: %d bytes, %v", len(got), err)
	}
	// the logged-in session keeps working
	if _, err := client.ReadDir("/"); err != nil {
		t.Fatalf("listing during the outage: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if c, err := sshDialPassword(b.sftpPort, "multi", "second-pass"); err == nil {
		c.Close()
		t.Fatal("a new login succeeded without the database")
	}
	resp, err := http.Get(b.baseURL() + "/healthz")
	if err != nil {
		t.Fatalf("node B died with the database: %v\n%s", err, b.log.String())
	}
	resp.Body.Close()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	var lastErr error
	for ctx.Err() == nil {
		c, err := sshDialPassword(b.sftpPort, "multi", "second-pass")
		if err == nil {
			cl, err := sftp.NewClient(c)
			if err == nil {
				_, err = cl.Stat(path.Join("/", "during-outage.bin"))
				cl.Close()
			}
			c.Close()
			if err == nil {
				break
			}
		}
		lastErr = err
		time.Sleep(200 * time.Millisecond)
	}
	if ctx.Err() != nil {
		t.Fatalf("no login after the database came back: %v\n%s", lastErr, tailLog(b.log.String()))
	}
	// the upload that ended during the outage is counted once it is back
	want := userUsage{UsedQuotaSize: before.UsedQuotaSize + int64(len(payload)), UsedQuotaFiles: before.UsedQuotaFiles + 1}
	var usage userUsage
	for ctx.Err() == nil {
		if usage = getUsage(t, b, b.token("admin", "admin-pass"), "multi"); usage == want {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("used quota after the outage: %+v, want %+v", usage, want)
}

func tailLog(s string) string {
	if len(s) > 4000 {
		return s[len(s)-4000:]
	}
	return s
}
