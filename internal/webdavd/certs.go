package webdavd

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/edge"
)

// certManager holds the server certificates, the CAs that verify client
// certificates and the revocation lists in an edge.Store; load re-reads
// all of them and handshakes pick up the new ones (SIGHUP reload).
type certManager struct {
	configDir string
	cfg       config.WebDAVDConfig
	store     *edge.Store
}

func newCertManager(configDir string, cfg config.WebDAVDConfig) *certManager {
	return &certManager{configDir: configDir, cfg: cfg}
}

// pairFor returns the certificate and key files of a binding: its own,
// or unset for the global ones.
func pairFor(b config.WebDAVDBinding) edge.CertPair {
	if b.CertificateFile != "" && b.CertificateKeyFile != "" {
		return edge.CertPair{Cert: b.CertificateFile, Key: b.CertificateKeyFile}
	}
	return edge.CertPair{}
}

// load reads every certificate, CA and CRL the first time and re-reads
// them afterwards; on error the previous ones stay in use.
func (m *certManager) load() error {
	if m.store != nil {
		return m.store.Reload()
	}
	st, err := edge.NewStore(edge.StoreOptions{
		Section:         "webdavd",
		ConfigDir:       m.configDir,
		Global:          edge.CertPair{Cert: m.cfg.CertificateFile, Key: m.cfg.CertificateKeyFile},
		CACertificates:  m.cfg.CACertificates,
		RevocationLists: m.cfg.CARevocationLists,
	})
	if err != nil {
		return err
	}
	for _, b := range m.cfg.Bindings {
		if _, err := st.AddCert(pairFor(b)); err != nil {
			return err
		}
	}
	m.store = st
	return nil
}

// serverConfig builds the TLS configuration of a binding. Each handshake
// gets the certificates, client CAs and CRLs loaded last.
func (m *certManager) serverConfig(b config.WebDAVDBinding) (*tls.Config, error) {
	if m.store == nil {
		return nil, errors.New("webdavd: certificates are not loaded")
	}
	key, err := m.store.AddCert(pairFor(b))
	if err != nil {
		return nil, err
	}
	if m.store.Current().Certificate(key) == nil {
		return nil, errors.New("webdavd: enable_https needs a certificate and key")
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
	params, err := edge.ParseSettings(edge.Settings{
		MinVersion:     b.MinTLSVersion,
		CipherSuites:   b.TLSCipherSuites,
		ClientAuthType: b.ClientAuthType,
		NextProtos:     protos,
	})
	if err != nil {
		return nil, fmt.Errorf("webdavd: %w", err)
	}
	return m.store.ServerConfig(key, params)
}
