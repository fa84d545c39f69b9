package dataprovider

// BaseVirtualFolder is a folder that can be mounted into users' and groups'
// trees; it owns its storage configuration and quota usage.
type BaseVirtualFolder struct {
	ID              int64      `json:"id"`
	Name            string     `json:"name"`
	MappedPath      string     `json:"mapped_path,omitempty"`
	Description     string     `json:"description,omitempty"`
	UsedQuotaSize   int64      `json:"used_quota_size"`
	UsedQuotaFiles  int        `json:"used_quota_files"`
	LastQuotaUpdate int64      `json:"last_quota_update"`
	Users           []string   `json:"users,omitempty"`
	Groups          []string   `json:"groups,omitempty"`
	FsConfig        Filesystem `json:"filesystem"`
}

// VirtualFolder is a folder mounted at VirtualPath in a user's or group's
// tree. QuotaSize/QuotaFiles -1 mean "counted in the user's quota", 0 means
// unlimited.
type VirtualFolder struct {
	BaseVirtualFolder
	VirtualPath string `json:"virtual_path"`
	QuotaSize   int64  `json:"quota_size"`
	QuotaFiles  int    `json:"quota_files"`
}

// GroupUserSettings are the user settings a group contributes to members.
type GroupUserSettings struct {
	HomeDir              string              `json:"home_dir,omitempty"`
	MaxSessions          int                 `json:"max_sessions"`
	QuotaSize            int64               `json:"quota_size"`
	QuotaFiles           int                 `json:"quota_files"`
	Permissions          map[string][]string `json:"permissions,omitempty"`
	UploadBandwidth      int64               `json:"upload_bandwidth"`
	DownloadBandwidth    int64               `json:"download_bandwidth"`
	UploadDataTransfer   int64               `json:"upload_data_transfer"`
	DownloadDataTransfer int64               `json:"download_data_transfer"`
	TotalDataTransfer    int64               `json:"total_data_transfer"`
	ExpiresIn            int                 `json:"expires_in,omitempty"`
	Filters              UserFilters         `json:"filters"`
	FsConfig             Filesystem          `json:"filesystem"`
}

// Group shares settings and virtual folders among users.
type Group struct {
	ID             int64             `json:"id"`
	Name           string            `json:"name"`
	Description    string            `json:"description,omitempty"`
	CreatedAt      int64             `json:"created_at"`
	UpdatedAt      int64             `json:"updated_at"`
	UserSettings   GroupUserSettings `json:"user_settings"`
	VirtualFolders []VirtualFolder   `json:"virtual_folders,omitempty"`
	Users          []string          `json:"users,omitempty"`
	Admins         []string          `json:"admins,omitempty"`
}
