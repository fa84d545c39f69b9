package edge

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
)

// ErrRevoked is returned by handshakes with a client certificate listed
// in a configured revocation list.
var ErrRevoked = errors.New("client certificate revoked")

// CertPair names a certificate and its key file.
type CertPair struct{ Cert, Key string }

// IsSet reports whether either file is named.
func (p CertPair) IsSet() bool { return p.Cert != "" || p.Key != "" }

// StoreOptions names the files a Store loads. Relative paths are relative
// to ConfigDir.
type StoreOptions struct {
	// Section prefixes error messages, e.g. "ftpd".
	Section   string
	ConfigDir string
	// Global is the certificate of bindings that have none of their own.
	Global CertPair
	// CACertificates verify client certificates (PEM or DER).
	CACertificates []string
	// RevocationLists (PEM or DER) must be signed by one of the CAs.
	RevocationLists []string
}

// Material is one loaded generation of certificates, CAs and CRLs; a
// Store swaps it whole on Reload, so a handshake sees one generation.
type Material struct {
	global *tls.Certificate
	certs  map[CertPair]*tls.Certificate // by resolved paths
	pool   *x509.CertPool
	// revoked maps a CRL issuer (raw subject) to its revoked serials.
	revoked map[string]map[string]bool
}

// Certificate returns the certificate of pair p (as given to
// Store.AddCert), or the global one when p is not set; nil when there is
// none.
func (m *Material) Certificate(p CertPair) *tls.Certificate {
	if m == nil {
		return nil
	}
	if !p.IsSet() {
		return m.global
	}
	return m.certs[p]
}

// ClientCAs returns the pool of configured CAs, nil when there are none.
func (m *Material) ClientCAs() *x509.CertPool { return m.pool }

// IsRevoked reports whether a certificate of a verified chain, except its
// root, is listed in a revocation list of its issuer.
func (m *Material) IsRevoked(chain []*x509.Certificate) bool {
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

// VerifyNotRevoked is a tls.Config.VerifyConnection that refuses revoked
// client certificates.
func (m *Material) VerifyNotRevoked(cs tls.ConnectionState) error {
	for _, chain := range cs.VerifiedChains {
		if m.IsRevoked(chain) {
			return ErrRevoked
		}
	}
	return nil
}

// Store holds the current Material of a protocol server and reloads it.
type Store struct {
	opts StoreOptions

	mu       sync.Mutex // serializes AddCert and Reload
	pairs    []CertPair // resolved, registered by AddCert
	onReload []func(*Material)
	cur      atomic.Pointer[Material]
}

// NewStore loads the global certificate, the CAs and the CRLs of opts.
func NewStore(opts StoreOptions) (*Store, error) {
	if opts.Section == "" {
		opts.Section = "tls"
	}
	s := &Store{opts: opts}
	m, err := s.load()
	if err != nil {
		return nil, err
	}
	s.cur.Store(m)
	return s, nil
}

// Options returns the options the store was built with.
func (s *Store) Options() StoreOptions { return s.opts }

// Current returns the material loaded last.
func (s *Store) Current() *Material { return s.cur.Load() }

// Resolve makes a path relative to the configuration directory absolute.
func (s *Store) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.opts.ConfigDir, p)
}

// AddCert loads a binding's own certificate pair (once) and keeps it for
// reloads. It returns the key to look it up with Material.Certificate; an
// unset pair returns the unset key (the global certificate).
func (s *Store) AddCert(p CertPair) (CertPair, error) {
	if !p.IsSet() {
		return CertPair{}, nil
	}
	if p.Cert == "" || p.Key == "" {
		return CertPair{}, fmt.Errorf("%s: certificate_file and certificate_key_file must be set together", s.opts.Section)
	}
	key := CertPair{Cert: s.Resolve(p.Cert), Key: s.Resolve(p.Key)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Contains(s.pairs, key) {
		return key, nil
	}
	c, err := loadPair(s.opts.Section, key)
	if err != nil {
		return CertPair{}, err
	}
	old := s.cur.Load()
	m := *old
	m.certs = make(map[CertPair]*tls.Certificate, len(old.certs)+1)
	for k, v := range old.certs {
		m.certs[k] = v
	}
	m.certs[key] = c
	s.pairs = append(s.pairs, key)
	s.cur.Store(&m)
	return key, nil
}

// OnReload registers f to run with every newly loaded Material.
func (s *Store) OnReload(f func(*Material)) {
	s.mu.Lock()
	s.onReload = append(s.onReload, f)
	s.mu.Unlock()
}

// Reload re-reads every certificate, CA and CRL. On error the previous
// material stays in use. Established connections are not touched; new
// handshakes use the new material.
func (s *Store) Reload() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.load()
	if err != nil {
		return err
	}
	s.cur.Store(m)
	for _, f := range s.onReload {
		f(m)
	}
	return nil
}

func loadPair(section string, p CertPair) (*tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(p.Cert, p.Key)
	if err != nil {
		return nil, fmt.Errorf("%s: load certificate %q: %w", section, p.Cert, err)
	}
	return &c, nil
}

// load reads everything; the caller holds s.mu or is the constructor.
func (s *Store) load() (*Material, error) {
	sec := s.opts.Section
	m := &Material{certs: map[CertPair]*tls.Certificate{}, revoked: map[string]map[string]bool{}}
	if g := s.opts.Global; g.IsSet() {
		if g.Cert == "" || g.Key == "" {
			return nil, fmt.Errorf("%s: certificate_file and certificate_key_file must be set together", sec)
		}
		c, err := loadPair(sec, CertPair{Cert: s.Resolve(g.Cert), Key: s.Resolve(g.Key)})
		if err != nil {
			return nil, err
		}
		m.global = c
	}
	for _, p := range s.pairs {
		c, err := loadPair(sec, p)
		if err != nil {
			return nil, err
		}
		m.certs[p] = c
	}
	var cas []*x509.Certificate
	for _, f := range s.opts.CACertificates {
		data, err := os.ReadFile(s.Resolve(f))
		if err != nil {
			return nil, fmt.Errorf("%s: ca_certificates: %w", sec, err)
		}
		certs, err := parseCertificates(data)
		if err != nil || len(certs) == 0 {
			return nil, fmt.Errorf("%s: ca_certificates: %q holds no certificate: %v", sec, f, err)
		}
		if m.pool == nil {
			m.pool = x509.NewCertPool()
		}
		for _, c := range certs {
			m.pool.AddCert(c)
			cas = append(cas, c)
		}
	}
	for _, f := range s.opts.RevocationLists {
		data, err := os.ReadFile(s.Resolve(f))
		if err != nil {
			return nil, fmt.Errorf("%s: ca_revocation_lists: %w", sec, err)
		}
		crls, err := parseCRLs(data)
		if err != nil {
			return nil, fmt.Errorf("%s: ca_revocation_lists: %q: %w", sec, f, err)
		}
		for _, crl := range crls {
			if !signedByOneOf(crl, cas) {
				return nil, fmt.Errorf("%s: ca_revocation_lists: %q is not signed by a configured CA", sec, f)
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

// ServerConfig returns the TLS configuration of a listener serving the
// certificate pair key (from AddCert; unset: the global certificate) with
// params. Its fields show the material current at the call; every
// handshake uses the material loaded last (GetConfigForClient), so Reload
// reaches new connections without a restart.
func (s *Store) ServerConfig(key CertPair, params Params) (*tls.Config, error) {
	if params.ClientAuth != tls.NoClientCert && s.Current().pool == nil {
		return nil, fmt.Errorf("%s: client_auth_type needs ca_certificates", s.opts.Section)
	}
	build := func(m *Material) (*tls.Config, error) {
		cert := m.Certificate(key)
		if cert == nil {
			return nil, fmt.Errorf("%s: no certificate configured", s.opts.Section)
		}
		c := &tls.Config{}
		params.Apply(c, m, cert)
		return c, nil
	}
	top, err := build(s.Current())
	if err != nil {
		return nil, err
	}
	type generation struct {
		m *Material
		c *tls.Config
	}
	var cached atomic.Pointer[generation]
	cached.Store(&generation{m: s.Current(), c: top.Clone()})
	top.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		m := s.Current()
		if g := cached.Load(); g.m == m {
			return g.c, nil
		}
		c, err := build(m)
		if err != nil {
			return nil, err
		}
		cached.Store(&generation{m: m, c: c})
		return c, nil
	}
	return top, nil
}
