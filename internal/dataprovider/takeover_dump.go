package dataprovider

import (
	"slices"
	"strings"
)

// Dump scopes (dumpdata?scopes=...), as SFTPGo names them.
var DumpScopes = []string{"users", "folders", "groups", "admins", "api_keys", "shares", "actions", "rules",
	"roles", "ip_lists", "configs"}

// dumpScopeAliases are the backup section names accepted for SFTPGo's
// short scope names.
var dumpScopeAliases = map[string]string{"event_actions": "actions", "event_rules": "rules"}

// ParseDumpScopes reads a comma-separated scopes value (repeated values
// are joined): empty means everything.
func ParseDumpScopes(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, s := range strings.Split(v, ",") {
			s = strings.ToLower(strings.TrimSpace(s))
			if s == "" {
				continue
			}
			if a, ok := dumpScopeAliases[s]; ok {
				s = a
			}
			if !slices.Contains(DumpScopes, s) {
				return nil, invalid("scopes", "unknown scope %q: valid scopes are %s", s, strings.Join(DumpScopes, ", "))
			}
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// FilterDump keeps only the sections of the given scopes (all when
// scopes is empty); the others are emptied, as in SFTPGo's scoped dumps.
func FilterDump(d *BackupData, scopes []string) {
	if len(scopes) == 0 {
		return
	}
	keep := func(s string) bool { return slices.Contains(scopes, s) }
	if !keep("users") {
		d.Users = []User{}
	}
	if !keep("folders") {
		d.Folders = []BaseVirtualFolder{}
	}
	if !keep("groups") {
		d.Groups = []Group{}
	}
	if !keep("admins") {
		d.Admins = []Admin{}
	}
	if !keep("api_keys") {
		d.APIKeys = []APIKey{}
	}
	if !keep("shares") {
		d.Shares = []Share{}
	}
	if !keep("actions") {
		d.EventActions = nil
	}
	if !keep("rules") {
		d.EventRules = nil
	}
	if !keep("roles") {
		d.Roles = nil
	}
	if !keep("ip_lists") {
		d.IPLists = nil
	}
	if !keep("configs") {
		d.Configs = nil
	}
}
