package webdavd

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

type testPKI struct {
	dir      string
	ca       *x509.Certificate
	caKey    *ecdsa.PrivateKey
	caFile   string
	certFile string
	keyFile  string
	crlFile  string
	serial   int64
}

func writePEM(t testing.TB, file, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func newPKI(t testing.TB) *testPKI {
	t.Helper()
	p := &testPKI{dir: t.TempDir(), serial: 10}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p.ca, _ = x509.ParseCertificate(der)
	p.caKey = key
	p.caFile = filepath.Join(p.dir, "ca.pem")
	writePEM(t, p.caFile, "CERTIFICATE", der)
	p.certFile, p.keyFile = p.issue(t, "server", true)
	return p
}

// issue creates a certificate signed by the CA and returns its files.
func (p *testPKI) issue(t testing.TB, cn string, server bool) (string, string) {
	t.Helper()
	p.serial++
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(p.serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	cf := filepath.Join(p.dir, fmt.Sprintf("%s-%d.pem", cn, p.serial))
	kf := filepath.Join(p.dir, fmt.Sprintf("%s-%d.key", cn, p.serial))
	writePEM(t, cf, "CERTIFICATE", der)
	writePEM(t, kf, "EC PRIVATE KEY", kder)
	return cf, kf
}

// revoke writes a CRL listing the certificate in certFile.
func (p *testPKI) revoke(t testing.TB, certFile string) {
	t.Helper()
	data, _ := os.ReadFile(certFile)
	block, _ := pem.Decode(data)
	cert, _ := x509.ParseCertificate(block.Bytes)
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(1),
		ThisUpdate:                time.Now().Add(-time.Minute),
		NextUpdate:                time.Now().Add(time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: cert.SerialNumber, RevocationTime: time.Now()}},
	}, p.ca, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	p.crlFile = filepath.Join(p.dir, "ca.crl")
	writePEM(t, p.crlFile, "X509 CRL", der)
}

func (p *testPKI) client(t testing.TB, certFile, keyFile string) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(p.ca)
	tc := &tls.Config{RootCAs: pool}
	if certFile != "" {
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		tc.Certificates = []tls.Certificate{c}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: true}}
}

func TestTLSClientCertificates(t *testing.T) {
	pki := newPKI(t)
	revokedCert, revokedKey := pki.issue(t, "carol", false)
	pki.revoke(t, revokedCert)
	e := newEnv(t, envOpts{
		webdavd: func(c *configWebDAVD) {
			c.CertificateFile, c.CertificateKeyFile = pki.certFile, pki.keyFile
			c.CACertificates = []string{pki.caFile}
			c.CARevocationLists = []string{pki.crlFile}
		},
		binding: func(b *configBinding) { b.EnableHTTPS = true; b.ClientAuthType = 2 },
	})
	e.addUser(t, "alice", func(u *dataprovider.User) { u.Filters.TLSUsername = "CommonName" })
	e.addUser(t, "bob", nil)
	e.addUser(t, "carol", func(u *dataprovider.User) { u.Filters.TLSUsername = "CommonName" })
	aliceCert, aliceKey := pki.issue(t, "alice", false)
	bobCert, bobKey := pki.issue(t, "bob", false)

	propfind := func(c *http.Client, user string) (int, string, error) {
		req, _ := http.NewRequest("PROPFIND", e.url, nil)
		req.Header.Set("Depth", "0")
		if user != "" {
			req.SetBasicAuth(user, testPassword)
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, "", err
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Proto, nil
	}
	cases := []struct {
		name       string
		cert, key  string
		user       string
		want       int
		handshakeF bool
	}{
		{"password only", "", "", "bob", http.StatusMultiStatus, false},
		{"certificate only", aliceCert, aliceKey, "", http.StatusMultiStatus, false},
		{"certificate and password", aliceCert, aliceKey, "alice", http.StatusMultiStatus, false},
		{"certificate of another user", aliceCert, aliceKey, "bob", http.StatusMultiStatus, false},
		{"certificate for a user without tls_username", bobCert, bobKey, "", http.StatusUnauthorized, false},
		{"CN does not match username", bobCert, bobKey, "alice", http.StatusUnauthorized, false},
		{"revoked certificate", revokedCert, revokedKey, "", 0, true},
		{"nothing", "", "", "", http.StatusUnauthorized, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, proto, err := propfind(pki.client(t, c.cert, c.key), c.user)
			if c.handshakeF {
				if err == nil {
					t.Fatalf("revoked certificate accepted: %d", code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if code != c.want {
				t.Fatalf("status %d, want %d", code, c.want)
			}
			if proto != "HTTP/2.0" {
				t.Fatalf("protocol %s, want HTTP/2.0", proto)
			}
		})
	}
	if !strings.Contains(e.logs.String(), `"method":"TLSCertificate"`) {
		t.Fatal("certificate login not logged")
	}
	// reload picks up a new revocation list
	pki.revoke(t, aliceCert)
	if err := e.srv.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := propfind(pki.client(t, aliceCert, aliceKey), ""); err == nil {
		t.Fatal("certificate revoked after reload still accepted")
	}
}

func TestTLSRequiredClientCertificate(t *testing.T) {
	pki := newPKI(t)
	e := newEnv(t, envOpts{
		webdavd: func(c *configWebDAVD) { c.CACertificates = []string{pki.caFile} },
		binding: func(b *configBinding) {
			b.EnableHTTPS = true
			b.ClientAuthType = 1
			b.CertificateFile, b.CertificateKeyFile = pki.certFile, pki.keyFile
			b.MinTLSVersion = 13
			b.TLSProtocols = []string{"http/1.1"}
		},
	})
	e.addUser(t, "bob", nil)
	req, _ := http.NewRequest("PROPFIND", e.url, nil)
	req.SetBasicAuth("bob", testPassword)
	if _, err := pki.client(t, "", "").Do(req); err == nil {
		t.Fatal("connection without a client certificate accepted")
	}
	cf, kf := pki.issue(t, "bob", false)
	req, _ = http.NewRequest("PROPFIND", e.url, nil)
	req.Header.Set("Depth", "0")
	req.SetBasicAuth("bob", testPassword)
	resp, err := pki.client(t, cf, kf).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMultiStatus || resp.Proto != "HTTP/1.1" || resp.TLS.Version != tls.VersionTLS13 {
		t.Fatalf("status %d proto %s version %x", resp.StatusCode, resp.Proto, resp.TLS.Version)
	}
}

func TestHTTPSWithoutCertificate(t *testing.T) {
	e := newEnv(t, envOpts{})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	defer l.Close()
	if err := e.srv.Serve(l, configBinding{EnableHTTPS: true}); err == nil {
		t.Fatal("HTTPS binding without a certificate accepted")
	}
}

// TestClientIPHeader checks that the client IP header is honoured only
// from proxy_allowed peers, through allowed_ip filters.
func TestClientIPHeader(t *testing.T) {
	for _, c := range []struct {
		name    string
		allowed []string
		header  string
		depth   int
		want    int
	}{
		{"trusted proxy", []string{"127.0.0.0/8"}, "10.9.9.9", 0, http.StatusMultiStatus},
		{"trusted proxy depth 1", []string{"127.0.0.1"}, "10.9.9.9, 192.168.1.1", 1, http.StatusMultiStatus},
		{"rightmost is used", []string{"127.0.0.1"}, "10.9.9.9, 192.168.1.1", 0, http.StatusForbidden},
		{"untrusted peer", []string{"192.0.2.1"}, "10.9.9.9", 0, http.StatusForbidden},
		{"no header", []string{"127.0.0.1"}, "", 0, http.StatusForbidden},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, envOpts{binding: func(b *configBinding) {
				b.ProxyAllowed = c.allowed
				b.ClientIPProxyHeader = "X-Forwarded-For"
				b.ClientIPHeaderDepth = c.depth
			}})
			e.addUser(t, "alice", func(u *dataprovider.User) { u.Filters.AllowedIP = []string{"10.9.9.0/24"} })
			hdr := map[string]string{"Depth": "0"}
			if c.header != "" {
				hdr["X-Forwarded-For"] = c.header
			}
			if code, body := e.status(t, "PROPFIND", "/", "alice", nil, hdr); code != c.want {
				t.Fatalf("status %d, want %d: %s", code, c.want, body)
			}
		})
	}
}

// rawRequest sends a PROXY header (if any) and a request on a fresh TCP
// connection and returns the status code (0 when the server hung up).
func rawRequest(t *testing.T, addr, proxyHeader, user string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	req, _ := http.NewRequest("PROPFIND", "http://"+addr+"/", nil)
	req.Header.Set("Depth", "0")
	req.SetBasicAuth(user, testPassword)
	if proxyHeader != "" {
		c.Write([]byte(proxyHeader))
	}
	if err := req.Write(c); err != nil {
		return 0
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// proxyV2Sig starts every PROXY protocol v2 header.
var proxyV2Sig = []byte("\r\n\r\n\x00\r\nQUIT\n")

func proxyV2Header(src net.IP, port int) string {
	b := append([]byte{}, proxyV2Sig...)
	b = append(b, 0x21, 0x11, 0, 12)
	b = append(b, src.To4()...)
	b = append(b, 127, 0, 0, 1)
	b = append(b, byte(port>>8), byte(port), 0, 80)
	return string(b)
}

func TestProxyProtocol(t *testing.T) {
	for _, c := range []struct {
		name    string
		mode    int
		allowed []string
		skipped []string
		header  string
		want    int
	}{
		{"v1 header used", 1, nil, nil, "PROXY TCP4 10.9.9.9 127.0.0.1 5555 80\r\n", http.StatusMultiStatus},
		{"v2 header used", 1, []string{"127.0.0.1"}, nil, proxyV2Header(net.ParseIP("10.9.9.9"), 5555), http.StatusMultiStatus},
		{"optional header missing", 1, nil, nil, "", http.StatusForbidden},
		{"untrusted header ignored", 1, []string{"192.0.2.1"}, nil, "PROXY TCP4 10.9.9.9 127.0.0.1 5555 80\r\n", http.StatusForbidden},
		{"required header missing", 2, nil, nil, "", 0},
		{"required header from untrusted", 2, []string{"192.0.2.1"}, nil, "PROXY TCP4 10.9.9.9 127.0.0.1 5555 80\r\n", 0},
		{"skipped peer", 2, nil, []string{"127.0.0.1"}, "", http.StatusForbidden},
		{"malformed", 1, nil, nil, "PROXY TCP4 nonsense\r\n", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, envOpts{
				common:  configCommon{ProxyProtocol: c.mode, ProxyAllowed: c.allowed, ProxySkipped: c.skipped},
				binding: func(b *configBinding) { b.ProxyMode = 1 },
			})
			e.addUser(t, "alice", func(u *dataprovider.User) { u.Filters.AllowedIP = []string{"10.9.9.0/24"} })
			if got := rawRequest(t, e.addr, c.header, "alice"); got != c.want {
				t.Fatalf("status %d, want %d", got, c.want)
			}
		})
	}
}

func TestCORS(t *testing.T) {
	e := newEnv(t, envOpts{webdavd: func(c *configWebDAVD) {
		c.CORS.Enabled = true
		c.CORS.AllowedOrigins = []string{"https://*.example.com"}
		c.CORS.AllowedMethods = []string{"GET", "PROPFIND", "PUT"}
		c.CORS.AllowedHeaders = []string{"Authorization", "Depth", "Content-Type"}
		c.CORS.ExposedHeaders = []string{"ETag"}
		c.CORS.AllowCredentials = true
		c.CORS.MaxAge = 600
	}})
	e.addUser(t, "alice", nil)
	req, _ := http.NewRequest("OPTIONS", e.url+"x", nil)
	req.Header.Set("Origin", "https://app.example.com")
	req.Header.Set("Access-Control-Request-Method", "PROPFIND")
	req.Header.Set("Access-Control-Request-Headers", "authorization, depth")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	if resp.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		h.Get("Access-Control-Allow-Methods") != "PROPFIND" || h.Get("Access-Control-Max-Age") != "600" ||
		h.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "Depth") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, h)
	}
	req.Header.Set("Origin", "https://evil.test")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("preflight from a foreign origin allowed")
	}
	resp = e.do(t, nil, "PROPFIND", "/", "alice", nil, map[string]string{"Origin": "https://app.example.com", "Depth": "0"})
	resp.Body.Close()
	if resp.StatusCode != http.StatusMultiStatus || resp.Header.Get("Access-Control-Expose-Headers") != "Etag" && resp.Header.Get("Access-Control-Expose-Headers") != "ETag" {
		t.Fatalf("actual request: %d %v", resp.StatusCode, resp.Header)
	}
	// a plain WebDAV OPTIONS still needs credentials and is answered by WebDAV
	resp = e.do(t, nil, "OPTIONS", "/", "alice", nil, nil)
	resp.Body.Close()
	if resp.Header.Get("DAV") == "" {
		t.Fatal("WebDAV OPTIONS swallowed by CORS")
	}
}

func TestConnectionLimits(t *testing.T) {
	e := newEnv(t, envOpts{common: configCommon{MaxPerHostConnections: 1}})
	e.addUser(t, "alice", nil)
	tr := &http.Transport{MaxConnsPerHost: 0}
	c1 := &http.Client{Transport: tr}
	// keep one connection open and idle (a fully read body lets the
	// transport keep it)
	resp := e.do(t, c1, "PROPFIND", "/", "alice", nil, map[string]string{"Depth": "0"})
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMultiStatus {
		t.Fatalf("first: %d", resp.StatusCode)
	}
	resp = e.do(t, noKeepAlive, "PROPFIND", "/", "alice", nil, map[string]string{"Depth": "0"})
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("second connection from the same host: %d", resp.StatusCode)
	}
	tr.CloseIdleConnections()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp = e.do(t, noKeepAlive, "PROPFIND", "/", "alice", nil, map[string]string{"Depth": "0"})
		resp.Body.Close()
		if resp.StatusCode == http.StatusMultiStatus || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if resp.StatusCode != http.StatusMultiStatus {
		t.Fatalf("after the first connection closed: %d", resp.StatusCode)
	}
}

func TestMaxSessions(t *testing.T) {
	e := newEnv(t, envOpts{})
	// max_sessions counts the requests of a user in progress
	e.addUser(t, "one", func(u *dataprovider.User) { u.MaxSessions = 1 })
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("PUT", e.url+"slow.bin", pr)
		req.SetBasicAuth("one", testPassword)
		resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	pw.Write([]byte("first part"))
	for deadline := time.Now().Add(20 * time.Second); e.common.ActiveSessions("one") == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	other := &http.Client{Transport: &http.Transport{}}
	req, _ := http.NewRequest("PROPFIND", e.url, nil)
	req.SetBasicAuth("one", testPassword)
	req.Header.Set("Depth", "0")
	resp, err := other.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	pw.Close()
	if got := <-done; got != http.StatusCreated {
		t.Fatalf("slow PUT: %d", got)
	}
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second session: %d", resp.StatusCode)
	}
}
