package acme_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/acme"
	"github.com/sftpgo-ng/sftpgo/internal/acme/acmetest"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/edge"
)

func baseConfig(p *acmetest.Pebble) config.ACMEConfig {
	return config.ACMEConfig{
		Domains:    []string{"localhost"},
		Email:      "admin@example.com",
		KeyType:    "P256",
		CertsPath:  "certs",
		CAEndpoint: p.Directory,
		RenewDays:  30,
	}
}

func newManager(t *testing.T, p *acmetest.Pebble, cfg config.ACMEConfig, dir string, o acme.Options) *acme.Manager {
	t.Helper()
	o.Config, o.ConfigDir, o.HTTPClient = cfg, dir, p.HTTPClient()
	m, err := acme.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// verifyLeaf checks that the certificate in certFile is for localhost and
// chains to pebble's root through the intermediate served with it.
func verifyFiles(t *testing.T, p *acmetest.Pebble, certFile, keyFile string) *x509.Certificate {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return verifyChain(t, p.Roots(t), pair.Certificate)
}

func verifyChain(t *testing.T, roots *x509.CertPool, der [][]byte) *x509.Certificate {
	t.Helper()
	var certs []*x509.Certificate
	for _, d := range der {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			t.Fatal(err)
		}
		certs = append(certs, c)
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	if _, err := certs[0].Verify(x509.VerifyOptions{DNSName: "localhost", Roots: roots, Intermediates: inter}); err != nil {
		t.Fatalf("certificate does not verify against pebble's root: %v", err)
	}
	return certs[0]
}

func TestObtainHTTP01Listener(t *testing.T) {
	p := acmetest.Start(t, acmetest.Options{})
	cfg := baseConfig(p)
	cfg.HTTP01Challenge.Port = p.HTTPPort
	dir := t.TempDir()
	m := newManager(t, p, cfg, dir, acme.Options{})
	changed, err := m.Obtain(context.Background())
	if err != nil || !changed {
		t.Fatalf("obtain: changed=%v err=%v", changed, err)
	}
	certFile, keyFile := m.Files()
	if certFile != filepath.Join(dir, "certs", "localhost.crt") || keyFile != filepath.Join(dir, "certs", "localhost.key") {
		t.Fatalf("files %q %q", certFile, keyFile)
	}
	verifyFiles(t, p, certFile, keyFile)
	// the layout SFTPGo uses: metadata beside, account under <host>_<port>/<email>
	u := p.Directory[len("https://"):]
	host, port, _ := net.SplitHostPort(u[:len(u)-len("/dir")])
	for _, f := range []string{"certs/localhost.json", "certs/" + host + "_" + port + "/admin@example.com.json",
		"certs/" + host + "_" + port + "/admin@example.com.key"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	// not due: nothing requested
	if changed, err := m.Obtain(context.Background()); err != nil || changed {
		t.Fatalf("second obtain: changed=%v err=%v", changed, err)
	}
}

func TestObtainTLSALPN01(t *testing.T) {
	p := acmetest.Start(t, acmetest.Options{})
	cfg := baseConfig(p)
	cfg.KeyType = "2048"
	cfg.TLSALPN01Challenge.Port = p.TLSPort
	dir := t.TempDir()
	m := newManager(t, p, cfg, dir, acme.Options{})
	if _, err := m.Obtain(context.Background()); err != nil {
		t.Fatal(err)
	}
	cf, kf := m.Files()
	leaf := verifyFiles(t, p, cf, kf)
	if leaf.PublicKeyAlgorithm != x509.RSA {
		t.Errorf("key_type 2048 gave a %v key", leaf.PublicKeyAlgorithm)
	}
}

func TestObtainHTTP01Webroot(t *testing.T) {
	p := acmetest.Start(t, acmetest.Options{})
	root := t.TempDir()
	// the web server an administrator runs in front: serves the webroot
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", itoa(p.HTTPPort)))
	if err != nil {
		t.Fatal(err)
	}
	var served atomic.Int32
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		http.FileServer(http.Dir(root)).ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	cfg := baseConfig(p)
	cfg.HTTP01Challenge.WebRoot = root
	m := newManager(t, p, cfg, t.TempDir(), acme.Options{})
	if _, err := m.Obtain(context.Background()); err != nil {
		t.Fatal(err)
	}
	cf, kf := m.Files()
	verifyFiles(t, p, cf, kf)
	if served.Load() == 0 {
		t.Fatal("pebble never fetched the challenge from the webroot")
	}
	if left, _ := os.ReadDir(filepath.Join(root, ".well-known", "acme-challenge")); len(left) != 0 {
		t.Errorf("challenge files left in the webroot: %d", len(left))
	}
}

func itoa(n int) string { return (&net.TCPAddr{Port: n}).String()[1:] }

// TestRenewalReachesNextHandshake: a certificate due for renewal (by the
// injected clock) is renewed by the loop, the edge store reloads it through
// OnChange, and the next TLS handshake shows it; the account is reused.
func TestRenewalReachesNextHandshake(t *testing.T) {
	p := acmetest.Start(t, acmetest.Options{})
	cfg := baseConfig(p)
	cfg.HTTP01Challenge.Port = p.HTTPPort
	dir := t.TempDir()
	var now atomic.Pointer[time.Time]
	start := time.Now()
	now.Store(&start)
	tick := make(chan time.Time)
	changed := make(chan struct{}, 1)
	var store *edge.Store
	m := newManager(t, p, cfg, dir, acme.Options{
		Now:  func() time.Time { return *now.Load() },
		Tick: tick,
		OnChange: func() {
			if err := store.Reload(); err != nil {
				t.Errorf("reload: %v", err)
			}
			changed <- struct{}{}
		},
	})
	if _, err := m.Obtain(context.Background()); err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := m.Files()
	var err error
	store, err = edge.NewStore(edge.StoreOptions{Section: "test", Global: edge.CertPair{Cert: certFile, Key: keyFile}})
	if err != nil {
		t.Fatal(err)
	}
	params, _ := edge.ParseSettings(edge.Settings{})
	tc, err := store.ServerConfig(edge.CertPair{}, params)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", tc)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	roots := p.Roots(t)
	first := handshake(t, ln.Addr().String(), roots)

	acctFile := filepath.Join(filepath.Dir(certFile))
	accts, _ := filepath.Glob(filepath.Join(acctFile, "*", "admin@example.com.json"))
	if len(accts) != 1 {
		t.Fatalf("accounts: %v", accts)
	}
	acctBefore, _ := os.ReadFile(accts[0])

	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown(context.Background()) })
	// a check while the certificate is fresh changes nothing
	tick <- time.Now()
	// 70 days later, 20 days are left: below renew_days (30)
	later := start.Add(70 * 24 * time.Hour)
	now.Store(&later)
	tick <- time.Now()
	select {
	case <-changed:
	case <-time.After(60 * time.Second):
		t.Fatal("no renewal")
	}
	select {
	case <-changed:
		t.Fatal("the check on a fresh certificate renewed it")
	default:
	}
	second := handshake(t, ln.Addr().String(), roots)
	if first.SerialNumber.Cmp(second.SerialNumber) == 0 {
		t.Fatal("the next handshake still shows the old certificate")
	}
	if acctAfter, _ := os.ReadFile(accts[0]); string(acctAfter) != string(acctBefore) {
		t.Error("the renewal registered a new account instead of reusing the stored one")
	}
}

func handshake(t *testing.T, addr string, roots *x509.CertPool) *x509.Certificate {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "localhost", RootCAs: roots})
	if err != nil {
		t.Fatalf("handshake (chain against pebble's root): %v", err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0]
}

// TestTakenOverAccount: an account stored in the SFTPGo layout (lego v4
// JSON) is used as is, without registering again.
func TestTakenOverAccount(t *testing.T) {
	p := acmetest.Start(t, acmetest.Options{AlwaysValid: true})
	cfg := baseConfig(p)
	cfg.HTTP01Challenge.Port = p.HTTPPort
	dir := t.TempDir()
	m := newManager(t, p, cfg, dir, acme.Options{})
	if _, err := m.Obtain(context.Background()); err != nil {
		t.Fatal(err)
	}
	accts, _ := filepath.Glob(filepath.Join(dir, "certs", "*", "admin@example.com.json"))
	data, _ := os.ReadFile(accts[0])
	// the keys SFTPGo writes: email, registration.body, registration.uri
	var v struct {
		Email        string `json:"email"`
		Registration struct {
			URI  string         `json:"uri"`
			Body map[string]any `json:"body"`
		} `json:"registration"`
	}
	if err := jsonUnmarshal(data, &v); err != nil || v.Email != "admin@example.com" || v.Registration.URI == "" {
		t.Fatalf("account file %s: %v", data, err)
	}
	// remove the certificate (a new domain, say): the next obtain reuses the account
	certFile, _ := m.Files()
	os.Remove(certFile)
	m2 := newManager(t, p, cfg, dir, acme.Options{})
	if _, err := m2.Obtain(context.Background()); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(accts[0])
	if string(after) != string(data) {
		t.Error("account rewritten: registered again")
	}
}

func TestNewRefusesIncomplete(t *testing.T) {
	ok := config.ACMEConfig{Domains: []string{"a.example"}, Email: "a@b.c", KeyType: "4096", CAEndpoint: "https://ca.example/dir",
		RenewDays: 30}
	ok.HTTP01Challenge.Port = 80
	for name, mod := range map[string]func(*config.ACMEConfig){
		"no domains":   func(c *config.ACMEConfig) { c.Domains = nil },
		"no email":     func(c *config.ACMEConfig) { c.Email = "" },
		"bad key type": func(c *config.ACMEConfig) { c.KeyType = "1024" },
		"no challenge": func(c *config.ACMEConfig) { c.HTTP01Challenge.Port = 0 },
		"renew_days":   func(c *config.ACMEConfig) { c.RenewDays = 0 },
		"bad endpoint": func(c *config.ACMEConfig) { c.CAEndpoint = "::" },
	} {
		c := ok
		mod(&c)
		if _, err := acme.New(acme.Options{Config: c}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := acme.New(acme.Options{Config: ok}); err != nil {
		t.Fatal(err)
	}
	if got := acme.Certificates(config.ACMEConfig{Domains: []string{"A.example, www.a.example", "b.example c.example", " "}}); len(got) != 2 ||
		len(got[0]) != 2 || got[0][0] != "a.example" || len(got[1]) != 2 || got[1][1] != "c.example" {
		t.Errorf("certificates %q", got)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// TestOneCertificatePerEntry: each acme.domains entry is a certificate
// named after its first domain, covering every domain of the entry.
func TestOneCertificatePerEntry(t *testing.T) {
	p := acmetest.Start(t, acmetest.Options{AlwaysValid: true})
	cfg := baseConfig(p)
	cfg.Domains = []string{"a.example,www.a.example", "b.example"}
	cfg.HTTP01Challenge.Port = p.HTTPPort
	dir := t.TempDir()
	m := newManager(t, p, cfg, dir, acme.Options{})
	if changed, err := m.Obtain(context.Background()); err != nil || !changed {
		t.Fatalf("obtain: %v %v", changed, err)
	}
	for name, want := range map[string][]string{"a.example": {"a.example", "www.a.example"}, "b.example": {"b.example"}} {
		pair, err := tls.LoadX509KeyPair(filepath.Join(dir, "certs", name+".crt"), filepath.Join(dir, "certs", name+".key"))
		if err != nil {
			t.Fatal(err)
		}
		leaf, _ := x509.ParseCertificate(pair.Certificate[0])
		for _, d := range want {
			if leaf.VerifyHostname(d) != nil {
				t.Errorf("%s.crt does not cover %s (%v)", name, d, leaf.DNSNames)
			}
		}
		if len(leaf.DNSNames) != len(want) {
			t.Errorf("%s.crt names %v", name, leaf.DNSNames)
		}
	}
	if cf, _ := m.Files(); cf != filepath.Join(dir, "certs", "a.example.crt") {
		t.Errorf("sections get %s, want the first entry's certificate", cf)
	}
}
