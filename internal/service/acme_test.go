package service

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/acme/acmetest"
	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// ftpsLeaf opens an implicit FTPS connection and returns the server's
// certificate after checking its chain against roots and the 220 greeting.
func ftpsLeaf(t *testing.T, addr string, roots *x509.CertPool) *x509.Certificate {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr,
		&tls.Config{RootCAs: roots, ServerName: "localhost"})
	if err != nil {
		t.Fatalf("FTPS handshake (chain against pebble's root): %v", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "220") {
		t.Fatalf("FTPS greeting %q: %v", line, err)
	}
	return c.ConnectionState().PeerCertificates[0]
}

// tlsLeaf handshakes with addr and returns the verified server certificate.
func tlsLeaf(t *testing.T, addr string, roots *x509.CertPool) *x509.Certificate {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr,
		&tls.Config{RootCAs: roots, ServerName: "localhost"})
	if err != nil {
		t.Fatalf("handshake with %s (chain against pebble's root): %v", addr, err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0]
}

// httpsLeaf GETs /healthz over HTTPS and returns the server's certificate.
func httpsLeaf(t *testing.T, addr string, roots *x509.CertPool) *x509.Certificate {
	t.Helper()
	cl := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "localhost"}, DisableKeepAlives: true}}
	resp, err := cl.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("HTTPS (chain against pebble's root): %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTPS /healthz: %d", resp.StatusCode)
	}
	return resp.TLS.PeerCertificates[0]
}

// TestACMECertificateServedAndRenewedInPlace: with acme.domains set and
// no certificate_file, serve obtains the certificate from pebble at start
// (TLS-ALPN-01), FTPS, HTTPS and WebDAV serve it, and telemetry whose
// certificate_file names the ACME files (the chain verifies against
// pebble's root), and a renewal forced by the clock reaches the next
// handshake of each without a restart.
func TestACMECertificateServedAndRenewedInPlace(t *testing.T) {
	p := acmetest.Start(t, acmetest.Options{})
	dir := t.TempDir()
	// a rule with the certificate trigger, loaded with the memory
	// provider's dump, reports renewals to an HTTP receiver
	renewals := make(chan string, 4)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		renewals <- string(b)
	}))
	defer recv.Close()
	dump := fmt.Sprintf(`{"version": 17, "event_actions": [{"name": "notify", "type": 1, "options": {"http_config":
		{"endpoint": %q, "method": "POST", "timeout": 10, "body": "{{.Event}}|{{.Name}}|{{.Status}}"}}}],
		"event_rules": [{"name": "renewed", "status": 1, "trigger": 5, "actions": [{"name": "notify", "order": 1}]}]}`, recv.URL)
	if err := os.WriteFile(filepath.Join(dir, "dump.json"), []byte(dump), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DataProvider.Driver = "memory"
	cfg.DataProvider.Name = "dump.json"
	cfg.SFTPD.Bindings[0].Port = 0
	ftpPort, httpPort, davPort, telPort := acmetest.FreePort(t), acmetest.FreePort(t), acmetest.FreePort(t), acmetest.FreePort(t)
	cfg.WebDAVD.Bindings[0].Address, cfg.WebDAVD.Bindings[0].Port, cfg.WebDAVD.Bindings[0].EnableHTTPS = "127.0.0.1", davPort, true
	// telemetry turns HTTPS on by naming a certificate: it names the ACME files
	cfg.Telemetry.BindAddress, cfg.Telemetry.BindPort = "127.0.0.1", telPort
	cfg.Telemetry.CertificateFile, cfg.Telemetry.CertificateKeyFile = "certs/localhost.crt", "certs/localhost.key"
	cfg.FTPD.Bindings[0].Address, cfg.FTPD.Bindings[0].Port, cfg.FTPD.Bindings[0].TLSMode = "127.0.0.1", ftpPort, 2
	cfg.HTTPD.Bindings[0].Address, cfg.HTTPD.Bindings[0].Port, cfg.HTTPD.Bindings[0].EnableHTTPS = "127.0.0.1", httpPort, true
	cfg.ACME = config.ACMEConfig{Domains: []string{"localhost"}, Email: "ops@example.com", KeyType: "P256",
		CertsPath: "certs", CAEndpoint: p.Directory, RenewDays: 30}
	cfg.ACME.TLSALPN01Challenge.Port = p.TLSPort
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}

	var now atomic.Pointer[time.Time]
	start := time.Now()
	now.Store(&start)
	tick := make(chan time.Time)
	started := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, cfg, dir, slog.New(slog.DiscardHandler), Options{
			Started:        func(map[string][]net.Addr) { close(started) },
			ACMEClock:      func() time.Time { return *now.Load() },
			ACMETick:       tick,
			ACMEHTTPClient: p.HTTPClient(),
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	select {
	case <-started:
	case err := <-done:
		done <- err
		t.Fatalf("service stopped at start: %v", err)
	case <-time.After(90 * time.Second):
		t.Fatal("service did not start")
	}
	roots := p.Roots(t)
	ftpAddr, httpAddr := fmt.Sprintf("127.0.0.1:%d", ftpPort), fmt.Sprintf("127.0.0.1:%d", httpPort)
	f1, h1 := ftpsLeaf(t, ftpAddr, roots), httpsLeaf(t, httpAddr, roots)
	davAddr, telAddr := fmt.Sprintf("127.0.0.1:%d", davPort), fmt.Sprintf("127.0.0.1:%d", telPort)
	for _, l := range []*x509.Certificate{h1, tlsLeaf(t, davAddr, roots), httpsLeaf(t, telAddr, roots)} {
		if f1.SerialNumber.Cmp(l.SerialNumber) != 0 {
			t.Fatal("FTPS, HTTPS, WebDAV and telemetry serve different certificates")
		}
	}

	later := start.Add(75 * 24 * time.Hour) // 15 days left < renew_days
	now.Store(&later)
	tick <- time.Now()
	deadline := time.Now().Add(60 * time.Second)
	for {
		f2 := ftpsLeaf(t, ftpAddr, roots)
		if f2.SerialNumber.Cmp(f1.SerialNumber) != 0 {
			h2 := httpsLeaf(t, httpAddr, roots)
			for name, l := range map[string]*x509.Certificate{"HTTPS": h2, "WebDAV": tlsLeaf(t, davAddr, roots),
				"telemetry": httpsLeaf(t, telAddr, roots)} {
				if l.SerialNumber.Cmp(f2.SerialNumber) != 0 {
					t.Fatalf("%s serves %s after the renewal, FTPS %s", name, l.SerialNumber, f2.SerialNumber)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("FTPS still serves the old certificate after the renewal")
		}
		time.Sleep(100 * time.Millisecond)
	}
	select {
	case got := <-renewals:
		if got != "Certificate renewal|localhost|1" {
			t.Fatalf("the certificate rule sent %q", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the certificate rule did not run after the renewal")
	}
}

// TestACMEUnreachableCAKeepsPlainListeners: with acme.domains set, a CA
// that cannot be reached at the first start leaves a plain FTP binding
// (no TLS needed) serving.
func TestACMEUnreachableCAKeepsPlainListeners(t *testing.T) {
	cfg := config.Default()
	cfg.DataProvider.Driver = "memory"
	cfg.DataProvider.Name = ""
	cfg.SFTPD.Bindings[0].Port = 0
	cfg.WebDAVD.Bindings[0].Port = 0
	cfg.HTTPD.Bindings[0].Port = 0
	ftpPort := acmetest.FreePort(t)
	cfg.FTPD.Bindings[0].Address, cfg.FTPD.Bindings[0].Port = "127.0.0.1", ftpPort
	cfg.ACME = config.ACMEConfig{Domains: []string{"localhost"}, Email: "ops@example.com", KeyType: "P256",
		CertsPath: "certs", CAEndpoint: fmt.Sprintf("https://127.0.0.1:%d/dir", acmetest.FreePort(t)), RenewDays: 30}
	cfg.ACME.HTTP01Challenge.Port = acmetest.FreePort(t)
	started := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, cfg, t.TempDir(), slog.New(slog.DiscardHandler), Options{
			Started: func(map[string][]net.Addr) { close(started) }})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	select {
	case <-started:
	case err := <-done:
		done <- nil
		t.Fatalf("a plain FTP server did not start because the CA is unreachable: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("service did not start")
	}
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", ftpPort), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.HasPrefix(line, "220") {
		t.Fatalf("FTP greeting %q: %v", line, err)
	}
}
