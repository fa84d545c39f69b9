// Package common holds what every protocol server shares: the connection
// registry and its limits, login checks, the per-session BaseConnection
// that maps virtual paths onto storage backends with permissions, file
// patterns and quotas, and transfers with bandwidth limits, atomic uploads
// and the reorder buffer that turns out-of-order writes into a stream.
package common

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
	"github.com/sftpgo-ng/sftpgo/internal/metrics"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// Upload modes (common.upload_mode).
const (
	UploadModeStandard         = 0
	UploadModeAtomic           = 1
	UploadModeAtomicWithResume = 2
)

// Setstat modes (common.setstat_mode).
const (
	SetstatModeApply       = 0
	SetstatModeIgnore      = 1
	SetstatModeIgnoreCloud = 2
)

// Store is what common needs from the data provider; *dataprovider.Store
// satisfies it.
type Store interface {
	GetUser(ctx context.Context, username string) (dataprovider.User, error)
	GetFolder(ctx context.Context, name string) (dataprovider.BaseVirtualFolder, error)
	UpdateUserQuota(ctx context.Context, username string, size int64, files int, reset bool) error
	UpdateFolderQuota(ctx context.Context, name string, size int64, files int, reset bool) error
	UpdateUserTransferQuota(ctx context.Context, username string, uploaded, downloaded int64, reset bool) error
	UpdateLastLogin(ctx context.Context, username string) error
}

// Decrypter decrypts a stored secret; *kms.Manager satisfies it.
type Decrypter interface {
	Decrypt(s *kms.Secret) (string, error)
}

// FsFactory builds the storage of a user or folder; see NewFs.
type FsFactory func(fsConfig dataprovider.Filesystem, root string, kms Decrypter) (vfs.Fs, error)

// QuotaTracking says when quota usage is tracked and enforced, as
// data_provider.track_quota does; the zero value tracks always.
type QuotaTracking int

// Quota tracking modes.
const (
	TrackQuotaAlways     QuotaTracking = iota // track_quota 1
	TrackQuotaDisabled                        // track_quota 0: no usage updates, quotas not enforced
	TrackQuotaRestricted                      // track_quota 2: only where a quota is set
)

// QuotaTrackingFromConfig maps data_provider.track_quota (0, 1, 2).
func QuotaTrackingFromConfig(trackQuota int) QuotaTracking {
	switch trackQuota {
	case 0:
		return TrackQuotaDisabled
	case 2:
		return TrackQuotaRestricted
	}
	return TrackQuotaAlways
}

// Deps are the collaborators of a Server.
type Deps struct {
	Store  Store
	KMS    Decrypter
	Logger *slog.Logger
	// UsersBaseDir is where homes of users with an empty home_dir go.
	UsersBaseDir string
	// TrackQuota comes from data_provider.track_quota through
	// QuotaTrackingFromConfig; the zero value tracks always.
	TrackQuota QuotaTracking
	// NewFs overrides NewFs (tests); nil uses NewFs.
	NewFs FsFactory
	// TempSweepInterval overrides how often local roots are swept for
	// orphaned upload temp files (default one hour).
	TempSweepInterval time.Duration
	// IdleCheckInterval overrides how often idle connections are looked
	// for (default one minute).
	IdleCheckInterval time.Duration
	// Login holds the extension points of the login path (login_hooks.go).
	Login LoginHooks
	// TOTPConfigs is mfa.totp: the algorithm of each configuration name.
	TOTPConfigs []config.TOTPConfig
	// Actions runs common.actions (actions.go); nil runs none.
	Actions ActionHook
	// PostDisconnect runs common.post_disconnect_hook (actions.go).
	PostDisconnect DisconnectHook
	// Now overrides the clock and Local the zone common.tz "local"
	// means (tests); nil uses time.Now and time.Local.
	Now   func() time.Time
	Local *time.Location
	// Metrics counts transfers, logins and connections; nil counts nothing.
	Metrics *metrics.Metrics
}

// Metrics returns the process's metrics (nil when none were given), for
// the protocol servers' own counters (SSH commands, HTTP requests).
func (s *Server) Metrics() *metrics.Metrics {
	if s == nil {
		return nil
	}
	return s.deps.Metrics
}

// Server is the state shared by every protocol server of one process.
type Server struct {
	cfg    config.CommonConfig
	deps   Deps
	log    *slog.Logger
	newFs  FsFactory
	umask  os.FileMode
	idle   time.Duration
	reg    registry
	remote *remoteStorage
	shared *sharedBackends
	quota  quotaScopes
	temps  *tempJanitor
	isRoot bool // may chown new files to users' uid/gid
	// open files per user, capped at MaxOpenFilesPerUser (openfiles.go)
	openFiles openFiles
	// usedCodes refuses a TOTP code accepted once (totp_replay.go)
	usedCodes *UsedCodes
	stop      chan struct{}
	done      chan struct{}
	closed    sync.Once
}

// New builds the shared server and starts its idle-connection checker;
// Close stops it.
func New(cfg config.CommonConfig, deps Deps) (*Server, error) {
	if cfg.UploadMode < 0 || cfg.UploadMode > 2 {
		return nil, fmt.Errorf("common: invalid upload_mode %d", cfg.UploadMode)
	}
	if cfg.SetstatMode < 0 || cfg.SetstatMode > 2 {
		return nil, fmt.Errorf("common: invalid setstat_mode %d", cfg.SetstatMode)
	}
	if deps.Store == nil {
		return nil, errors.New("common: a store is required")
	}
	s := &Server{
		cfg:   cfg,
		deps:  deps,
		log:   deps.Logger,
		newFs: deps.NewFs,
		idle:  time.Duration(cfg.IdleTimeout) * time.Minute,
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.remote = newRemoteStorage(cfg.AllowSelfConnections == 1, s.log)
	s.shared = newSharedBackends(cloudLinger)
	if s.newFs == nil {
		s.newFs = s.remote.newFs
	}
	s.umask = 0o022
	if cfg.Umask != "" {
		v, err := strconv.ParseUint(cfg.Umask, 8, 32)
		if err != nil {
			return nil, fmt.Errorf("common: invalid umask %q: %w", cfg.Umask, err)
		}
		s.umask = os.FileMode(v) & 0o777
	}
	s.reg.init()
	s.usedCodes = NewUsedCodes(deps.Now)
	interval := deps.IdleCheckInterval
	if interval <= 0 {
		interval = time.Minute
	}
	go s.idleChecker(interval)
	s.isRoot = runtime.GOOS != "windows" && os.Geteuid() == 0
	s.temps = newTempJanitor()
	sweep := deps.TempSweepInterval
	if sweep <= 0 {
		sweep = time.Hour
	}
	go s.runJanitor(sweep)
	if deps.UsersBaseDir != "" {
		s.trackRoot(deps.UsersBaseDir)
	}
	return s, nil
}

// Config returns the common configuration.
func (s *Server) Config() config.CommonConfig { return s.cfg }

// Logger returns the server's logger.
func (s *Server) Logger() *slog.Logger { return s.log }

// Store returns the data provider store.
func (s *Server) Store() Store { return s.deps.Store }

// Close stops the idle checker and closes every registered connection.
func (s *Server) Close() error {
	s.closed.Do(func() {
		close(s.stop)
		<-s.done
		<-s.temps.done
		for _, c := range s.reg.all() {
			c.Disconnect()
		}
		s.remote.close()
		s.shared.close()
	})
	return nil
}

func (s *Server) idleChecker(interval time.Duration) {
	defer close(s.done)
	if s.idle <= 0 {
		<-s.stop
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case now := <-t.C:
			s.CloseIdle(now)
		}
	}
}

// CloseIdle disconnects connections with no activity since now minus
// idle_timeout and no transfer in progress; it returns how many it closed.
func (s *Server) CloseIdle(now time.Time) int {
	if s.idle <= 0 {
		return 0
	}
	n := 0
	for _, c := range s.reg.all() {
		if c.hasTransfers() {
			continue
		}
		if now.Sub(c.LastActivity()) > s.idle {
			s.log.Info("closing idle connection", "conn_id", c.ID(), "user", c.User.Username,
				"proto", c.Protocol(), "idle", now.Sub(c.LastActivity()).Round(time.Second))
			c.Disconnect()
			n++
		}
	}
	return n
}

var _ Store = (*dataprovider.Store)(nil)
