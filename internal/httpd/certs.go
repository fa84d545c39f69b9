package httpd

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"sync"
)

// certStore holds the TLS certificates and CRLs the bindings use, so
// Reload (SIGHUP) can swap them without dropping connections.
type certStore struct {
	mu    sync.RWMutex
	pairs map[[2]string]*tls.Certificate // resolved cert and key paths
	crls  []*x509.RevocationList
}

func newCertStore() *certStore {
	return &certStore{pairs: map[[2]string]*tls.Certificate{}}
}

// add loads a key pair (once) and returns its GetCertificate callback.
func (c *certStore) add(certFile, keyFile string) (func(*tls.ClientHelloInfo) (*tls.Certificate, error), error) {
	key := [2]string{certFile, keyFile}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pairs[key]; !ok {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("httpd: load certificate: %w", err)
		}
		c.pairs[key] = &cert
	}
	return func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		c.mu.RLock()
		defer c.mu.RUnlock()
		return c.pairs[key], nil
	}, nil
}

// loadCRLs replaces the revocation lists (PEM or DER files).
func (c *certStore) loadCRLs(files []string) error {
	var crls []*x509.RevocationList
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("httpd: read CRL: %w", err)
		}
		if block, _ := pem.Decode(data); block != nil {
			data = block.Bytes
		}
		crl, err := x509.ParseRevocationList(data)
		if err != nil {
			return fmt.Errorf("httpd: parse CRL %q: %w", f, err)
		}
		crls = append(crls, crl)
	}
	c.mu.Lock()
	c.crls = crls
	c.mu.Unlock()
	return nil
}

// verifyNotRevoked refuses a client certificate listed in a CRL of its
// issuer.
func (c *certStore) verifyNotRevoked(_ [][]byte, chains [][]*x509.Certificate) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, chain := range chains {
		for i := 0; i+1 < len(chain); i++ {
			cert, issuer := chain[i], chain[i+1]
			for _, crl := range c.crls {
				if crl.CheckSignatureFrom(issuer) != nil {
					continue
				}
				for _, rc := range crl.RevokedCertificateEntries {
					if rc.SerialNumber.Cmp(cert.SerialNumber) == 0 {
						return errors.New("tls: client certificate revoked")
					}
				}
			}
		}
	}
	return nil
}

// reload re-reads every key pair and CRL; a file that fails to load
// keeps its previous value.
func (c *certStore) reload(crlFiles []string) error {
	c.mu.RLock()
	keys := make([][2]string, 0, len(c.pairs))
	for k := range c.pairs {
		keys = append(keys, k)
	}
	c.mu.RUnlock()
	var errs []error
	for _, k := range keys {
		cert, err := tls.LoadX509KeyPair(k[0], k[1])
		if err != nil {
			errs = append(errs, fmt.Errorf("httpd: reload certificate %q: %w", k[0], err))
			continue
		}
		c.mu.Lock()
		c.pairs[k] = &cert
		c.mu.Unlock()
	}
	if err := c.loadCRLs(crlFiles); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Reload re-reads the TLS certificates and CRLs (SIGHUP).
func (s *Server) Reload() error {
	return s.certs.reload(s.crlFiles())
}

func (s *Server) crlFiles() []string {
	out := make([]string, 0, len(s.cfg.CARevocationLists))
	for _, f := range s.cfg.CARevocationLists {
		out = append(out, resolvePath(s.configDir, f))
	}
	return out
}
