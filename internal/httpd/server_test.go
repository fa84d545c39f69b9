package httpd

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// writeSelfSigned writes a certificate for 127.0.0.1 and its key.
func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestStartHTTPS(t *testing.T) {
	dir := t.TempDir()
	_, _, pool := writeSelfSigned(t, dir)
	port := freePort(t)
	e := newTestEnv(t, func(o *Options) {
		o.ConfigDir = dir
		o.Config.Bindings = []config.HTTPDBinding{{Address: "127.0.0.1", Port: port, EnableRESTAPI: true,
			EnableHTTPS: true, CertificateFile: "cert.pem", CertificateKeyFile: "key.pem", MinTLSVersion: 13}}
	})
	if err := e.srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.srv.Shutdown(context.Background()) })
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	base := "https://127.0.0.1:" + strconv.Itoa(port)
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v2/token", nil)
	req.SetBasicAuth(testAdmin, testPassword)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS == nil || resp.TLS.Version != tls.VersionTLS13 {
		t.Fatalf("token over TLS: %d %s", resp.StatusCode, body)
	}
	// TLS 1.2 is refused with min_tls_version 13.
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS12}}}
	if resp, err := old.Get(base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatal("TLS 1.2 accepted")
	}
	// Plain HTTP on the TLS port gets no API.
	if resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/healthz"); err == nil {
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP served on an HTTPS binding")
		}
		resp.Body.Close()
	}
}

func TestTLSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	writeSelfSigned(t, dir)
	s := &Server{configDir: dir, certs: newCertStore()}
	base := config.HTTPDBinding{EnableHTTPS: true, CertificateFile: "cert.pem", CertificateKeyFile: "key.pem"}
	if _, err := s.tlsConfig(base); err != nil {
		t.Fatal(err)
	}
	b := base
	b.TLSCipherSuites = []string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}
	if cfg, err := s.tlsConfig(b); err != nil || len(cfg.CipherSuites) != 1 {
		t.Fatalf("cipher suites: %v", err)
	}
	b.TLSCipherSuites = []string{"TLS_NOPE"}
	if _, err := s.tlsConfig(b); err == nil {
		t.Fatal("unknown cipher accepted")
	}
	b = base
	b.CertificateFile = "missing.pem"
	if _, err := s.tlsConfig(b); err == nil {
		t.Fatal("missing certificate accepted")
	}
	b = base
	b.ClientAuthType = 1
	s.cfg.CACertificates = []string{"cert.pem"}
	if cfg, err := s.tlsConfig(b); err != nil || cfg.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Fatalf("client auth: %v", err)
	}
	b = base
	b.TLSProtocols = []string{"http/1.1"}
	if cfg, err := s.tlsConfig(b); err != nil || len(cfg.NextProtos) != 1 || cfg.NextProtos[0] != "http/1.1" {
		t.Fatalf("tls_protocols: %v", err)
	}
	b.TLSProtocols = []string{"spdy/3"}
	if _, err := s.tlsConfig(b); err == nil {
		t.Fatal("unknown ALPN protocol accepted")
	}
	// Falls back to the global certificate.
	s.cfg.CertificateFile, s.cfg.CertificateKeyFile = "cert.pem", "key.pem"
	if _, err := s.tlsConfig(config.HTTPDBinding{EnableHTTPS: true}); err != nil {
		t.Fatal(err)
	}
}

func TestWebRootAndOpenAPIPath(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.Config.WebRoot = "/sftpgo/" })
	e.expect(http.StatusOK, http.MethodGet, "/healthz", nil, nil)
	e.expect(http.StatusNotFound, http.MethodGet, "/api/v2/token", basic(testAdmin, testPassword), nil)
	r := e.expect(http.StatusOK, http.MethodGet, "/sftpgo/api/v2/token", basic(testAdmin, testPassword), nil)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	r.json(t, &tok)
	r = e.expect(http.StatusCreated, http.MethodPost, "/sftpgo/api/v2/users", bearer(tok.AccessToken), testUser("rooted"))
	if loc := r.header.Get("Location"); loc != "/sftpgo/api/v2/users/rooted" {
		t.Fatalf("Location %q", loc)
	}
	e.expect(http.StatusOK, http.MethodGet, "/sftpgo/openapi/openapi.yaml", nil, nil)

	// An empty openapi_path disables serving the spec.
	e2 := newTestEnv(t, func(o *Options) { o.Config.OpenAPIPath = "" })
	e2.expect(http.StatusNotFound, http.MethodGet, "/openapi/openapi.yaml", nil, nil)
	e2.expect(http.StatusOK, http.MethodGet, "/healthz", nil, nil)
}
