// Package remotetest starts third-party servers for the tests of the
// remote storage backends: OpenSSH sshd with internal-sftp and Debian's
// vsftpd (plain, explicit and implicit TLS), both on loopback, plus a TCP
// proxy that counts and cuts connections. It is imported by tests only.
//
// A missing server binary skips the test when the environment variable CI
// is empty and fails it otherwise.
package remotetest

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// RequireTool returns the path of a system tool; a missing one skips the
// test locally and fails it in CI.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("%s not installed", name)
		}
		t.Fatalf("%s is required in CI: %v", name, err)
	}
	return p
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// freePortRange finds n consecutive free ports below the kernel's
// ephemeral range, so client connections never take them.
func freePortRange(t testing.TB, n int) int {
	t.Helper()
	for range 200 {
		base := 20000 + rand.IntN(12000)
		ok := true
		for p := base; p < base+n && ok; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				ok = false
				continue
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}

// waitBanner waits until addr accepts connections and sends a first
// line (over TLS when implicitTLS).
func waitBanner(t testing.TB, addr string, implicitTLS bool, logs func() string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(3 * time.Second))
			var rd io.Reader = c
			if implicitTLS {
				rd = tls.Client(c, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // readiness probe only
			}
			_, err = bufio.NewReader(rd).ReadString('\n')
			c.Close()
			if err == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready: %v\n%s", addr, err, logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Proxy forwards TCP connections to a target; it counts them and can cut
// them all, to observe connection reuse and to break connections.
type Proxy struct {
	l        net.Listener
	accepted atomic.Int32
	mu       sync.Mutex
	conns    []net.Conn
}

// StartProxy listens on loopback and forwards to target until the test
// ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{l: l}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			p.accepted.Add(1)
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	t.Cleanup(func() { l.Close(); p.Cut() })
	return p
}

// Addr is where to connect.
func (p *Proxy) Addr() string { return p.l.Addr().String() }

// Accepted is how many connections came in so far.
func (p *Proxy) Accepted() int { return int(p.accepted.Load()) }

// Cut closes every connection made so far.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// ShortName turns a test name into a file name.
func ShortName(t testing.TB) string {
	return strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
}
