package webdavd

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// certManager holds the server certificates, the CAs that verify client
// certificates and the revocation lists; load re-reads all of them and
// handshakes pick up the new ones (SIGHUP reload).
type certManager struct {
	configDir string
	cfg       config.WebDAVDConfig

	mu    sync.RWMutex
	certs map[[2]string]*tls.Certificate
	roots *x509.CertPool
	crls  []*x509.RevocationList
}

func newCertManager(configDir string, cfg config.WebDAVDConfig) *certManager {
	return &certManager{configDir: configDir, cfg: cfg}
}

func (m *certManager) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(m.configDir, p)
}

// pairFor returns the certificate and key files of a binding: its own, or
// the global ones.
func (m *certManager) pairFor(b config.WebDAVDBinding) [2]string {
	if b.CertificateFile != "" && b.CertificateKeyFile != "" {
		return [2]string{m.resolve(b.CertificateFile), m.resolve(b.CertificateKeyFile)}
	}
	if m.cfg.CertificateFile != "" && m.cfg.CertificateKeyFile != "" {
		return [2]string{m.resolve(m.cfg.CertificateFile), m.resolve(m.cfg.CertificateKeyFile)}
	}
	return [2]string{}
}

func (m *certManager) load() error {
	certs := make(map[[2]string]*tls.Certificate)
	pairs := [][2]string{}
	if m.cfg.CertificateFile != "" || m.cfg.CertificateKeyFile != "" {
		if m.cfg.CertificateFile == "" || m.cfg.CertificateKeyFile == "" {
			return errors.New("webdavd: certificate_file and certificate_key_file go together")
		}
		pairs = append(pairs, [2]string{m.resolve(m.cfg.CertificateFile), m.resolve(m.cfg.CertificateKeyFile)})
	}
	for _, b := range m.cfg.Bindings {
		if b.CertificateFile != "" && b.CertificateKeyFile != "" {
			pairs = append(pairs, m.pairFor(b))
		}
	}
	for _, p := range pairs {
		if _, ok := certs[p]; ok {
			continue
		}
		c, err := tls.LoadX509KeyPair(p[0], p[1])
		if err != nil {
			return fmt.Errorf("webdavd: load certificate %q: %w", p[0], err)
		}
		certs[p] = &c
	}
	var roots *x509.CertPool
	for _, f := range m.cfg.CACertificates {
		data, err := os.ReadFile(m.resolve(f))
		if err != nil {
			return fmt.Errorf("webdavd: CA certificates: %w", err)
		}
		if roots == nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(data) {
			return fmt.Errorf("webdavd: no PEM certificate in %q", f)
		}
	}
	var crls []*x509.RevocationList
	for _, f := range m.cfg.CARevocationLists {
		data, err := os.ReadFile(m.resolve(f))
		if err != nil {
			return fmt.Errorf("webdavd: CA revocation lists: %w", err)
		}
		der := data
		if block, _ := pem.Decode(data); block != nil {
			der = block.Bytes
		}
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			return fmt.Errorf("webdavd: parse revocation list %q: %w", f, err)
		}
		crls = append(crls, crl)
	}
	m.mu.Lock()
	m.certs, m.roots, m.crls = certs, roots, crls
	m.mu.Unlock()
	return nil
}

func tlsVersion(v int) uint16 {
	switch v {
	case 10:
		return tls.VersionTLS10
	case 11:
		return tls.VersionTLS11
	case 13:
		return tls.VersionTLS13
	default:
		return tls.VersionTLS12
	}
}

func cipherSuites(names []string) []uint16 {
	if len(names) == 0 {
		return nil
	}
	byName := map[string]uint16{}
	for _, c := range tls.CipherSuites() {
		byName[c.Name] = c.ID
	}
	for _, c := range tls.InsecureCipherSuites() {
		byName[c.Name] = c.ID
	}
	var out []uint16
	for _, n := range names {
		if id, ok := byName[strings.TrimSpace(n)]; ok {
			out = append(out, id)
		}
	}
	return out
}

// serverConfig builds the TLS configuration of a binding. Each handshake
// gets the certificates and client CAs loaded last.
func (m *certManager) serverConfig(b config.WebDAVDBinding) (*tls.Config, error) {
	pair := m.pairFor(b)
	if pair[0] == "" {
		return nil, errors.New("webdavd: enable_https needs a certificate and key")
	}
	m.mu.RLock()
	_, ok := m.certs[pair]
	m.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("webdavd: certificate %q is not loaded", pair[0])
	}
	protos := []string{}
	for _, p := range b.TLSProtocols {
		if p = strings.TrimSpace(p); p == "h2" || p == "http/1.1" {
			protos = append(protos, p)
		}
	}
	if len(protos) == 0 {
		protos = []string{"h2", "http/1.1"}
	}
	base := &tls.Config{
		MinVersion:   tlsVersion(b.MinTLSVersion),
		CipherSuites: cipherSuites(b.TLSCipherSuites),
		NextProtos:   protos,
	}
	getCert := func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		m.mu.RLock()
		defer m.mu.RUnlock()
		if c := m.certs[pair]; c != nil {
			return c, nil
		}
		return nil, errors.New("webdavd: no certificate")
	}
	out := base.Clone()
	out.GetCertificate = getCert
	out.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		c := base.Clone()
		c.GetCertificate = getCert
		m.mu.RLock()
		roots := m.roots
		m.mu.RUnlock()
		if roots != nil && b.ClientAuthType > 0 {
			c.ClientCAs = roots
			c.ClientAuth = tls.RequireAndVerifyClientCert
			if b.ClientAuthType == 2 {
				c.ClientAuth = tls.VerifyClientCertIfGiven
			}
			c.VerifyPeerCertificate = m.checkRevoked
		}
		return c, nil
	}
	return out, nil
}

// checkRevoked refuses client certificates listed in a loaded CRL of
// their issuer.
func (m *certManager) checkRevoked(_ [][]byte, chains [][]*x509.Certificate) error {
	m.mu.RLock()
	crls := m.crls
	m.mu.RUnlock()
	if len(crls) == 0 {
		return nil
	}
	for _, chain := range chains {
		for _, cert := range chain {
			for _, crl := range crls {
				if !bytes.Equal(crl.RawIssuer, cert.RawIssuer) {
					continue
				}
				for _, e := range crl.RevokedCertificateEntries {
					if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
						return fmt.Errorf("webdavd: client certificate %s is revoked", cert.Subject.CommonName)
					}
				}
			}
		}
	}
	return nil
}
