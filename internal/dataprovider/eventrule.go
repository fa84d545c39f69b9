package dataprovider

import (
	"encoding/json"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// Event action types, with SFTPGo's codes.
const (
	ActionTypeHTTP                = 1
	ActionTypeCommand             = 2
	ActionTypeEmail               = 3
	ActionTypeBackup              = 4
	ActionTypeUserQuotaReset      = 5
	ActionTypeFolderQuotaReset    = 6
	ActionTypeTransferQuotaReset  = 7
	ActionTypeDataRetentionCheck  = 8
	ActionTypeFilesystem          = 9
	ActionTypeMetadataCheck       = 10
	ActionTypePasswordExpiration  = 11
	ActionTypeUserExpiration      = 12
	ActionTypeIDPAccountCheck     = 13
	ActionTypeUserInactivityCheck = 14
	ActionTypeRotateLogs          = 15
)

// Event rule triggers, with SFTPGo's codes.
const (
	TriggerFsEvent       = 1
	TriggerProviderEvent = 2
	TriggerSchedule      = 3
	TriggerIPBlocked     = 4
	TriggerCertificate   = 5
	TriggerOnDemand      = 6
	TriggerIDPLogin      = 7
)

// Filesystem action types (fs_config.type).
const (
	FsActionRename   = 1
	FsActionDelete   = 2
	FsActionMkdirs   = 3
	FsActionExist    = 4
	FsActionCompress = 5
	FsActionCopy     = 6
)

// FsEventNames are the filesystem events a rule can react to.
var FsEventNames = []string{"upload", "pre-upload", "first-upload", "download", "pre-download", "first-download",
	"delete", "pre-delete", "rename", "mkdir", "rmdir", "copy", "ssh_cmd"}

// ProviderEventNames are the provider events a rule can react to.
var ProviderEventNames = []string{ObjectActionAdd, ObjectActionUpdate, ObjectActionDelete}

// ProviderObjectNames are the object types a provider rule can select.
var ProviderObjectNames = []string{ObjectTypeUser, ObjectTypeFolder, ObjectTypeGroup, ObjectTypeAdmin,
	ObjectTypeAPIKey, ObjectTypeShare, ObjectTypeEventAction, ObjectTypeEventRule, ObjectTypeRole,
	"ip_list_entry", "configs"}

// Object types of the event manager's own objects.
const (
	ObjectTypeEventAction = "event_action"
	ObjectTypeEventRule   = "event_rule"
)

// eventProtocols are the protocols a rule's condition can name.
var eventProtocols = []string{"SFTP", "SCP", "SSH", "FTP", "DAV", "HTTP", "HTTPShare", "OIDC", "DataRetention", "EventAction"}

// KeyValue is a name and a value (HTTP headers, query parameters,
// environment variables, renames, copies).
type KeyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// HTTPPart is one part of a multipart HTTP action body.
type HTTPPart struct {
	Name     string     `json:"name,omitempty"`
	Filepath string     `json:"filepath,omitempty"`
	Headers  []KeyValue `json:"headers,omitempty"`
	Body     string     `json:"body,omitempty"`
	Order    int        `json:"order,omitempty"`
}

// EventActionHTTPConfig is an HTTP action (type 1).
type EventActionHTTPConfig struct {
	Endpoint        string      `json:"endpoint,omitempty"`
	Username        string      `json:"username,omitempty"`
	Password        *kms.Secret `json:"password,omitempty"`
	Headers         []KeyValue  `json:"headers,omitempty"`
	Timeout         int         `json:"timeout,omitempty"`
	SkipTLSVerify   bool        `json:"skip_tls_verify,omitempty"`
	Method          string      `json:"method,omitempty"`
	QueryParameters []KeyValue  `json:"query_parameters,omitempty"`
	Body            string      `json:"body,omitempty"`
	Parts           []HTTPPart  `json:"parts,omitempty"`
}

// EventActionCommandConfig is a command action (type 2).
type EventActionCommandConfig struct {
	Cmd     string     `json:"cmd,omitempty"`
	Args    []string   `json:"args,omitempty"`
	Timeout int        `json:"timeout,omitempty"`
	EnvVars []KeyValue `json:"env_vars,omitempty"`
}

// EventActionEmailConfig is an e-mail action (type 3).
type EventActionEmailConfig struct {
	Recipients  []string `json:"recipients,omitempty"`
	Bcc         []string `json:"bcc,omitempty"`
	Subject     string   `json:"subject,omitempty"`
	Body        string   `json:"body,omitempty"`
	Attachments []string `json:"attachments,omitempty"`
	// ContentType 0 text/plain, 1 text/html.
	ContentType int `json:"content_type,omitempty"`
}

// RenameConfig is one rename of a filesystem action.
type RenameConfig struct {
	KeyValue
	UpdateModTime bool `json:"update_modtime,omitempty"`
}

// EventActionFsCompress compresses paths into a zip archive.
type EventActionFsCompress struct {
	Name  string   `json:"name,omitempty"`
	Paths []string `json:"paths,omitempty"`
}

// EventActionFilesystemConfig is a filesystem action (type 9).
type EventActionFilesystemConfig struct {
	Type     int                   `json:"type,omitempty"`
	Renames  []RenameConfig        `json:"renames,omitempty"`
	MkDirs   []string              `json:"mkdirs,omitempty"`
	Deletes  []string              `json:"deletes,omitempty"`
	Exist    []string              `json:"exist,omitempty"`
	Copy     []KeyValue            `json:"copy,omitempty"`
	Compress EventActionFsCompress `json:"compress"`
}

// BaseEventActionOptions holds the settings of every action type; only
// the one of the action's type is meaningful. The configs of action types
// this build does not run yet are kept as given, so dumps round-trip.
type BaseEventActionOptions struct {
	HTTPConfig           EventActionHTTPConfig       `json:"http_config"`
	CmdConfig            EventActionCommandConfig    `json:"cmd_config"`
	EmailConfig          EventActionEmailConfig      `json:"email_config"`
	RetentionConfig      json.RawMessage             `json:"retention_config,omitempty"`
	FsConfig             EventActionFilesystemConfig `json:"fs_config"`
	PwdExpirationConfig  json.RawMessage             `json:"pwd_expiration_config,omitempty"`
	UserInactivityConfig json.RawMessage             `json:"user_inactivity_config,omitempty"`
	IDPConfig            json.RawMessage             `json:"idp_config,omitempty"`
}

// BaseEventAction is an event action, stored once and used by rules.
type BaseEventAction struct {
	ID          int64                  `json:"id"`
	Name        string                 `json:"name"`
	Description string                 `json:"description,omitempty"`
	Type        int                    `json:"type"`
	Options     BaseEventActionOptions `json:"options"`
	// Rules names the rules using the action (filled on reads).
	Rules []string `json:"rules,omitempty"`
}

// EventActionOptions are the options of an action within a rule.
type EventActionOptions struct {
	IsFailureAction bool `json:"is_failure_action"`
	StopOnFailure   bool `json:"stop_on_failure"`
	ExecuteSync     bool `json:"execute_sync"`
}

// EventAction is an action as a rule uses it: the action (filled on
// reads), its order in the rule and the relation options.
type EventAction struct {
	BaseEventAction
	Order           int                `json:"order,omitempty"`
	RelationOptions EventActionOptions `json:"relation_options"`
}

// ConditionPattern is a shell-like pattern, optionally inverted.
type ConditionPattern struct {
	Pattern      string `json:"pattern,omitempty"`
	InverseMatch bool   `json:"inverse_match,omitempty"`
}

// Match reports whether name satisfies the pattern (path.Match, or "**"
// matching across "/" when the pattern contains it), honouring the
// inverse flag.
func (p ConditionPattern) Match(name string) bool {
	ok := matchPattern(p.Pattern, name)
	if p.InverseMatch {
		return !ok
	}
	return ok
}

func matchPattern(pattern, name string) bool {
	if strings.Contains(pattern, "**") {
		return matchDoubleStar(pattern, name)
	}
	ok, _ := path.Match(pattern, name)
	return ok
}

// matchDoubleStar matches a pattern where "**" stands for any sequence
// of characters, "/" included, and the rest follows path.Match.
func matchDoubleStar(pattern, name string) bool {
	i := strings.Index(pattern, "**")
	if i < 0 {
		ok, _ := path.Match(pattern, name)
		return ok
	}
	prefix, rest := pattern[:i], pattern[i+2:]
	for k := 0; k <= len(name); k++ {
		if ok, _ := path.Match(prefix, name[:k]); !ok {
			continue
		}
		for j := k; j <= len(name); j++ {
			if matchDoubleStar(rest, name[j:]) {
				return true
			}
		}
	}
	return false
}

// MatchPatterns reports whether name satisfies a condition list: no
// pattern matches everything; otherwise the inverse patterns must all
// hold and, when there are direct ones, one of them must match.
func MatchPatterns(patterns []ConditionPattern, name string) bool {
	if len(patterns) == 0 {
		return true
	}
	direct, matched := 0, false
	for _, p := range patterns {
		if p.InverseMatch {
			if !p.Match(name) {
				return false
			}
			continue
		}
		direct++
		if p.Match(name) {
			matched = true
		}
	}
	return direct == 0 || matched
}

// EventConditionOptions narrow down when a rule fires.
type EventConditionOptions struct {
	Names               []ConditionPattern `json:"names,omitempty"`
	GroupNames          []ConditionPattern `json:"group_names,omitempty"`
	RoleNames           []ConditionPattern `json:"role_names,omitempty"`
	FsPaths             []ConditionPattern `json:"fs_paths,omitempty"`
	Protocols           []string           `json:"protocols,omitempty"`
	EventStatuses       []int              `json:"event_statuses,omitempty"`
	ProviderObjects     []string           `json:"provider_objects,omitempty"`
	MinFileSize         int64              `json:"min_size,omitempty"`
	MaxFileSize         int64              `json:"max_size,omitempty"`
	ConcurrentExecution bool               `json:"concurrent_execution,omitempty"`
}

// Schedule is a cron-like schedule: each field a cron expression.
type Schedule struct {
	Hours      string `json:"hour"`
	DayOfWeek  string `json:"day_of_week"`
	DayOfMonth string `json:"day_of_month"`
	Month      string `json:"month"`
}

// CronSpec is the schedule as a five-field cron expression, minute 0.
func (s Schedule) CronSpec() string {
	return "0 " + s.Hours + " " + s.DayOfMonth + " " + s.Month + " " + s.DayOfWeek
}

// EventConditions say which events trigger a rule.
type EventConditions struct {
	FsEvents       []string              `json:"fs_events,omitempty"`
	ProviderEvents []string              `json:"provider_events,omitempty"`
	Schedules      []Schedule            `json:"schedules,omitempty"`
	IDPLoginEvent  int                   `json:"idp_login_event,omitempty"`
	Options        EventConditionOptions `json:"options"`
}

// EventRule is an event rule: a trigger, conditions and ordered actions.
type EventRule struct {
	ID          int64           `json:"id"`
	Name        string          `json:"name"`
	Status      int             `json:"status"`
	Description string          `json:"description,omitempty"`
	CreatedAt   int64           `json:"created_at"`
	UpdatedAt   int64           `json:"updated_at"`
	Trigger     int             `json:"trigger"`
	Conditions  EventConditions `json:"conditions"`
	Actions     []EventAction   `json:"actions"`
}

// CommandValidator reports whether a command action may run cmd
// (common.event_manager.enabled_commands).
type CommandValidator func(cmd string) bool

func validateKeyValues(field string, kvs []KeyValue, needValue bool) error {
	for _, kv := range kvs {
		if strings.TrimSpace(kv.Key) == "" || (needValue && kv.Value == "") {
			return invalid(field, "invalid key/value pair %q=%q", kv.Key, kv.Value)
		}
	}
	return nil
}

func validateHTTPConfig(c *EventActionHTTPConfig) error {
	if c.Endpoint == "" {
		return invalid("http_config.endpoint", "is required")
	}
	if !strings.HasPrefix(c.Endpoint, "http://") && !strings.HasPrefix(c.Endpoint, "https://") {
		return invalid("http_config.endpoint", "%q must be an http or https URL", c.Endpoint)
	}
	if c.Timeout < 1 || c.Timeout > 180 {
		return invalid("http_config.timeout", "must be between 1 and 180 seconds")
	}
	switch c.Method {
	case "GET", "POST", "PUT", "DELETE":
	default:
		return invalid("http_config.method", "unsupported method %q", c.Method)
	}
	if err := validateKeyValues("http_config.headers", c.Headers, true); err != nil {
		return err
	}
	if err := validateKeyValues("http_config.query_parameters", c.QueryParameters, true); err != nil {
		return err
	}
	if len(c.Parts) > 0 && c.Body != "" {
		return invalid("http_config.body", "a multipart request has no body")
	}
	for i, p := range c.Parts {
		if p.Name == "" {
			return invalid("http_config.parts", "part %d has no name", i)
		}
		if p.Filepath != "" && p.Body != "" {
			return invalid("http_config.parts", "part %q has both a file and a body", p.Name)
		}
	}
	return nil
}

func validateCommandConfig(c *EventActionCommandConfig, allowed CommandValidator) error {
	if c.Cmd == "" {
		return invalid("cmd_config.cmd", "is required")
	}
	if !filepath.IsAbs(c.Cmd) {
		return invalid("cmd_config.cmd", "%q must be an absolute path", c.Cmd)
	}
	if allowed == nil || !allowed(c.Cmd) {
		return invalid("cmd_config.cmd", "%q is not in common.event_manager.enabled_commands", c.Cmd)
	}
	if c.Timeout < 1 || c.Timeout > 120 {
		return invalid("cmd_config.timeout", "must be between 1 and 120 seconds")
	}
	return validateKeyValues("cmd_config.env_vars", c.EnvVars, true)
}

func validateEmailConfig(c *EventActionEmailConfig) error {
	if len(c.Recipients) == 0 {
		return invalid("email_config.recipients", "at least one recipient is required")
	}
	if c.Subject == "" {
		return invalid("email_config.subject", "is required")
	}
	if c.Body == "" {
		return invalid("email_config.body", "is required")
	}
	if c.ContentType != 0 && c.ContentType != 1 {
		return invalid("email_config.content_type", "must be 0 (text) or 1 (HTML)")
	}
	return nil
}

func validateFsPaths(field string, paths []string) error {
	if len(paths) == 0 {
		return invalid(field, "at least one path is required")
	}
	for _, p := range paths {
		if strings.TrimSpace(p) == "" {
			return invalid(field, "empty path")
		}
	}
	return nil
}

func validateFsConfig(c *EventActionFilesystemConfig) error {
	switch c.Type {
	case FsActionRename:
		if len(c.Renames) == 0 {
			return invalid("fs_config.renames", "at least one rename is required")
		}
		for _, r := range c.Renames {
			if r.Key == "" || r.Value == "" || CleanVirtualPath(r.Key) == CleanVirtualPath(r.Value) {
				return invalid("fs_config.renames", "invalid rename %q -> %q", r.Key, r.Value)
			}
		}
	case FsActionDelete:
		return validateFsPaths("fs_config.deletes", c.Deletes)
	case FsActionMkdirs:
		return validateFsPaths("fs_config.mkdirs", c.MkDirs)
	case FsActionExist:
		return validateFsPaths("fs_config.exist", c.Exist)
	case FsActionCompress:
		if c.Compress.Name == "" {
			return invalid("fs_config.compress.name", "is required")
		}
		return validateFsPaths("fs_config.compress.paths", c.Compress.Paths)
	case FsActionCopy:
		if len(c.Copy) == 0 {
			return invalid("fs_config.copy", "at least one copy is required")
		}
		for _, r := range c.Copy {
			if r.Key == "" || r.Value == "" || CleanVirtualPath(r.Key) == CleanVirtualPath(r.Value) {
				return invalid("fs_config.copy", "invalid copy %q -> %q", r.Key, r.Value)
			}
		}
	default:
		return invalid("fs_config.type", "unknown filesystem action type %d", c.Type)
	}
	return nil
}

// normalizeEventAction checks an action and clears the settings of the
// other types.
func normalizeEventAction(a *BaseEventAction, rules int, allowed CommandValidator) error {
	name, err := validateName("name", a.Name, rules)
	if err != nil {
		return err
	}
	a.Name = name
	a.Rules = nil
	o := a.Options
	keep := BaseEventActionOptions{}
	switch a.Type {
	case ActionTypeHTTP:
		if err := validateHTTPConfig(&o.HTTPConfig); err != nil {
			return err
		}
		keep.HTTPConfig = o.HTTPConfig
	case ActionTypeCommand:
		if err := validateCommandConfig(&o.CmdConfig, allowed); err != nil {
			return err
		}
		keep.CmdConfig = o.CmdConfig
	case ActionTypeEmail:
		if err := validateEmailConfig(&o.EmailConfig); err != nil {
			return err
		}
		keep.EmailConfig = o.EmailConfig
	case ActionTypeFilesystem:
		if err := validateFsConfig(&o.FsConfig); err != nil {
			return err
		}
		keep.FsConfig = o.FsConfig
	case ActionTypeDataRetentionCheck:
		var rc struct {
			Folders []struct {
				Path      string `json:"path"`
				Retention int    `json:"retention"`
			} `json:"folders"`
		}
		if len(o.RetentionConfig) > 0 {
			if err := json.Unmarshal(o.RetentionConfig, &rc); err != nil {
				return invalid("retention_config", "invalid: %v", err)
			}
		}
		if len(rc.Folders) == 0 {
			return invalid("retention_config.folders", "at least one folder is required")
		}
		for _, f := range rc.Folders {
			if !strings.HasPrefix(f.Path, "/") || f.Retention < 0 {
				return invalid("retention_config.folders", "invalid folder %q (retention %d)", f.Path, f.Retention)
			}
		}
		keep.RetentionConfig = o.RetentionConfig
	case ActionTypePasswordExpiration:
		keep.PwdExpirationConfig = o.PwdExpirationConfig
	case ActionTypeUserInactivityCheck:
		keep.UserInactivityConfig = o.UserInactivityConfig
	case ActionTypeIDPAccountCheck:
		var ic struct {
			Mode          int    `json:"mode"`
			TemplateUser  string `json:"template_user"`
			TemplateAdmin string `json:"template_admin"`
		}
		if len(o.IDPConfig) > 0 {
			if err := json.Unmarshal(o.IDPConfig, &ic); err != nil {
				return invalid("idp_config", "invalid: %v", err)
			}
		}
		if ic.Mode != 0 && ic.Mode != 1 {
			return invalid("idp_config.mode", "must be 0 (create or update) or 1 (create only)")
		}
		if strings.TrimSpace(ic.TemplateUser) == "" && strings.TrimSpace(ic.TemplateAdmin) == "" {
			return invalid("idp_config", "a user or an admin template is required")
		}
		keep.IDPConfig = o.IDPConfig
	case ActionTypeBackup, ActionTypeUserQuotaReset, ActionTypeFolderQuotaReset, ActionTypeTransferQuotaReset,
		ActionTypeMetadataCheck, ActionTypeUserExpiration, ActionTypeRotateLogs:
	default:
		return invalid("type", "unknown action type %d", a.Type)
	}
	a.Options = keep
	return nil
}

// actionSecrets lists the secrets of an action.
func actionSecrets(a *BaseEventAction) []secretField {
	return []secretField{{"http_config.password", &a.Options.HTTPConfig.Password}}
}

func validateConditionPatterns(field string, list []ConditionPattern) error {
	for _, p := range list {
		if p.Pattern == "" {
			return invalid(field, "empty pattern")
		}
		if _, err := path.Match(strings.ReplaceAll(p.Pattern, "**", "*"), ""); err != nil {
			return invalid(field, "invalid pattern %q", p.Pattern)
		}
	}
	return nil
}

// normalizeEventRule checks a rule's trigger, conditions and action
// references (the actions' existence is checked by the Store).
func normalizeEventRule(r *EventRule, rules int, validSchedule func(Schedule) error) error {
	name, err := validateName("name", r.Name, rules)
	if err != nil {
		return err
	}
	r.Name = name
	if r.Status != 0 && r.Status != 1 {
		return invalid("status", "must be 0 (disabled) or 1 (enabled)")
	}
	c := &r.Conditions
	o := &c.Options
	for _, f := range []struct {
		name string
		list []ConditionPattern
	}{{"conditions.options.names", o.Names}, {"conditions.options.group_names", o.GroupNames},
		{"conditions.options.role_names", o.RoleNames}, {"conditions.options.fs_paths", o.FsPaths}} {
		if err := validateConditionPatterns(f.name, f.list); err != nil {
			return err
		}
	}
	switch r.Trigger {
	case TriggerFsEvent:
		if len(c.FsEvents) == 0 {
			return invalid("conditions.fs_events", "at least one filesystem event is required")
		}
		for _, e := range c.FsEvents {
			if !slices.Contains(FsEventNames, e) {
				return invalid("conditions.fs_events", "unknown filesystem event %q", e)
			}
		}
		for _, p := range o.Protocols {
			if !slices.Contains(eventProtocols, p) {
				return invalid("conditions.options.protocols", "unknown protocol %q", p)
			}
		}
		for _, st := range o.EventStatuses {
			if st < 1 || st > 3 {
				return invalid("conditions.options.event_statuses", "unknown status %d", st)
			}
		}
		if o.MinFileSize < 0 || o.MaxFileSize < 0 || (o.MaxFileSize > 0 && o.MinFileSize > o.MaxFileSize) {
			return invalid("conditions.options.max_size", "the size range is invalid")
		}
		c.ProviderEvents, c.Schedules, c.IDPLoginEvent, o.ProviderObjects = nil, nil, 0, nil
	case TriggerProviderEvent:
		if len(c.ProviderEvents) == 0 {
			return invalid("conditions.provider_events", "at least one provider event is required")
		}
		for _, e := range c.ProviderEvents {
			if !slices.Contains(ProviderEventNames, e) {
				return invalid("conditions.provider_events", "unknown provider event %q", e)
			}
		}
		for _, ob := range o.ProviderObjects {
			if !slices.Contains(ProviderObjectNames, ob) {
				return invalid("conditions.options.provider_objects", "unknown object type %q", ob)
			}
		}
		c.FsEvents, c.Schedules, c.IDPLoginEvent = nil, nil, 0
		o.FsPaths, o.Protocols, o.EventStatuses, o.MinFileSize, o.MaxFileSize = nil, nil, nil, 0, 0
	case TriggerSchedule:
		if len(c.Schedules) == 0 {
			return invalid("conditions.schedules", "at least one schedule is required")
		}
		for _, s := range c.Schedules {
			if validSchedule != nil {
				if err := validSchedule(s); err != nil {
					return invalid("conditions.schedules", "invalid schedule %q: %v", s.CronSpec(), err)
				}
			}
		}
		c.FsEvents, c.ProviderEvents, c.IDPLoginEvent = nil, nil, 0
		o.FsPaths, o.Protocols, o.EventStatuses, o.ProviderObjects, o.MinFileSize, o.MaxFileSize = nil, nil, nil, nil, 0, 0
	case TriggerIPBlocked, TriggerCertificate, TriggerOnDemand:
		c.FsEvents, c.ProviderEvents, c.Schedules, c.IDPLoginEvent = nil, nil, nil, 0
		o.FsPaths, o.Protocols, o.EventStatuses, o.ProviderObjects, o.MinFileSize, o.MaxFileSize = nil, nil, nil, nil, 0, 0
	case TriggerIDPLogin:
		if c.IDPLoginEvent < 0 || c.IDPLoginEvent > 2 {
			return invalid("conditions.idp_login_event", "must be 0, 1 or 2")
		}
		c.FsEvents, c.ProviderEvents, c.Schedules = nil, nil, nil
	default:
		return invalid("trigger", "unknown trigger %d", r.Trigger)
	}
	if len(r.Actions) == 0 {
		return invalid("actions", "at least one action is required")
	}
	seenName, seenOrder := map[string]bool{}, map[int]bool{}
	hasAction := false
	for i := range r.Actions {
		a := &r.Actions[i]
		a.Name = normalizeName(a.Name, rules)
		if a.Name == "" {
			return invalid("actions", "action %d has no name", i)
		}
		if seenName[a.Name] {
			return invalid("actions", "action %q is used twice", a.Name)
		}
		seenName[a.Name] = true
		if a.Order == 0 {
			a.Order = i + 1
		}
		if seenOrder[a.Order] {
			return invalid("actions", "order %d is used twice", a.Order)
		}
		seenOrder[a.Order] = true
		if !a.RelationOptions.IsFailureAction {
			hasAction = true
		} else if a.RelationOptions.ExecuteSync {
			return invalid("actions", "failure action %q cannot be synchronous", a.Name)
		}
	}
	if !hasAction {
		return invalid("actions", "at least one non-failure action is required")
	}
	if r.Trigger == TriggerFsEvent {
		hasSync := false
		for _, a := range r.Actions {
			hasSync = hasSync || a.RelationOptions.ExecuteSync
		}
		for _, e := range c.FsEvents {
			if strings.HasPrefix(e, "pre-") && !hasSync {
				return invalid("actions", "the event %q needs a synchronous action", e)
			}
		}
	}
	slices.SortStableFunc(r.Actions, func(a, b EventAction) int { return a.Order - b.Order })
	return nil
}

// ruleRefs reduces a rule's actions to the references it stores.
func ruleRefs(r *EventRule) {
	for i := range r.Actions {
		a := &r.Actions[i]
		a.BaseEventAction = BaseEventAction{Name: a.Name}
	}
}
