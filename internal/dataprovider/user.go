package dataprovider

import "github.com/sftpgo-ng/sftpgo/internal/kms"

// User permissions, per virtual directory.
const (
	PermAny            = "*"
	PermListItems      = "list"
	PermDownload       = "download"
	PermUpload         = "upload"
	PermOverwrite      = "overwrite"
	PermDelete         = "delete"
	PermDeleteFiles    = "delete_files"
	PermDeleteDirs     = "delete_dirs"
	PermRename         = "rename"
	PermRenameFiles    = "rename_files"
	PermRenameDirs     = "rename_dirs"
	PermCreateDirs     = "create_dirs"
	PermCreateSymlinks = "create_symlinks"
	PermChmod          = "chmod"
	PermChown          = "chown"
	PermChtimes        = "chtimes"
	PermCopy           = "copy"
)

// ValidPerms lists every user permission.
var ValidPerms = []string{PermAny, PermListItems, PermDownload, PermUpload, PermOverwrite,
	PermDelete, PermDeleteFiles, PermDeleteDirs, PermRename, PermRenameFiles, PermRenameDirs,
	PermCreateDirs, PermCreateSymlinks, PermChmod, PermChown, PermChtimes, PermCopy}

// Login methods, as used in denied_login_methods.
const (
	LoginMethodPassword             = "password"
	LoginMethodPublicKey            = "publickey"
	LoginMethodKeyboardInteractive  = "keyboard-interactive"
	LoginMethodKeyAndPassword       = "publickey+password"
	LoginMethodKeyAndKeyboardInt    = "publickey+keyboard-interactive"
	LoginMethodTLSCertificate       = "TLSCertificate"
	LoginMethodTLSCertificateAndPwd = "TLSCertificate+password"
	// LoginMethodIDP is a sign-in through an OpenID Connect provider
	// (web admin and web client).
	LoginMethodIDP = "IDP"
)

// Protocols, as used in denied_protocols.
const (
	ProtocolSSH    = "SSH"
	ProtocolFTP    = "FTP"
	ProtocolWebDAV = "DAV"
	ProtocolHTTP   = "HTTP"
)

// User statuses.
const (
	StatusDisabled = 0
	StatusEnabled  = 1
)

// User is an account that logs in over the protocols.
type User struct {
	ID                       int64               `json:"id"`
	Status                   int                 `json:"status"`
	Username                 string              `json:"username"`
	Email                    string              `json:"email,omitempty"`
	Description              string              `json:"description,omitempty"`
	ExpirationDate           int64               `json:"expiration_date"`
	Password                 string              `json:"password,omitempty"`
	PublicKeys               []string            `json:"public_keys,omitempty"`
	HasPassword              bool                `json:"has_password,omitempty"`
	HomeDir                  string              `json:"home_dir"`
	UID                      int                 `json:"uid"`
	GID                      int                 `json:"gid"`
	MaxSessions              int                 `json:"max_sessions"`
	QuotaSize                int64               `json:"quota_size"`
	QuotaFiles               int                 `json:"quota_files"`
	Permissions              map[string][]string `json:"permissions"`
	UsedQuotaSize            int64               `json:"used_quota_size"`
	UsedQuotaFiles           int                 `json:"used_quota_files"`
	LastQuotaUpdate          int64               `json:"last_quota_update"`
	UploadBandwidth          int64               `json:"upload_bandwidth"`
	DownloadBandwidth        int64               `json:"download_bandwidth"`
	UploadDataTransfer       int64               `json:"upload_data_transfer"`
	DownloadDataTransfer     int64               `json:"download_data_transfer"`
	TotalDataTransfer        int64               `json:"total_data_transfer"`
	UsedUploadDataTransfer   int64               `json:"used_upload_data_transfer"`
	UsedDownloadDataTransfer int64               `json:"used_download_data_transfer"`
	CreatedAt                int64               `json:"created_at"`
	UpdatedAt                int64               `json:"updated_at"`
	LastLogin                int64               `json:"last_login"`
	FirstDownload            int64               `json:"first_download"`
	FirstUpload              int64               `json:"first_upload"`
	LastPasswordChange       int64               `json:"last_password_change"`
	Filters                  UserFilters         `json:"filters"`
	FsConfig                 Filesystem          `json:"filesystem"`
	VirtualFolders           []VirtualFolder     `json:"virtual_folders,omitempty"`
	Groups                   []GroupMapping      `json:"groups,omitempty"`
	AdditionalInfo           string              `json:"additional_info,omitempty"`
	Role                     string              `json:"role,omitempty"`
	OIDCCustomFields         map[string]any      `json:"oidc_custom_fields,omitempty"`
}

// Group mapping types: a user has at most one primary group.
const (
	GroupTypePrimary    = 1
	GroupTypeSecondary  = 2
	GroupTypeMembership = 3
)

// GroupMapping links a user to a group.
type GroupMapping struct {
	Name string `json:"name"`
	Type int    `json:"type"`
}

// PatternsFilter allows or denies file name patterns below a virtual path.
type PatternsFilter struct {
	Path            string   `json:"path"`
	AllowedPatterns []string `json:"allowed_patterns,omitempty"`
	DeniedPatterns  []string `json:"denied_patterns,omitempty"`
	// DenyPolicy 0: denied files are listed but not accessible; 1: hidden.
	DenyPolicy int `json:"deny_policy,omitempty"`
}

// BandwidthLimit overrides the user's bandwidth for some source networks.
type BandwidthLimit struct {
	Sources           []string `json:"sources"`
	UploadBandwidth   int64    `json:"upload_bandwidth,omitempty"`
	DownloadBandwidth int64    `json:"download_bandwidth,omitempty"`
}

// DataTransferLimit overrides the user's data transfer quota for some sources.
type DataTransferLimit struct {
	Sources              []string `json:"sources"`
	UploadDataTransfer   int64    `json:"upload_data_transfer,omitempty"`
	DownloadDataTransfer int64    `json:"download_data_transfer,omitempty"`
	TotalDataTransfer    int64    `json:"total_data_transfer,omitempty"`
}

// HooksFilter disables hooks for a user.
type HooksFilter struct {
	ExternalAuthDisabled  bool `json:"external_auth_disabled,omitempty"`
	PreLoginDisabled      bool `json:"pre_login_disabled,omitempty"`
	CheckPasswordDisabled bool `json:"check_password_disabled,omitempty"`
}

// TOTPConfig is a user's or admin's second factor.
type TOTPConfig struct {
	Enabled    bool        `json:"enabled,omitempty"`
	ConfigName string      `json:"config_name,omitempty"`
	Secret     *kms.Secret `json:"secret,omitempty"`
	Protocols  []string    `json:"protocols,omitempty"`
}

// RecoveryCode is a one-time second-factor replacement.
type RecoveryCode struct {
	Secret *kms.Secret `json:"secret"`
	Used   bool        `json:"used,omitempty"`
}

// TimePeriod is a weekly window in which logins are allowed.
type TimePeriod struct {
	DayOfWeek int    `json:"day_of_week"`
	From      string `json:"from"`
	To        string `json:"to"`
}

// UserFilters holds per-user restrictions.
type UserFilters struct {
	AllowedIP               []string            `json:"allowed_ip,omitempty"`
	DeniedIP                []string            `json:"denied_ip,omitempty"`
	DeniedLoginMethods      []string            `json:"denied_login_methods,omitempty"`
	DeniedProtocols         []string            `json:"denied_protocols,omitempty"`
	FilePatterns            []PatternsFilter    `json:"file_patterns,omitempty"`
	MaxUploadFileSize       int64               `json:"max_upload_file_size,omitempty"`
	TLSUsername             string              `json:"tls_username,omitempty"`
	Hooks                   HooksFilter         `json:"hooks,omitempty"`
	DisableFsChecks         bool                `json:"disable_fs_checks,omitempty"`
	WebClient               []string            `json:"web_client,omitempty"`
	AllowAPIKeyAuth         bool                `json:"allow_api_key_auth,omitempty"`
	UserType                string              `json:"user_type,omitempty"`
	BandwidthLimits         []BandwidthLimit    `json:"bandwidth_limits,omitempty"`
	DataTransferLimits      []DataTransferLimit `json:"data_transfer_limits,omitempty"`
	IsAnonymous             bool                `json:"is_anonymous,omitempty"`
	DefaultSharesExpiration int                 `json:"default_shares_expiration,omitempty"`
	MaxSharesExpiration     int                 `json:"max_shares_expiration,omitempty"`
	PasswordExpiration      int                 `json:"password_expiration,omitempty"`
	PasswordStrength        int                 `json:"password_strength,omitempty"`
	// FTPSecurity 1 requires TLS for FTP even on a cleartext binding.
	FTPSecurity            int            `json:"ftp_security,omitempty"`
	StartDirectory         string         `json:"start_directory,omitempty"`
	TwoFactorAuthProtocols []string       `json:"two_factor_protocols,omitempty"`
	AccessTime             []TimePeriod   `json:"access_time,omitempty"`
	RequirePasswordChange  bool           `json:"require_password_change,omitempty"`
	TLSCerts               []string       `json:"tls_certs,omitempty"`
	TOTPConfig             TOTPConfig     `json:"totp_config,omitempty"`
	RecoveryCodes          []RecoveryCode `json:"recovery_codes,omitempty"`
	// ExternalAuthCacheTime is how long, in seconds, a user authenticated
	// by the external auth hook is kept before the hook is asked again.
	// Stored and returned; see docs/not-implemented.md.
	ExternalAuthCacheTime int `json:"external_auth_cache_time,omitempty"`
	// LegacyTwoFactorProtocols is the name SFTPGo 2.2 and 2.3 used for
	// two_factor_protocols; validation moves it there.
	LegacyTwoFactorProtocols []string `json:"2fa_protocols,omitempty"`
}
