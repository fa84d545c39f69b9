// Package webdavd is the WebDAV server: golang.org/x/net/webdav over
// internal/common, with a lock system shared by every connection (shared
// and exclusive locks, depth, timeouts, refresh), dead properties kept per
// user across MOVE, COPY and restarts, Basic and TLS client certificate
// authentication with a short-lived cache, URL prefixes, CORS, PROXY
// protocol and client IP headers.
package webdavd

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// Store is what the WebDAV server needs from the data provider;
// *dataprovider.Store satisfies it.
type Store interface {
	CheckUserPassword(ctx context.Context, username, password string) (dataprovider.User, error)
	GetEffectiveUser(ctx context.Context, username string) (dataprovider.User, error)
}

const protocolDAV = dataprovider.ProtocolWebDAV

// Server is the WebDAV server.
type Server struct {
	cfg       config.WebDAVDConfig
	common    *common.Server
	store     Store
	configDir string
	log       *slog.Logger

	locks *lockManager
	props *propStore
	cache *userCache
	mime  *mimeTypes
	certs *certManager
	// transferIdle overrides common.idle_timeout for stalled transfers
	// (tests)
	transferIdle time.Duration

	mu      sync.Mutex
	servers []*http.Server
	addrs   []net.Addr
	closing bool
	wg      sync.WaitGroup
}

// New validates the configuration, loads certificates and opens the dead
// properties store (webdavd_props.db in configDir).
func New(cfg config.WebDAVDConfig, srv *common.Server, store Store, configDir string, logger *slog.Logger) (*Server, error) {
	if srv == nil || store == nil {
		return nil, errors.New("webdavd: common server and store are required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	for i, b := range cfg.Bindings {
		if _, err := cleanPrefix(b.Prefix); err != nil {
			return nil, fmt.Errorf("webdavd: bindings[%d]: %w", i, err)
		}
	}
	s := &Server{
		cfg:       cfg,
		common:    srv,
		store:     store,
		configDir: configDir,
		log:       logger.With("component", "webdavd"),
		locks:     newLockManager(),
		cache:     newUserCache(cfg.Cache.Users),
		mime:      newMimeTypes(cfg.Cache.MimeTypes),
	}
	s.certs = newCertManager(configDir, cfg)
	if err := s.certs.load(); err != nil {
		return nil, err
	}
	props, err := openPropStore(filepath.Join(configDir, propsFileName))
	if err != nil {
		return nil, err
	}
	s.props = props
	return s, nil
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
			return fmt.Errorf("webdavd: listen on %s: %w", addr, err)
		}
		if err := s.Serve(l, b); err != nil {
			l.Close()
			s.Shutdown(context.Background())
			return fmt.Errorf("webdavd: bindings[%d]: %w", i, err)
		}
	}
	return nil
}

// Serve serves WebDAV on l with the settings of binding b (its address
// and port are ignored) in the background; Shutdown stops it. Tests
// inject listeners on 127.0.0.1:0 this way.
func (s *Server) Serve(l net.Listener, b config.WebDAVDBinding) error {
	h, err := newBinding(s, b)
	if err != nil {
		return err
	}
	addr := l.Addr()
	if b.ProxyMode == 1 && s.common.Config().ProxyProtocol > 0 {
		l, err = newProxyListener(l, s.common.Config())
		if err != nil {
			return err
		}
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ConnContext:       h.connContext,
		ConnState:         h.connState,
		ErrorLog:          log.New(slogWriter{s.log}, "", 0),
		MaxHeaderBytes:    64 << 10,
	}
	if b.EnableHTTPS {
		tc, err := s.certs.serverConfig(b)
		if err != nil {
			return err
		}
		srv.TLSConfig = tc
		var protos http.Protocols
		for _, p := range tc.NextProtos {
			switch p {
			case "h2":
				protos.SetHTTP2(true)
			case "http/1.1":
				protos.SetHTTP1(true)
			}
		}
		srv.Protocols = &protos
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		l.Close()
		return errors.New("webdavd: server is shutting down")
	}
	s.servers = append(s.servers, srv)
	s.addrs = append(s.addrs, addr)
	s.wg.Add(1)
	s.mu.Unlock()
	s.log.Info("listening", "address", addr.String(), "https", b.EnableHTTPS, "prefix", h.prefix)
	go func() {
		defer s.wg.Done()
		var err error
		if b.EnableHTTPS {
			err = srv.ServeTLS(l, "", "")
		} else {
			err = srv.Serve(l)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve failed", "address", addr.String(), "error", err)
		}
	}()
	return nil
}

// Addrs returns the addresses being listened on.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]net.Addr(nil), s.addrs...)
}

// Reload re-reads the TLS certificates and revocation lists (SIGHUP).
func (s *Server) Reload() error {
	return s.certs.load()
}

// InvalidateUser drops a user from the authentication cache; call it
// when the user is updated or deleted.
func (s *Server) InvalidateUser(username string) { s.cache.remove(username) }

// Shutdown stops listening, waits for requests in flight (or ctx), and
// closes the dead properties store.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	already := s.closing
	s.closing = true
	servers := s.servers
	s.servers = nil
	s.addrs = nil
	s.mu.Unlock()
	var firstErr error
	for _, srv := range servers {
		if err := srv.Shutdown(ctx); err != nil && firstErr == nil {
			firstErr = err
			srv.Close()
		}
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		if firstErr == nil {
			firstErr = ctx.Err()
		}
	}
	if !already {
		if err := s.props.Close(); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// slogWriter sends net/http's own error log lines to slog at debug level
// (TLS handshake errors and the like).
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.l.Debug(strings.TrimSpace(string(p)))
	return len(p), nil
}

// cleanPrefix validates a binding prefix: empty, or an absolute path
// returned without its trailing slash.
func cleanPrefix(p string) (string, error) {
	p = strings.TrimSpace(p)
	if p == "" || p == "/" {
		return "", nil
	}
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("prefix %q must be an absolute path", p)
	}
	c := dataprovider.CleanVirtualPath(p)
	if c == "/" {
		return "", nil
	}
	return c, nil
}
