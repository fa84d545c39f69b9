package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func testUser(name, home string) map[string]any {
	return map[string]any{
		"username":    name,
		"password":    "user-pass-1",
		"status":      1,
		"home_dir":    home,
		"permissions": map[string][]string{"/": {"*"}},
		"quota_size":  1 << 20,
		"filesystem": map[string]any{
			"provider":    4,
			"cryptconfig": map[string]any{"passphrase": map[string]any{"status": "Plain", "payload": "crypt-secret-7Qv9xLp2Zr"}},
		},
		"description": "created by e2e",
	}
}

// TestServeUserCRUDAndRestart follows the README quick start with curl,
// then checks the user survives a restart.
func TestServeUserCRUDAndRestart(t *testing.T) {
	curl := requireTool(t, "curl")
	dir := t.TempDir()
	in := newInstance(t, dir)
	in.start()

	out, err := exec.Command(curl, "-sf", in.baseURL()+"/healthz").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("curl healthz: %v %q", err, out)
	}
	out, err = exec.Command(curl, "-sf", "-u", "admin:admin-pass", in.baseURL()+"/api/v2/token").CombinedOutput()
	if err != nil {
		t.Fatalf("curl token: %v %s", err, out)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(out, &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token body %s: %v", out, err)
	}
	user := testUser("alice", filepath.Join(dir, "homes", "alice"))
	body, _ := json.Marshal(user)
	out, err = exec.Command(curl, "-s", "-o", "/dev/stderr", "-w", "%{http_code}", "-H", "Authorization: Bearer "+tok.AccessToken,
		"-H", "Content-Type: application/json", "-d", string(body), in.baseURL()+"/api/v2/users").Output()
	if err != nil || string(out) != "201" {
		t.Fatalf("curl create user: %v status %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "sftpgo.db")); err != nil {
		t.Fatalf("the SQLite database is not in the config dir: %v", err)
	}

	token := tok.AccessToken
	status, data := in.api(token, http.MethodGet, "/api/v2/users/alice", nil)
	if status != http.StatusOK {
		t.Fatalf("get user: %d %s", status, data)
	}
	if strings.Contains(string(data), "crypt-secret") || strings.Contains(string(data), "user-pass-1") {
		t.Fatalf("secrets returned in clear: %s", data)
	}
	user["description"] = "updated"
	delete(user, "password")
	status, data = in.api(token, http.MethodPut, "/api/v2/users/alice", user)
	if status != http.StatusOK {
		t.Fatalf("update user: %d %s", status, data)
	}
	status, data = in.api(token, http.MethodPost, "/api/v2/users", user)
	if status != http.StatusConflict {
		t.Fatalf("duplicate user: want 409, got %d %s", status, data)
	}
	status, data = in.api(token, http.MethodPost, "/api/v2/users", `{"username":"bob","statuss":1}`)
	if status != http.StatusBadRequest || !strings.Contains(string(data), "statuss") {
		t.Fatalf("unknown field: want 400 naming it, got %d %s", status, data)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "sftpgo.db"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "crypt-secret") {
		t.Fatal("the crypt passphrase is stored in clear in the database")
	}

	in.stop()
	in2 := newInstance(t, dir)
	in2.start()
	token = in2.token("admin", "admin-pass")
	status, data = in2.api(token, http.MethodGet, "/api/v2/users/alice", nil)
	if status != http.StatusOK {
		t.Fatalf("user lost across restart: %d %s", status, data)
	}
	var got map[string]any
	_ = json.Unmarshal(data, &got)
	if got["description"] != "updated" {
		t.Fatalf("update lost across restart: %v", got["description"])
	}
	status, data = in2.api(token, http.MethodDelete, "/api/v2/users/alice", nil)
	if status != http.StatusOK {
		t.Fatalf("delete: %d %s", status, data)
	}
	status, _ = in2.api(token, http.MethodGet, "/api/v2/users/alice", nil)
	if status != http.StatusNotFound {
		t.Fatalf("deleted user still there: %d", status)
	}
}

// TestProviderCommands: initprovider creates the database, revertprovider
// walks back one version and initprovider brings it forward, data kept.
func TestProviderCommands(t *testing.T) {
	dir := t.TempDir()
	in := newInstance(t, dir)
	out, err := in.run("initprovider", "--config-dir", dir)
	if err != nil {
		t.Fatalf("initprovider: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "sftpgo.db")); err != nil {
		t.Fatalf("initprovider did not create the database: %v", err)
	}
	in.start()
	token := in.token("admin", "admin-pass")
	if status, data := in.api(token, http.MethodPost, "/api/v2/users", testUser("carol", filepath.Join(dir, "carol"))); status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, data)
	}
	in.stop()

	if out, err := in.run("revertprovider", "--config-dir", dir); err == nil {
		t.Fatalf("revertprovider without --to-version succeeded: %s", out)
	}
	if out, err := in.run("revertprovider", "--config-dir", dir, "--to-version", "1"); err != nil {
		t.Fatalf("revertprovider: %v\n%s", err, out)
	}
	// An outdated schema with update_mode 1 must refuse to serve.
	strict := newInstance(t, dir, "SFTPGO_DATA_PROVIDER__UPDATE_MODE=1")
	if out, err := strict.run("serve", "--config-dir", dir, "--log-file-path", "-"); err == nil {
		t.Fatalf("serve accepted an outdated schema with update_mode 1:\n%s", out)
	} else if !strings.Contains(out, "initprovider") {
		t.Fatalf("the refusal does not say what to do:\n%s", out)
	}
	if out, err := in.run("initprovider", "--config-dir", dir); err != nil {
		t.Fatalf("initprovider after revert: %v\n%s", err, out)
	}
	in2 := newInstance(t, dir)
	in2.start()
	token = in2.token("admin", "admin-pass")
	if status, data := in2.api(token, http.MethodGet, "/api/v2/users/carol", nil); status != http.StatusOK {
		t.Fatalf("user lost by revert+init: %d %s", status, data)
	}
	in2.stop()

	if out, err := in.run("resetprovider", "--config-dir", dir); err == nil {
		t.Fatalf("resetprovider without --force succeeded: %s", out)
	}
	if out, err := in.run("resetprovider", "--config-dir", dir, "--force"); err != nil {
		t.Fatalf("resetprovider --force: %v\n%s", err, out)
	}
}

// TestResetPwd changes an admin's password from the command line.
func TestResetPwd(t *testing.T) {
	dir := t.TempDir()
	in := newInstance(t, dir)
	in.start()
	in.stop()
	cmd := exec.Command(binary(t), "resetpwd", "--config-dir", dir, "--admin", "admin")
	cmd.Env = in.env
	cmd.Stdin = strings.NewReader("new-admin-pass\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("resetpwd: %v\n%s", err, out)
	}
	in2 := newInstance(t, dir)
	in2.start()
	in2.token("admin", "new-admin-pass")
}

func normalise(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func namesOf(section any, key string) []string {
	var names []string
	list, _ := section.([]any)
	for _, item := range list {
		if obj, ok := item.(map[string]any); ok {
			names = append(names, obj[key].(string))
		}
	}
	return names
}

// TestDumpAndLoad: a dump loaded into a fresh database reproduces every
// object, secrets included (still encrypted, still usable).
func TestDumpAndLoad(t *testing.T) {
	src := newInstance(t, t.TempDir())
	src.start()
	token := src.token("admin", "admin-pass")
	must := func(status int, data []byte, want int) {
		t.Helper()
		if status != want {
			t.Fatalf("want %d, got %d: %s", want, status, data)
		}
	}
	s, d := src.api(token, http.MethodPost, "/api/v2/folders", map[string]any{"name": "shared", "mapped_path": filepath.Join(src.configDir, "shared")})
	must(s, d, http.StatusCreated)
	s, d = src.api(token, http.MethodPost, "/api/v2/groups", map[string]any{"name": "staff", "user_settings": map[string]any{"max_sessions": 3}})
	must(s, d, http.StatusCreated)
	u := testUser("dave", filepath.Join(src.configDir, "dave"))
	u["groups"] = []map[string]any{{"name": "staff", "type": 1}}
	u["virtual_folders"] = []map[string]any{{"name": "shared", "virtual_path": "/shared", "quota_size": -1, "quota_files": -1}}
	s, d = src.api(token, http.MethodPost, "/api/v2/users", u)
	must(s, d, http.StatusCreated)
	s, d = src.api(token, http.MethodPost, "/api/v2/admins", map[string]any{"username": "ops", "password": "ops-pass-1", "status": 1, "permissions": []string{"view_users"}})
	must(s, d, http.StatusCreated)
	s, d = src.api(token, http.MethodPost, "/api/v2/apikeys", map[string]any{"name": "ci", "scope": 1, "admin": "ops"})
	must(s, d, http.StatusCreated)

	s, dump := src.api(token, http.MethodGet, "/api/v2/dumpdata?output-data=1", nil)
	must(s, dump, http.StatusOK)
	if strings.Contains(string(dump), "crypt-secret") {
		t.Fatal("dump holds a secret in clear")
	}

	dst := newInstance(t, t.TempDir())
	dst.start()
	token2 := dst.token("admin", "admin-pass")
	s, d = dst.api(token2, http.MethodPost, "/api/v2/loaddata", dump)
	must(s, d, http.StatusOK)
	s, dump2 := dst.api(token2, http.MethodGet, "/api/v2/dumpdata?output-data=1", nil)
	must(s, dump2, http.StatusOK)

	a, b := normalise(t, dump), normalise(t, dump2)
	for section, key := range map[string]string{"users": "username", "groups": "name", "folders": "name", "admins": "username", "api_keys": "name"} {
		got, want := strings.Join(namesOf(b[section], key), ","), strings.Join(namesOf(a[section], key), ",")
		if got != want {
			t.Errorf("%s after load: %q, want %q", section, got, want)
		}
	}
	// The loaded user keeps its group, folder, quota and encrypted secret.
	s, d = dst.api(token2, http.MethodGet, "/api/v2/users/dave", nil)
	must(s, d, http.StatusOK)
	user := normalise(t, d)
	if user["quota_size"].(float64) != 1<<20 {
		t.Errorf("quota_size lost: %v", user["quota_size"])
	}
	if len(user["groups"].([]any)) != 1 || len(user["virtual_folders"].([]any)) != 1 {
		t.Errorf("relations lost: groups %v folders %v", user["groups"], user["virtual_folders"])
	}
	fsCfg := user["filesystem"].(map[string]any)["cryptconfig"].(map[string]any)["passphrase"].(map[string]any)
	if fsCfg["status"] == "" || fsCfg["status"] == "Plain" {
		t.Errorf("passphrase status after load: %v", fsCfg["status"])
	}
	// The restored admin can sign in with its original password.
	dst.token("ops", "ops-pass-1")
}

// TestBadConfigRefusesToStart: malformed files and unknown keys stop the
// start with a message that names the problem.
func TestBadConfigRefusesToStart(t *testing.T) {
	cases := []struct {
		name, file, content string
		env                 []string
		want                string
	}{
		{"malformed json", "sftpgo.json", `{"sftpd": {"bindings": [}`, nil, "sftpgo.json"},
		{"unknown key", "sftpgo.json", `{"ftpd": {"bindings": [{"tls_mod": 1}]}}`, nil, "tls_mod"},
		{"wrong type", "sftpgo.json", `{"httpd": {"bindings": [{"port": "abc"}]}}`, nil, "port"},
		{"invalid value", "sftpgo.yaml", "common:\n  upload_mode: 7\n", nil, "upload_mode"},
		{"unknown env key", "", "", []string{"SFTPGO_SFTPD__NO_SUCH_KEY=1"}, "SFTPGO_SFTPD__NO_SUCH_KEY"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.file != "" {
				if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			in := newInstance(t, dir, tc.env...)
			out, err := in.run("serve", "--config-dir", dir, "--log-file-path", "-")
			if err == nil {
				t.Fatalf("serve started with a bad config:\n%s", out)
			}
			if !strings.Contains(out, tc.want) {
				t.Fatalf("error does not name %q:\n%s", tc.want, out)
			}
		})
	}
}

// TestCLIUtilities: --version, completion, man pages and ping.
func TestCLIUtilities(t *testing.T) {
	dir := t.TempDir()
	in := newInstance(t, dir)
	if out, err := in.run("--version"); err != nil || !strings.Contains(out, "SFTPGo") {
		t.Fatalf("--version: %v %s", err, out)
	}
	if out, err := in.run("gen", "completion", "bash"); err != nil || !strings.Contains(out, "bash completion") {
		t.Fatalf("gen completion bash: %v %.200s", err, out)
	}
	manDir := filepath.Join(dir, "man")
	if out, err := in.run("gen", "man", "-d", manDir); err != nil {
		t.Fatalf("gen man: %v %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(manDir, "sftpgo-serve.1")); err != nil {
		t.Fatalf("man page missing: %v", err)
	}
	if out, err := in.run("ping", "--config-dir", dir); err == nil {
		t.Fatalf("ping succeeded with no server running: %s", out)
	}
	in.start()
	if out, err := in.run("ping", "--config-dir", dir); err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("ping: %v %s", err, out)
	}
}

// TestPortable: portable mode serves a directory to its one account over
// SFTP, read-only by default.
func TestPortable(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "shared.txt"), []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cmd := exec.Command(binary(t), "portable", "-d", dir, "-u", "guest", "-p", "guest-pass",
		"-s", strconv.Itoa(port), "--log-level", "warn", "-c", t.TempDir())
	// the address comes from the environment, as in SFTPGo
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir(), "HOME="+t.TempDir(),
		"SFTPGO_SFTPD__BINDINGS__0__ADDRESS=127.0.0.1")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "listening") {
		if time.Now().After(deadline) {
			t.Fatalf("portable did not start:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if want := "listening on 127.0.0.1:" + strconv.Itoa(port); !strings.Contains(out.String(), want) {
		t.Fatalf("portable output lacks %q:\n%s", want, out.String())
	}
	conn, client := dialSFTP(t, port, "guest", "guest-pass")
	defer conn.Close()
	f, err := client.Open("/shared.txt")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(f)
	f.Close()
	if string(data) != "hello" {
		t.Fatalf("read %q", data)
	}
	if w, err := client.Create("/new.txt"); err == nil {
		w.Close()
		t.Fatal("the default permissions allowed an upload")
	}
}
