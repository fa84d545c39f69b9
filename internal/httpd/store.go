package httpd

import (
	"context"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// store is the part of *dataprovider.Store the REST API and web UIs use.
type store interface {
	CheckAvailability(ctx context.Context) error

	AddUser(ctx context.Context, u *dataprovider.User) error
	UpdateUser(ctx context.Context, u *dataprovider.User) error
	DeleteUser(ctx context.Context, username string) error
	GetUser(ctx context.Context, username string) (dataprovider.User, error)
	ListUsers(ctx context.Context, limit, offset int, order string) ([]dataprovider.User, error)
	SearchUsers(ctx context.Context, q, role string, limit, offset int) ([]dataprovider.User, bool, error)
	UpdateUserQuota(ctx context.Context, username string, size int64, files int, reset bool) error
	UpdateUserTransferQuota(ctx context.Context, username string, uploaded, downloaded int64, reset bool) error
	UpdateFolderQuota(ctx context.Context, name string, size int64, files int, reset bool) error

	AddGroup(ctx context.Context, g *dataprovider.Group) error
	UpdateGroup(ctx context.Context, g *dataprovider.Group) error
	DeleteGroup(ctx context.Context, name string) error
	GetGroup(ctx context.Context, name string) (dataprovider.Group, error)
	ListGroups(ctx context.Context, limit, offset int, order string) ([]dataprovider.Group, error)

	AddFolder(ctx context.Context, f *dataprovider.BaseVirtualFolder) error
	UpdateFolder(ctx context.Context, f *dataprovider.BaseVirtualFolder) error
	DeleteFolder(ctx context.Context, name string) error
	GetFolder(ctx context.Context, name string) (dataprovider.BaseVirtualFolder, error)
	ListFolders(ctx context.Context, limit, offset int, order string) ([]dataprovider.BaseVirtualFolder, error)

	AddAdmin(ctx context.Context, a *dataprovider.Admin) error
	UpdateAdmin(ctx context.Context, a *dataprovider.Admin) error
	DeleteAdmin(ctx context.Context, username string) error
	GetAdmin(ctx context.Context, username string) (dataprovider.Admin, error)
	ListAdmins(ctx context.Context, limit, offset int, order string) ([]dataprovider.Admin, error)
	CheckAdminPassword(ctx context.Context, username, password string) (dataprovider.Admin, error)

	AddAPIKey(ctx context.Context, k *dataprovider.APIKey) error
	UpdateAPIKey(ctx context.Context, k *dataprovider.APIKey) error
	DeleteAPIKey(ctx context.Context, keyID string) error
	GetAPIKey(ctx context.Context, keyID string) (dataprovider.APIKey, error)
	ListAPIKeys(ctx context.Context, limit, offset int, order string) ([]dataprovider.APIKey, error)
	AuthenticateAPIKey(ctx context.Context, key string) (dataprovider.APIKey, error)

	GetEffectiveUser(ctx context.Context, username string) (dataprovider.User, error)
	CheckUserPassword(ctx context.Context, username, password string) (dataprovider.User, error)
	HasAdmin(ctx context.Context) (bool, error)
	UpdateAdminLastLogin(ctx context.Context, username string) error

	AddShare(ctx context.Context, sh *dataprovider.Share) error
	UpdateShare(ctx context.Context, sh *dataprovider.Share) error
	DeleteShare(ctx context.Context, shareID, username string) error
	GetShare(ctx context.Context, shareID string) (dataprovider.Share, error)
	GetUserShare(ctx context.Context, shareID, username string) (dataprovider.Share, error)
	ListUserShares(ctx context.Context, username string, limit, offset int, order string) ([]dataprovider.Share, error)
	CheckSharePassword(sh *dataprovider.Share, password string) bool
	UseShare(ctx context.Context, shareID string, tokens int) error

	Dump(ctx context.Context) (*dataprovider.BackupData, error)
	Restore(ctx context.Context, data *dataprovider.BackupData, mode int) error
}

var _ store = (*dataprovider.Store)(nil)
