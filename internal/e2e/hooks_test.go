package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
	"golang.org/x/crypto/ssh"
)

// hookReceiver is the HTTP endpoint hooks call in these tests.
type hookReceiver struct {
	t    *testing.T
	url  string
	mu   sync.Mutex
	reqs []hookCall
}

type hookCall struct {
	Method string
	Query  url.Values
	Body   []byte
}

func (c hookCall) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(c.Body, &m); err != nil {
		t.Fatalf("hook body is not JSON: %v: %s", err, c.Body)
	}
	return m
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{t: t}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.reqs = append(h.reqs, hookCall{Method: r.Method, Query: r.URL.Query(), Body: body})
		h.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l) //nolint:errcheck // closed by Cleanup
	t.Cleanup(func() { srv.Close() })
	h.url = "http://" + l.Addr().String() + "/hook"
	return h
}

func (h *hookReceiver) calls() []hookCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookCall(nil), h.reqs...)
}

// waitFor waits until some call satisfies match and returns it.
func (h *hookReceiver) waitFor(what string, match func(hookCall) bool) hookCall {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, c := range h.calls() {
			if match(c) {
				return c
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("the hook receiver never got %s; got %d calls", what, len(h.calls()))
	return hookCall{}
}

// count returns how many calls satisfy match.
func (h *hookReceiver) count(match func(hookCall) bool) int {
	n := 0
	for _, c := range h.calls() {
		if match(c) {
			n++
		}
	}
	return n
}

// writeScript writes an executable /bin/sh script. Hooks run with an
// empty environment (no PATH): scripts name external programs by path.
func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func sftpLogin(port int, user, password string) error {
	c, err := sshDialPassword(port, user, password)
	if err != nil {
		return err
	}
	return c.Close()
}

func ftpLogin(port int, user, password string) error {
	c, err := ftp.Dial(fmt.Sprintf("127.0.0.1:%d", port), ftp.DialWithTimeout(10*time.Second))
	if err != nil {
		return err
	}
	defer c.Quit()
	return c.Login(user, password)
}

func davStatus(t *testing.T, port int, user, password string) int {
	t.Helper()
	req, _ := http.NewRequest("PROPFIND", fmt.Sprintf("http://127.0.0.1:%d/", port), nil)
	req.Header.Set("Depth", "0")
	req.SetBasicAuth(user, password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (in *instance) userStatus(token, name string) (int, map[string]any) {
	in.t.Helper()
	code, body := in.api(token, http.MethodGet, "/api/v2/users/"+name, nil)
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	return code, m
}

// TestHooksExternalAuth: the external auth script creates unknown users
// at their first login over SFTP, FTP and WebDAV; wrong passwords are
// refused and create nothing; a hook that outlives command.timeout fails
// the login and the server goes on serving others.
func TestHooksExternalAuth(t *testing.T) {
	dir := t.TempDir()
	homes := filepath.Join(dir, "homes")
	script := writeScript(t, dir, "extauth.sh", fmt.Sprintf(`
echo "$SFTPGO_AUTHD_PROTOCOL $SFTPGO_AUTHD_USERNAME" >> %s/calls.log
if [ "$SFTPGO_AUTHD_USERNAME" = "sleepy" ]; then /bin/sleep 30; fi
if [ -n "$HOME$SFTPGO_DEFAULT_ADMIN_PASSWORD" ]; then exit 2; fi
if [ "$SFTPGO_AUTHD_PASSWORD" = "ext-secret" ]; then
  printf '{"status":1,"username":"%%s","home_dir":"%s/%%s","permissions":{"/":["*"]},"description":"from %%s"}\n' \
    "$SFTPGO_AUTHD_USERNAME" "$SFTPGO_AUTHD_USERNAME" "$SFTPGO_AUTHD_PROTOCOL"
  exit 0
fi
exit 1
`, dir, homes))
	in := newInstance(t, dir,
		"SFTPGO_DATA_PROVIDER__EXTERNAL_AUTH_HOOK="+script,
		"SFTPGO_DATA_PROVIDER__EXTERNAL_AUTH_SCOPE=0",
		"SFTPGO_COMMAND__TIMEOUT=1")
	in.start()
	token := in.token("admin", "admin-pass")

	if err := sftpLogin(in.sftpPort, "ext_sftp", "ext-secret"); err != nil {
		t.Fatalf("SFTP login of a new external user: %v\n%s", err, in.log.String())
	}
	if err := ftpLogin(in.ftpPort, "ext_ftp", "ext-secret"); err != nil {
		t.Fatalf("FTP login of a new external user: %v", err)
	}
	if code := davStatus(t, in.davPort, "ext_dav", "ext-secret"); code != http.StatusMultiStatus {
		t.Fatalf("WebDAV login of a new external user: status %d", code)
	}
	// WebDAV authenticates every request: the login is cached, the hook
	// runs once
	for range 3 {
		if code := davStatus(t, in.davPort, "ext_dav", "ext-secret"); code != http.StatusMultiStatus {
			t.Fatalf("WebDAV request with cached login: status %d", code)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "calls.log")); strings.Count(string(data), "DAV ext_dav") != 1 {
		t.Errorf("the hook ran %d times for 4 WebDAV requests", strings.Count(string(data), "DAV ext_dav"))
	}
	for name, proto := range map[string]string{"ext_sftp": "SSH", "ext_ftp": "FTP", "ext_dav": "DAV"} {
		code, u := in.userStatus(token, name)
		if code != http.StatusOK {
			t.Fatalf("user %s created by the hook: API status %d", name, code)
		}
		if u["description"] != "from "+proto || u["home_dir"] != filepath.Join(homes, name) {
			t.Errorf("user %s is not the hook's: %v", name, u)
		}
	}
	// a second login of the stored user goes through the hook again
	if err := sftpLogin(in.sftpPort, "ext_sftp", "ext-secret"); err != nil {
		t.Fatalf("second SFTP login: %v", err)
	}
	if err := sftpLogin(in.sftpPort, "ext_sftp", "wrong"); err == nil {
		t.Fatal("a wrong password was accepted for an external user")
	}
	if err := ftpLogin(in.ftpPort, "ext_ftp", "wrong"); err == nil {
		t.Fatal("a wrong FTP password was accepted")
	}
	if code := davStatus(t, in.davPort, "ext_dav", "wrong"); code != http.StatusUnauthorized {
		t.Fatalf("wrong WebDAV password: status %d", code)
	}
	if err := sftpLogin(in.sftpPort, "ext_unknown", "wrong"); err == nil {
		t.Fatal("an unknown user with a wrong password logged in")
	}
	if code, _ := in.userStatus(token, "ext_unknown"); code != http.StatusNotFound {
		t.Fatalf("a refused login created a user: status %d", code)
	}
	// a hung hook is cut at its timeout
	if err := sftpLogin(in.sftpPort, "sleepy", "ext-secret"); err == nil {
		t.Fatal("a login whose hook timed out succeeded")
	}
	if err := sftpLogin(in.sftpPort, "ext_sftp", "ext-secret"); err != nil {
		t.Fatalf("the server stopped serving after a hung hook: %v", err)
	}
	if !strings.Contains(in.log.String(), "timed out") {
		t.Error("the hook timeout is not logged")
	}
}

// TestHooksPreLoginAndCheckPassword: the pre-login script sets a user's
// file quota and the quota is enforced; the check-password script
// approves a password the user does not have, refuses the stored one and
// can ask for part of the password to be checked.
func TestHooksPreLoginAndCheckPassword(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "homes", "pre_user")
	pre := writeScript(t, dir, "prelogin.sh", fmt.Sprintf(`
case "$SFTPGO_LOGIND_USER" in
*'"username":"pre_user"'*)
  printf '{"status":1,"username":"pre_user","home_dir":"%s","permissions":{"/":["*"]},"quota_files":1,"description":"%%s %%s"}\n' \
    "$SFTPGO_LOGIND_PROTOCOL" "$SFTPGO_LOGIND_METHOD" ;;
esac
exit 0
`, home))
	check := writeScript(t, dir, "checkpwd.sh", `
if [ "$SFTPGO_AUTHD_USERNAME" != "cp_user" ]; then
  printf '{"status":2,"to_verify":"%s"}\n' "$SFTPGO_AUTHD_PASSWORD"
  exit 0
fi
case "$SFTPGO_AUTHD_PASSWORD" in
approved-by-hook) echo '{"status":1}' ;;
stored-pass-otp-*) echo '{"status":2,"to_verify":"stored-pass"}' ;;
*) echo '{"status":0}' ;;
esac
`)
	in := newInstance(t, dir,
		"SFTPGO_DATA_PROVIDER__PRE_LOGIN_HOOK="+pre,
		"SFTPGO_DATA_PROVIDER__CHECK_PASSWORD_HOOK="+check)
	in.start()
	token := in.token("admin", "admin-pass")
	in.addUser(token, "pre_user", "pre-pass", nil)
	in.addUser(token, "cp_user", "stored-pass", nil)

	conn, client := dialSFTP(t, in.sftpPort, "pre_user", "pre-pass")
	defer conn.Close()
	code, u := in.userStatus(token, "pre_user")
	if code != http.StatusOK || u["quota_files"] != float64(1) || u["description"] != "SSH password" {
		t.Fatalf("the pre-login hook did not change the user: %d %v", code, u)
	}
	put := func(name string) error {
		f, err := client.Create(name)
		if err != nil {
			return err
		}
		if _, err := f.Write([]byte("data")); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if err := put("/one.txt"); err != nil {
		t.Fatalf("first upload within the quota: %v", err)
	}
	if err := put("/two.txt"); err == nil {
		t.Fatal("the quota set by the pre-login hook is not enforced")
	}
	if _, err := os.Stat(filepath.Join(home, "two.txt")); err == nil {
		t.Error("the upload over quota was kept")
	}

	if err := sftpLogin(in.sftpPort, "cp_user", "approved-by-hook"); err != nil {
		t.Fatalf("password approved by the check-password hook refused: %v", err)
	}
	if err := sftpLogin(in.sftpPort, "cp_user", "stored-pass"); err == nil {
		t.Fatal("password refused by the check-password hook accepted")
	}
	if err := sftpLogin(in.sftpPort, "cp_user", "stored-pass-otp-123456"); err != nil {
		t.Fatalf("status 2 with the right stored password refused: %v", err)
	}
	if err := ftpLogin(in.ftpPort, "cp_user", "approved-by-hook"); err != nil {
		t.Fatalf("FTP: password approved by the hook refused: %v", err)
	}
}

// TestHooksPostConnectAndPostLogin: the post-connect script refuses
// 127.0.0.2 and admits 127.0.0.1 on SFTP, FTP and HTTP; the post-login URL
// gets the login JSON for successful and failed logins.
func TestHooksPostConnectAndPostLogin(t *testing.T) {
	dir := t.TempDir()
	rcv := newHookReceiver(t)
	connect := writeScript(t, dir, "postconnect.sh", `
if [ "$SFTPGO_CONNECTION_IP" = "127.0.0.2" ]; then exit 1; fi
exit 0
`)
	in := newInstance(t, dir,
		"SFTPGO_COMMON__POST_CONNECT_HOOK="+connect,
		"SFTPGO_COMMON__POST_DISCONNECT_HOOK="+rcv.url,
		"SFTPGO_DATA_PROVIDER__POST_LOGIN_HOOK="+rcv.url)
	in.start()
	token := in.token("admin", "admin-pass")
	in.addUser(token, "pl_user", "pl-pass", nil)

	from2 := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 10 * time.Second}
	if nc, err := from2.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", in.sftpPort)); err == nil {
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		_, _, _, err := ssh.NewClientConn(nc, "x", &ssh.ClientConfig{User: "pl_user", Auth: []ssh.AuthMethod{ssh.Password("pl-pass")},
			HostKeyCallback: ssh.InsecureIgnoreHostKey()}) //nolint:gosec // test server
		nc.Close()
		if err == nil {
			t.Fatal("SFTP from 127.0.0.2 was admitted")
		}
	}
	if nc, err := from2.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", in.ftpPort)); err == nil {
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		line, _ := io.ReadAll(io.LimitReader(nc, 512))
		nc.Close()
		if !strings.HasPrefix(string(line), "421") {
			t.Fatalf("FTP from 127.0.0.2: want 421, got %q", line)
		}
	}
	hc2 := &http.Client{Transport: &http.Transport{DialContext: from2.DialContext}, Timeout: 10 * time.Second}
	resp, err := hc2.Get(in.baseURL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("HTTP from 127.0.0.2: status %d", resp.StatusCode)
	}

	if err := sftpLogin(in.sftpPort, "pl_user", "pl-pass"); err != nil {
		t.Fatalf("SFTP from 127.0.0.1 refused: %v", err)
	}
	if err := ftpLogin(in.ftpPort, "pl_user", "pl-pass"); err != nil {
		t.Fatalf("FTP from 127.0.0.1 refused: %v", err)
	}
	ok := rcv.waitFor("a successful SSH login", func(c hookCall) bool {
		return c.Query.Get("status") == "1" && c.Query.Get("protocol") == "SSH"
	})
	if ok.Method != http.MethodPost || ok.Query.Get("login_method") != "password" || ok.Query.Get("ip") != "127.0.0.1" {
		t.Errorf("post-login request: %s %v", ok.Method, ok.Query)
	}
	body := ok.json(t)
	if body["username"] != "pl_user" || body["has_password"] != true {
		t.Errorf("post-login body: %v", body)
	}
	if _, has := body["password"]; has {
		t.Error("the post-login body carries the password")
	}
	if err := sftpLogin(in.sftpPort, "pl_user", "bad"); err == nil {
		t.Fatal("wrong password accepted")
	}
	bad := rcv.waitFor("a failed login", func(c hookCall) bool { return c.Query.Get("status") == "0" })
	if bad.json(t)["username"] != "pl_user" {
		t.Errorf("failed-login body: %s", bad.Body)
	}
	rcv.waitFor("a successful FTP login", func(c hookCall) bool {
		return c.Query.Get("status") == "1" && c.Query.Get("protocol") == "FTP"
	})
	for _, proto := range []string{"SSH", "FTP"} {
		d := rcv.waitFor(proto+" post-disconnect", func(c hookCall) bool {
			return c.Method == http.MethodGet && c.Query.Get("protocol") == proto
		})
		if d.Query.Get("username") != "pl_user" || d.Query.Get("ip") != "127.0.0.1" || d.Query.Get("connection_duration") == "" {
			t.Errorf("post-disconnect %s: %v", proto, d.Query)
		}
	}
}

// TestHooksStartup: the startup hook runs before the service serves, and
// a failing one stops the start.
func TestHooksStartup(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "started")
	good := writeScript(t, dir, "startup.sh", ": > "+marker+"\n")
	in := newInstance(t, dir, "SFTPGO_COMMON__STARTUP_HOOK="+good)
	in.start()
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("the startup hook did not run: %v", err)
	}
	in.stop()

	bad := writeScript(t, dir, "failing.sh", "exit 1\n")
	dir2 := t.TempDir()
	in2 := newInstance(t, dir2, "SFTPGO_COMMON__STARTUP_HOOK="+bad)
	cmd := exec.Command(binary(t), "serve", "--config-dir", dir2, "--log-file-path", "-")
	cmd.Env = in2.env
	done := make(chan error, 1)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("serve exited cleanly despite a failing startup hook:\n%s", out.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("serve kept running with a failing startup hook:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "startup") {
		t.Errorf("the failure does not name the startup hook:\n%s", out.String())
	}
}

// TestHooksFsActions: upload, rename, mkdir and delete over SFTP each
// reach the action URL once with the operation's facts.
func TestHooksFsActions(t *testing.T) {
	dir := t.TempDir()
	rcv := newHookReceiver(t)
	in := newInstance(t, dir,
		"SFTPGO_COMMON__ACTIONS__EXECUTE_ON=upload,rename,mkdir,delete,ssh_cmd,first-upload,first-download",
		"SFTPGO_COMMON__ACTIONS__HOOK="+rcv.url)
	in.start()
	token := in.token("admin", "admin-pass")
	home := in.addUser(token, "act_user", "act-pass", nil)
	conn, client := dialSFTP(t, in.sftpPort, "act_user", "act-pass")
	defer conn.Close()
	if err := client.Mkdir("/d"); err != nil {
		t.Fatal(err)
	}
	f, err := client.Create("/d/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := client.Rename("/d/a.txt", "/d/b.txt"); err != nil {
		t.Fatal(err)
	}
	if err := client.Remove("/d/b.txt"); err != nil {
		t.Fatal(err)
	}
	action := func(name string) func(hookCall) bool {
		return func(c hookCall) bool {
			var m map[string]any
			return json.Unmarshal(c.Body, &m) == nil && m["action"] == name
		}
	}
	want := map[string]map[string]any{
		"mkdir":  {"virtual_path": "/d", "path": filepath.Join(home, "d")},
		"upload": {"virtual_path": "/d/a.txt", "path": filepath.Join(home, "d", "a.txt"), "file_size": float64(5)},
		"rename": {"virtual_path": "/d/a.txt", "path": filepath.Join(home, "d", "a.txt"),
			"virtual_target_path": "/d/b.txt", "target_path": filepath.Join(home, "d", "b.txt"), "file_size": float64(5)},
		"delete": {"virtual_path": "/d/b.txt", "path": filepath.Join(home, "d", "b.txt"), "file_size": float64(5)},
	}
	for name, fields := range want {
		m := rcv.waitFor(name, action(name)).json(t)
		common := map[string]any{"username": "act_user", "protocol": "SFTP", "status": float64(1), "ip": "127.0.0.1", "fs_provider": float64(0)}
		for k, v := range common {
			fields[k] = v
		}
		for k, v := range fields {
			if m[k] != v {
				t.Errorf("%s: %s = %v, want %v (%v)", name, k, m[k], v, m)
			}
		}
		if s, _ := m["session_id"].(string); s == "" {
			t.Errorf("%s: no session_id", name)
		}
		if ts, _ := m["timestamp"].(float64); ts <= 0 {
			t.Errorf("%s: no timestamp", name)
		}
	}
	// a last operation: once it is reported, the others would have been
	// reported twice already if they were
	if err := client.Mkdir("/marker"); err != nil {
		t.Fatal(err)
	}
	rcv.waitFor("the marker mkdir", func(c hookCall) bool { return strings.Contains(string(c.Body), `"/marker"`) })
	for name := range want {
		n := rcv.count(action(name))
		if name == "mkdir" {
			n--
		}
		if n != 1 {
			t.Errorf("%s reached the hook %d times", name, n)
		}
	}
	// the same actions for the other protocols
	req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("http://127.0.0.1:%d/dav.txt", in.davPort), strings.NewReader("webdav"))
	req.SetBasicAuth("act_user", "act-pass")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("WebDAV PUT: %d", resp.StatusCode)
	}
	dav := rcv.waitFor("the WebDAV upload", func(c hookCall) bool { return strings.Contains(string(c.Body), `"/dav.txt"`) }).json(t)
	if dav["action"] != "upload" || dav["protocol"] != "DAV" || dav["file_size"] != float64(6) {
		t.Errorf("WebDAV upload action: %v", dav)
	}
	// SSH commands fire ssh_cmd when listed
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := sess.Output("sha256sum /dav.txt"); err != nil || !strings.Contains(string(out), "dav.txt") {
		t.Fatalf("sha256sum: %v %s", err, out)
	}
	sess.Close()
	sc := rcv.waitFor("the ssh_cmd action", action("ssh_cmd")).json(t)
	if sc["ssh_cmd"] != "sha256sum /dav.txt" || sc["protocol"] != "SSH" || sc["virtual_path"] != "/dav.txt" {
		t.Errorf("ssh_cmd action: %v", sc)
	}
	fc, err := ftp.Dial(fmt.Sprintf("127.0.0.1:%d", in.ftpPort), ftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer fc.Quit()
	if err := fc.Login("act_user", "act-pass"); err != nil {
		t.Fatal(err)
	}
	if err := fc.MakeDir("/ftpdir"); err != nil {
		t.Fatal(err)
	}
	fm := rcv.waitFor("the FTP mkdir", func(c hookCall) bool { return strings.Contains(string(c.Body), `"/ftpdir"`) }).json(t)
	if fm["action"] != "mkdir" || fm["protocol"] != "FTP" {
		t.Errorf("FTP mkdir action: %v", fm)
	}
	// the first upload and the first download fire once each, besides
	// upload and download
	if f, err := client.Open("/dav.txt"); err != nil {
		t.Fatal(err)
	} else {
		io.ReadAll(f)
		f.Close()
	}
	fu := rcv.waitFor("first-upload", action("first-upload")).json(t)
	if fu["virtual_path"] != "/d/a.txt" || fu["protocol"] != "SFTP" {
		t.Errorf("first-upload: %v", fu)
	}
	fd := rcv.waitFor("first-download", action("first-download")).json(t)
	if fd["virtual_path"] != "/dav.txt" {
		t.Errorf("first-download: %v", fd)
	}
	if err := fc.MakeDir("/marker2"); err != nil {
		t.Fatal(err)
	}
	rcv.waitFor("the second marker", func(c hookCall) bool { return strings.Contains(string(c.Body), `"/marker2"`) })
	if n := rcv.count(action("first-upload")); n != 1 {
		t.Errorf("first-upload fired %d times", n)
	}
	if _, u := in.userStatus(token, "act_user"); u["first_upload"] == float64(0) || u["first_download"] == float64(0) {
		t.Errorf("first transfers not recorded: %v %v", u["first_upload"], u["first_download"])
	}
}

// TestHooksPreUploadRefuses: a pre-upload program that exits non-zero
// makes the upload fail and leaves nothing behind; one that sleeps past
// its timeout fails the upload too, and the server keeps serving.
func TestHooksPreUploadRefuses(t *testing.T) {
	dir := t.TempDir()
	script := writeScript(t, dir, "preupload.sh", `
case "$SFTPGO_ACTION:$SFTPGO_ACTION_VIRTUAL_PATH" in
pre-upload:/deny*) exit 1 ;;
pre-upload:/slow*) /bin/sleep 30 ;;
upload:/after*) exit 1 ;;
pre-download:/ok.txt) exit 1 ;;
esac
exit 0
`)
	in := newInstance(t, dir,
		"SFTPGO_COMMON__ACTIONS__EXECUTE_ON=pre-upload,upload,pre-download",
		"SFTPGO_COMMON__ACTIONS__EXECUTE_SYNC=upload",
		"SFTPGO_COMMON__ACTIONS__HOOK="+script,
		"SFTPGO_COMMON__UPLOAD_MODE=1",
		"SFTPGO_COMMAND__TIMEOUT=1")
	in.start()
	token := in.token("admin", "admin-pass")
	home := in.addUser(token, "pu_user", "pu-pass", nil)
	conn, client := dialSFTP(t, in.sftpPort, "pu_user", "pu-pass")
	defer conn.Close()
	put := func(name string) error {
		f, err := client.Create(name)
		if err != nil {
			return err
		}
		if _, err := f.Write([]byte("payload")); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if err := put("/deny.txt"); err == nil {
		t.Fatal("upload refused by the pre-upload hook succeeded")
	}
	if err := put("/slow.txt"); err == nil {
		t.Fatal("upload whose pre-upload hook timed out succeeded")
	}
	if err := put("/ok.txt"); err != nil {
		t.Fatalf("upload allowed by the hook failed: %v", err)
	}
	// a synchronous upload hook that fails takes the file back
	if err := put("/after.txt"); err == nil {
		t.Fatal("upload refused by the synchronous upload hook succeeded")
	}
	// pre-download refuses a read
	if f, err := client.Open("/ok.txt"); err == nil {
		_, rerr := io.ReadAll(f)
		f.Close()
		if rerr == nil {
			t.Fatal("download refused by the pre-download hook succeeded")
		}
	}
	entries, err := os.ReadDir(home)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != "ok.txt" {
		t.Fatalf("home holds %v, want only ok.txt", names)
	}
	// a second session is served normally
	if err := sftpLogin(in.sftpPort, "pu_user", "pu-pass"); err != nil {
		t.Fatal(err)
	}
}

// TestHooksProviderActions: user add, update and delete through the REST
// API each reach the provider action URL with the user without secrets.
func TestHooksProviderActions(t *testing.T) {
	dir := t.TempDir()
	rcv := newHookReceiver(t)
	in := newInstance(t, dir,
		"SFTPGO_DATA_PROVIDER__ACTIONS__EXECUTE_ON=add,update,delete",
		"SFTPGO_DATA_PROVIDER__ACTIONS__EXECUTE_FOR=user",
		"SFTPGO_DATA_PROVIDER__ACTIONS__HOOK="+rcv.url)
	in.start()
	token := in.token("admin", "admin-pass")
	home := in.addUser(token, "pa_user", "pa-pass", nil)
	upd := map[string]any{"username": "pa_user", "status": 1, "home_dir": home, "quota_files": 7,
		"permissions": map[string][]string{"/": {"*"}}}
	if code, body := in.api(token, http.MethodPut, "/api/v2/users/pa_user", upd); code != http.StatusOK {
		t.Fatalf("update: %d %s", code, body)
	}
	if code, body := in.api(token, http.MethodDelete, "/api/v2/users/pa_user", nil); code != http.StatusOK {
		t.Fatalf("delete: %d %s", code, body)
	}
	for _, action := range []string{"add", "update", "delete"} {
		c := rcv.waitFor("user "+action, func(c hookCall) bool { return c.Query.Get("action") == action })
		q := c.Query
		if c.Method != http.MethodPost || q.Get("object_type") != "user" || q.Get("object_name") != "pa_user" ||
			q.Get("username") != "admin" || q.Get("ip") != "127.0.0.1" || q.Get("timestamp") == "" {
			t.Errorf("%s: %s %v", action, c.Method, q)
		}
		m := c.json(t)
		if m["username"] != "pa_user" {
			t.Errorf("%s body: %v", action, m)
		}
		if _, has := m["password"]; has {
			t.Errorf("%s body carries the password", action)
		}
		if action == "update" && m["quota_files"] != float64(7) {
			t.Errorf("update body is not the updated user: %v", m)
		}
	}
	// admins are not in execute_for: the default admin's creation and
	// token use sent nothing else
	if n := len(rcv.calls()); n != 3 {
		t.Errorf("the hook got %d calls, want 3", n)
	}
}
