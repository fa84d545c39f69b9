package cloudtest

import (
	"bytes"
	"fmt"
	"net"
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

// GCSProgram is fake-gcs-server run as a separate program (as users run
// it, and unlike the in-process fakestorage server it keeps its default
// public host), with one bucket held in memory.
type GCSProgram struct {
	Bucket string
	// Endpoint is the server's URL ("http://127.0.0.1:PORT"); Host is the
	// host:port STORAGE_EMULATOR_HOST takes.
	Endpoint, Host string
	logs           *lockedBuffer
}

// FindGCSProgram returns the path of the fake-gcs-server program that
// scripts/install-test-deps.sh installs into $(go env GOPATH)/bin, or one
// on PATH. When it is missing the test is skipped, or failed in CI.
func FindGCSProgram(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("fake-gcs-server"); err == nil {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", "fake-gcs-server")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("fake-gcs-server is required in CI: run scripts/install-test-deps.sh")
	}
	t.Skip("fake-gcs-server not installed: run scripts/install-test-deps.sh")
	return ""
}

// StartGCSProgram starts fake-gcs-server on a free port with bucket
// "test"; it stops with the test.
func StartGCSProgram(t testing.TB) *GCSProgram {
	t.Helper()
	bin := FindGCSProgram(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	host := "127.0.0.1:" + strconv.Itoa(port)
	g := &GCSProgram{Bucket: "test", Endpoint: "http://" + host, Host: host, logs: &lockedBuffer{}}
	cmd := exec.Command(bin, "-backend", "memory", "-scheme", "http", "-host", "127.0.0.1", "-port", strconv.Itoa(port), "-log-level", "warn")
	cmd.Stdout, cmd.Stderr = g.logs, g.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(g.Endpoint + "/storage/v1/b")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fake-gcs-server did not answer within 30 s: %v\n%s", err, g.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Post(g.Endpoint+"/storage/v1/b?project=test", "application/json",
		bytes.NewReader([]byte(fmt.Sprintf(`{"name":%q}`, g.Bucket))))
	if err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("create bucket: %s\n%s", resp.Status, g.logs.String())
	}
	return g
}

// Logs returns what the program printed.
func (g *GCSProgram) Logs() string { return g.logs.String() }
