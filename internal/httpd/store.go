package httpd

import (
	"context"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// store is the part of *dataprovider.Store the REST API and web UIs use,
// made of one small interface per kind of object; the optional ones
// (event rules, IP lists, roles, quota scans, TOTP secrets) are asserted
// where a handler needs them (eventStore, ipListStore, ...).
type store interface {
	availabilityStore
	userStore
	groupStore
	folderStore
	adminStore
	apiKeyStore
	shareStore
	authStore
	backupStore
}

type availabilityStore interface {
	CheckAvailability(ctx context.Context) error
}

type userStore interface {
	AddUser(ctx context.Context, u *dataprovider.User) error
	UpdateUser(ctx context.Context, u *dataprovider.User) error
	DeleteUser(ctx context.Context, username string) error
	GetUser(ctx context.Context, username string) (dataprovider.User, error)
	ListUsers(ctx context.Context, limit, offset int, order string) ([]dataprovider.User, error)
	SearchUsers(ctx context.Context, q, role string, limit, offset int) ([]dataprovider.User, bool, error)
	GetEffectiveUser(ctx context.Context, username string) (dataprovider.User, error)
	UpdateUserQuota(ctx context.Context, username string, size int64, files int, reset bool) error
	UpdateUserTransferQuota(ctx context.Context, username string, uploaded, downloaded int64, reset bool) error
}

type groupStore interface {
	AddGroup(ctx context.Context, g *dataprovider.Group) error
	UpdateGroup(ctx context.Context, g *dataprovider.Group) error
	DeleteGroup(ctx context.Context, name string) error
	GetGroup(ctx context.Context, name string) (dataprovider.Group, error)
	ListGroups(ctx context.Context, limit, offset int, order string) ([]dataprovider.Group, error)
}

type folderStore interface {
	AddFolder(ctx context.Context, f *dataprovider.BaseVirtualFolder) error
	UpdateFolder(ctx context.Context, f *dataprovider.BaseVirtualFolder) error
	DeleteFolder(ctx context.Context, name string) error
	GetFolder(ctx context.Context, name string) (dataprovider.BaseVirtualFolder, error)
	ListFolders(ctx context.Context, limit, offset int, order string) ([]dataprovider.BaseVirtualFolder, error)
	UpdateFolderQuota(ctx context.Context, name string, size int64, files int, reset bool) error
}

type adminStore interface {
	AddAdmin(ctx context.Context, a *dataprovider.Admin) error
	UpdateAdmin(ctx context.Context, a *dataprovider.Admin) error
	DeleteAdmin(ctx context.Context, username string) error
	GetAdmin(ctx context.Context, username string) (dataprovider.Admin, error)
	ListAdmins(ctx context.Context, limit, offset int, order string) ([]dataprovider.Admin, error)
	HasAdmin(ctx context.Context) (bool, error)
	UpdateAdminLastLogin(ctx context.Context, username string) error
}

type apiKeyStore interface {
	AddAPIKey(ctx context.Context, k *dataprovider.APIKey) error
	UpdateAPIKey(ctx context.Context, k *dataprovider.APIKey) error
	DeleteAPIKey(ctx context.Context, keyID string) error
	GetAPIKey(ctx context.Context, keyID string) (dataprovider.APIKey, error)
	ListAPIKeys(ctx context.Context, limit, offset int, order string) ([]dataprovider.APIKey, error)
}

type shareStore interface {
	AddShare(ctx context.Context, sh *dataprovider.Share) error
	UpdateShare(ctx context.Context, sh *dataprovider.Share) error
	DeleteShare(ctx context.Context, shareID, username string) error
	GetShare(ctx context.Context, shareID string) (dataprovider.Share, error)
	GetUserShare(ctx context.Context, shareID, username string) (dataprovider.Share, error)
	ListUserShares(ctx context.Context, username string, limit, offset int, order string) ([]dataprovider.Share, error)
	CheckSharePassword(sh *dataprovider.Share, password string) bool
	UseShare(ctx context.Context, shareID string, tokens int) error
}

// authStore checks the credentials of the sign-ins.
type authStore interface {
	CheckUserPassword(ctx context.Context, username, password string) (dataprovider.User, error)
	CheckAdminPassword(ctx context.Context, username, password string) (dataprovider.Admin, error)
	AuthenticateAPIKey(ctx context.Context, key string) (dataprovider.APIKey, error)
}

type backupStore interface {
	Dump(ctx context.Context) (*dataprovider.BackupData, error)
	Restore(ctx context.Context, data *dataprovider.BackupData, mode int) error
}

var _ store = (*dataprovider.Store)(nil)
