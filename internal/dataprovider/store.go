package dataprovider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// Errors returned by the Store; callers compare with errors.Is.
var (
	ErrNotFound           = errors.New("not found")
	ErrConflict           = errors.New("conflict")
	ErrInvalidCredentials = errors.New("invalid credentials")
	ErrValidation         = errors.New("validation error")
	// ErrSchemaOutdated: the database needs migrating and update_mode forbids it.
	ErrSchemaOutdated = errors.New("database schema is outdated")
)

// ValidationError names the field that failed validation.
// errors.Is(err, ErrValidation) holds for it.
type ValidationError struct {
	Field string
	Msg   string
	// Detail is the underlying library error, for the log only: Msg says
	// what is wrong in the user's words.
	Detail error
}

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// Is makes errors.Is(err, ErrValidation) true.
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

// Options are what a Store is built from.
type Options struct {
	Config config.DataProviderConfig
	// ConfigDir resolves a relative SQLite file name, users_base_dir and
	// backups_path.
	ConfigDir string
	KMS       *kms.Manager
	Logger    *slog.Logger
	// Secrets, when set, encrypts and decrypts secrets instead of KMS
	// (tests, embedders).
	Secrets SecretEncrypter
	// SecretMinEntropy is common.secret_min_entropy: the minimum
	// estimated entropy, in bits, of the encryption passphrase and the
	// S3 SSE-C key submitted in clear; 0 disables the check.
	SecretMinEntropy float64
	// EventCommands are the commands event actions may run
	// (common.event_manager.enabled_commands).
	EventCommands []string
}

// Restore modes for loaddata.
const (
	RestoreModeAddUpdate  = 0 // add new objects, update existing ones
	RestoreModeAddOnly    = 1 // add new objects, leave existing ones alone
	RestoreModeDisconnect = 2 // like 0 and disconnect updated users (done by the caller)
)

// Store is the data provider: validation, password hashing, secret
// encryption and caching over a Driver (sqlite, memory, ...).
type Store struct {
	listeners    userListeners
	objects      objectListeners
	peers        peerListeners
	cfg          config.DataProviderConfig
	driver       Driver
	secrets      SecretEncrypter
	hasher       passwordHasher
	pwdCache     *passwordCache
	log          *slog.Logger
	usersBaseDir string
	dummyOnce    sync.Once
	dummyHash    string
	quota        *quotaBuffer // delayed_quota_update, nil when off

	// secretMinEntropy: see Options.SecretMinEntropy
	secretMinEntropy float64
	// event manager: enabled commands and change listeners
	eventCmdsMu    sync.RWMutex
	eventCmds      []string
	eventListeners []func()
}

func nowMillis() int64 { return time.Now().UnixMilli() }

// Open opens the configured driver. It does not migrate the schema.
// The memory driver starts at CurrentSchemaVersion and, when
// data_provider.name names a file, loads it as a dump.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if err := checkShared(opts.Config.Driver, opts.Config.IsShared); err != nil {
		return nil, err
	}
	s := &Store{cfg: opts.Config, log: opts.Logger, hasher: newPasswordHasher(opts.Config.PasswordHashing),
		secretMinEntropy: opts.SecretMinEntropy}
	s.eventCmds = opts.EventCommands
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case opts.Secrets != nil:
		s.secrets = opts.Secrets
	case opts.KMS != nil:
		s.secrets = opts.KMS
	default:
		s.secrets = noKMS{}
	}
	if opts.Config.PasswordCaching {
		s.pwdCache = newPasswordCache()
	}
	s.usersBaseDir = config.ResolvePath(opts.ConfigDir, opts.Config.UsersBaseDir)
	switch opts.Config.Driver {
	case "sqlite", "":
		name := opts.Config.Name
		if name == "" {
			name = "sftpgo.db"
		}
		d, err := openSQLite(ctx, config.ResolvePath(opts.ConfigDir, name), opts.Config.SQLTablesPrefix, opts.Config.PoolSize, s.log)
		if err != nil {
			return nil, err
		}
		s.driver = d
	case "postgresql":
		d, err := openPostgres(ctx, opts.Config, opts.ConfigDir)
		if err != nil {
			return nil, err
		}
		s.driver = d
	case "mysql":
		d, err := openMySQL(ctx, opts.Config, opts.ConfigDir)
		if err != nil {
			return nil, err
		}
		s.driver = d
	case "bolt":
		name := opts.Config.Name
		if name == "" {
			name = "sftpgo.bolt"
		}
		d, err := openBolt(config.ResolvePath(opts.ConfigDir, name), s.log)
		if err != nil {
			return nil, err
		}
		s.driver = d
	case "memory":
		d := newMemDriver()
		d.state.version = CurrentSchemaVersion
		s.driver = d
		if opts.Config.Name != "" {
			if err := s.loadDumpFile(ctx, config.ResolvePath(opts.ConfigDir, opts.Config.Name)); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("dataprovider: unsupported driver %q (supported: sqlite, postgresql, mysql, bolt, memory)", opts.Config.Driver)
	}
	switch {
	case opts.Config.DelayedQuotaUpdate > 0:
		s.startQuotaBuffer(time.Duration(opts.Config.DelayedQuotaUpdate)*time.Second, false)
	case opts.Config.Driver == "postgresql" || opts.Config.Driver == "mysql":
		// usage recorded while the database server is away is kept
		s.startQuotaBuffer(quotaRetryPeriod, true)
	}
	return s, nil
}

// loadDumpFile seeds the memory driver from a dumpdata file.
func (s *Store) loadDumpFile(ctx context.Context, file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("dataprovider: memory provider: %w", err)
	}
	var data BackupData
	if err := json.Unmarshal(b, &data); err != nil {
		return fmt.Errorf("dataprovider: memory provider: decode %s: %w", file, err)
	}
	if err := s.Restore(ctx, &data, RestoreModeAddUpdate); err != nil {
		return fmt.Errorf("dataprovider: memory provider: load %s: %w", file, err)
	}
	return nil
}

// Close writes pending delayed quota updates and releases the driver.
func (s *Store) Close() error {
	s.stopQuotaBuffer()
	return s.driver.Close()
}

// Driver returns the underlying driver (persistence only, no validation).
func (s *Store) Driver() Driver { return s.driver }

// DecryptSecret returns the clear payload of a stored secret, for the code
// that builds a user's filesystem.
func (s *Store) DecryptSecret(sec *kms.Secret) (string, error) {
	if sec.IsEmpty() {
		return "", nil
	}
	return s.secrets.Decrypt(sec)
}

// CurrentSchemaVersion is the schema this build expects.
const CurrentSchemaVersion = 7

// ErrSchemaNewer: the database was migrated by a newer build.
var ErrSchemaNewer = errors.New("database schema is newer than this build supports")

// SchemaVersion returns the schema version in the database, 0 if empty.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) { return s.driver.SchemaVersion(ctx) }

// Migrate brings the schema up to CurrentSchemaVersion.
func (s *Store) Migrate(ctx context.Context) error {
	if d, sv, ok, err := s.sftpgoDriver(ctx); err != nil || ok {
		if err != nil {
			return err
		}
		return s.takeover(ctx, d, sv) // an SFTPGo database: see takeover.go
	}
	v, err := s.driver.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if v > CurrentSchemaVersion {
		return fmt.Errorf("dataprovider: schema version %d, this build knows up to %d: %w", v, CurrentSchemaVersion, ErrSchemaNewer)
	}
	if v == CurrentSchemaVersion {
		return nil
	}
	s.log.Info("migrating data provider schema", "from", v, "to", CurrentSchemaVersion)
	if err := s.driver.MigrateTo(ctx, CurrentSchemaVersion); err != nil {
		return err
	}
	if v > 0 && v < 6 {
		s.adoptEventSections(ctx)
	}
	if v < 7 {
		// roles had no store of their own before version 7
		return s.importRoleSection(ctx)
	}
	return nil
}

// Revert walks the schema down to version.
func (s *Store) Revert(ctx context.Context, version int) error {
	if version >= SFTPGoMinSchema && version <= SFTPGoMaxSchema {
		return s.revertToSFTPGo(ctx, version) // see takeover_revert.go
	}
	if version < 1 || version > CurrentSchemaVersion {
		return fmt.Errorf("dataprovider: cannot revert to version %d: valid versions are 1 to %d, or %d to %d to hand a database taken over from SFTPGo back to it",
			version, CurrentSchemaVersion, SFTPGoMinSchema, SFTPGoMaxSchema)
	}
	v, err := s.driver.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if v > CurrentSchemaVersion {
		return fmt.Errorf("dataprovider: schema version %d, this build knows up to %d: %w", v, CurrentSchemaVersion, ErrSchemaNewer)
	}
	if v == 0 {
		return fmt.Errorf("dataprovider: cannot revert: the database is not initialized")
	}
	if version >= v {
		return fmt.Errorf("dataprovider: cannot revert to version %d: the schema is at version %d", version, v)
	}
	s.log.Info("reverting data provider schema", "from", v, "to", version)
	if v >= 7 && version < 7 {
		// an older build keeps roles verbatim in the backup section
		if err := s.exportRoleSection(ctx); err != nil {
			return err
		}
	}
	return s.driver.MigrateTo(ctx, version)
}

// CheckSchema reports ErrSchemaOutdated when the database needs
// migrating (for update_mode 1) and ErrSchemaNewer when it was migrated
// by a newer build.
func (s *Store) CheckSchema(ctx context.Context) error {
	if _, sv, ok, err := s.sftpgoDriver(ctx); err != nil || ok {
		if err != nil {
			return err
		}
		if err := checkSFTPGoVersion(sv); err != nil {
			return err
		}
		return fmt.Errorf("dataprovider: SFTPGo database at schema version %d, run initprovider to take it over: %w", sv, ErrSchemaOutdated)
	}
	v, err := s.driver.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	switch {
	case v < CurrentSchemaVersion:
		return fmt.Errorf("dataprovider: schema version %d, expected %d, run initprovider: %w", v, CurrentSchemaVersion, ErrSchemaOutdated)
	case v > CurrentSchemaVersion:
		return fmt.Errorf("dataprovider: schema version %d, this build knows up to %d: %w", v, CurrentSchemaVersion, ErrSchemaNewer)
	}
	return nil
}

// Reset drops every table.
func (s *Store) Reset(ctx context.Context) error {
	if s.pwdCache != nil {
		s.pwdCache = newPasswordCache()
	}
	return s.driver.Reset(ctx)
}

// CheckAvailability pings the database.
func (s *Store) CheckAvailability(ctx context.Context) error { return s.driver.Ping(ctx) }

func parseOrder(order string) (bool, error) {
	switch strings.ToUpper(order) {
	case "", "ASC":
		return false, nil
	case "DESC":
		return true, nil
	}
	return false, invalid("order", "must be ASC or DESC")
}

func (s *Store) name(n string) string { return normalizeName(n, s.cfg.NamingRules) }

// hashPassword hashes a new password unless it already is a hash.
func (s *Store) hashPassword(p string) (string, error) { return s.hasher.hash(p) }
