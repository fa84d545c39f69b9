package e2e

import (
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

// TestNoCgoBinary: a binary built with CGO_ENABLED=0 (what cross builds
// for macOS, Windows and FreeBSD produce here) does not list +sqlite,
// refuses the default sqlite driver at start with a message naming cgo
// and the alternatives, and serves with the bolt driver.
func TestNoCgoBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "sftpgo-nocgo")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/sftpgo")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil || strings.Contains(string(out), "+sqlite") || !strings.Contains(string(out), "+bolt") {
		t.Errorf("--version without cgo: %v %s", err, out)
	}
	dir := t.TempDir()
	cmd := exec.Command(bin, "serve", "--config-dir", dir, "--log-file-path", "-")
	cmd.Env = append(os.Environ(), "SFTPGO_HTTPD__BINDINGS__0__PORT=0", "SFTPGO_SFTPD__BINDINGS__0__PORT=0")
	out, err = cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("serve with sqlite and no cgo succeeded:\n%s", out)
	}
	if !strings.Contains(string(out), "CGO_ENABLED=0") || !strings.Contains(string(out), "bolt") {
		t.Errorf("start error does not explain the missing sqlite driver:\n%s", out)
	}

	// the same binary serves with a pure-Go driver
	port := freePort(t)
	srv := exec.Command(bin, "serve", "--config-dir", dir, "--log-file-path", "-")
	srv.Env = append(os.Environ(), "SFTPGO_DATA_PROVIDER__DRIVER=bolt", "SFTPGO_DATA_PROVIDER__NAME=sftpgo.bolt",
		"SFTPGO_HTTPD__BINDINGS__0__ADDRESS=127.0.0.1", "SFTPGO_HTTPD__BINDINGS__0__PORT="+strconv.Itoa(port),
		"SFTPGO_SFTPD__BINDINGS__0__PORT=0")
	logs := &syncBuffer{}
	srv.Stdout, srv.Stderr = logs, logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	defer func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		if err := <-done; err != nil {
			t.Errorf("bolt server did not stop cleanly: %v\n%s", err, logs.String())
		}
	}()
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/healthz"
	for i := 0; ; i++ {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if i == 600 {
			t.Fatalf("the cgo-less binary with bolt did not answer /healthz: %v\n%s", err, logs.String())
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("the cgo-less binary with bolt exited: %v\n%s", err, logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
