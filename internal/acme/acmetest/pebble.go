// Package acmetest starts pebble, the ACME test CA of Let's Encrypt, for
// tests: a real RFC 8555 server on loopback that validates challenges by
// connecting back to the ports it is given.
package acmetest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Pebble is a running pebble.
type Pebble struct {
	// Directory is the ACME directory URL (acme.ca_endpoint).
	Directory string
	// MiniCA is the file of the CA that signed pebble's own HTTPS
	// certificate (LEGO_CA_CERTIFICATES).
	MiniCA string
	// HTTPPort and TLSPort are where pebble connects to validate HTTP-01
	// and TLS-ALPN-01 challenges (http01_challenge.port,
	// tls_alpn01_challenge.port).
	HTTPPort, TLSPort int
	mgmt              string
	client            *http.Client
}

// Options tune Start.
type Options struct {
	// AlwaysValid skips challenge validation (PEBBLE_VA_ALWAYS_VALID=1).
	AlwaysValid bool
}

var (
	buildOnce sync.Once
	binary    string
	binErr    error
)

// bin returns the pebble binary: the module's Go tool (go.mod "tool"
// line), built once by the go command.
func bin() (string, error) {
	buildOnce.Do(func() {
		out, err := exec.Command("go", "tool", "-n", "pebble").Output()
		if err != nil {
			binErr = fmt.Errorf("go tool -n pebble: %w", err)
			return
		}
		binary = strings.TrimSpace(string(out))
	})
	return binary, binErr
}

// moduleDir returns pebble's module directory (its test certificates).
func moduleDir() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/letsencrypt/pebble/v2").Output()
	if err != nil {
		return "", fmt.Errorf("go list pebble: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// FreePort returns a loopback TCP port nobody listens on now.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Start runs pebble until the test ends. A missing pebble fails the test.
func Start(t testing.TB, o Options) *Pebble {
	t.Helper()
	exe, err := bin()
	if err != nil {
		t.Fatalf("pebble is a Go tool of this module: %v", err)
	}
	mod, err := moduleDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := &Pebble{HTTPPort: FreePort(t), TLSPort: FreePort(t), MiniCA: filepath.Join(mod, "test/certs/pebble.minica.pem")}
	listen := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	p.mgmt = fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress":                  listen,
		"managementListenAddress":        p.mgmt,
		"certificate":                    filepath.Join(mod, "test/certs/localhost/cert.pem"),
		"privateKey":                     filepath.Join(mod, "test/certs/localhost/key.pem"),
		"httpPort":                       p.HTTPPort,
		"tlsPort":                        p.TLSPort,
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": false,
		"retryAfter":                     map[string]int{"authz": 1, "order": 1},
		"profiles": map[string]any{"default": map[string]any{
			"description": "90 days", "validityPeriod": 90 * 24 * 3600}},
	}}
	data, _ := json.Marshal(cfg)
	cfgFile := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(cfgFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-config", cfgFile)
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0")
	if o.AlwaysValid {
		cmd.Env = append(cmd.Env, "PEBBLE_VA_ALWAYS_VALID=1")
	}
	var logs bytes.Buffer
	var logMu sync.Mutex
	cmd.Stdout = lockedWriter{&logs, &logMu}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pebble: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			logMu.Lock()
			t.Logf("pebble output:\n%s", logs.String())
			logMu.Unlock()
		}
	})
	pool := x509.NewCertPool()
	pem, err := os.ReadFile(p.MiniCA)
	if err != nil {
		t.Fatal(err)
	}
	pool.AppendCertsFromPEM(pem)
	p.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	p.Directory = "https://" + listen + "/dir"
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := p.client.Get(p.Directory)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			logMu.Lock()
			defer logMu.Unlock()
			t.Fatalf("pebble did not answer on %s: %v\n%s", p.Directory, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return p
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// HTTPClient trusts pebble's own HTTPS certificate.
func (p *Pebble) HTTPClient() *http.Client { return p.client }

// Roots returns the pool of pebble's current issuing root, fetched from its
// management endpoint (a new one at every pebble start).
func (p *Pebble) Roots(t testing.TB) *x509.CertPool {
	t.Helper()
	resp, err := p.client.Get("https://" + p.mgmt + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("pebble roots: %d %v", resp.StatusCode, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		t.Fatalf("pebble roots: no certificate in %q", data)
	}
	return pool
}
