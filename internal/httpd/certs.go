package httpd

import (
	"crypto/tls"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/edge"
)

// certStore holds the edge.Store with the TLS certificates, CAs and CRLs
// the bindings use, so Reload (SIGHUP) can swap them without dropping
// connections. It is built by the first HTTPS binding.
type certStore struct {
	mu    sync.Mutex
	store *edge.Store
}

func newCertStore() *certStore { return &certStore{} }

// get returns the store for opts, loading it when it does not exist yet
// or was built from other files.
func (c *certStore) get(opts edge.StoreOptions) (*edge.Store, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.store != nil {
		cur := c.store.Options()
		if cur.ConfigDir == opts.ConfigDir && cur.Global == opts.Global &&
			slices.Equal(cur.CACertificates, opts.CACertificates) && slices.Equal(cur.RevocationLists, opts.RevocationLists) {
			return c.store, nil
		}
	}
	st, err := edge.NewStore(opts)
	if err != nil {
		return nil, err
	}
	c.store = st
	return st, nil
}

func (c *certStore) current() *edge.Store {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.store
}

// Reload re-reads the TLS certificates and CRLs (SIGHUP); on error the
// previous ones stay in use.
func (s *Server) Reload() error {
	st := s.certs.current()
	if st == nil {
		return nil
	}
	return st.Reload()
}

// tlsConfig builds the TLS settings of a binding through edge: its own
// certificate or the global one, min_tls_version, cipher suites by Go
// name (AEAD-only by default) and client certificates checked against
// ca_certificates and ca_revocation_lists when client_auth_type is set.
// Certificates and CRLs are reloaded by Reload.
func (s *Server) tlsConfig(b config.HTTPDBinding) (*tls.Config, error) {
	st, err := s.certs.get(edge.StoreOptions{
		Section:         "httpd",
		ConfigDir:       s.configDir,
		Global:          edge.CertPair{Cert: s.cfg.CertificateFile, Key: s.cfg.CertificateKeyFile},
		CACertificates:  s.cfg.CACertificates,
		RevocationLists: s.cfg.CARevocationLists,
	})
	if err != nil {
		return nil, err
	}
	var own edge.CertPair
	if b.CertificateFile != "" && b.CertificateKeyFile != "" {
		own = edge.CertPair{Cert: b.CertificateFile, Key: b.CertificateKeyFile}
	}
	key, err := st.AddCert(own)
	if err != nil {
		return nil, err
	}
	if st.Current().Certificate(key) == nil {
		return nil, fmt.Errorf("httpd: binding %s:%d has enable_https but no certificate", b.Address, b.Port)
	}
	protos := []string{"h2", "http/1.1"}
	if len(b.TLSProtocols) > 0 {
		protos = nil
		for _, p := range b.TLSProtocols {
			p = strings.TrimSpace(p)
			if p != "h2" && p != "http/1.1" {
				return nil, fmt.Errorf("httpd: unsupported tls_protocols entry %q: h2 or http/1.1", p)
			}
			protos = append(protos, p)
		}
	}
	params, err := edge.ParseSettings(edge.Settings{
		MinVersion:     b.MinTLSVersion,
		CipherSuites:   b.TLSCipherSuites,
		ClientAuthType: b.ClientAuthType,
		NextProtos:     protos,
	})
	if err != nil {
		return nil, fmt.Errorf("httpd: binding %s:%d: %w", b.Address, b.Port, err)
	}
	return st.ServerConfig(key, params)
}

// proxyListener applies the common PROXY protocol settings to the
// listener of a binding with proxy_mode 1, and checks the binding's
// proxy_allowed list.
func (s *Server) proxyListener(b config.HTTPDBinding, ln net.Listener) (net.Listener, error) {
	if _, err := edge.ParseIPSet(b.ProxyAllowed); err != nil {
		return nil, fmt.Errorf("httpd: binding %s:%d: proxy_allowed: %w", b.Address, b.Port, err)
	}
	if b.ProxyMode < 0 || b.ProxyMode > 1 {
		return nil, fmt.Errorf("httpd: binding %s:%d: invalid proxy_mode %d (0 or 1)", b.Address, b.Port, b.ProxyMode)
	}
	if b.ProxyMode != 1 || s.common == nil {
		return ln, nil
	}
	p, err := common.NewProxyPolicy(s.common.Config())
	if err != nil {
		return nil, fmt.Errorf("httpd: %w", err)
	}
	if !p.Enabled() {
		return ln, nil
	}
	return edge.NewCheckingListener(p.Wrap(ln, 0), func(a net.Addr, err error) {
		s.log.Info("connection refused", "remote", a.String(), "error", err)
	}), nil
}
