// Package e2e runs the built sftpgo binary as an administrator would and
// drives it with real clients (curl, OpenSSH, net/http).
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/sftpgo once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sftpgo-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "sftpgo")
		out, err := exec.Command("go", "build", "-o", binPath, "../../cmd/sftpgo").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// requireTool fails in CI and skips elsewhere when a system client is missing.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI: run scripts/install-test-deps.sh", name)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

func freePort(t *testing.T) int {
	t.Helper()
	givenPorts.mu.Lock()
	defer givenPorts.mu.Unlock()
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		// the kernel may hand a closed port out again: never give the
		// same one twice in this process (two listeners of one instance
		// collided on it)
		if !givenPorts.m[port] {
			givenPorts.m[port] = true
			return port
		}
	}
}

var givenPorts = struct {
	mu sync.Mutex
	m  map[int]bool
}{m: map[int]bool{}}

// syncBuffer is a bytes.Buffer safe for the process's output copier and
// the test reading it at the same time.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// instance is one running sftpgo serve process.
type instance struct {
	t         *testing.T
	configDir string
	httpPort  int
	sftpPort  int
	davPort   int
	ftpPort   int
	env       []string
	cmd       *exec.Cmd
	log       *syncBuffer
	done      chan error
}

func newInstance(t *testing.T, configDir string, extraEnv ...string) *instance {
	t.Helper()
	in := &instance{t: t, configDir: configDir, httpPort: freePort(t), sftpPort: freePort(t), davPort: freePort(t),
		ftpPort: freePort(t)}
	in.env = append(os.Environ(),
		"SFTPGO_HTTPD__BINDINGS__0__ADDRESS=127.0.0.1",
		"SFTPGO_HTTPD__BINDINGS__0__PORT="+strconv.Itoa(in.httpPort),
		"SFTPGO_SFTPD__BINDINGS__0__ADDRESS=127.0.0.1",
		"SFTPGO_SFTPD__BINDINGS__0__PORT="+strconv.Itoa(in.sftpPort),
		"SFTPGO_FTPD__BINDINGS__0__ADDRESS=127.0.0.1",
		"SFTPGO_FTPD__BINDINGS__0__PORT="+strconv.Itoa(in.ftpPort),
		// Away from the default range, which the ftpd package tests use.
		"SFTPGO_FTPD__PASSIVE_PORT_RANGE__START=51000",
		"SFTPGO_FTPD__PASSIVE_PORT_RANGE__END=51100",
		"SFTPGO_WEBDAVD__BINDINGS__0__ADDRESS=127.0.0.1",
		"SFTPGO_WEBDAVD__BINDINGS__0__PORT="+strconv.Itoa(in.davPort),
		"SFTPGO_DATA_PROVIDER__CREATE_DEFAULT_ADMIN=true",
		"SFTPGO_DEFAULT_ADMIN_USERNAME=admin",
		"SFTPGO_DEFAULT_ADMIN_PASSWORD=admin-pass",
	)
	in.env = append(in.env, extraEnv...)
	return in
}

func (in *instance) baseURL() string { return fmt.Sprintf("http://127.0.0.1:%d", in.httpPort) }

// run executes a one-shot sftpgo command against this instance's config.
func (in *instance) run(args ...string) (string, error) {
	cmd := exec.Command(binary(in.t), args...)
	cmd.Env = in.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (in *instance) start() {
	t := in.t
	t.Helper()
	in.log = &syncBuffer{}
	in.cmd = exec.Command(binary(t), "serve", "--config-dir", in.configDir, "--log-file-path", "-", "--log-level", "debug")
	in.cmd.Env = in.env
	in.cmd.Stdout = in.log
	in.cmd.Stderr = in.log
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	in.done = make(chan error, 1)
	go func() { in.done <- in.cmd.Wait() }()
	t.Cleanup(in.stop)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-in.done:
			in.done <- err
			t.Fatalf("sftpgo exited early: %v\n%s", err, in.log.String())
		default:
		}
		resp, err := http.Get(in.baseURL() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("sftpgo did not answer /healthz\n%s", in.log.String())
}

// stop sends SIGTERM and waits for a graceful exit.
func (in *instance) stop() {
	if in.cmd == nil || in.cmd.Process == nil {
		return
	}
	select {
	case err := <-in.done:
		in.done <- err
		return
	default:
	}
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-in.done:
		in.done <- err
		if err != nil {
			in.t.Errorf("sftpgo did not stop cleanly: %v\n%s", err, in.log.String())
		}
	case <-time.After(30 * time.Second):
		_ = in.cmd.Process.Kill()
		in.t.Errorf("sftpgo ignored SIGTERM\n%s", in.log.String())
	}
}

// token gets an admin JWT with Basic auth.
func (in *instance) token(user, password string) string {
	in.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, in.baseURL()+"/api/v2/token", nil)
	req.SetBasicAuth(user, password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresAt   string `json:"expires_at"`
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		in.t.Fatalf("token: status %d: %s", resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		in.t.Fatal(err)
	}
	if body.AccessToken == "" || body.ExpiresAt == "" {
		in.t.Fatalf("token response incomplete: %+v", body)
	}
	return body.AccessToken
}

// api calls the REST API and returns the status and body.
func (in *instance) api(token, method, path string, body any) (int, []byte) {
	in.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			in.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, in.baseURL()+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// addUser creates a user with every permission on "/" and a home under
// the instance's config dir; extra fields override the defaults. It
// returns the home directory.
func (in *instance) addUser(token, name, password string, extra map[string]any) string {
	in.t.Helper()
	home := filepath.Join(in.configDir, "homes", name)
	user := map[string]any{"username": name, "password": password, "status": 1, "home_dir": home,
		"permissions": map[string][]string{"/": {"*"}}}
	for k, v := range extra {
		user[k] = v
	}
	if s, d := in.api(token, http.MethodPost, "/api/v2/users", user); s != http.StatusCreated {
		in.t.Fatalf("create user %s: %d %s", name, s, d)
	}
	return home
}

// randomFile writes size random bytes to a temporary file.
func randomFile(t *testing.T, size int) (string, []byte) {
	t.Helper()
	data := make([]byte, size)
	_, _ = rand.Read(data)
	p := filepath.Join(t.TempDir(), "payload.bin")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, data
}
