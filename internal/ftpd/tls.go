package ftpd

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

type certPair struct{ cert, key string }

func (p certPair) set() bool { return p.cert != "" || p.key != "" }

// certSources names the files of every certificate, CA and CRL.
type certSources struct {
	global     certPair
	perBinding []certPair
	cas        []string
	crls       []string
}

// certMaterial is one loaded generation of the files; Reload swaps it.
type certMaterial struct {
	global     *tls.Certificate
	perBinding []*tls.Certificate // nil: use global
	pool       *x509.CertPool     // nil: no CA configured
	// revoked maps a CRL issuer (raw subject) to its revoked serials.
	revoked map[string]map[string]bool
}

// certFor returns the certificate of binding i, or nil when it has none.
func (m *certMaterial) certFor(i int) *tls.Certificate {
	if i < len(m.perBinding) && m.perBinding[i] != nil {
		return m.perBinding[i]
	}
	return m.global
}

// isRevoked reports whether any certificate of a verified chain, except
// its root, is listed in a revocation list of its issuer.
func (m *certMaterial) isRevoked(chain []*x509.Certificate) bool {
	for i, c := range chain {
		if i == len(chain)-1 && len(chain) > 1 {
			break
		}
		if serials, ok := m.revoked[string(c.RawIssuer)]; ok && serials[string(c.SerialNumber.Bytes())] {
			return true
		}
	}
	return false
}

// certStore holds the current certMaterial and reloads it.
type certStore struct {
	src       certSources
	configDir string
	mu        sync.Mutex // serializes reloads
	cur       atomic.Pointer[certMaterial]
	// onReload lets bindings rebuild their TLS configurations.
	onReload []func(*certMaterial)
}

func newCertStore(src certSources, configDir string) (*certStore, error) {
	cs := &certStore{src: src, configDir: configDir}
	m, err := cs.load()
	if err != nil {
		return nil, err
	}
	cs.cur.Store(m)
	return cs, nil
}

func (cs *certStore) material() *certMaterial { return cs.cur.Load() }

func (cs *certStore) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(cs.configDir, p)
}

func (cs *certStore) loadPair(what string, p certPair) (*tls.Certificate, error) {
	if !p.set() {
		return nil, nil
	}
	if p.cert == "" || p.key == "" {
		return nil, fmt.Errorf("ftpd: %s: certificate_file and certificate_key_file must be set together", what)
	}
	c, err := tls.LoadX509KeyPair(cs.path(p.cert), cs.path(p.key))
	if err != nil {
		return nil, fmt.Errorf("ftpd: %s: %w", what, err)
	}
	return &c, nil
}

func (cs *certStore) load() (*certMaterial, error) {
	m := &certMaterial{revoked: map[string]map[string]bool{}}
	var err error
	if m.global, err = cs.loadPair("certificate", cs.src.global); err != nil {
		return nil, err
	}
	for i, p := range cs.src.perBinding {
		c, err := cs.loadPair(fmt.Sprintf("bindings[%d] certificate", i), p)
		if err != nil {
			return nil, err
		}
		m.perBinding = append(m.perBinding, c)
	}
	var cas []*x509.Certificate
	if len(cs.src.cas) > 0 {
		m.pool = x509.NewCertPool()
		for _, f := range cs.src.cas {
			data, err := os.ReadFile(cs.path(f))
			if err != nil {
				return nil, fmt.Errorf("ftpd: ca_certificates: %w", err)
			}
			certs, err := parseCertificates(data)
			if err != nil || len(certs) == 0 {
				return nil, fmt.Errorf("ftpd: ca_certificates: %q holds no certificate: %v", f, err)
			}
			for _, c := range certs {
				m.pool.AddCert(c)
				cas = append(cas, c)
			}
		}
	}
	for _, f := range cs.src.crls {
		data, err := os.ReadFile(cs.path(f))
		if err != nil {
			return nil, fmt.Errorf("ftpd: ca_revocation_lists: %w", err)
		}
		crls, err := parseCRLs(data)
		if err != nil {
			return nil, fmt.Errorf("ftpd: ca_revocation_lists: %q: %w", f, err)
		}
		for _, crl := range crls {
			if !signedByOneOf(crl, cas) {
				return nil, fmt.Errorf("ftpd: ca_revocation_lists: %q is not signed by a configured CA", f)
			}
			serials := m.revoked[string(crl.RawIssuer)]
			if serials == nil {
				serials = map[string]bool{}
				m.revoked[string(crl.RawIssuer)] = serials
			}
			for _, r := range crl.RevokedCertificateEntries {
				serials[string(r.SerialNumber.Bytes())] = true
			}
		}
	}
	return m, nil
}

func (cs *certStore) reload() error {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	m, err := cs.load()
	if err != nil {
		return err
	}
	cs.cur.Store(m)
	for _, f := range cs.onReload {
		f(m)
	}
	return nil
}

func signedByOneOf(crl *x509.RevocationList, cas []*x509.Certificate) bool {
	for _, ca := range cas {
		if bytes.Equal(ca.RawSubject, crl.RawIssuer) && crl.CheckSignatureFrom(ca) == nil {
			return true
		}
	}
	return false
}

func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		return x509.ParseCertificates(data)
	}
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return out, nil
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
}

func parseCRLs(data []byte) ([]*x509.RevocationList, error) {
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		crl, err := x509.ParseRevocationList(data)
		if err != nil {
			return nil, err
		}
		return []*x509.RevocationList{crl}, nil
	}
	var out []*x509.RevocationList
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "X509 CRL" {
			continue
		}
		crl, err := x509.ParseRevocationList(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, crl)
	}
	if len(out) == 0 {
		return nil, errors.New("no X509 CRL block found")
	}
	return out, nil
}

// tlsVersion maps the configuration's 12/13 to crypto/tls constants.
func tlsVersion(v int) (uint16, error) {
	switch v {
	case 0:
		return 0, nil
	case 10:
		return tls.VersionTLS10, nil
	case 11:
		return tls.VersionTLS11, nil
	case 12:
		return tls.VersionTLS12, nil
	case 13:
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("unsupported TLS version %d (use 12 or 13)", v)
}

// cipherSuites maps names (as crypto/tls spells them) to IDs; empty
// keeps Go's secure defaults. TLS 1.3 suites are not configurable.
func cipherSuites(names []string) ([]uint16, error) {
	if len(names) == 0 {
		return nil, nil
	}
	known := map[string]uint16{}
	for _, c := range tls.CipherSuites() {
		known[c.Name] = c.ID
	}
	for _, c := range tls.InsecureCipherSuites() {
		known[c.Name] = c.ID
	}
	out := make([]uint16, 0, len(names))
	for _, n := range names {
		id, ok := known[n]
		if !ok {
			return nil, fmt.Errorf("unknown cipher suite %q", n)
		}
		out = append(out, id)
	}
	return out, nil
}

// innerTLS is the TLS used on the in-memory leg between a control
// connection's front and ftpserverlib: the library must run TLS itself
// to know the control connection is protected, while the real handshake
// with the client happens in the front.
type innerTLS struct {
	server *tls.Config
	client *tls.Config
}

func newInnerTLS() (*innerTLS, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ftpd: inner key: %w", err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "ftpd inner leg"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(100, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("ftpd: inner certificate: %w", err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return &innerTLS{
		server: &tls.Config{
			Certificates:           []tls.Certificate{cert},
			MinVersion:             tls.VersionTLS13,
			SessionTicketsDisabled: true,
		},
		client: &tls.Config{
			MinVersion: tls.VersionTLS13,
			// the peer is our own goroutine: accept exactly our certificate
			InsecureSkipVerify: true,
			VerifyConnection: func(cs tls.ConnectionState) error {
				if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, der) {
					return errors.New("unexpected inner certificate")
				}
				return nil
			},
		},
	}, nil
}

func newTicketKey() ([32]byte, error) {
	var k [32]byte
	_, err := rand.Read(k[:])
	return k, err
}
