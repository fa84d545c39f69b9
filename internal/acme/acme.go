// Package acme obtains and renews TLS certificates from an ACME CA (Let's
// Encrypt or any RFC 8555 server) with lego, keeps the account and the
// certificates under acme.certs_path in the layout SFTPGo uses, and tells
// its owner when the files changed so the listeners reload them.
package acme

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-acme/lego/v5/certcrypto"
	"github.com/go-acme/lego/v5/certificate"
	"github.com/go-acme/lego/v5/challenge/http01"
	"github.com/go-acme/lego/v5/challenge/tlsalpn01"
	"github.com/go-acme/lego/v5/lego"
	legolog "github.com/go-acme/lego/v5/log"
	"github.com/go-acme/lego/v5/providers/http/webroot"
	"github.com/go-acme/lego/v5/registration"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// Intervals of the renewal loop: the first check shortly after start, then
// twice a day (as SFTPGo).
const (
	FirstCheckDelay = 30 * time.Second
	CheckInterval   = 12 * time.Hour
)

// Options are a Manager's dependencies.
type Options struct {
	Config    config.ACMEConfig
	ConfigDir string // base of a relative certs_path and webroot
	Logger    *slog.Logger
	// Now is the clock renewals are decided by; nil: time.Now.
	Now func() time.Time
	// OnChange runs after a certificate was obtained or renewed, so the
	// listeners re-read their files (the service reloads every edge store).
	OnChange func()
	// OnRenewal is told the outcome of each certificate that was due:
	// its first domain and the error (nil when it was obtained), for the
	// event manager's certificate trigger.
	OnRenewal func(domain string, err error)
	// HTTPClient talks to the CA; nil: lego's default, which trusts the
	// system roots or the PEM files in LEGO_CA_CERTIFICATES.
	HTTPClient *http.Client
	// Tick replaces the renewal loop's timer (tests); nil: FirstCheckDelay
	// then every CheckInterval.
	Tick <-chan time.Time
}

// Manager obtains and renews the certificates of acme.domains.
type Manager struct {
	opts      Options
	cfg       config.ACMEConfig
	certsPath string
	certs     [][]string // names of each certificate, by acme.domains entry
	log       *slog.Logger

	mu sync.Mutex // one obtain/renew at a time

	stop chan struct{}
	done chan struct{}
}

// Enabled reports whether cfg asks for certificates.
func Enabled(cfg config.ACMEConfig) bool { return len(Certificates(cfg)) > 0 }

// Certificates returns the names of each certificate: one certificate per
// acme.domains entry, an entry may name several domains separated by
// commas or spaces.
func Certificates(cfg config.ACMEConfig) [][]string {
	var out [][]string
	for _, d := range cfg.Domains {
		names := strings.FieldsFunc(strings.ToLower(d), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
		if len(names) > 0 {
			out = append(out, names)
		}
	}
	return out
}

// files returns the certificate and key file of the certificate whose
// first name is domain.
func files(certsPath, domain string) (certFile, keyFile string) {
	base := filepath.Join(certsPath, sanitize(domain))
	return base + ".crt", base + ".key"
}

// CertsPath is acme.certs_path resolved against the configuration dir.
func CertsPath(cfg config.ACMEConfig, configDir string) string {
	p := cfg.CertsPath
	if p == "" {
		p = "certs"
	}
	return config.ResolvePath(configDir, p)
}

// CertificateFiles returns the files of the certificate of the first
// acme.domains entry (empty when ACME is off): <certs_path>/<its first
// domain>.crt and .key. Sections whose certificate_file is empty serve
// them.
func CertificateFiles(cfg config.ACMEConfig, configDir string) (certFile, keyFile string) {
	c := Certificates(cfg)
	if len(c) == 0 {
		return "", ""
	}
	return files(CertsPath(cfg, configDir), c[0][0])
}

// New validates opts; nothing is contacted until Obtain or Start.
func New(opts Options) (*Manager, error) {
	cfg := opts.Config
	m := &Manager{opts: opts, cfg: cfg, certs: Certificates(cfg), certsPath: CertsPath(cfg, opts.ConfigDir), log: opts.Logger}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	m.log = m.log.With("component", "acme")
	if m.opts.Now == nil {
		m.opts.Now = time.Now
	}
	if len(m.certs) == 0 {
		return nil, errors.New("acme: no domains configured")
	}
	if cfg.Email == "" {
		return nil, errors.New("acme: email is required")
	}
	if _, err := keyType(cfg.KeyType); err != nil {
		return nil, err
	}
	if cfg.RenewDays <= 0 {
		return nil, errors.New("acme: renew_days must be greater than 0")
	}
	if cfg.HTTP01Challenge.Port <= 0 && cfg.HTTP01Challenge.WebRoot == "" && cfg.TLSALPN01Challenge.Port <= 0 {
		return nil, errors.New("acme: no challenge configured: set http01_challenge.port, http01_challenge.webroot or tls_alpn01_challenge.port")
	}
	if _, err := accountDir(m.certsPath, cfg.CAEndpoint); err != nil {
		return nil, err
	}
	// lego logs through a logger of its own; route it to ours
	legolog.SetDefault(m.log)
	return m, nil
}

func keyType(s string) (certcrypto.KeyType, error) {
	switch strings.ToUpper(s) {
	case "", "4096":
		return certcrypto.RSA4096, nil
	case "2048":
		return certcrypto.RSA2048, nil
	case "3072":
		return certcrypto.RSA3072, nil
	case "8192":
		return certcrypto.RSA8192, nil
	case "P256", "EC256":
		return certcrypto.EC256, nil
	case "P384", "EC384":
		return certcrypto.EC384, nil
	}
	return "", fmt.Errorf("acme: unsupported key_type %q (2048, 3072, 4096, 8192, P256, P384)", s)
}

// Files returns the files of the first certificate (the one sections
// without a certificate of their own serve).
func (m *Manager) Files() (certFile, keyFile string) {
	return files(m.certsPath, m.certs[0][0])
}

// due reports whether the certificate of names on disk is missing, does
// not cover them, or expires within renew_days.
func (m *Manager) due(names []string) (bool, string) {
	certFile, keyFile := files(m.certsPath, names[0])
	leaf, _, err := readLeaf(certFile)
	if err != nil {
		return true, "no certificate yet"
	}
	if _, err := os.Stat(keyFile); err != nil {
		return true, "no certificate key"
	}
	for _, d := range names {
		if leaf.VerifyHostname(d) != nil {
			return true, fmt.Sprintf("certificate does not cover %q", d)
		}
	}
	left := leaf.NotAfter.Sub(m.opts.Now())
	if left < time.Duration(m.cfg.RenewDays)*24*time.Hour {
		return true, fmt.Sprintf("certificate expires in %s", left.Round(time.Minute))
	}
	return false, ""
}

// Obtain obtains each certificate that is missing, renews each that is
// due, and leaves the others alone. It reports whether any file changed
// (OnChange is not called; Check does that). A certificate that fails
// does not stop the others; the errors are joined.
func (m *Manager) Obtain(ctx context.Context) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var client *lego.Client
	var changed bool
	var errs []error
	for _, names := range m.certs {
		due, why := m.due(names)
		if !due {
			continue
		}
		m.log.Info("requesting a certificate", "domains", strings.Join(names, ","), "reason", why)
		if client == nil {
			var err error
			if client, err = m.client(ctx); err != nil {
				return changed, err
			}
		}
		kt, _ := keyType(m.cfg.KeyType)
		res, err := client.Certificate.Obtain(ctx, certificate.ObtainRequest{Domains: names, KeyType: kt, Bundle: true})
		if err != nil {
			err = fmt.Errorf("acme: obtain certificate for %s: %w", strings.Join(names, ","), err)
		} else {
			err = m.saveCertificate(names, res)
		}
		if m.opts.OnRenewal != nil {
			m.opts.OnRenewal(names[0], err)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		changed = true
		certFile, _ := files(m.certsPath, names[0])
		if leaf, _, _ := readLeaf(certFile); leaf != nil {
			m.log.Info("certificate obtained", "domains", strings.Join(names, ","), "serial", leaf.SerialNumber.Text(16),
				"not_after", leaf.NotAfter.UTC().Format(time.RFC3339), "file", certFile)
		}
	}
	return changed, errors.Join(errs...)
}

// Check runs Obtain and calls OnChange when a certificate changed (also
// when another failed).
func (m *Manager) Check(ctx context.Context) error {
	changed, err := m.Obtain(ctx)
	if changed && m.opts.OnChange != nil {
		m.opts.OnChange()
	}
	return err
}

func (m *Manager) saveCertificate(names []string, res *certificate.Resource) error {
	if err := os.MkdirAll(m.certsPath, 0o700); err != nil {
		return fmt.Errorf("acme: %w", err)
	}
	certFile, keyFile := files(m.certsPath, names[0])
	base := strings.TrimSuffix(certFile, ".crt")
	// the key first: a reload between the two writes then fails to pair
	// them and keeps the previous generation, instead of serving a
	// certificate with a key it does not match
	if err := writeFile(keyFile, res.PrivateKey, 0o600); err != nil {
		return err
	}
	if err := writeFile(certFile, res.Certificate, 0o644); err != nil {
		return err
	}
	meta, err := json.MarshalIndent(certMeta{Domain: names[0], Domains: names, CertURL: res.CertURL,
		CertStableURL: res.CertStableURL}, "", "  ")
	if err != nil {
		return fmt.Errorf("acme: %w", err)
	}
	if res.IssuerCertificate != nil {
		if err := writeFile(base+".issuer.crt", res.IssuerCertificate, 0o644); err != nil {
			return err
		}
	}
	return writeFile(base+".json", meta, 0o600)
}

// client builds a lego client with the stored (or a newly registered)
// account and the configured challenges.
func (m *Manager) client(ctx context.Context) (*lego.Client, error) {
	dir, _ := accountDir(m.certsPath, m.cfg.CAEndpoint)
	acct, err := loadAccount(dir, m.cfg.Email)
	if err != nil {
		return nil, err
	}
	lc := lego.NewConfig(acct)
	lc.CADirURL = m.cfg.CAEndpoint
	lc.UserAgent = "sftpgo-ng"
	if m.opts.HTTPClient != nil {
		lc.HTTPClient = m.opts.HTTPClient
	}
	client, err := lego.NewClient(lc)
	if err != nil {
		return nil, fmt.Errorf("acme: %s: %w", m.cfg.CAEndpoint, err)
	}
	if acct.GetRegistration() == nil {
		reg, err := client.Registration.Register(ctx, registration.RegisterOptions{TermsOfServiceAgreed: true})
		if err != nil {
			return nil, fmt.Errorf("acme: register %s: %w", m.cfg.Email, err)
		}
		acct.Registration = &accountReg{Body: reg.Account, URI: reg.Location}
		if err := acct.save(dir); err != nil {
			return nil, err
		}
		m.log.Info("account registered", "email", m.cfg.Email, "ca", m.cfg.CAEndpoint)
		// the client signs with the account URL from now on
		if client, err = lego.NewClient(lc); err != nil {
			return nil, fmt.Errorf("acme: %w", err)
		}
	}
	h := m.cfg.HTTP01Challenge
	switch {
	case h.WebRoot != "":
		root := h.WebRoot
		if !filepath.IsAbs(root) {
			root = filepath.Join(m.opts.ConfigDir, root)
		}
		p, err := webroot.NewHTTPProvider(root)
		if err != nil {
			return nil, fmt.Errorf("acme: http01_challenge.webroot %q: %w", root, err)
		}
		if err := client.Challenge.SetHTTP01Provider(p); err != nil {
			return nil, fmt.Errorf("acme: %w", err)
		}
	case h.Port > 0:
		p := http01.NewProviderServerWithOptions(http01.Options{
			Network:         "tcp",
			Address:         net.JoinHostPort("", strconv.Itoa(h.Port)),
			ProxyHeaderName: h.ProxyHeader,
		})
		if err := client.Challenge.SetHTTP01Provider(p); err != nil {
			return nil, fmt.Errorf("acme: %w", err)
		}
	}
	if t := m.cfg.TLSALPN01Challenge; t.Port > 0 {
		p := tlsalpn01.NewProviderServer("", strconv.Itoa(t.Port))
		if err := client.Challenge.SetTLSALPN01Provider(p); err != nil {
			return nil, fmt.Errorf("acme: %w", err)
		}
	}
	return client, nil
}

// Start runs the renewal loop until Shutdown. It never fails: a CA that
// cannot be reached is logged and tried again at the next check.
func (m *Manager) Start(context.Context) error {
	m.stop, m.done = make(chan struct{}), make(chan struct{})
	go m.loop()
	return nil
}

// Shutdown stops the renewal loop, cancelling a request in flight.
func (m *Manager) Shutdown(ctx context.Context) error {
	if m.stop == nil {
		return nil
	}
	close(m.stop)
	select {
	case <-m.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *Manager) loop() {
	defer close(m.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-m.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	tick := m.opts.Tick
	var timer *time.Timer
	if tick == nil {
		timer = time.NewTimer(FirstCheckDelay)
		defer timer.Stop()
	}
	for {
		if timer != nil {
			tick = timer.C
		}
		select {
		case <-m.stop:
			return
		case <-tick:
		}
		if err := m.Check(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("certificate renewal failed; trying again at the next check", "error", err)
		}
		if timer != nil {
			timer.Reset(CheckInterval)
		}
	}
}
