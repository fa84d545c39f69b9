package dataprovider

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// SFTPGo's relational schema, read back into the dump shape: the
// takeover reads every table of an SFTPGo database into a BackupData and
// restores it into our schema. Column lists follow SFTPGo's schema 33 to
// 35; JSON columns (filters, filesystem, permissions, ...) hold the same
// documents as SFTPGo's REST API and dumps, so they pass through as is.

// Oldest and newest SFTPGo schema versions a takeover accepts.
const (
	SFTPGoMinSchema = 33 // SFTPGo 2.7
	SFTPGoMaxSchema = 35 // SFTPGo HEAD (2.8 development)
)

// sfCol is a column read from an SFTPGo table: key is the dump field name
// (empty: the column name), kind 'i' integer, 's' text, 'j' JSON text.
type sfCol struct {
	name string
	kind byte
	key  string
}

// quoteIdent quotes a column name for the dialect ("order" is reserved).
func (dl *dialect) quoteIdent(name string) string {
	if dl.name == "mysql" {
		return "`" + name + "`"
	}
	return `"` + name + `"`
}

// sfRows reads columns of an SFTPGo table (after the optional where
// clause) into dump-shaped maps; the raw id column is kept under "_id".
func (o *sqlOps) sfRows(ctx context.Context, table string, cols []sfCol, where string) ([]map[string]any, error) {
	names := []string{o.dl.quoteIdent("id")}
	for _, c := range cols {
		names = append(names, o.dl.quoteIdent(c.name))
	}
	q := fmt.Sprintf("SELECT %s FROM {p}%s", strings.Join(names, ", "), table)
	if where != "" {
		q += " WHERE " + where
	}
	rows, err := o.q().QueryContext(ctx, o.sq(q+" ORDER BY "+o.dl.quoteIdent("id")))
	if err != nil {
		return nil, fmt.Errorf("read SFTPGo table %s: %w", table, err)
	}
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		vals := make([]any, len(cols)+1)
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("read SFTPGo table %s: %w", table, err)
		}
		id, err := sqlInt(vals[0])
		if err != nil {
			return nil, fmt.Errorf("read SFTPGo table %s: id: %w", table, err)
		}
		m := map[string]any{"_id": id}
		for i, c := range cols {
			key := c.key
			if key == "" {
				key = c.name
			}
			v := vals[i+1]
			switch c.kind {
			case 'i':
				n, err := sqlInt(v)
				if err != nil {
					return nil, fmt.Errorf("read SFTPGo table %s row %d: %s: %w", table, id, c.name, err)
				}
				m[key] = n
			case 's':
				if v != nil {
					m[key] = sqlString(v)
				}
			case 'j':
				s := strings.TrimSpace(sqlString(v))
				if v == nil || s == "" || s == "null" {
					continue
				}
				if !json.Valid([]byte(s)) {
					return nil, fmt.Errorf("read SFTPGo table %s row %d: %s is not valid JSON", table, id, c.name)
				}
				m[key] = json.RawMessage(s)
			}
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func sqlInt(v any) (int64, error) {
	switch n := v.(type) {
	case nil:
		return 0, nil
	case int64:
		return n, nil
	case int32:
		return int64(n), nil
	case int:
		return int64(n), nil
	case float64:
		return int64(n), nil
	case []byte:
		return strconv.ParseInt(string(n), 10, 64)
	case string:
		return strconv.ParseInt(n, 10, 64)
	}
	return 0, fmt.Errorf("unexpected value of type %T", v)
}

func sqlString(v any) string {
	switch s := v.(type) {
	case nil:
		return ""
	case string:
		return s
	case []byte:
		return string(s)
	}
	return fmt.Sprint(v)
}

// tableExistsNamed reports whether the table (prefix added) exists.
func (d *sqlDriver) tableExistsNamed(ctx context.Context, q querier, name string) (bool, error) {
	rows, err := q.QueryContext(ctx, d.dl.rebind(d.dl.tableExists), d.prefix+name)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	return rows.Next(), rows.Err()
}

// nameByID maps the ids of a table to one of its text columns.
func byID(rows []map[string]any, key string) map[int64]string {
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		if s, ok := r[key].(string); ok {
			out[r["_id"].(int64)] = s
		}
	}
	return out
}

var sfFolderCols = []sfCol{{"name", 's', ""}, {"description", 's', ""}, {"path", 's', "mapped_path"},
	{"used_quota_size", 'i', ""}, {"used_quota_files", 'i', ""}, {"last_quota_update", 'i', ""},
	{"filesystem", 'j', ""}}

var sfUserCols = []sfCol{{"username", 's', ""}, {"status", 'i', ""}, {"expiration_date", 'i', ""},
	{"description", 's', ""}, {"password", 's', ""}, {"public_keys", 'j', ""}, {"home_dir", 's', ""},
	{"uid", 'i', ""}, {"gid", 'i', ""}, {"max_sessions", 'i', ""}, {"quota_size", 'i', ""},
	{"quota_files", 'i', ""}, {"permissions", 'j', ""}, {"used_quota_size", 'i', ""},
	{"used_quota_files", 'i', ""}, {"last_quota_update", 'i', ""}, {"upload_bandwidth", 'i', ""},
	{"download_bandwidth", 'i', ""}, {"last_login", 'i', ""}, {"filters", 'j', ""}, {"filesystem", 'j', ""},
	{"additional_info", 's', ""}, {"created_at", 'i', ""}, {"updated_at", 'i', ""}, {"email", 's', ""},
	{"upload_data_transfer", 'i', ""}, {"download_data_transfer", 'i', ""}, {"total_data_transfer", 'i', ""},
	{"used_upload_data_transfer", 'i', ""}, {"used_download_data_transfer", 'i', ""},
	{"first_download", 'i', ""}, {"first_upload", 'i', ""}, {"last_password_change", 'i', ""},
	{"role_id", 'i', "_role_id"}}

var sfAdminCols = []sfCol{{"username", 's', ""}, {"description", 's', ""}, {"password", 's', ""},
	{"email", 's', ""}, {"status", 'i', ""}, {"permissions", 'j', ""}, {"filters", 'j', ""},
	{"additional_info", 's', ""}, {"last_login", 'i', ""}, {"role_id", 'i', "_role_id"},
	{"created_at", 'i', ""}, {"updated_at", 'i', ""}}

var sfGroupCols = []sfCol{{"name", 's', ""}, {"description", 's', ""}, {"created_at", 'i', ""},
	{"updated_at", 'i', ""}, {"user_settings", 'j', ""}}

var sfAPIKeyCols = []sfCol{{"name", 's', ""}, {"key_id", 's', "id"}, {"api_key", 's', "key"},
	{"scope", 'i', ""}, {"created_at", 'i', ""}, {"updated_at", 'i', ""}, {"last_use_at", 'i', ""},
	{"expires_at", 'i', ""}, {"description", 's', ""}, {"admin_id", 'i', "_admin_id"}, {"user_id", 'i', "_user_id"}}

var sfShareCols = []sfCol{{"share_id", 's', "id"}, {"name", 's', ""}, {"description", 's', ""},
	{"scope", 'i', ""}, {"paths", 'j', ""}, {"created_at", 'i', ""}, {"updated_at", 'i', ""},
	{"last_use_at", 'i', ""}, {"expires_at", 'i', ""}, {"password", 's', ""}, {"max_tokens", 'i', ""},
	{"used_tokens", 'i', ""}, {"allow_from", 'j', ""}, {"options", 'j', "_options"}, {"user_id", 'i', "_user_id"}}

var sfRoleCols = []sfCol{{"name", 's', ""}, {"description", 's', ""}, {"created_at", 'i', ""}, {"updated_at", 'i', ""}}

var sfIPListCols = []sfCol{{"type", 'i', ""}, {"ipornet", 's', ""}, {"mode", 'i', ""}, {"description", 's', ""},
	{"protocols", 'i', ""}, {"created_at", 'i', ""}, {"updated_at", 'i', ""}}

var sfActionCols = []sfCol{{"name", 's', ""}, {"description", 's', ""}, {"type", 'i', ""}, {"options", 'j', ""}}

var sfRuleCols = []sfCol{{"name", 's', ""}, {"status", 'i', ""}, {"description", 's', ""},
	{"created_at", 'i', ""}, {"updated_at", 'i', ""}, {"trigger", 'i', ""}, {"conditions", 'j', ""}}

// mapping reads a mapping table ordered by its sort column.
func (o *sqlOps) mapping(ctx context.Context, table string, cols []sfCol, order string) ([]map[string]any, error) {
	rows, err := o.sfRows(ctx, table, cols, "")
	if err != nil {
		return nil, err
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i][order].(int64) < rows[j][order].(int64) })
	return rows, nil
}

// clean removes the bookkeeping keys (leading "_") of a row.
func clean(rows []map[string]any) []map[string]any {
	for _, r := range rows {
		for k := range r {
			if strings.HasPrefix(k, "_") {
				delete(r, k)
			}
		}
	}
	return rows
}

// readSFTPGo reads an SFTPGo database at schema version into the dump
// shape. It fails, rather than drop data, on what our model cannot hold
// (folder mappings of a sub-path, shares given to groups).
func (o *sqlOps) readSFTPGo(ctx context.Context, version int, warn func(format string, args ...any)) (*BackupData, error) {
	folders, err := o.sfRows(ctx, "folders", sfFolderCols, "")
	if err != nil {
		return nil, err
	}
	folderByID := map[int64]map[string]any{}
	for _, f := range folders {
		folderByID[f["_id"].(int64)] = f
	}
	roles, err := o.sfRows(ctx, "roles", sfRoleCols, "")
	if err != nil {
		return nil, err
	}
	roleName := byID(roles, "name")
	groups, err := o.sfRows(ctx, "groups", sfGroupCols, "")
	if err != nil {
		return nil, err
	}
	groupName := byID(groups, "name")
	users, err := o.sfRows(ctx, "users", sfUserCols, "deleted_at = 0")
	if err != nil {
		return nil, err
	}
	userName := byID(users, "username")
	admins, err := o.sfRows(ctx, "admins", sfAdminCols, "")
	if err != nil {
		return nil, err
	}
	adminName := byID(admins, "username")

	// folder mappings of users and groups
	mapCols := []sfCol{{"folder_id", 'i', "_folder_id"}, {"virtual_path", 's', ""}, {"quota_size", 'i', ""},
		{"quota_files", 'i', ""}, {"sort_order", 'i', "_sort"}}
	if version >= 35 {
		mapCols = append(mapCols, sfCol{"subpath", 's', "_subpath"}, sfCol{"exposed_subpaths", 's', "_exposed"})
	}
	mounts := func(table, owner string, ownerName map[int64]string, kind string) (map[int64][]map[string]any, error) {
		rows, err := o.mapping(ctx, table, append([]sfCol{{owner, 'i', "_owner"}}, mapCols...), "_sort")
		if err != nil {
			return nil, err
		}
		out := map[int64][]map[string]any{}
		for _, r := range rows {
			ownerID := r["_owner"].(int64)
			if sp, _ := r["_subpath"].(string); sp != "" {
				return nil, fmt.Errorf("%s %q: virtual folder %s maps the sub-path %q of a folder: not supported yet, remove the mapping in SFTPGo first",
					kind, ownerName[ownerID], r["virtual_path"], sp)
			}
			if ex := strings.TrimSpace(sqlString(r["_exposed"])); ex != "" && ex != "null" && ex != "[]" {
				return nil, fmt.Errorf("%s %q: virtual folder %s has exposed sub-paths: not supported yet",
					kind, ownerName[ownerID], r["virtual_path"])
			}
			f, ok := folderByID[r["_folder_id"].(int64)]
			if !ok {
				return nil, fmt.Errorf("%s: mapping to a missing folder id %d", table, r["_folder_id"])
			}
			vf := map[string]any{}
			for k, v := range f {
				vf[k] = v
			}
			vf["virtual_path"], vf["quota_size"], vf["quota_files"] = r["virtual_path"], r["quota_size"], r["quota_files"]
			out[ownerID] = append(out[ownerID], vf)
		}
		return out, nil
	}
	userMounts, err := mounts("users_folders_mapping", "user_id", userName, "user")
	if err != nil {
		return nil, err
	}
	groupMounts, err := mounts("groups_folders_mapping", "group_id", groupName, "group")
	if err != nil {
		return nil, err
	}
	ugm, err := o.mapping(ctx, "users_groups_mapping", []sfCol{{"user_id", 'i', "_user"}, {"group_id", 'i', "_group"},
		{"group_type", 'i', ""}, {"sort_order", 'i', "_sort"}}, "_sort")
	if err != nil {
		return nil, err
	}
	userGroups := map[int64][]map[string]any{}
	for _, r := range ugm {
		userGroups[r["_user"].(int64)] = append(userGroups[r["_user"].(int64)],
			map[string]any{"name": groupName[r["_group"].(int64)], "type": r["group_type"]})
	}
	agm, err := o.mapping(ctx, "admins_groups_mapping", []sfCol{{"admin_id", 'i', "_admin"}, {"group_id", 'i', "_group"},
		{"options", 'j', ""}, {"sort_order", 'i', "_sort"}}, "_sort")
	if err != nil {
		return nil, err
	}
	adminGroups := map[int64][]map[string]any{}
	for _, r := range agm {
		m := map[string]any{"name": groupName[r["_group"].(int64)]}
		if r["options"] != nil {
			m["options"] = r["options"]
		}
		adminGroups[r["_admin"].(int64)] = append(adminGroups[r["_admin"].(int64)], m)
	}
	for _, u := range users {
		id := u["_id"].(int64)
		u["id"] = id
		if vf := userMounts[id]; len(vf) > 0 {
			u["virtual_folders"] = clean(vf)
		}
		if g := userGroups[id]; len(g) > 0 {
			u["groups"] = g
		}
		if r := u["_role_id"].(int64); r > 0 {
			u["role"] = roleName[r]
		}
	}
	for _, g := range groups {
		id := g["_id"].(int64)
		g["id"] = id
		if vf := groupMounts[id]; len(vf) > 0 {
			g["virtual_folders"] = clean(vf)
		}
	}
	for _, a := range admins {
		id := a["_id"].(int64)
		a["id"] = id
		if g := adminGroups[id]; len(g) > 0 {
			a["groups"] = g
		}
		if r := a["_role_id"].(int64); r > 0 {
			a["role"] = roleName[r]
		}
	}
	for _, f := range folders {
		f["id"] = f["_id"]
	}

	keys, err := o.sfRows(ctx, "api_keys", sfAPIKeyCols, "")
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if a := k["_admin_id"].(int64); a > 0 {
			k["admin"] = adminName[a]
		}
		if u := k["_user_id"].(int64); u > 0 {
			k["user"] = userName[u]
		}
	}
	shares, err := o.sfRows(ctx, "shares", sfShareCols, "")
	if err != nil {
		return nil, err
	}
	for _, sh := range shares {
		sh["username"] = userName[sh["_user_id"].(int64)]
		if opts, ok := sh["_options"].(json.RawMessage); ok && !isEmptyJSONObject(opts) {
			warn("share %q: its options %s are not kept (this build has no share options)", sh["id"], opts)
		}
	}
	if version >= 34 {
		sgm, err := o.sfRows(ctx, "shares_groups_mapping", []sfCol{{"share_id", 'i', ""}}, "")
		if err != nil {
			return nil, err
		}
		if len(sgm) > 0 {
			return nil, fmt.Errorf("%d share(s) are given to groups (shares_groups_mapping): not supported yet, remove those grants in SFTPGo first", len(sgm))
		}
	}
	ipLists, err := o.sfRows(ctx, "ip_lists", sfIPListCols, "deleted_at = 0")
	if err != nil {
		return nil, err
	}
	actions, err := o.sfRows(ctx, "events_actions", sfActionCols, "")
	if err != nil {
		return nil, err
	}
	actionByID := map[int64]map[string]any{}
	for _, a := range actions {
		a["id"] = a["_id"]
		actionByID[a["_id"].(int64)] = a
	}
	rules, err := o.sfRows(ctx, "events_rules", sfRuleCols, "deleted_at = 0")
	if err != nil {
		return nil, err
	}
	ram, err := o.mapping(ctx, "rules_actions_mapping", []sfCol{{"rule_id", 'i', "_rule"}, {"action_id", 'i', "_action"},
		{"order", 'i', "order"}, {"options", 'j', "relation_options"}}, "order")
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		r["id"] = r["_id"]
		var acts []map[string]any
		for _, m := range ram {
			if m["_rule"].(int64) != r["_id"].(int64) {
				continue
			}
			a, ok := actionByID[m["_action"].(int64)]
			if !ok {
				return nil, fmt.Errorf("event rule %q: mapping to a missing action id %d", r["name"], m["_action"])
			}
			ra := map[string]any{"id": a["id"], "name": a["name"], "type": a["type"], "order": m["order"]}
			if a["options"] != nil {
				ra["options"] = a["options"]
			}
			if m["relation_options"] != nil {
				ra["relation_options"] = m["relation_options"]
			}
			acts = append(acts, ra)
		}
		if len(acts) > 0 {
			r["actions"] = acts
		}
	}
	var configs json.RawMessage
	cfgRows, err := o.sfRows(ctx, "configurations", []sfCol{{"configs", 'j', ""}}, "")
	if err != nil {
		return nil, err
	}
	if len(cfgRows) > 0 && cfgRows[0]["configs"] != nil {
		configs = cfgRows[0]["configs"].(json.RawMessage)
	}

	doc := map[string]any{
		"users": clean(users), "groups": clean(groups), "folders": clean(folders), "admins": clean(admins),
		"api_keys": clean(keys), "shares": clean(shares), "roles": clean(roles), "ip_lists": clean(ipLists),
		"event_actions": clean(actions), "event_rules": clean(rules), "version": DumpVersion,
	}
	if len(configs) > 0 {
		doc["configs"] = configs
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var data BackupData
	if err := json.Unmarshal(b, &data); err != nil {
		return nil, fmt.Errorf("decode SFTPGo data: %w", err)
	}
	return &data, nil
}

// isEmptyJSONObject reports whether a JSON value holds nothing: {}, [],
// null or an object of empty members.
func isEmptyJSONObject(raw json.RawMessage) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	var empty func(any) bool
	empty = func(v any) bool {
		switch t := v.(type) {
		case nil:
			return true
		case bool:
			return !t
		case float64:
			return t == 0
		case string:
			return t == ""
		case []any:
			return len(t) == 0
		case map[string]any:
			for _, e := range t {
				if !empty(e) {
					return false
				}
			}
			return true
		}
		return false
	}
	return empty(v)
}
