// Package telemetry serves /healthz, the Prometheus /metrics of
// internal/metrics and, when enabled, the Go profiler under
// /debug/pprof/ on a listener of its own (the telemetry section), with
// optional TLS and HTTP basic auth from an htpasswd file.
package telemetry

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/edge"
	"github.com/sftpgo-ng/sftpgo/internal/metrics"
)

// Realm is the basic auth realm of the protected endpoints.
const Realm = "SFTPGo telemetry"

// Options are what a telemetry server needs.
type Options struct {
	Config config.TelemetryConfig
	// ConfigDir resolves relative auth_user_file and certificate paths.
	ConfigDir string
	Metrics   *metrics.Metrics
	Logger    *slog.Logger
	// ProviderCheck, when set, is run at start and then every
	// ProviderCheckInterval (default 30s) to keep
	// sftpgo_dataprovider_availability current.
	ProviderCheck         func(context.Context) error
	ProviderCheckInterval time.Duration
}

// Server is the telemetry listener. Start, Shutdown, Reload (SIGHUP:
// certificates and the htpasswd file) and Addrs follow the other
// components.
type Server struct {
	opts   Options
	log    *slog.Logger
	auth   atomic.Pointer[htpasswd] // nil: no authentication
	certs  *edge.Store
	tlsCfg *tls.Config

	mu    sync.Mutex
	srv   *http.Server
	addrs []net.Addr
	stop  context.CancelFunc
	wg    sync.WaitGroup
}

// Enabled reports whether cfg asks for a telemetry listener (bind_port
// 0 disables it, as in SFTPGo).
func Enabled(cfg config.TelemetryConfig) bool { return cfg.BindPort > 0 }

func (s *Server) resolve(p string) string {
	return config.ResolvePath(s.opts.ConfigDir, p)
}

// New validates the configuration and loads the htpasswd file and the
// certificate.
func New(opts Options) (*Server, error) {
	if opts.Metrics == nil {
		return nil, errors.New("telemetry: metrics are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ProviderCheckInterval <= 0 {
		opts.ProviderCheckInterval = 30 * time.Second
	}
	s := &Server{opts: opts, log: opts.Logger.With("component", "telemetry")}
	cfg := opts.Config
	if f := cfg.AuthUserFile; f != "" {
		h, err := loadHtpasswd(s.resolve(f))
		if err != nil {
			return nil, fmt.Errorf("telemetry: %w", err)
		}
		s.auth.Store(h)
	}
	if cfg.CertificateFile != "" || cfg.CertificateKeyFile != "" {
		st, err := edge.NewStore(edge.StoreOptions{
			Section:   "telemetry",
			ConfigDir: opts.ConfigDir,
			Global:    edge.CertPair{Cert: cfg.CertificateFile, Key: cfg.CertificateKeyFile},
		})
		if err != nil {
			return nil, err
		}
		protos := []string{}
		for _, p := range cfg.TLSProtocols {
			if p = strings.TrimSpace(p); p == "h2" || p == "http/1.1" {
				protos = append(protos, p)
			}
		}
		if len(protos) == 0 {
			protos = []string{"h2", "http/1.1"}
		}
		params, err := edge.ParseSettings(edge.Settings{
			MinVersion:   cfg.MinTLSVersion,
			CipherSuites: cfg.TLSCipherSuites,
			NextProtos:   protos,
		})
		if err != nil {
			return nil, fmt.Errorf("telemetry: %w", err)
		}
		if s.tlsCfg, err = st.ServerConfig(edge.CertPair{}, params); err != nil {
			return nil, err
		}
		s.certs = st
	} else if cfg.MinTLSVersion != 0 || len(cfg.TLSCipherSuites) > 0 {
		// still validate, so a typo is not ignored until TLS is turned on
		if _, err := edge.ParseSettings(edge.Settings{MinVersion: cfg.MinTLSVersion, CipherSuites: cfg.TLSCipherSuites}); err != nil {
			return nil, fmt.Errorf("telemetry: %w", err)
		}
	}
	return s, nil
}

// Handler returns the HTTP handler of the telemetry endpoints.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	})
	reg := s.opts.Metrics.Registry()
	mux.Handle("GET /metrics", s.protect(promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
	})))
	if s.opts.Config.EnableProfiler {
		mux.Handle("/debug/pprof/", s.protect(http.HandlerFunc(pprof.Index)))
		mux.Handle("/debug/pprof/cmdline", s.protect(http.HandlerFunc(pprof.Cmdline)))
		mux.Handle("/debug/pprof/profile", s.protect(http.HandlerFunc(pprof.Profile)))
		mux.Handle("/debug/pprof/symbol", s.protect(http.HandlerFunc(pprof.Symbol)))
		mux.Handle("/debug/pprof/trace", s.protect(http.HandlerFunc(pprof.Trace)))
	}
	return mux
}

// protect requires basic auth against the htpasswd file when one is
// configured.
func (s *Server) protect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := s.auth.Load(); h != nil {
			user, pwd, ok := r.BasicAuth()
			if !ok || !h.verify(user, pwd) {
				if ok {
					s.log.Debug("telemetry authentication failed", "user", user, "remote", r.RemoteAddr)
				}
				w.Header().Set("WWW-Authenticate", `Basic realm="`+Realm+`"`)
				http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Start listens on bind_address:bind_port and serves.
func (s *Server) Start(ctx context.Context) error {
	cfg := s.opts.Config
	network, addr := "tcp", net.JoinHostPort(cfg.BindAddress, strconv.Itoa(cfg.BindPort))
	if filepath.IsAbs(cfg.BindAddress) {
		// a Unix socket; a stale one from a previous run is replaced
		network, addr = "unix", cfg.BindAddress
		if fi, err := os.Lstat(addr); err == nil && fi.Mode()&os.ModeSocket != 0 {
			_ = os.Remove(addr)
		}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, network, addr)
	if err != nil {
		return fmt.Errorf("telemetry: listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	if s.tlsCfg != nil {
		srv.TLSConfig = s.tlsCfg
		ln = tls.NewListener(ln, s.tlsCfg)
	}
	bg, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	s.srv, s.addrs, s.stop = srv, []net.Addr{ln.Addr()}, cancel
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("telemetry server stopped", "error", err)
		}
	}()
	if check := s.opts.ProviderCheck; check != nil {
		s.checkProvider(bg, check)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			t := time.NewTicker(s.opts.ProviderCheckInterval)
			defer t.Stop()
			for {
				select {
				case <-bg.Done():
					return
				case <-t.C:
					s.checkProvider(bg, check)
				}
			}
		}()
	}
	s.log.Info("telemetry listening", "address", ln.Addr().String(), "tls", s.tlsCfg != nil,
		"auth", s.auth.Load() != nil, "profiler", cfg.EnableProfiler)
	return nil
}

func (s *Server) checkProvider(ctx context.Context, check func(context.Context) error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := check(cctx)
	if err != nil && ctx.Err() != nil {
		return // stopping
	}
	if err != nil {
		s.log.Warn("data provider availability check failed", "error", err)
	}
	s.opts.Metrics.ProviderChecked(err)
}

// Addrs returns the listening address once started.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]net.Addr(nil), s.addrs...)
}

// Reload re-reads the certificate and the htpasswd file; on error the
// previous ones stay in use.
func (s *Server) Reload() error {
	var errs []error
	if s.certs != nil {
		if err := s.certs.Reload(); err != nil {
			errs = append(errs, err)
		}
	}
	if f := s.opts.Config.AuthUserFile; f != "" {
		h, err := loadHtpasswd(s.resolve(f))
		if err != nil {
			errs = append(errs, fmt.Errorf("telemetry: %w", err))
		} else {
			s.auth.Store(h)
		}
	}
	return errors.Join(errs...)
}

// Shutdown stops the listener and the availability checks.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv, stop := s.srv, s.stop
	s.srv, s.addrs, s.stop = nil, nil, nil
	s.mu.Unlock()
	var err error
	if srv != nil {
		err = srv.Shutdown(ctx)
	}
	if stop != nil {
		stop()
	}
	s.wg.Wait()
	return err
}
