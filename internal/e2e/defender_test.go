package e2e

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
	"golang.org/x/crypto/ssh"
)

// sourceDialer dials from a given loopback address, so one machine can
// play several clients (127.0.0.1, 127.0.0.2...).
func sourceDialer(src string) *net.Dialer {
	return &net.Dialer{Timeout: 20 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
}

// sftpLoginFrom tries a password login over SSH from src.
func sftpLoginFrom(t *testing.T, in *instance, src, user, password string) error {
	t.Helper()
	nc, err := sourceDialer(src).Dial("tcp", fmt.Sprintf("127.0.0.1:%d", in.sftpPort))
	if err != nil {
		return err
	}
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	c, chans, reqs, err := ssh.NewClientConn(nc, "127.0.0.1", &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.Password(password)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), //nolint:gosec // test server with a fresh key
	})
	if err != nil {
		nc.Close()
		return err
	}
	ssh.NewClient(c, chans, reqs).Close()
	return nil
}

// ftpLoginFrom tries a login over FTP from src.
func ftpLoginFrom(t *testing.T, in *instance, src, user, password string) error {
	t.Helper()
	d := sourceDialer(src)
	fc, err := ftp.Dial(fmt.Sprintf("127.0.0.1:%d", in.ftpPort), ftp.DialWithTimeout(20*time.Second),
		ftp.DialWithDialFunc(func(network, address string) (net.Conn, error) { return d.Dial(network, address) }))
	if err != nil {
		return err
	}
	defer fc.Quit()
	return fc.Login(user, password)
}

// httpFrom is an HTTP client whose connections come from src.
func httpFrom(src string) *http.Client {
	d := sourceDialer(src)
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

// davLoginFrom sends an authenticated PROPFIND from src and returns the
// status.
func davLoginFrom(t *testing.T, in *instance, src, user, password string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "PROPFIND", fmt.Sprintf("http://127.0.0.1:%d/", in.davPort), nil)
	req.SetBasicAuth(user, password)
	req.Header.Set("Depth", "0")
	resp, err := httpFrom(src).Do(req)
	if err != nil {
		return 0 // connection refused or dropped
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// userTokenFrom asks for a user API token from src and returns the
// status and body.
func userTokenFrom(t *testing.T, in *instance, src, user, password string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, in.baseURL()+"/api/v2/user/token", nil)
	req.SetBasicAuth(user, password)
	resp, err := httpFrom(src).Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type defenderHost struct {
	ID      string `json:"id"`
	IP      string `json:"ip"`
	Score   int    `json:"score"`
	BanTime string `json:"ban_time"`
}

func defenderHosts(t *testing.T, in *instance, token string) []defenderHost {
	t.Helper()
	st, body := in.api(token, http.MethodGet, "/api/v2/defender/hosts", nil)
	if st != http.StatusOK {
		t.Fatalf("defender hosts: %d %s", st, body)
	}
	var hosts []defenderHost
	if err := json.Unmarshal(body, &hosts); err != nil {
		t.Fatal(err)
	}
	return hosts
}

var defenderEnv = []string{
	"SFTPGO_COMMON__DEFENDER__ENABLED=true",
	"SFTPGO_COMMON__DEFENDER__THRESHOLD=5",
	"SFTPGO_COMMON__DEFENDER__SCORE_VALID=1",
	"SFTPGO_COMMON__DEFENDER__BAN_TIME=10",
	"SFTPGO_COMMON__DEFENDER__OBSERVATION_TIME=10",
	"SFTPGO_COMMON__DEFENDER__LOGIN_DELAY__PASSWORD_FAILED=0",
}

// banFromSFTP makes 127.0.0.2 fail five SFTP passwords.
func banFromSFTP(t *testing.T, in *instance, user string) {
	t.Helper()
	for i := 0; i < 5; i++ {
		if err := sftpLoginFrom(t, in, "127.0.0.2", user, "wrong-password"); err == nil {
			t.Fatal("wrong password accepted")
		}
	}
}

// TestDefenderBansOnEveryProtocol: five wrong SFTP passwords from
// 127.0.0.2 ban it on SFTP (even with the right password), FTP, WebDAV
// and HTTP, while 127.0.0.1 keeps logging in; the ban is listed by the
// REST API and DELETE lifts it.
func TestDefenderBansOnEveryProtocol(t *testing.T) {
	in := newInstance(t, t.TempDir(), defenderEnv...)
	in.start()
	token := in.token("admin", "admin-pass")
	in.addUser(token, "alice", "alice-pass", nil)

	banFromSFTP(t, in, "alice")
	if err := sftpLoginFrom(t, in, "127.0.0.2", "alice", "alice-pass"); err == nil {
		t.Fatal("banned 127.0.0.2 logged in over SFTP with the right password")
	}
	if err := sftpLoginFrom(t, in, "127.0.0.1", "alice", "alice-pass"); err != nil {
		t.Fatalf("127.0.0.1 refused: %v", err)
	}
	if err := ftpLoginFrom(t, in, "127.0.0.2", "alice", "alice-pass"); err == nil {
		t.Fatal("banned 127.0.0.2 logged in over FTP")
	}
	if err := ftpLoginFrom(t, in, "127.0.0.1", "alice", "alice-pass"); err != nil {
		t.Fatalf("127.0.0.1 refused over FTP: %v", err)
	}
	if st := davLoginFrom(t, in, "127.0.0.2", "alice", "alice-pass"); st < 400 && st != 0 {
		t.Fatalf("banned 127.0.0.2 served over WebDAV: %d", st)
	}
	if st := davLoginFrom(t, in, "127.0.0.1", "alice", "alice-pass"); st != http.StatusMultiStatus {
		t.Fatalf("127.0.0.1 over WebDAV: %d", st)
	}
	st, body := userTokenFrom(t, in, "127.0.0.2", "alice", "alice-pass")
	if st != http.StatusForbidden {
		t.Fatalf("banned 127.0.0.2 over HTTP: %d %s", st, body)
	}
	if st, _ := userTokenFrom(t, in, "127.0.0.1", "alice", "alice-pass"); st != http.StatusOK {
		t.Fatalf("127.0.0.1 over HTTP: %d", st)
	}

	if st, body := in.api(token, http.MethodGet, "/api/v2/status", nil); st != http.StatusOK ||
		!strings.Contains(string(body), `"defender":{"is_active":true}`) {
		t.Fatalf("status: %d %s", st, body)
	}
	hosts := defenderHosts(t, in, token)
	if len(hosts) != 1 || hosts[0].IP != "127.0.0.2" || hosts[0].ID != hex.EncodeToString([]byte("127.0.0.2")) {
		t.Fatalf("defender hosts: %+v", hosts)
	}
	if end, err := time.Parse(time.RFC3339, hosts[0].BanTime); err != nil || time.Until(end) < 5*time.Minute {
		t.Fatalf("ban_time %q: %v", hosts[0].BanTime, err)
	}
	if st, body := in.api(token, http.MethodGet, "/api/v2/defender/hosts/"+hosts[0].ID, nil); st != http.StatusOK ||
		!strings.Contains(string(body), `"ip":"127.0.0.2"`) {
		t.Fatalf("get host: %d %s", st, body)
	}
	if st, body := in.api(token, http.MethodDelete, "/api/v2/defender/hosts/"+hosts[0].ID, nil); st != http.StatusOK {
		t.Fatalf("delete host: %d %s", st, body)
	}
	if st, _ := in.api(token, http.MethodGet, "/api/v2/defender/hosts/"+hosts[0].ID, nil); st != http.StatusNotFound {
		t.Fatalf("deleted host still there: %d", st)
	}
	if err := sftpLoginFrom(t, in, "127.0.0.2", "alice", "alice-pass"); err != nil {
		t.Fatalf("127.0.0.2 still refused after DELETE: %v", err)
	}
	if st, _ := userTokenFrom(t, in, "127.0.0.2", "alice", "alice-pass"); st != http.StatusOK {
		t.Fatalf("127.0.0.2 still refused over HTTP after DELETE: %d", st)
	}
	if n := strings.Count(in.log.String(), "host banned by the defender"); n != 1 {
		t.Errorf("ban logged %d times, want once", n)
	}
}

// TestDefenderProviderDriverSharedByTwoProcesses: with the provider
// driver, two serve processes on one SQLite database share bans: a ban
// recorded through one is honoured and listed by the other, and a DELETE
// on the second lifts it on the first.
func TestDefenderProviderDriverSharedByTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	env := append([]string{"SFTPGO_COMMON__DEFENDER__DRIVER=provider"}, defenderEnv...)
	a := newInstance(t, dir, env...)
	a.start()
	tokenA := a.token("admin", "admin-pass")
	a.addUser(tokenA, "bob", "bob-pass", nil)
	// one WebDAV server per config dir: its dead-properties file is locked
	b := newInstance(t, dir, append(env, "SFTPGO_WEBDAVD__BINDINGS__0__PORT=0")...)
	b.start()
	tokenB := b.token("admin", "admin-pass")

	banFromSFTP(t, a, "bob")
	if err := sftpLoginFrom(t, b, "127.0.0.2", "bob", "bob-pass"); err == nil {
		t.Fatal("the second process let the host banned by the first log in")
	}
	if err := sftpLoginFrom(t, b, "127.0.0.1", "bob", "bob-pass"); err != nil {
		t.Fatalf("the second process refused 127.0.0.1: %v", err)
	}
	hosts := defenderHosts(t, b, tokenB)
	if len(hosts) != 1 || hosts[0].IP != "127.0.0.2" || hosts[0].BanTime == "" {
		t.Fatalf("second process hosts: %+v", hosts)
	}
	if st, body := b.api(tokenB, http.MethodDelete, "/api/v2/defender/hosts/"+hosts[0].ID, nil); st != http.StatusOK {
		t.Fatalf("delete on the second process: %d %s", st, body)
	}
	if err := sftpLoginFrom(t, a, "127.0.0.2", "bob", "bob-pass"); err != nil {
		t.Fatalf("the first process still refuses after the DELETE on the second: %v", err)
	}
}

// TestRateLimitedTokenRequests: past the configured burst, REST token
// requests get 429 with Retry-After and X-Retry-In.
func TestRateLimitedTokenRequests(t *testing.T) {
	in := newInstance(t, t.TempDir(),
		"SFTPGO_COMMON__RATE_LIMITERS__0__AVERAGE=1",
		"SFTPGO_COMMON__RATE_LIMITERS__0__PERIOD=60000",
		"SFTPGO_COMMON__RATE_LIMITERS__0__BURST=20",
		"SFTPGO_COMMON__RATE_LIMITERS__0__TYPE=2",
		"SFTPGO_COMMON__RATE_LIMITERS__0__PROTOCOLS=HTTP",
	)
	in.start() // the health checks use up part of the burst
	var ok, limited int
	var retry, retryIn string
	for i := 0; i < 25; i++ {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, in.baseURL()+"/api/v2/token", nil)
		req.SetBasicAuth("admin", "admin-pass")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			limited++
			retry, retryIn = resp.Header.Get("Retry-After"), resp.Header.Get("X-Retry-In")
		default:
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if ok == 0 || limited == 0 || ok > 20 {
		t.Fatalf("%d tokens issued, %d requests limited; want some of each, at most 20 issued", ok, limited)
	}
	if retry == "" || retry == "0" || retryIn == "" {
		t.Fatalf("429 without Retry-After (%q) / X-Retry-In (%q)", retry, retryIn)
	}
	// another source has its own bucket
	resp, err := httpFrom("127.0.0.2").Get(in.baseURL() + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("another source limited: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestAllowList: with allowlist_status 1 and an allow-list entry for
// 127.0.0.1, 127.0.0.1 logs in on every protocol and 127.0.0.2 is
// refused on every protocol; the entry is kept in dumps.
func TestAllowList(t *testing.T) {
	dir := t.TempDir()
	setup := newInstance(t, dir)
	setup.start()
	token := setup.token("admin", "admin-pass")
	setup.addUser(token, "carol", "carol-pass", nil)
	st, body := setup.api(token, http.MethodPost, "/api/v2/iplists/1",
		map[string]any{"type": 1, "ipornet": "127.0.0.1", "mode": 1, "protocols": 0, "description": "local"})
	if st != http.StatusCreated {
		t.Fatalf("add allow-list entry: %d %s", st, body)
	}
	if st, body := setup.api(token, http.MethodGet, "/api/v2/iplists/1/"+url.PathEscape("127.0.0.1/32"), nil); st != http.StatusOK ||
		!strings.Contains(string(body), `"ipornet":"127.0.0.1/32"`) {
		t.Fatalf("get entry: %d %s", st, body)
	}
	if st, body := setup.api(token, http.MethodGet, "/api/v2/dumpdata?output-data=1", nil); st != http.StatusOK ||
		!strings.Contains(string(body), `"ipornet":"127.0.0.1/32"`) {
		t.Fatalf("dump without the entry: %d %s", st, body)
	}
	setup.stop()

	in := newInstance(t, dir, "SFTPGO_COMMON__ALLOWLIST_STATUS=1")
	in.start()
	if err := sftpLoginFrom(t, in, "127.0.0.1", "carol", "carol-pass"); err != nil {
		t.Fatalf("SFTP from 127.0.0.1: %v", err)
	}
	if err := sftpLoginFrom(t, in, "127.0.0.2", "carol", "carol-pass"); err == nil {
		t.Fatal("SFTP from 127.0.0.2 allowed")
	}
	if err := ftpLoginFrom(t, in, "127.0.0.1", "carol", "carol-pass"); err != nil {
		t.Fatalf("FTP from 127.0.0.1: %v", err)
	}
	if err := ftpLoginFrom(t, in, "127.0.0.2", "carol", "carol-pass"); err == nil {
		t.Fatal("FTP from 127.0.0.2 allowed")
	}
	// 127.0.0.2 first: WebDAV caches logins, and the cache is bypassed
	// only once the connection check refuses the client up front
	if st := davLoginFrom(t, in, "127.0.0.2", "carol", "carol-pass"); st < 400 && st != 0 {
		t.Fatalf("WebDAV from 127.0.0.2 allowed: %d", st)
	}
	if st := davLoginFrom(t, in, "127.0.0.1", "carol", "carol-pass"); st != http.StatusMultiStatus {
		t.Fatalf("WebDAV from 127.0.0.1: %d", st)
	}
	if st, _ := userTokenFrom(t, in, "127.0.0.1", "carol", "carol-pass"); st != http.StatusOK {
		t.Fatalf("HTTP from 127.0.0.1: %d", st)
	}
	if st, _ := userTokenFrom(t, in, "127.0.0.2", "carol", "carol-pass"); st < 400 && st != 0 {
		t.Fatalf("HTTP from 127.0.0.2 allowed: %d", st)
	}
	// an entry added at run time applies at once
	token = in.token("admin", "admin-pass")
	if st, body := in.api(token, http.MethodPost, "/api/v2/iplists/1",
		map[string]any{"type": 1, "ipornet": "127.0.0.2/32", "mode": 1}); st != http.StatusCreated {
		t.Fatalf("add 127.0.0.2: %d %s", st, body)
	}
	if err := sftpLoginFrom(t, in, "127.0.0.2", "carol", "carol-pass"); err != nil {
		t.Fatalf("SFTP from 127.0.0.2 after adding it: %v", err)
	}
	if st, body := in.api(token, http.MethodDelete, "/api/v2/iplists/1/"+url.PathEscape("127.0.0.2/32"), nil); st != http.StatusOK {
		t.Fatalf("delete 127.0.0.2: %d %s", st, body)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, in.baseURL()+"/healthz", nil)
	if resp, err := httpFrom("127.0.0.2").Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Fatalf("healthz from 127.0.0.2 after removing it: %d", resp.StatusCode)
		}
	}
}
