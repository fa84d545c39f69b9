// Package ftpd is the FTP/FTPS server: ftpserverlib drives the protocol,
// a driver maps it onto internal/common, and a small front in each
// control connection adds what the library lacks (TLS termination with
// the client's real certificate, command aliases and rewrites, PROXY
// protocol, per-binding passive addressing).
package ftpd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/version"
)

// Store is what the FTP server needs from the data provider;
// *dataprovider.Store satisfies it.
type Store interface {
	CheckUserPassword(ctx context.Context, username, password string) (dataprovider.User, error)
	GetEffectiveUser(ctx context.Context, username string) (dataprovider.User, error)
}

const (
	protocolFTP = dataprovider.ProtocolFTP
	authTimeout = 30 * time.Second
	// tlsHandshakeTimeout bounds a control connection TLS handshake.
	tlsHandshakeTimeout = 30 * time.Second
)

// loginTimeout is how long a control connection may stay without a
// successful login before it gets 421 and is closed (the SFTP server
// uses the same bound for its handshake and authentication).
const loginTimeout = 2 * time.Minute

// limits are the server's fixed protection bounds; tests shorten them
// before serving.
type limits struct {
	loginTimeout    time.Duration
	passiveIdle     time.Duration
	maxPassivePerIP int
}

func defaultLimits() limits {
	return limits{loginTimeout: loginTimeout, passiveIdle: passiveIdleTimeout, maxPassivePerIP: maxPassivePerIP}
}

// Server is the FTP/FTPS server: one listener per binding.
type Server struct {
	cfg       config.FTPDConfig
	common    *common.Server
	store     Store
	configDir string
	log       *slog.Logger
	proxy     *common.ProxyPolicy
	banner    string
	disabled  map[string]bool
	certs     *certStore
	inner     *innerTLS
	bindings  []*binding
	limits    limits

	mu      sync.Mutex
	served  map[*binding]bool
	closing bool
	wg      sync.WaitGroup
}

// New validates the configuration and loads certificates, CAs and CRLs.
// configDir resolves relative paths. Nothing listens until Start or
// Serve.
func New(cfg config.FTPDConfig, srv *common.Server, store Store, configDir string, logger *slog.Logger) (*Server, error) {
	if srv == nil || store == nil {
		return nil, errors.New("ftpd: common server and store are required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:       cfg,
		common:    srv,
		store:     store,
		configDir: configDir,
		log:       logger.With("component", "ftpd"),
		disabled:  map[string]bool{},
		served:    map[*binding]bool{},
		limits:    defaultLimits(),
	}
	for _, c := range cfg.DisabledCommands {
		c = strings.ToUpper(strings.TrimSpace(c))
		if !slices.Contains(config.FTPDisableableCommands, c) {
			return nil, fmt.Errorf("ftpd: disabled_commands: %q cannot be disabled (allowed: %s)", c, strings.Join(config.FTPDisableableCommands, " "))
		}
		s.disabled[c] = true
	}
	if len(cfg.Bindings) > 10 {
		return nil, fmt.Errorf("ftpd: at most 10 bindings, got %d", len(cfg.Bindings))
	}
	var err error
	if s.proxy, err = common.NewProxyPolicy(srv.Config()); err != nil {
		return nil, fmt.Errorf("ftpd: %w", err)
	}
	if s.banner, err = s.loadBanner(); err != nil {
		return nil, err
	}
	if s.certs, err = newCertStore(s.certSources(), configDir); err != nil {
		return nil, err
	}
	if s.inner, err = newInnerTLS(); err != nil {
		return nil, err
	}
	for i, b := range cfg.Bindings {
		nb, err := newBinding(s, i, b)
		if err != nil {
			return nil, err
		}
		s.bindings = append(s.bindings, nb)
	}
	return s, nil
}

func (s *Server) resolvePath(p string) string {
	return config.ResolvePath(s.configDir, p)
}

func (s *Server) loadBanner() (string, error) {
	if s.cfg.BannerFile != "" {
		data, err := os.ReadFile(s.resolvePath(s.cfg.BannerFile))
		if err != nil {
			return "", fmt.Errorf("ftpd: banner_file: %w", err)
		}
		if b := strings.TrimRight(string(data), "\r\n"); b != "" {
			return b, nil
		}
	}
	if s.cfg.Banner != "" {
		return s.cfg.Banner, nil
	}
	switch v := s.common.Config().ServerVersion; v {
	case "", "short":
		return "SFTPGo ready", nil
	case "long":
		return "SFTPGo " + version.Get().Version + " ready", nil
	default:
		return "SFTPGo " + v + " ready", nil
	}
}

// certSources lists the global certificate pair and every binding's own.
func (s *Server) certSources() certSources {
	src := certSources{
		global: certPair{s.cfg.CertificateFile, s.cfg.CertificateKeyFile},
		cas:    s.cfg.CACertificates,
		crls:   s.cfg.CARevocationLists,
	}
	for _, b := range s.cfg.Bindings {
		src.perBinding = append(src.perBinding, certPair{b.CertificateFile, b.CertificateKeyFile})
	}
	return src
}

// Start listens on every binding with a port > 0 and serves in the
// background until Shutdown.
func (s *Server) Start(ctx context.Context) error {
	var lc net.ListenConfig
	for i, b := range s.cfg.Bindings {
		if b.Port <= 0 {
			continue
		}
		addr := net.JoinHostPort(b.Address, strconv.Itoa(b.Port))
		l, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			s.Shutdown(context.Background())
			return fmt.Errorf("ftpd: listen on %s: %w", addr, err)
		}
		if err := s.Serve(i, l); err != nil {
			s.Shutdown(context.Background())
			return err
		}
	}
	return nil
}

// Serve accepts FTP control connections from l for binding index
// (ftpd.bindings[index]) in the background; Shutdown closes it. Tests
// inject listeners on 127.0.0.1:0 this way.
func (s *Server) Serve(index int, l net.Listener) error {
	if index < 0 || index >= len(s.bindings) {
		l.Close()
		return fmt.Errorf("ftpd: no binding %d", index)
	}
	b := s.bindings[index]
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		l.Close()
		return errors.New("ftpd: server is shutting down")
	}
	if s.served[b] {
		s.mu.Unlock()
		l.Close()
		return fmt.Errorf("ftpd: binding %d is already served", index)
	}
	s.served[b] = true
	s.mu.Unlock()
	if err := b.start(l); err != nil {
		return err
	}
	s.log.Info("listening", "address", l.Addr().String(), "tls_mode", b.cfg.TLSMode)
	return nil
}

// Addrs returns the addresses being listened on, in binding order.
func (s *Server) Addrs() []net.Addr {
	var out []net.Addr
	for _, b := range s.bindings {
		if a := b.addr(); a != nil {
			out = append(out, a)
		}
	}
	return out
}

// Reload re-reads the certificates, CA certificates and revocation lists
// (SIGHUP). On error the previous ones stay in use.
func (s *Server) Reload() error {
	if err := s.certs.reload(); err != nil {
		s.log.Warn("reload failed", "error", err)
		return err
	}
	s.log.Info("certificates and revocation lists reloaded")
	return nil
}

// Shutdown stops listening, closes every control connection and waits
// for their goroutines or ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	for _, b := range s.bindings {
		b.stop()
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func newConnID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var _ Store = (*dataprovider.Store)(nil)
