// Package service starts and stops every component in order: data
// provider, then the shared connection layer, then the protocol servers,
// and stops them in reverse. It also reacts to signals.
package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/acme"
	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/events"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
	"github.com/sftpgo-ng/sftpgo/internal/secretfile"
)

// Env names of the first admin's credentials (data_provider.create_default_admin).
const (
	EnvDefaultAdminUsername = "SFTPGO_DEFAULT_ADMIN_USERNAME"
	EnvDefaultAdminPassword = "SFTPGO_DEFAULT_ADMIN_PASSWORD"
)

// component is anything the service starts and stops.
type component interface {
	Start(ctx context.Context) error
	Shutdown(ctx context.Context) error
}

type namedComponent struct {
	name string
	c    component
}

// Service owns every running component.
type Service struct {
	cfg        config.Config
	configDir  string
	logger     *slog.Logger
	kms        *kms.Manager
	store      *dataprovider.Store
	common     *common.Server
	components []namedComponent
	started    int // components[:started] were started (or tried) and must be shut down
	closers    []io.Closer
	// listeners registers our own listening addresses so storage backends
	// can refuse to point at this very server (allow_self_connections).
	listeners func(net.Addr) (unregister func())
	unreg     []func()
	opts      Options
	acme      *acme.Manager // nil without acme.domains
	// eventsMgr is the event manager once built (ACME renewals report to it)
	eventsMgr atomic.Pointer[events.Manager]
}

// withPrefix names the component an error comes from, once: the
// packages start most of their errors with their own name already
// ("dataprovider: connect to postgresql: ...").
func withPrefix(component string, err error) error {
	if strings.HasPrefix(err.Error(), component+": ") {
		return err
	}
	return fmt.Errorf("%s: %w", component, err)
}

// OpenStore builds the KMS manager and opens the data provider; used by
// serve and by the provider maintenance commands.
func OpenStore(ctx context.Context, cfg config.Config, configDir string, logger *slog.Logger) (*dataprovider.Store, *kms.Manager, error) {
	km, err := kms.NewManager(cfg.KMS, configDir)
	if err != nil {
		return nil, nil, withPrefix("kms", err)
	}
	secretfile.Warn(logger, "the KMS key files are", km.KeyFiles()...)
	store, err := dataprovider.Open(ctx, dataprovider.Options{
		Config:    cfg.DataProvider,
		ConfigDir: configDir,
		KMS:       km,
		Logger:    logger,
		// common.secret_min_entropy applies to storage encryption secrets
		SecretMinEntropy: cfg.Common.SecretMinEntropy,
	})
	if err != nil {
		return nil, nil, withPrefix("dataprovider", err)
	}
	return store, km, nil
}

// prepareStore migrates the schema (update_mode 0) or checks it, and
// creates the default admin when asked to.
func prepareStore(ctx context.Context, cfg config.DataProviderConfig, configDir string, store *dataprovider.Store, logger *slog.Logger) error {
	if cfg.UpdateMode == 0 {
		if err := store.Migrate(ctx); err != nil {
			return fmt.Errorf("migrate the schema: %w", withPrefix("dataprovider", err))
		}
	} else if err := store.CheckSchema(ctx); err != nil {
		return fmt.Errorf("%w (run \"sftpgo initprovider\" or set data_provider.update_mode to 0)", withPrefix("dataprovider", err))
	}
	if cfg.CreateDefaultAdmin {
		// env.d files may hold the credentials too, as for config keys.
		env, err := config.Environment(configDir, os.Environ())
		if err != nil {
			return err
		}
		user, pwd := env[EnvDefaultAdminUsername], env[EnvDefaultAdminPassword]
		if user != "" && pwd != "" {
			if err := store.EnsureDefaultAdmin(ctx, user, pwd); err != nil {
				return fmt.Errorf("default admin: %w", err)
			}
		} else {
			logger.Info("create_default_admin is set but " + EnvDefaultAdminUsername + "/" +
				EnvDefaultAdminPassword + " are not: the web admin will offer the setup page")
		}
	}
	return nil
}

// Options tune Run beyond the configuration.
type Options struct {
	// Users are added once the data provider is ready (portable mode).
	Users []dataprovider.User
	// Started, when set, is called once every component listens, with the
	// listening addresses by component name.
	Started func(addrs map[string][]net.Addr)
	// GraceTime is how long a stop waits for open transfers (serve
	// --grace-time); 0 stops at once.
	GraceTime time.Duration
	// LoadData is a dump loaded once the data provider is ready (serve
	// --loaddata-from).
	LoadData dataprovider.LoadDataOptions
	// ACMEClock, ACMETick and ACMEHTTPClient replace the ACME renewal's
	// clock, its check timer and its CA client (tests).
	ACMEClock      func() time.Time
	ACMETick       <-chan time.Time
	ACMEHTTPClient *http.Client
	// RotateLog rotates the log file (SIGUSR1 and the log rotation event
	// action); nil when the log is not a file.
	RotateLog func() error
}

// Run starts everything, waits for SIGINT/SIGTERM (or ctx), then stops
// everything gracefully.
func Run(ctx context.Context, cfg config.Config, configDir string, logger *slog.Logger, opts ...Options) error {
	s := &Service{cfg: cfg, configDir: configDir, logger: logger}
	for _, o := range opts {
		s.opts.Users = append(s.opts.Users, o.Users...)
		if o.Started != nil {
			s.opts.Started = o.Started
		}
		if o.GraceTime > 0 {
			s.opts.GraceTime = o.GraceTime
		}
		if o.LoadData.From != "" {
			s.opts.LoadData = o.LoadData
		}
		if o.ACMEClock != nil || o.ACMETick != nil || o.ACMEHTTPClient != nil {
			s.opts.ACMEClock, s.opts.ACMETick, s.opts.ACMEHTTPClient = o.ACMEClock, o.ACMETick, o.ACMEHTTPClient
		}
		if o.RotateLog != nil {
			s.opts.RotateLog = o.RotateLog
		}
	}
	ballast := newGCBallast()
	defer runtime.KeepAlive(ballast)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := s.start(ctx); err != nil {
		s.shutdown()
		return err
	}
	if s.common != nil {
		memStop := make(chan struct{})
		defer close(memStop)
		go returnIdleMemory(memStop, idleMemoryCheck, s.common.ConnectionCount)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	usr := make(chan os.Signal, 1)
	if sigs := rotateSignals(); len(sigs) > 0 {
		signal.Notify(usr, sigs...)
		defer signal.Stop(usr)
	}
	for {
		select {
		case <-ctx.Done():
			logger.Info("stopping")
			s.drain()
			s.shutdown()
			logger.Info("stopped")
			return nil
		case <-hup:
			s.reload()
		case <-usr:
			if err := s.rotateLog(); err != nil {
				s.logger.Warn("log rotation", "error", err)
			}
		}
	}
}

func (s *Service) start(ctx context.Context) error {
	store, km, err := OpenStore(ctx, s.cfg, s.configDir, s.logger)
	if err != nil {
		return err
	}
	s.store, s.kms = store, km
	s.closers = append(s.closers, store)
	if err := prepareStore(ctx, s.cfg.DataProvider, s.configDir, store, s.logger); err != nil {
		return err
	}
	if err := store.LoadDataFile(ctx, s.opts.LoadData); err != nil {
		return err
	}
	for i := range s.opts.Users {
		if err := store.AddUser(ctx, &s.opts.Users[i]); err != nil {
			return fmt.Errorf("user %q: %w", s.opts.Users[i].Username, err)
		}
	}
	if err := s.setupACME(ctx); err != nil {
		return err
	}
	if err := s.buildComponents(); err != nil {
		return err
	}
	if s.acme != nil {
		s.components = append(s.components, namedComponent{"acme", s.acme})
	}
	return s.startComponents(ctx)
}

// startComponents starts the components in order and stops at the first
// that fails; shutdown then stops that one and those before it, in
// reverse order, and never touches the ones after it.
func (s *Service) startComponents(ctx context.Context) error {
	addrs := map[string][]net.Addr{}
	for _, nc := range s.components {
		// counted before Start: one that fails half way (a second
		// binding that cannot listen) is shut down with the others
		s.started++
		if err := nc.c.Start(ctx); err != nil {
			return prefixed(nc.name, err)
		}
		s.logger.Info("started", "component", nc.name)
		if al, ok := nc.c.(addrLister); ok && s.listeners != nil {
			for _, a := range al.Addrs() {
				s.unreg = append(s.unreg, s.listeners(a))
			}
			addrs[nc.name] = al.Addrs()
		}
	}
	if s.opts.Started != nil {
		s.opts.Started(addrs)
	}
	return nil
}

// drain refuses new clients and waits up to the grace time for open
// transfers, so a stop does not cut uploads that are about to finish.
func (s *Service) drain() {
	if s.common == nil || s.opts.GraceTime <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.GraceTime)
	defer cancel()
	s.logger.Info("draining: waiting for open transfers", "grace_time", s.opts.GraceTime)
	if open := s.common.Drain(ctx); open > 0 {
		s.logger.Warn("grace time over; aborting open transfers", "open_transfers", open)
	}
}

func (s *Service) shutdown() {
	for _, u := range s.unreg {
		u()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// in reverse order, and only what started: the protocol servers stop
	// before the shared state and the provider they use
	for i := s.started - 1; i >= 0; i-- {
		nc := s.components[i]
		if err := nc.c.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
			s.logger.Warn("shutdown", "component", nc.name, "error", err)
		}
	}
	for i := len(s.closers) - 1; i >= 0; i-- {
		_ = s.closers[i].Close()
	}
}

// reloader is a component that can reload certificates and CRLs.
type reloader interface {
	Reload() error
}

func (s *Service) reload() {
	s.logger.Info("SIGHUP received: reloading certificates")
	for _, nc := range s.components {
		if r, ok := nc.c.(reloader); ok {
			if err := r.Reload(); err != nil {
				s.logger.Warn("reload", "component", nc.name, "error", err)
			}
		}
	}
}

// rotateLog rotates the log file, logging the rotation in the new file.
func (s *Service) rotateLog() error {
	if s.opts.RotateLog == nil {
		return errors.New("the log is not written to a file, nothing to rotate")
	}
	if err := s.opts.RotateLog(); err != nil {
		return err
	}
	s.logger.Info("log file rotated")
	return nil
}

// prefixed names the component in err unless the component already did,
// so a start error reads "sftpd: listen ..." and not "sftpd: sftpd: ...".
func prefixed(name string, err error) error {
	if strings.HasPrefix(err.Error(), name+":") {
		return err
	}
	return fmt.Errorf("%s: %w", name, err)
}
