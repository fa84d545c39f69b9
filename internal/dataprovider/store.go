package dataprovider

import (
	"context"
	"errors"
	"log/slog"

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
}

// Restore modes for loaddata.
const (
	RestoreModeAddUpdate  = 0 // add new objects, update existing ones
	RestoreModeAddOnly    = 1 // add new objects, leave existing ones alone
	RestoreModeDisconnect = 2 // like 0 and disconnect updated users (done by the caller)
)

var errTODO = errors.New("dataprovider: not implemented yet")

// Store is the data provider: validation, password hashing, secret
// encryption and caching over a Driver (sqlite, memory, ...).
type Store struct{}

// Open opens the configured driver. It does not migrate the schema.
func Open(ctx context.Context, opts Options) (*Store, error) { return nil, errTODO }

// Close releases the driver.
func (s *Store) Close() error { return errTODO }

// CurrentSchemaVersion is the schema this build expects.
const CurrentSchemaVersion = 0

// SchemaVersion returns the schema version in the database, 0 if empty.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) { return 0, errTODO }

// Migrate brings the schema up to CurrentSchemaVersion.
func (s *Store) Migrate(ctx context.Context) error { return errTODO }

// Revert walks the schema down to version.
func (s *Store) Revert(ctx context.Context, version int) error { return errTODO }

// Reset drops every table.
func (s *Store) Reset(ctx context.Context) error { return errTODO }

// CheckAvailability pings the database.
func (s *Store) CheckAvailability(ctx context.Context) error { return errTODO }

// AddUser validates, hashes the password, encrypts secrets and stores u;
// on success u holds the stored values (ID, timestamps).
func (s *Store) AddUser(ctx context.Context, u *User) error { return errTODO }

// UpdateUser replaces a user; an empty password keeps the stored hash and
// a redacted secret keeps the stored secret.
func (s *Store) UpdateUser(ctx context.Context, u *User) error { return errTODO }

// DeleteUser removes a user.
func (s *Store) DeleteUser(ctx context.Context, username string) error { return errTODO }

// GetUser returns a user as stored, virtual folders resolved.
func (s *Store) GetUser(ctx context.Context, username string) (User, error) {
	return User{}, errTODO
}

// GetEffectiveUser returns a user with its groups' settings applied: what
// the protocols act on.
func (s *Store) GetEffectiveUser(ctx context.Context, username string) (User, error) {
	return User{}, errTODO
}

// ListUsers pages through users ordered by username; order "ASC" or "DESC".
func (s *Store) ListUsers(ctx context.Context, limit, offset int, order string) ([]User, error) {
	return nil, errTODO
}

// CheckUserPassword authenticates a user by password and returns the
// effective user; ErrInvalidCredentials on any mismatch.
func (s *Store) CheckUserPassword(ctx context.Context, username, password string) (User, error) {
	return User{}, errTODO
}

// CheckUserPublicKey authenticates a user by an SSH public key in wire
// format and returns the effective user.
func (s *Store) CheckUserPublicKey(ctx context.Context, username string, pubKey []byte) (User, error) {
	return User{}, errTODO
}

// UpdateUserQuota adds to (or, with reset, sets) a user's used quota.
func (s *Store) UpdateUserQuota(ctx context.Context, username string, size int64, files int, reset bool) error {
	return errTODO
}

// UpdateUserTransferQuota adds to (or resets) a user's transferred bytes.
func (s *Store) UpdateUserTransferQuota(ctx context.Context, username string, uploaded, downloaded int64, reset bool) error {
	return errTODO
}

// UpdateFolderQuota adds to (or, with reset, sets) a folder's used quota.
func (s *Store) UpdateFolderQuota(ctx context.Context, name string, size int64, files int, reset bool) error {
	return errTODO
}

// UpdateLastLogin records a successful login.
func (s *Store) UpdateLastLogin(ctx context.Context, username string) error { return errTODO }

// AddGroup validates and stores a group.
func (s *Store) AddGroup(ctx context.Context, g *Group) error { return errTODO }

// UpdateGroup replaces a group.
func (s *Store) UpdateGroup(ctx context.Context, g *Group) error { return errTODO }

// DeleteGroup removes a group; ErrConflict while users are members.
func (s *Store) DeleteGroup(ctx context.Context, name string) error { return errTODO }

// GetGroup returns a group.
func (s *Store) GetGroup(ctx context.Context, name string) (Group, error) {
	return Group{}, errTODO
}

// ListGroups pages through groups.
func (s *Store) ListGroups(ctx context.Context, limit, offset int, order string) ([]Group, error) {
	return nil, errTODO
}

// AddFolder validates and stores a virtual folder.
func (s *Store) AddFolder(ctx context.Context, f *BaseVirtualFolder) error { return errTODO }

// UpdateFolder replaces a folder.
func (s *Store) UpdateFolder(ctx context.Context, f *BaseVirtualFolder) error { return errTODO }

// DeleteFolder removes a folder and its mappings.
func (s *Store) DeleteFolder(ctx context.Context, name string) error { return errTODO }

// GetFolder returns a folder with the users and groups that mount it.
func (s *Store) GetFolder(ctx context.Context, name string) (BaseVirtualFolder, error) {
	return BaseVirtualFolder{}, errTODO
}

// ListFolders pages through folders.
func (s *Store) ListFolders(ctx context.Context, limit, offset int, order string) ([]BaseVirtualFolder, error) {
	return nil, errTODO
}

// AddAdmin validates, hashes the password and stores an admin.
func (s *Store) AddAdmin(ctx context.Context, a *Admin) error { return errTODO }

// UpdateAdmin replaces an admin; an empty password keeps the stored hash.
func (s *Store) UpdateAdmin(ctx context.Context, a *Admin) error { return errTODO }

// DeleteAdmin removes an admin.
func (s *Store) DeleteAdmin(ctx context.Context, username string) error { return errTODO }

// GetAdmin returns an admin.
func (s *Store) GetAdmin(ctx context.Context, username string) (Admin, error) {
	return Admin{}, errTODO
}

// ListAdmins pages through admins.
func (s *Store) ListAdmins(ctx context.Context, limit, offset int, order string) ([]Admin, error) {
	return nil, errTODO
}

// HasAdmin reports whether at least one admin exists.
func (s *Store) HasAdmin(ctx context.Context) (bool, error) { return false, errTODO }

// CheckAdminPassword authenticates an admin.
func (s *Store) CheckAdminPassword(ctx context.Context, username, password string) (Admin, error) {
	return Admin{}, errTODO
}

// AddAPIKey generates and stores a key; on return k.Key holds the plain
// key, shown to the caller once.
func (s *Store) AddAPIKey(ctx context.Context, k *APIKey) error { return errTODO }

// UpdateAPIKey changes a key's name, description, expiry and owner.
func (s *Store) UpdateAPIKey(ctx context.Context, k *APIKey) error { return errTODO }

// DeleteAPIKey removes a key by its id.
func (s *Store) DeleteAPIKey(ctx context.Context, keyID string) error { return errTODO }

// GetAPIKey returns a key by its id, without the secret.
func (s *Store) GetAPIKey(ctx context.Context, keyID string) (APIKey, error) {
	return APIKey{}, errTODO
}

// ListAPIKeys pages through keys.
func (s *Store) ListAPIKeys(ctx context.Context, limit, offset int, order string) ([]APIKey, error) {
	return nil, errTODO
}

// AuthenticateAPIKey checks a plain key and records its use.
func (s *Store) AuthenticateAPIKey(ctx context.Context, key string) (APIKey, error) {
	return APIKey{}, errTODO
}

// Dump returns every object for a backup.
func (s *Store) Dump(ctx context.Context) (*BackupData, error) { return nil, errTODO }

// Restore loads a backup; a failure leaves the database unchanged.
func (s *Store) Restore(ctx context.Context, data *BackupData, mode int) error { return errTODO }
