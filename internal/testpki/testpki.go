// Package testpki is a certificate authority for tests: a CA, server and
// client certificates it signs, revocation lists and self-signed pairs,
// all written as PEM files. Only test code imports it.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// PKI is a test CA whose files live in Dir.
type PKI struct {
	Dir    string
	CAFile string
	CA     *x509.Certificate

	key    *ecdsa.PrivateKey
	mu     sync.Mutex
	serial int64
}

// Cert is an issued certificate and its files.
type Cert struct {
	CertFile string
	KeyFile  string
	Cert     *x509.Certificate
}

// Serial returns the certificate's serial number.
func (c Cert) Serial() *big.Int { return c.Cert.SerialNumber }

// TLS loads the pair for a tls.Config.
func (c Cert) TLS(t testing.TB) tls.Certificate {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

// New creates a CA in a fresh temporary directory.
func New(t testing.TB) *PKI {
	t.Helper()
	return NewIn(t, t.TempDir())
}

// NewIn creates a CA whose files are written into dir.
func NewIn(t testing.TB, dir string) *PKI {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	p := &PKI{Dir: dir, CA: ca, key: key, serial: 1, CAFile: filepath.Join(dir, "ca.pem")}
	writePEM(t, p.CAFile, "CERTIFICATE", der)
	return p
}

// Pool is a certificate pool holding the CA.
func (p *PKI) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.CA)
	return pool
}

// Server issues a server certificate for names (host names or IP
// addresses); without names, for 127.0.0.1, ::1 and localhost.
func (p *PKI) Server(t testing.TB, names ...string) Cert {
	t.Helper()
	tmpl := leafTemplate("server", x509.ExtKeyUsageServerAuth, names)
	return p.issue(t, "server", tmpl)
}

// Client issues a client certificate with common name cn.
func (p *PKI) Client(t testing.TB, cn string) Cert {
	t.Helper()
	tmpl := leafTemplate(cn, x509.ExtKeyUsageClientAuth, nil)
	tmpl.DNSNames, tmpl.IPAddresses = nil, nil
	return p.issue(t, cn, tmpl)
}

// CRL writes to path a revocation list of the CA listing serials.
func (p *PKI) CRL(t testing.TB, path string, serials ...*big.Int) {
	t.Helper()
	entries := make([]x509.RevocationListEntry, 0, len(serials))
	for _, s := range serials {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: time.Now().Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(time.Now().UnixNano()),
		ThisUpdate:                time.Now().Add(-time.Hour),
		NextUpdate:                time.Now().Add(time.Hour),
		RevokedCertificateEntries: entries,
	}, p.CA, p.key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, path, "X509 CRL", der)
}

func (p *PKI) issue(t testing.TB, name string, tmpl *x509.Certificate) Cert {
	t.Helper()
	p.mu.Lock()
	p.serial++
	tmpl.SerialNumber = big.NewInt(p.serial)
	p.mu.Unlock()
	key := newKey(t)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.CA, &key.PublicKey, p.key)
	if err != nil {
		t.Fatal(err)
	}
	return writePair(t, filepath.Join(p.Dir, fmt.Sprintf("%s-%d", name, tmpl.SerialNumber)), der, key)
}

// SelfSigned writes a self-signed server certificate for names (default
// 127.0.0.1, ::1 and localhost) as dir/name.crt and dir/name.key, and
// returns it with a pool that trusts it.
func SelfSigned(t testing.TB, dir, name string, names ...string) (Cert, *x509.CertPool) {
	t.Helper()
	key := newKey(t)
	tmpl := leafTemplate(name, x509.ExtKeyUsageServerAuth, names)
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c := writePair(t, filepath.Join(dir, name), der, key)
	pool := x509.NewCertPool()
	pool.AddCert(c.Cert)
	return c, pool
}

func leafTemplate(cn string, usage x509.ExtKeyUsage, names []string) *x509.Certificate {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn},
		NotBefore:   time.Now().Add(-time.Hour),
		NotAfter:    time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
	if len(names) == 0 {
		names = []string{"127.0.0.1", "::1", "localhost"}
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	return tmpl
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// writePair writes base.crt (the certificate) and base.key (PKCS#8).
func writePair(t testing.TB, base string, der []byte, key *ecdsa.PrivateKey) Cert {
	t.Helper()
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	c := Cert{CertFile: base + ".crt", KeyFile: base + ".key", Cert: cert}
	writePEM(t, c.CertFile, "CERTIFICATE", der)
	writePEM(t, c.KeyFile, "PRIVATE KEY", kder)
	return c
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
