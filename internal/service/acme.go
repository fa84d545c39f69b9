package service

import (
	"context"
	"os"
	"slices"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/acme"
	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// setupACME obtains the ACME certificate when it is missing or due, hands
// it to the sections that name no certificate of their own (ftpd,
// webdavd, httpd; their bindings without a certificate_file use it) and
// adds the renewal loop, which reloads every listener's certificates after
// a renewal. Telemetry keeps plain HTTP unless its certificate_file names
// the ACME files (it turns HTTPS on by having a certificate).
func (s *Service) setupACME(ctx context.Context) error {
	if !acme.Enabled(s.cfg.ACME) {
		return nil
	}
	m, err := acme.New(acme.Options{
		Config:     s.cfg.ACME,
		ConfigDir:  s.configDir,
		Logger:     s.logger,
		Now:        s.opts.ACMEClock,
		Tick:       s.opts.ACMETick,
		HTTPClient: s.opts.ACMEHTTPClient,
		OnChange:   func() { s.reloadCertificates("acme certificate renewed") },
		// the event manager starts after the first issuance: renewals
		// from the loop reach its certificate rules
		OnRenewal: func(domain string, err error) {
			if em := s.eventsMgr.Load(); em != nil {
				em.CertificateRenewed(domain, err)
			}
		},
	})
	if err != nil {
		return err
	}
	// first issuance (or an overdue renewal) before the listeners load
	// the files; a CA that cannot be reached leaves the files as they are
	octx, cancel := context.WithTimeout(ctx, obtainAtStartTimeout)
	defer cancel()
	if _, err := m.Obtain(octx); err != nil {
		s.logger.Warn("acme: cannot obtain the certificate now; the renewal loop tries again", "error", err)
	}
	certFile, keyFile := m.Files()
	_, statErr := os.Stat(certFile)
	have := statErr == nil
	// without the files yet, only a section that needs TLS gets them (it
	// cannot start without a certificate anyway): a plain FTP server must
	// not fail because the CA was unreachable
	use := func(cert, key *string, needsTLS bool) {
		if *cert == "" && *key == "" && (have || needsTLS) {
			*cert, *key = certFile, keyFile
		}
	}
	use(&s.cfg.FTPD.CertificateFile, &s.cfg.FTPD.CertificateKeyFile, slices.ContainsFunc(s.cfg.FTPD.Bindings,
		func(b config.FTPDBinding) bool { return b.Port > 0 && b.TLSMode > 0 && b.CertificateFile == "" }))
	use(&s.cfg.WebDAVD.CertificateFile, &s.cfg.WebDAVD.CertificateKeyFile, slices.ContainsFunc(s.cfg.WebDAVD.Bindings,
		func(b config.WebDAVDBinding) bool { return b.Port > 0 && b.EnableHTTPS && b.CertificateFile == "" }))
	use(&s.cfg.HTTPD.CertificateFile, &s.cfg.HTTPD.CertificateKeyFile, slices.ContainsFunc(s.cfg.HTTPD.Bindings,
		func(b config.HTTPDBinding) bool { return b.Port > 0 && b.EnableHTTPS && b.CertificateFile == "" }))
	s.acme = m
	return nil
}

// obtainAtStartTimeout bounds the issuance serve waits for before it
// starts the listeners.
const obtainAtStartTimeout = 3 * time.Minute

// reloadCertificates re-reads every component's certificates and CRLs.
func (s *Service) reloadCertificates(why string) {
	s.logger.Info("reloading certificates", "reason", why)
	for _, nc := range s.components {
		if r, ok := nc.c.(reloader); ok {
			if err := r.Reload(); err != nil {
				s.logger.Warn("reload", "component", nc.name, "error", err)
			}
		}
	}
}
