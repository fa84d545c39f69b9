package dataprovider

// Admin permissions.
const (
	AdminPermAny             = "*"
	AdminPermAddUsers        = "add_users"
	AdminPermEditUsers       = "edit_users"
	AdminPermDelUsers        = "del_users"
	AdminPermViewUsers       = "view_users"
	AdminPermViewConns       = "view_conns"
	AdminPermCloseConns      = "close_conns"
	AdminPermViewStatus      = "view_status"
	AdminPermManageAdmins    = "manage_admins"
	AdminPermManageGroups    = "manage_groups"
	AdminPermManageFolders   = "manage_folders"
	AdminPermManageAPIKeys   = "manage_apikeys"
	AdminPermQuotaScans      = "quota_scans"
	AdminPermManageSystem    = "manage_system"
	AdminPermManageDefender  = "manage_defender"
	AdminPermViewDefender    = "view_defender"
	AdminPermRetentionChecks = "retention_checks"
	AdminPermMetadataChecks  = "metadata_checks"
	AdminPermViewEvents      = "view_events"
	AdminPermManageEventRule = "manage_event_rules"
	AdminPermManageRoles     = "manage_roles"
	AdminPermManageIPLists   = "manage_ip_lists"
	AdminPermDisableMFA      = "disable_mfa"
)

// ValidAdminPerms lists every admin permission.
var ValidAdminPerms = []string{AdminPermAny, AdminPermAddUsers, AdminPermEditUsers,
	AdminPermDelUsers, AdminPermViewUsers, AdminPermViewConns, AdminPermCloseConns,
	AdminPermViewStatus, AdminPermManageAdmins, AdminPermManageGroups, AdminPermManageFolders,
	AdminPermManageAPIKeys, AdminPermQuotaScans, AdminPermManageSystem, AdminPermManageDefender,
	AdminPermViewDefender, AdminPermRetentionChecks, AdminPermMetadataChecks, AdminPermViewEvents,
	AdminPermManageEventRule, AdminPermManageRoles, AdminPermManageIPLists, AdminPermDisableMFA}

// AdminPreferences are web admin display settings.
type AdminPreferences struct {
	HideUserPageSections   int `json:"hide_user_page_sections,omitempty"`
	DefaultUsersExpiration int `json:"default_users_expiration,omitempty"`
}

// AdminFilters holds per-admin restrictions.
type AdminFilters struct {
	AllowList             []string         `json:"allow_list,omitempty"`
	AllowAPIKeyAuth       bool             `json:"allow_api_key_auth,omitempty"`
	TOTPConfig            TOTPConfig       `json:"totp_config,omitempty"`
	RecoveryCodes         []RecoveryCode   `json:"recovery_codes,omitempty"`
	Preferences           AdminPreferences `json:"preferences,omitempty"`
	RequireTwoFactor      bool             `json:"require_two_factor,omitempty"`
	RequirePasswordChange bool             `json:"require_password_change,omitempty"`
}

// AdminGroupMappingOptions says how an admin's group applies to users it creates.
type AdminGroupMappingOptions struct {
	AddToUsersAs int `json:"add_to_users_as,omitempty"`
}

// AdminGroupMapping links an admin to a group.
type AdminGroupMapping struct {
	Name    string                   `json:"name"`
	Options AdminGroupMappingOptions `json:"options"`
}

// Admin is an account for the web admin and the REST API.
type Admin struct {
	ID             int64               `json:"id"`
	Status         int                 `json:"status"`
	Username       string              `json:"username"`
	Password       string              `json:"password,omitempty"`
	Email          string              `json:"email,omitempty"`
	Permissions    []string            `json:"permissions"`
	Filters        AdminFilters        `json:"filters,omitempty"`
	Description    string              `json:"description,omitempty"`
	AdditionalInfo string              `json:"additional_info,omitempty"`
	Groups         []AdminGroupMapping `json:"groups,omitempty"`
	CreatedAt      int64               `json:"created_at"`
	UpdatedAt      int64               `json:"updated_at"`
	LastLogin      int64               `json:"last_login"`
	Role           string              `json:"role,omitempty"`
}

// HasPermission reports whether the admin holds perm (or "*").
func (a *Admin) HasPermission(perm string) bool {
	for _, p := range a.Permissions {
		if p == AdminPermAny || p == perm {
			return true
		}
	}
	return false
}

// API key scopes.
const (
	APIKeyScopeAdmin = 1
	APIKeyScopeUser  = 2
)

// APIKey authenticates REST calls through the X-SFTPGO-API-KEY header.
// The header value is "<key>.<key_id>"? No: it is the full key returned
// once on creation; only its hash is stored.
type APIKey struct {
	ID          int64  `json:"-"`
	KeyID       string `json:"id"`
	Name        string `json:"name"`
	Key         string `json:"key,omitempty"`
	Scope       int    `json:"scope"`
	CreatedAt   int64  `json:"created_at"`
	UpdatedAt   int64  `json:"updated_at"`
	LastUseAt   int64  `json:"last_use_at,omitempty"`
	ExpiresAt   int64  `json:"expires_at,omitempty"`
	Description string `json:"description,omitempty"`
	User        string `json:"user,omitempty"`
	Admin       string `json:"admin,omitempty"`
}
