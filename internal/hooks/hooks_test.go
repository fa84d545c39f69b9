//go:build unix

package hooks

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hook.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func newRunner(t *testing.T, cmd config.CommandConfig, hc config.HTTPClientConfig) *Runner {
	t.Helper()
	r, err := NewRunner(cmd, hc, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The program sees only the variables it is given and those of the
// command section; per-command args and env apply to their hook only.
func TestExecEnvironment(t *testing.T) {
	t.Setenv("HOOKS_TEST_SECRET", "leaked")
	p := script(t, `printf '%s|%s|%s|%s|%s\n' "$HOOKS_TEST_SECRET" "$GLOBAL" "$PER" "$1" "$SFTPGO_X"`)
	r := newRunner(t, config.CommandConfig{Timeout: 10, Env: []string{"GLOBAL=g"},
		Commands: []config.CommandEntry{{Path: p, Args: []string{"arg1"}, Env: []string{"PER=p"}, Hook: string(KindFsActions)}}},
		config.Default().HTTP)
	out, err := r.Exec(context.Background(), KindFsActions, p, []string{"SFTPGO_X=x"}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != "|g|p|arg1|x" {
		t.Fatalf("fs_actions: got %q", got)
	}
	out, err = r.Exec(context.Background(), KindPostConnect, p, []string{"SFTPGO_X=y"}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != "|g|||y" {
		t.Fatalf("post_connect: got %q", got)
	}
}

func TestExecExitStatus(t *testing.T) {
	r := newRunner(t, config.CommandConfig{Timeout: 10}, config.Default().HTTP)
	if _, err := r.Exec(context.Background(), KindPreLogin, script(t, "exit 3\n"), nil, time.Second); err == nil {
		t.Fatal("a non-zero exit is not an error")
	}
	if _, err := r.Exec(context.Background(), KindPreLogin, "/nonexistent/hook", nil, time.Second); err == nil {
		t.Fatal("a missing program is not an error")
	}
}

// The client retries 5xx answers and adds the headers configured for the
// URL's prefix only.
func TestClientRetriesAndHeaders(t *testing.T) {
	var calls atomic.Int32
	var header, other atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header.Store(r.Header.Get("X-Hook"))
		other.Store(r.Header.Get("X-Other"))
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("done"))
	}))
	defer srv.Close()
	hc := config.HTTPClientConfig{Timeout: 5, RetryWaitMin: 1, RetryWaitMax: 1, RetryMax: 3,
		Headers: []config.HTTPHeader{{Key: "X-Hook", Value: "yes", URL: srv.URL}, {Key: "X-Other", Value: "no", URL: "http://elsewhere.invalid"}}}
	c, err := NewClient(hc, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(context.Background(), http.MethodPost, srv.URL+"/x", []byte("{}"), "application/json")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || string(resp.Body) != "done" || calls.Load() != 3 {
		t.Fatalf("status %d body %q after %d calls", resp.StatusCode, resp.Body, calls.Load())
	}
	if header.Load() != "yes" || other.Load() != "" {
		t.Fatalf("headers: X-Hook %q X-Other %q", header.Load(), other.Load())
	}
	// no retries configured: the first answer is final
	calls.Store(0)
	hc.RetryMax = 0
	c, _ = NewClient(hc, "", nil)
	resp, err = c.Do(context.Background(), http.MethodGet, srv.URL, nil, "")
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable || calls.Load() != 1 {
		t.Fatalf("retry_max 0: %v %v after %d calls", resp, err, calls.Load())
	}
}

// ca_certificates makes a private CA trusted; skip_tls_verify trusts any.
func TestClientTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  config.HTTPClientConfig
		ok   bool
	}{
		{"untrusted", config.HTTPClientConfig{Timeout: 5}, false},
		{"ca", config.HTTPClientConfig{Timeout: 5, CACertificates: []string{"ca.pem"}}, true},
		{"skip", config.HTTPClientConfig{Timeout: 5, SkipTLSVerify: true}, true},
	} {
		c, err := NewClient(tc.cfg, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Do(context.Background(), http.MethodGet, srv.URL, nil, "")
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v", tc.name, err)
		}
	}
}

func TestFsActionsWants(t *testing.T) {
	a := &FsActions{Hook: "/x", ExecuteOn: []string{"upload", "pre-upload", "delete"}, ExecuteSync: []string{"upload"}}
	for _, tc := range []struct {
		action     string
		fire, sync bool
	}{{"upload", true, true}, {"pre-upload", true, true}, {"delete", true, false}, {"rename", false, false}} {
		if fire, sync := a.Wants(tc.action); fire != tc.fire || sync != tc.sync {
			t.Errorf("%s: fire %v sync %v", tc.action, fire, sync)
		}
	}
}
