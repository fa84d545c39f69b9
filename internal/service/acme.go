package service

import (
	"context"

	"github.com/sftpgo-ng/sftpgo/internal/acme"
)

// setupACME hands the ACME certificate to the sections that name no
// certificate of their own (ftpd, webdavd, httpd; their bindings without
// a certificate_file use it), obtains it when it is missing or due, and
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
	})
	if err != nil {
		return err
	}
	certFile, keyFile := m.Files()
	use := func(cert, key *string) {
		if *cert == "" && *key == "" {
			*cert, *key = certFile, keyFile
		}
	}
	use(&s.cfg.FTPD.CertificateFile, &s.cfg.FTPD.CertificateKeyFile)
	use(&s.cfg.WebDAVD.CertificateFile, &s.cfg.WebDAVD.CertificateKeyFile)
	use(&s.cfg.HTTPD.CertificateFile, &s.cfg.HTTPD.CertificateKeyFile)
	// first issuance (or an overdue renewal) before the listeners load
	// the files; a CA that cannot be reached leaves the files as they are
	if _, err := m.Obtain(ctx); err != nil {
		s.logger.Warn("acme: cannot obtain the certificate now; the renewal loop tries again", "error", err)
	}
	s.acme = m
	return nil
}

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
