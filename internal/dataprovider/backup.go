package dataprovider

import "encoding/json"

// Share is a link to files of a user (managed by the web client).
type Share struct {
	ShareID     string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Scope 1 read, 2 write, 3 read and write.
	Scope      int      `json:"scope"`
	Paths      []string `json:"paths"`
	Username   string   `json:"username"`
	CreatedAt  int64    `json:"created_at"`
	UpdatedAt  int64    `json:"updated_at"`
	LastUseAt  int64    `json:"last_use_at,omitempty"`
	ExpiresAt  int64    `json:"expires_at,omitempty"`
	Password   string   `json:"password,omitempty"`
	MaxTokens  int      `json:"max_tokens,omitempty"`
	UsedTokens int      `json:"used_tokens,omitempty"`
	AllowFrom  []string `json:"allow_from,omitempty"`
}

// BackupData is the dumpdata/loaddata document. Sections this build does
// not act on yet (event rules, roles, configs) are kept verbatim
// so a dump from the reference product loads and dumps back unchanged.
type BackupData struct {
	Users        []User              `json:"users"`
	Groups       []Group             `json:"groups"`
	Folders      []BaseVirtualFolder `json:"folders"`
	Admins       []Admin             `json:"admins"`
	APIKeys      []APIKey            `json:"api_keys"`
	Shares       []Share             `json:"shares"`
	EventActions []json.RawMessage   `json:"event_actions"`
	EventRules   []json.RawMessage   `json:"event_rules"`
	Roles        []Role              `json:"roles"`
	IPLists      []IPListEntry       `json:"ip_lists"`
	Configs      json.RawMessage     `json:"configs,omitempty"`
	Version      int                 `json:"version"`
}
