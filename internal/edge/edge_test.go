package edge

import (
	"bufio"
	"bytes"
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
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	proxyproto "github.com/pires/go-proxyproto"
)

func selfSigned(t *testing.T, dir, name string) (CertPair, *x509.CertPool) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalECPrivateKey(k)
	p := CertPair{Cert: filepath.Join(dir, name+".pem"), Key: filepath.Join(dir, name+".key")}
	if err := os.WriteFile(p.Cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.Key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return p, pool
}

// TestReloadKeepsConnectionsAndServesNewCertificate: after Reload a new
// handshake sees the new certificate while an established connection
// keeps working; a broken file keeps the previous certificate.
func TestReloadKeepsConnectionsAndServesNewCertificate(t *testing.T) {
	dir := t.TempDir()
	pair, pool1 := selfSigned(t, dir, "srv")
	st, err := NewStore(StoreOptions{Section: "test", Global: pair})
	if err != nil {
		t.Fatal(err)
	}
	params, err := ParseSettings(Settings{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := st.ServerConfig(CertPair{}, params)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); c.Close() }()
		}
	}()
	dial := func(pool *x509.CertPool) (*tls.Conn, error) {
		return tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: pool})
	}
	old, err := dial(pool1)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	pair2, pool2 := selfSigned(t, t.TempDir(), "srv")
	for _, f := range [][2]string{{pair2.Cert, pair.Cert}, {pair2.Key, pair.Key}} {
		data, _ := os.ReadFile(f[0])
		if err := os.WriteFile(f[1], data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, err := dial(pool1); err == nil {
		t.Fatal("old certificate served after Reload")
	}
	c, err := dial(pool2)
	if err != nil {
		t.Fatalf("new certificate: %v", err)
	}
	c.Close()
	if _, err := old.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(old).ReadString('\n')
	if err != nil || line != "ping\n" {
		t.Fatalf("established connection after Reload: %q %v", line, err)
	}
	if err := os.WriteFile(pair.Cert, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := st.Reload(); err == nil {
		t.Fatal("broken certificate reloaded")
	}
	if c, err := dial(pool2); err != nil {
		t.Fatalf("previous certificate lost: %v", err)
	} else {
		c.Close()
	}
}

func TestParseSettings(t *testing.T) {
	p, err := ParseSettings(Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if p.MinVersion != tls.VersionTLS12 {
		t.Errorf("default min version %x", p.MinVersion)
	}
	for _, id := range p.CipherSuites {
		name := tls.CipherSuiteName(id)
		if strings.Contains(name, "CBC") || strings.HasSuffix(name, "_SHA") || !strings.Contains(name, "ECDHE") {
			t.Errorf("default suite %s is not ECDHE+AEAD", name)
		}
	}
	p, err = ParseSettings(Settings{CipherSuites: []string{" TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA "}})
	if err != nil || len(p.CipherSuites) != 1 || p.CipherSuites[0] != tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA {
		t.Errorf("named insecure suite: %v %v", p.CipherSuites, err)
	}
	for name, s := range map[string]Settings{
		"unknown suite":     {CipherSuites: []string{"TLS_NOPE"}},
		"bad version":       {MinVersion: 14},
		"max below min":     {MinVersion: 13, MaxVersion: 12},
		"bad client auth":   {ClientAuthType: 3},
		"h2 without AES128": {CipherSuites: []string{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}, NextProtos: []string{"h2"}},
	} {
		if _, err := ParseSettings(s); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestIPSet(t *testing.T) {
	s, err := ParseIPSet([]string{"10.0.0.0/8", " 192.0.2.1 ", "2001:db8::/32", "::ffff:198.51.100.0/120"})
	if err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]bool{
		"10.1.2.3": true, "192.0.2.1": true, "192.0.2.2": false, "2001:db8::1": true,
		"::ffff:10.0.0.1": true, "198.51.100.7": true, "203.0.113.1": false,
	} {
		if got := s.Contains(netip.MustParseAddr(ip)); got != want {
			t.Errorf("%s: %v, want %v", ip, got, want)
		}
	}
	for _, bad := range []string{"nope", "10.0.0.0/33", "1.2.3"} {
		if _, err := ParseIPSet([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestProxyModes drives a wrapped, checking listener with real
// connections and reads the client address it reports.
func TestProxyModes(t *testing.T) {
	v1 := "PROXY TCP4 10.9.9.9 127.0.0.1 5555 80\r\n"
	cases := []struct {
		name   string
		s      ProxySettings
		header string
		want   string // remote IP seen; "" refused
	}{
		{"optional header used", ProxySettings{Mode: 1}, v1, "10.9.9.9"},
		{"optional header missing", ProxySettings{Mode: 1}, "", "127.0.0.1"},
		{"optional untrusted header ignored", ProxySettings{Mode: 1, Allowed: []string{"192.0.2.1"}}, v1, "127.0.0.1"},
		{"required header used", ProxySettings{Mode: 2, Allowed: []string{"127.0.0.0/8"}}, v1, "10.9.9.9"},
		{"required header missing", ProxySettings{Mode: 2}, "", ""},
		{"required untrusted header refused", ProxySettings{Mode: 2, Allowed: []string{"192.0.2.1"}}, v1, ""},
		{"required untrusted without header", ProxySettings{Mode: 2, Allowed: []string{"192.0.2.1"}}, "", "127.0.0.1"},
		{"skipped", ProxySettings{Mode: 2, Skipped: []string{"127.0.0.1"}}, "", "127.0.0.1"},
		{"malformed", ProxySettings{Mode: 1}, "PROXY TCP4 nonsense\r\n", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewProxyPolicy(tc.s)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			refused := make(chan error, 1)
			l := NewCheckingListener(p.Wrap(raw, time.Second), func(_ net.Addr, err error) { refused <- err })
			defer l.Close()
			c, err := net.Dial("tcp", raw.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, _ = c.Write([]byte(tc.header + "hello"))
			got := make(chan net.Conn, 1)
			go func() {
				if sc, err := l.Accept(); err == nil {
					got <- sc
				}
			}()
			select {
			case sc := <-got:
				defer sc.Close()
				if tc.want == "" {
					t.Fatalf("accepted from %s", sc.RemoteAddr())
				}
				if ip := AddrIP(sc.RemoteAddr()).String(); ip != tc.want {
					t.Fatalf("remote %s, want %s", ip, tc.want)
				}
				buf := make([]byte, 5)
				if _, err := io.ReadFull(sc, buf); err != nil || string(buf) != "hello" {
					t.Fatalf("payload %q %v", buf, err)
				}
			case err := <-refused:
				if tc.want != "" {
					t.Fatalf("refused: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("neither accepted nor refused")
			}
		})
	}
	if _, err := NewProxyPolicy(ProxySettings{Mode: 3}); err == nil {
		t.Error("proxy_protocol 3 accepted")
	}
	if _, err := NewProxyPolicy(ProxySettings{Mode: 1, Allowed: []string{"x"}}); err == nil {
		t.Error("invalid proxy_allowed accepted")
	}
}

func TestForwardedIP(t *testing.T) {
	trusted, _ := ParseIPSet([]string{"10.0.0.0/8"})
	for _, c := range []struct {
		remote string
		values []string
		depth  int
		want   string
	}{
		{"10.1.1.1:1", []string{"198.51.100.1", "203.0.113.5"}, 0, "203.0.113.5"},
		{"10.1.1.1:1", []string{"198.51.100.1, 203.0.113.5"}, 1, "198.51.100.1"},
		{"10.1.1.1:1", []string{"198.51.100.1, 192.0.2.1"}, -1, "198.51.100.1"},
		{"10.1.1.1:1", []string{"::ffff:192.0.2.9"}, 0, "192.0.2.9"},
		{"192.0.2.1:1", []string{"203.0.113.5"}, 0, ""},
	} {
		if got := ForwardedIP(c.remote, c.values, c.depth, trusted); got != c.want {
			t.Errorf("%v depth %d: %q, want %q", c.values, c.depth, got, c.want)
		}
	}
}

// FuzzProxyHeader feeds arbitrary bytes through a PROXY-reading
// connection as a listener would hand it to a protocol server.
func FuzzProxyHeader(f *testing.F) {
	f.Add([]byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nGET"))
	f.Add(append([]byte("\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c"), 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2))
	f.Add([]byte("PROXY UNKNOWN\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\n"))
	p, err := NewProxyPolicy(ProxySettings{Mode: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b := net.Pipe()
		defer a.Close()
		go func() { _, _ = b.Write(data); b.Close() }()
		pol, _ := p.Decide(proxyproto.ConnPolicyOptions{Upstream: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}})
		c := proxyproto.NewConn(a, proxyproto.WithPolicy(pol), proxyproto.SetReadHeaderTimeout(time.Second))
		_ = c.RemoteAddr()
		var out bytes.Buffer
		_, _ = io.Copy(&out, c)
	})
}
