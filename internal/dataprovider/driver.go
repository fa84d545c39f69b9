package dataprovider

import "context"

// Ops are the persistence operations of a Driver. They store and return
// objects exactly as given: validation, password hashing and secret
// encryption belong to the Store. Implementations enforce uniqueness
// (ErrConflict), existence (ErrNotFound) and referential integrity:
//
//   - a user's groups and virtual folders, and a group's virtual folders,
//     must exist (ErrNotFound otherwise);
//   - deleting a folder removes its mappings from users and groups;
//   - deleting a group that still has member users fails with ErrConflict;
//   - deleting a user removes its API keys and shares; deleting an admin
//     removes its API keys.
//
// Users and groups are stored with their VirtualFolders reduced to the
// mapping (folder name, virtual path, quotas); reads resolve the folder.
// Usage counters (used quota, transferred bytes, last login) are only
// changed by the dedicated methods: Update* keeps the stored values.
type Ops interface {
	GetUser(ctx context.Context, username string) (User, error)
	ListUsers(ctx context.Context, limit, offset int, desc bool) ([]User, error)
	AddUser(ctx context.Context, u *User) error
	UpdateUser(ctx context.Context, u *User) error
	DeleteUser(ctx context.Context, username string) error
	// UpdateUserQuota adds size/files to the used quota, or sets it when reset.
	UpdateUserQuota(ctx context.Context, username string, size int64, files int, reset bool) error
	UpdateUserTransferQuota(ctx context.Context, username string, uploaded, downloaded int64, reset bool) error
	SetUserLastLogin(ctx context.Context, username string, at int64) error

	GetGroup(ctx context.Context, name string) (Group, error)
	ListGroups(ctx context.Context, limit, offset int, desc bool) ([]Group, error)
	AddGroup(ctx context.Context, g *Group) error
	UpdateGroup(ctx context.Context, g *Group) error
	DeleteGroup(ctx context.Context, name string) error

	GetFolder(ctx context.Context, name string) (BaseVirtualFolder, error)
	ListFolders(ctx context.Context, limit, offset int, desc bool) ([]BaseVirtualFolder, error)
	AddFolder(ctx context.Context, f *BaseVirtualFolder) error
	UpdateFolder(ctx context.Context, f *BaseVirtualFolder) error
	DeleteFolder(ctx context.Context, name string) error
	UpdateFolderQuota(ctx context.Context, name string, size int64, files int, reset bool) error

	GetAdmin(ctx context.Context, username string) (Admin, error)
	ListAdmins(ctx context.Context, limit, offset int, desc bool) ([]Admin, error)
	AddAdmin(ctx context.Context, a *Admin) error
	UpdateAdmin(ctx context.Context, a *Admin) error
	DeleteAdmin(ctx context.Context, username string) error
	CountAdmins(ctx context.Context) (int, error)
	SetAdminLastLogin(ctx context.Context, username string, at int64) error

	// API keys are stored with Key holding the hash of the secret part.
	GetAPIKey(ctx context.Context, keyID string) (APIKey, error)
	ListAPIKeys(ctx context.Context, limit, offset int, desc bool) ([]APIKey, error)
	AddAPIKey(ctx context.Context, k *APIKey) error
	UpdateAPIKey(ctx context.Context, k *APIKey) error
	DeleteAPIKey(ctx context.Context, keyID string) error
	SetAPIKeyLastUse(ctx context.Context, keyID string, at int64) error

	GetShare(ctx context.Context, shareID string) (Share, error)
	ListShares(ctx context.Context, limit, offset int, desc bool) ([]Share, error)
	AddShare(ctx context.Context, sh *Share) error
	UpdateShare(ctx context.Context, sh *Share) error
	DeleteShare(ctx context.Context, shareID string) error

	// GetSection and SetSection keep opaque JSON documents by name: the
	// backup sections this build does not interpret (event rules, roles,
	// IP lists, configs). A missing section reads as nil.
	GetSection(ctx context.Context, name string) ([]byte, error)
	SetSection(ctx context.Context, name string, data []byte) error
}

// Driver is a storage backend for the Store.
type Driver interface {
	Ops
	// InTx runs fn atomically: either everything fn did through the given
	// Ops is kept, or nothing is (fn returned an error).
	InTx(ctx context.Context, fn func(Ops) error) error
	// SchemaVersion returns the version recorded in the database, 0 when
	// the database is empty.
	SchemaVersion(ctx context.Context) (int, error)
	// MigrateTo walks the schema up or down to version, one step per
	// transaction.
	MigrateTo(ctx context.Context, version int) error
	// Reset drops every table (or forgets everything).
	Reset(ctx context.Context) error
	Ping(ctx context.Context) error
	Close() error
}

// Section names of the opaque backup sections.
const (
	sectionEventActions = "event_actions"
	sectionEventRules   = "event_rules"
	sectionRoles        = "roles"
	sectionIPLists      = "ip_lists"
	sectionConfigs      = "configs"
)
