package e2e

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/sftpgo-ng/sftpgo/internal/acme/acmetest"
)

// tlsLeaf handshakes with addr (implicit TLS) and returns the server's
// certificate; roots nil skips verification (self-signed test pairs).
func tlsLeaf(t *testing.T, addr, serverName string, roots *x509.CertPool) *x509.Certificate {
	t.Helper()
	cfg := &tls.Config{RootCAs: roots, ServerName: serverName, InsecureSkipVerify: roots == nil}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		t.Fatalf("TLS handshake with %s: %v", addr, err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0]
}

func leafOfFile(t *testing.T, certFile, keyFile string) *x509.Certificate {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf
}

// TestACMERunThenServe: `sftpgo acme run` registers with pebble, obtains a
// certificate over HTTP-01 (pebble really fetches the challenge from the
// http01_challenge.port listener) into certs_path in SFTPGo's layout and
// exits; a second run finds it valid; `serve` then serves it on FTPS and
// HTTPS bindings that name no certificate, and the chain verifies against
// pebble's root.
func TestACMERunThenServe(t *testing.T) {
	p := acmetest.Start(t, acmetest.Options{})
	dir := t.TempDir()
	ftpsPort, httpsPort := freePort(t), freePort(t)
	in := newInstance(t, dir,
		"SFTPGO_ACME__DOMAINS=localhost",
		"SFTPGO_ACME__EMAIL=ops@example.com",
		"SFTPGO_ACME__KEY_TYPE=P256",
		"SFTPGO_ACME__CA_ENDPOINT="+p.Directory,
		"SFTPGO_ACME__RENEW_DAYS=30",
		"SFTPGO_ACME__HTTP01_CHALLENGE__PORT="+strconv.Itoa(p.HTTPPort),
		"LEGO_CA_CERTIFICATES="+p.MiniCA,
		"SFTPGO_FTPD__BINDINGS__1__ADDRESS=127.0.0.1",
		"SFTPGO_FTPD__BINDINGS__1__PORT="+strconv.Itoa(ftpsPort),
		"SFTPGO_FTPD__BINDINGS__1__TLS_MODE=2",
		"SFTPGO_HTTPD__BINDINGS__1__ADDRESS=127.0.0.1",
		"SFTPGO_HTTPD__BINDINGS__1__PORT="+strconv.Itoa(httpsPort),
		"SFTPGO_HTTPD__BINDINGS__1__ENABLE_HTTPS=true",
	)
	out, err := in.run("acme", "run", "--config-dir", dir)
	if err != nil || !strings.Contains(out, "certificate obtained") {
		t.Fatalf("acme run: %v\n%s", err, out)
	}
	certFile, keyFile := filepath.Join(dir, "certs", "localhost.crt"), filepath.Join(dir, "certs", "localhost.key")
	obtained := leafOfFile(t, certFile, keyFile)
	for _, f := range []string{"localhost.json", "127.0.0.1_*/ops@example.com.json", "127.0.0.1_*/ops@example.com.key"} {
		if m, _ := filepath.Glob(filepath.Join(dir, "certs", f)); len(m) != 1 {
			t.Errorf("certs_path lacks %s", f)
		}
	}
	out, err = in.run("acme", "run", "--config-dir", dir)
	if err != nil || !strings.Contains(out, "not due") {
		t.Fatalf("second acme run: %v\n%s", err, out)
	}
	if again := leafOfFile(t, certFile, keyFile); again.SerialNumber.Cmp(obtained.SerialNumber) != 0 {
		t.Fatal("a second acme run replaced a valid certificate")
	}

	in.start()
	if strings.Contains(in.log.String(), `"acme`) && strings.Contains(in.log.String(), "no effect") {
		t.Errorf("serve still warns that acme has no effect:\n%s", in.log.String())
	}
	roots := p.Roots(t)
	ftps := tlsLeaf(t, "127.0.0.1:"+strconv.Itoa(ftpsPort), "localhost", roots)
	if ftps.SerialNumber.Cmp(obtained.SerialNumber) != 0 {
		t.Fatalf("FTPS serves %s, acme run obtained %s", ftps.SerialNumber, obtained.SerialNumber)
	}
	cl := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "localhost"}}}
	resp, err := cl.Get("https://127.0.0.1:" + strconv.Itoa(httpsPort) + "/healthz")
	if err != nil {
		t.Fatalf("HTTPS with pebble's root: %v", err)
	}
	resp.Body.Close()
	if resp.TLS.PeerCertificates[0].SerialNumber.Cmp(obtained.SerialNumber) != 0 {
		t.Fatal("HTTPS serves another certificate")
	}
}

// replaceFile writes src's bytes over dst, as an administrator's cp does.
func replaceFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSIGHUPReplacesFTPSCertificateDuringTransfer: an FTPS upload is in
// progress; the certificate file is replaced and SIGHUP sent; the next
// FTPS handshake shows the new certificate (same process), and the open
// upload then finishes intact.
func TestSIGHUPReplacesFTPSCertificateDuringTransfer(t *testing.T) {
	dir := t.TempDir()
	oldPKI, newPKI := newEdgePKI(t, filepath.Join(dir)), newEdgePKI(t, t.TempDir())
	certFile, keyFile := filepath.Join(dir, "ftps.crt"), filepath.Join(dir, "ftps.key")
	replaceFile(t, oldPKI.certFile, certFile)
	replaceFile(t, oldPKI.keyFile, keyFile)
	ftpsPort := freePort(t)
	in := newInstance(t, dir,
		"SFTPGO_FTPD__CERTIFICATE_FILE="+certFile,
		"SFTPGO_FTPD__CERTIFICATE_KEY_FILE="+keyFile,
		"SFTPGO_FTPD__BINDINGS__1__ADDRESS=127.0.0.1",
		"SFTPGO_FTPD__BINDINGS__1__PORT="+strconv.Itoa(ftpsPort),
		"SFTPGO_FTPD__BINDINGS__1__TLS_MODE=2",
	)
	in.start()
	home := in.addUser(in.token("admin", "admin-pass"), "hugo", "hugo-pass", nil)
	addr := "127.0.0.1:" + strconv.Itoa(ftpsPort)
	before := tlsLeaf(t, addr, "127.0.0.1", oldPKI.rootPool)

	c, err := ftp.Dial(addr, ftp.DialWithTLS(&tls.Config{RootCAs: oldPKI.rootPool, ServerName: "127.0.0.1"}),
		ftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Quit()
	if err := c.Login("hugo", "hugo-pass"); err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 4<<20)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	pr, pw := io.Pipe()
	stored := make(chan error, 1)
	go func() { stored <- c.Stor("up.bin", pr) }()
	half := len(payload) / 2
	if _, err := pw.Write(payload[:half]); err != nil {
		t.Fatal(err)
	}

	replaceFile(t, newPKI.certFile, certFile)
	replaceFile(t, newPKI.keyFile, keyFile)
	pid := in.cmd.Process.Pid
	if err := in.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	var after *x509.Certificate
	for {
		after = tlsLeaf(t, addr, "127.0.0.1", nil)
		if !bytes.Equal(after.Raw, before.Raw) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if want := leafOfFile(t, certFile, keyFile); !bytes.Equal(after.Raw, want.Raw) {
		t.Fatalf("after SIGHUP the handshake shows %s, the new file holds %s\n%s", after.Subject, want.Subject, in.log.String())
	}
	if _, err := x509.ParseCertificate(after.Raw); err != nil {
		t.Fatal(err)
	}
	// the open upload goes on over the session that began before the reload
	if _, err := pw.Write(payload[half:]); err != nil {
		t.Fatalf("upload cut by the reload: %v", err)
	}
	pw.Close()
	if err := <-stored; err != nil {
		t.Fatalf("upload after the reload: %v\n%s", err, in.log.String())
	}
	got, err := os.ReadFile(filepath.Join(home, "up.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got) != sha256.Sum256(payload) {
		t.Fatalf("upload damaged: %d of %d bytes", len(got), len(payload))
	}
	if in.cmd.Process.Pid != pid {
		t.Fatal("restarted")
	}
	select {
	case err := <-in.done:
		in.done <- err
		t.Fatalf("sftpgo exited on SIGHUP: %v", err)
	default:
	}
}
