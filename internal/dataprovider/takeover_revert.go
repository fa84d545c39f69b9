package dataprovider

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// Reverting a takeover (revertprovider --to-version 33..35): SFTPGo's
// tables, kept aside as sftpgo_* since the takeover, are emptied and
// refilled from what this server holds now (so changes made since the
// takeover go back too), our tables are dropped and SFTPGo's get their
// names, indexes and sequences back. SFTPGo's schema_version is the one
// the takeover found. Databases this server created itself have no kept
// tables: those are refused (move them with dumpdata and SFTPGo's
// loaddata instead).

// revertToSFTPGo hands the database back to SFTPGo at schema target.
func (s *Store) revertToSFTPGo(ctx context.Context, target int) error {
	d, ok := s.driver.(*sqlDriver)
	if !ok {
		return fmt.Errorf("dataprovider: cannot revert to SFTPGo schema %d: the %T provider was never an SFTPGo database; "+
			"move the data with dumpdata and SFTPGo's loaddata", target, s.driver)
	}
	if v, ok, err := d.sftpgoSchema(ctx); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("dataprovider: nothing to revert: the database already has SFTPGo's schema %d", v)
	}
	kept, err := d.tableExistsNamed(ctx, d.db, takeoverTable)
	if err == nil && kept {
		kept, err = d.tableExistsNamed(ctx, d.db, keptPrefix+"schema_version")
	}
	if err != nil {
		return err
	}
	if !kept {
		return fmt.Errorf("dataprovider: cannot revert to SFTPGo schema %d: this database was not taken over from SFTPGo "+
			"(no %s%s* tables); move the data with dumpdata and SFTPGo's loaddata instead", target, d.prefix, keptPrefix)
	}
	var from int
	if err := d.db.QueryRowContext(ctx, d.sq("SELECT version FROM {p}"+keptPrefix+"schema_version ORDER BY id DESC LIMIT 1")).Scan(&from); err != nil {
		return fmt.Errorf("dataprovider: revert: read the kept SFTPGo schema version: %w", err)
	}
	if from != target {
		return fmt.Errorf("dataprovider: cannot revert to SFTPGo schema %d: the database was taken over at SFTPGo schema %d, "+
			"revert to %d and let SFTPGo move between its own schema versions", target, from, from)
	}
	if err := s.checkSFTPGoMigratable(ctx); err != nil {
		return err
	}
	data, err := s.Dump(ctx)
	if err != nil {
		return fmt.Errorf("dataprovider: revert: %w", err)
	}
	if err := s.toSFTPGoSecrets(data); err != nil {
		return fmt.Errorf("dataprovider: revert: %w", err)
	}
	s.log.Info("reverting to SFTPGo's schema", "sftpgo_schema", from, "users", len(data.Users))
	if d.dl.name == "mysql" {
		// DDL commits by itself in MySQL: write the rows in one
		// transaction first, then swap the tables
		if err := d.InTx(ctx, func(ops Ops) error { return d.writeSFTPGoRows(ctx, ops.(*sqlOps), data) }); err != nil {
			return fmt.Errorf("dataprovider: revert: %w", err)
		}
		if err := d.swapBackDDL(ctx, d.sqlOps); err != nil {
			return fmt.Errorf("dataprovider: revert: SFTPGo's tables (%s%s*) hold the data but the swap failed: %w", d.prefix, keptPrefix, err)
		}
		return nil
	}
	return d.InTx(ctx, func(ops Ops) error {
		o := ops.(*sqlOps)
		if err := d.writeSFTPGoRows(ctx, o, data); err != nil {
			return fmt.Errorf("dataprovider: revert: %w", err)
		}
		if err := d.swapBackDDL(ctx, o); err != nil {
			return fmt.Errorf("dataprovider: revert: %w", err)
		}
		return nil
	})
}

// checkSFTPGoMigratable refuses what SFTPGo cannot read back: storage
// backends it lacks and API keys hashed the way only this server checks.
func (s *Store) checkSFTPGoMigratable(ctx context.Context) error {
	users, err := s.driver.ListUsers(ctx, 0, 0, false)
	if err != nil {
		return err
	}
	var bad []string
	for _, u := range users {
		if u.FsConfig.Provider == FTPFilesystemProvider {
			bad = append(bad, fmt.Sprintf("user %q uses FTP storage, which SFTPGo does not have", u.Username))
		}
	}
	folders, err := s.driver.ListFolders(ctx, 0, 0, false)
	if err != nil {
		return err
	}
	for _, f := range folders {
		if f.FsConfig.Provider == FTPFilesystemProvider {
			bad = append(bad, fmt.Sprintf("folder %q uses FTP storage, which SFTPGo does not have", f.Name))
		}
	}
	keys, err := s.driver.ListAPIKeys(ctx, 0, 0, false)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if strings.HasPrefix(k.Key, sha256KeyPrefix) {
			bad = append(bad, fmt.Sprintf("API key %q (%s) has a hash SFTPGo cannot check: delete it and create a new one", k.Name, k.KeyID))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("dataprovider: cannot revert to SFTPGo: %s", strings.Join(bad, "; "))
	}
	return nil
}

// keptRowTables are the kept tables emptied before the rows go back,
// children first; tables absent at the kept schema version are skipped.
var keptRowTables = []string{"rules_actions_mapping", "shares_groups_mapping", "admins_groups_mapping",
	"users_groups_mapping", "users_folders_mapping", "groups_folders_mapping", "api_keys", "shares",
	"active_transfers", "shared_sessions", "nodes", "events_rules", "events_actions", "ip_lists", "configurations",
	"users", "admins", "groups", "folders", "roles"}

// sfInsert adds a row to a kept SFTPGo table and returns its id.
func (o *sqlOps) sfInsert(ctx context.Context, table string, cols []string, vals ...any) (int64, error) {
	q := make([]string, len(cols))
	ph := make([]string, len(cols))
	for i, c := range cols {
		q[i], ph[i] = o.dl.quoteIdent(c), "?"
	}
	id, err := o.insertID(ctx, fmt.Sprintf("INSERT INTO {p}%s%s (%s) VALUES (%s)", keptPrefix, table,
		strings.Join(q, ", "), strings.Join(ph, ", ")), vals...)
	if err != nil {
		return 0, fmt.Errorf("write SFTPGo table %s: %w", table, err)
	}
	return id, nil
}

// jsonCol is a JSON column value: NULL for nothing unless notNull.
func jsonCol(v any, notNull string) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if s := string(b); s == "null" || s == "" {
		if notNull != "" {
			return notNull, nil
		}
		return nil, nil
	}
	return string(b), nil
}

// nullStr is a NULL-able text column.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ipRange returns SFTPGo's ip_lists first/last/ip_type for an IP or CIDR.
func ipRange(ipOrNet string) ([]byte, []byte, int, error) {
	p, err := netip.ParsePrefix(ipOrNet)
	if err != nil {
		a, err2 := netip.ParseAddr(ipOrNet)
		if err2 != nil {
			return nil, nil, 0, fmt.Errorf("ip list entry %q: %w", ipOrNet, err)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	p = p.Masked()
	first := p.Addr().AsSlice()
	last := append([]byte(nil), first...)
	for bit := p.Bits(); bit < len(last)*8; bit++ {
		last[bit/8] |= 0x80 >> (bit % 8)
	}
	ipType := 1
	if p.Addr().Is6() {
		ipType = 2
	}
	return first, last, ipType, nil
}

// writeSFTPGoRows empties the kept tables and writes data into them in
// SFTPGo's relational shape.
func (d *sqlDriver) writeSFTPGoRows(ctx context.Context, o *sqlOps, data *BackupData) error {
	q := o.q()
	for _, t := range keptRowTables {
		ok, err := d.tableExistsNamed(ctx, q, keptPrefix+t)
		if err != nil {
			return err
		}
		if ok {
			if _, err := o.exec(ctx, "DELETE FROM {p}"+keptPrefix+t); err != nil {
				return fmt.Errorf("empty SFTPGo table %s: %w", t, err)
			}
		}
	}
	var sections struct {
		roles, ipLists, actions, rules []map[string]json.RawMessage
	}
	// through JSON, whatever Go type a section has (opaque or modelled)
	for _, sec := range []struct {
		list any
		dst  *[]map[string]json.RawMessage
	}{{data.Roles, &sections.roles}, {data.IPLists, &sections.ipLists}, {data.EventActions, &sections.actions},
		{data.EventRules, &sections.rules}} {
		b, err := json.Marshal(sec.list)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, sec.dst); err != nil {
			return err
		}
	}
	str := func(m map[string]json.RawMessage, k string) string {
		var s string
		_ = json.Unmarshal(m[k], &s)
		return s
	}
	num := func(m map[string]json.RawMessage, k string) int64 {
		var n int64
		_ = json.Unmarshal(m[k], &n)
		return n
	}
	raw := func(m map[string]json.RawMessage, k, def string) string {
		if v := strings.TrimSpace(string(m[k])); v != "" && v != "null" {
			return v
		}
		return def
	}

	roleID := map[string]int64{}
	for _, r := range sections.roles {
		id, err := o.sfInsert(ctx, "roles", []string{"name", "description", "created_at", "updated_at"},
			str(r, "name"), nullStr(str(r, "description")), num(r, "created_at"), num(r, "updated_at"))
		if err != nil {
			return err
		}
		roleID[str(r, "name")] = id
	}
	role := func(name string) (any, error) {
		if name == "" {
			return nil, nil
		}
		id, ok := roleID[name]
		if !ok {
			return nil, fmt.Errorf("role %q is not in the roles section", name)
		}
		return id, nil
	}
	folderID := map[string]int64{}
	for _, f := range data.Folders {
		fs, err := jsonCol(f.FsConfig, "")
		if err != nil {
			return err
		}
		id, err := o.sfInsert(ctx, "folders", []string{"name", "description", "path", "used_quota_size", "used_quota_files",
			"last_quota_update", "filesystem"}, f.Name, nullStr(f.Description), nullStr(f.MappedPath), f.UsedQuotaSize,
			f.UsedQuotaFiles, f.LastQuotaUpdate, fs)
		if err != nil {
			return err
		}
		folderID[f.Name] = id
	}
	mount := func(table, ownerCol string, ownerID int64, vfs []VirtualFolder) error {
		for i, vf := range vfs {
			fid, ok := folderID[vf.Name]
			if !ok {
				return fmt.Errorf("%s: folder %q missing", table, vf.Name)
			}
			if _, err := o.sfInsert(ctx, table, []string{ownerCol, "folder_id", "virtual_path", "quota_size", "quota_files", "sort_order"},
				ownerID, fid, vf.VirtualPath, vf.QuotaSize, vf.QuotaFiles, i); err != nil {
				return err
			}
		}
		return nil
	}
	groupID := map[string]int64{}
	for _, g := range data.Groups {
		us, err := jsonCol(g.UserSettings, "")
		if err != nil {
			return err
		}
		id, err := o.sfInsert(ctx, "groups", []string{"name", "description", "created_at", "updated_at", "user_settings"},
			g.Name, nullStr(g.Description), g.CreatedAt, g.UpdatedAt, us)
		if err != nil {
			return err
		}
		groupID[g.Name] = id
		if err := mount("groups_folders_mapping", "group_id", id, g.VirtualFolders); err != nil {
			return err
		}
	}
	userID := map[string]int64{}
	for _, u := range data.Users {
		keys, err := jsonCol(u.PublicKeys, "")
		if err != nil {
			return err
		}
		perms, err := jsonCol(u.Permissions, "{}")
		if err != nil {
			return err
		}
		filters, err := jsonCol(u.Filters, "")
		if err != nil {
			return err
		}
		fs, err := jsonCol(u.FsConfig, "")
		if err != nil {
			return err
		}
		r, err := role(u.Role)
		if err != nil {
			return fmt.Errorf("user %q: %w", u.Username, err)
		}
		id, err := o.sfInsert(ctx, "users", []string{"username", "status", "expiration_date", "description", "password",
			"public_keys", "home_dir", "uid", "gid", "max_sessions", "quota_size", "quota_files", "permissions",
			"used_quota_size", "used_quota_files", "last_quota_update", "upload_bandwidth", "download_bandwidth",
			"last_login", "filters", "filesystem", "additional_info", "created_at", "updated_at", "email",
			"upload_data_transfer", "download_data_transfer", "total_data_transfer", "used_upload_data_transfer",
			"used_download_data_transfer", "deleted_at", "first_download", "first_upload", "last_password_change", "role_id"},
			u.Username, u.Status, u.ExpirationDate, nullStr(u.Description), nullStr(u.Password), keys, u.HomeDir, u.UID,
			u.GID, u.MaxSessions, u.QuotaSize, u.QuotaFiles, perms, u.UsedQuotaSize, u.UsedQuotaFiles, u.LastQuotaUpdate,
			u.UploadBandwidth, u.DownloadBandwidth, u.LastLogin, filters, fs, nullStr(u.AdditionalInfo), u.CreatedAt,
			u.UpdatedAt, nullStr(u.Email), u.UploadDataTransfer, u.DownloadDataTransfer, u.TotalDataTransfer,
			u.UsedUploadDataTransfer, u.UsedDownloadDataTransfer, 0, u.FirstDownload, u.FirstUpload, u.LastPasswordChange, r)
		if err != nil {
			return fmt.Errorf("user %q: %w", u.Username, err)
		}
		userID[u.Username] = id
		for i, g := range u.Groups {
			gid, ok := groupID[g.Name]
			if !ok {
				return fmt.Errorf("user %q: group %q missing", u.Username, g.Name)
			}
			if _, err := o.sfInsert(ctx, "users_groups_mapping", []string{"user_id", "group_id", "group_type", "sort_order"},
				id, gid, g.Type, i); err != nil {
				return err
			}
		}
		if err := mount("users_folders_mapping", "user_id", id, u.VirtualFolders); err != nil {
			return err
		}
	}
	adminID := map[string]int64{}
	for _, a := range data.Admins {
		perms, err := jsonCol(a.Permissions, "[]")
		if err != nil {
			return err
		}
		filters, err := jsonCol(a.Filters, "")
		if err != nil {
			return err
		}
		r, err := role(a.Role)
		if err != nil {
			return fmt.Errorf("admin %q: %w", a.Username, err)
		}
		id, err := o.sfInsert(ctx, "admins", []string{"username", "description", "password", "email", "status", "permissions",
			"filters", "additional_info", "last_login", "role_id", "created_at", "updated_at"},
			a.Username, nullStr(a.Description), a.Password, nullStr(a.Email), a.Status, perms, filters,
			nullStr(a.AdditionalInfo), a.LastLogin, r, a.CreatedAt, a.UpdatedAt)
		if err != nil {
			return fmt.Errorf("admin %q: %w", a.Username, err)
		}
		adminID[a.Username] = id
		for i, g := range a.Groups {
			gid, ok := groupID[g.Name]
			if !ok {
				return fmt.Errorf("admin %q: group %q missing", a.Username, g.Name)
			}
			opts, err := jsonCol(g.Options, "{}")
			if err != nil {
				return err
			}
			if _, err := o.sfInsert(ctx, "admins_groups_mapping", []string{"admin_id", "group_id", "options", "sort_order"},
				id, gid, opts, i); err != nil {
				return err
			}
		}
	}
	for _, k := range data.APIKeys {
		var admin, user any
		if k.Admin != "" {
			admin = adminID[k.Admin]
		}
		if k.User != "" {
			user = userID[k.User]
		}
		if _, err := o.sfInsert(ctx, "api_keys", []string{"name", "key_id", "api_key", "scope", "created_at", "updated_at",
			"last_use_at", "expires_at", "description", "admin_id", "user_id"}, k.Name, k.KeyID, k.Key, k.Scope, k.CreatedAt,
			k.UpdatedAt, k.LastUseAt, k.ExpiresAt, nullStr(k.Description), admin, user); err != nil {
			return fmt.Errorf("API key %q: %w", k.KeyID, err)
		}
	}
	for _, sh := range data.Shares {
		uid, ok := userID[sh.Username]
		if !ok {
			return fmt.Errorf("share %q: user %q missing", sh.ShareID, sh.Username)
		}
		paths, err := jsonCol(sh.Paths, "[]")
		if err != nil {
			return err
		}
		allow, err := jsonCol(sh.AllowFrom, "")
		if err != nil {
			return err
		}
		if _, err := o.sfInsert(ctx, "shares", []string{"share_id", "name", "description", "scope", "paths", "created_at",
			"updated_at", "last_use_at", "expires_at", "password", "max_tokens", "used_tokens", "allow_from", "user_id"},
			sh.ShareID, sh.Name, nullStr(sh.Description), sh.Scope, paths, sh.CreatedAt, sh.UpdatedAt, sh.LastUseAt,
			sh.ExpiresAt, nullStr(sh.Password), sh.MaxTokens, sh.UsedTokens, allow, uid); err != nil {
			return fmt.Errorf("share %q: %w", sh.ShareID, err)
		}
	}
	for _, e := range sections.ipLists {
		first, last, ipType, err := ipRange(str(e, "ipornet"))
		if err != nil {
			return err
		}
		if _, err := o.sfInsert(ctx, "ip_lists", []string{"type", "ipornet", "mode", "description", "first", "last", "ip_type",
			"protocols", "created_at", "updated_at", "deleted_at"}, num(e, "type"), str(e, "ipornet"), num(e, "mode"),
			nullStr(str(e, "description")), first, last, ipType, num(e, "protocols"), num(e, "created_at"),
			num(e, "updated_at"), 0); err != nil {
			return err
		}
	}
	actionID := map[string]int64{}
	for _, a := range sections.actions {
		id, err := o.sfInsert(ctx, "events_actions", []string{"name", "description", "type", "options"},
			str(a, "name"), nullStr(str(a, "description")), num(a, "type"), raw(a, "options", "{}"))
		if err != nil {
			return fmt.Errorf("event action %q: %w", str(a, "name"), err)
		}
		actionID[str(a, "name")] = id
	}
	for _, r := range sections.rules {
		id, err := o.sfInsert(ctx, "events_rules", []string{"name", "status", "description", "created_at", "updated_at",
			"trigger", "conditions", "deleted_at"}, str(r, "name"), num(r, "status"), nullStr(str(r, "description")),
			num(r, "created_at"), num(r, "updated_at"), num(r, "trigger"), raw(r, "conditions", "{}"), 0)
		if err != nil {
			return fmt.Errorf("event rule %q: %w", str(r, "name"), err)
		}
		var acts []map[string]json.RawMessage
		if err := json.Unmarshal([]byte(raw(r, "actions", "[]")), &acts); err != nil {
			return fmt.Errorf("event rule %q: actions: %w", str(r, "name"), err)
		}
		for i, a := range acts {
			aid, ok := actionID[str(a, "name")]
			if !ok {
				return fmt.Errorf("event rule %q: action %q missing", str(r, "name"), str(a, "name"))
			}
			order := num(a, "order")
			if order == 0 {
				order = int64(i + 1)
			}
			if _, err := o.sfInsert(ctx, "rules_actions_mapping", []string{"rule_id", "action_id", "order", "options"},
				id, aid, order, raw(a, "relation_options", "{}")); err != nil {
				return err
			}
		}
	}
	if ok, err := d.tableExistsNamed(ctx, q, keptPrefix+"configurations"); err != nil {
		return err
	} else if ok {
		cfg := strings.TrimSpace(string(data.Configs))
		if cfg == "" || cfg == "null" {
			cfg = "{}"
		}
		if _, err := o.exec(ctx, "INSERT INTO {p}"+keptPrefix+"configurations (id, configs) VALUES (1, ?)", cfg); err != nil {
			return fmt.Errorf("write SFTPGo table configurations: %w", err)
		}
	}
	return nil
}

// swapBackDDL drops our tables and gives SFTPGo's back their names,
// indexes and sequences, as recorded by the takeover.
func (d *sqlDriver) swapBackDDL(ctx context.Context, o *sqlOps) error {
	q := o.q()
	rows, err := q.QueryContext(ctx, o.sq("SELECT kind, name, def FROM {p}"+takeoverTable))
	if err != nil {
		return err
	}
	type rec struct{ kind, name, def string }
	var recs []rec
	for rows.Next() {
		var r rec
		if err := rows.Scan(&r.kind, &r.name, &r.def); err != nil {
			rows.Close()
			return err
		}
		recs = append(recs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := d.dropOurTables(ctx, o); err != nil {
		return err
	}
	var errs []error
	for _, r := range recs {
		if r.kind != "table" {
			continue
		}
		if _, err := o.exec(ctx, fmt.Sprintf("ALTER TABLE {p}%s RENAME TO {p}%s", r.def, r.name)); err != nil {
			errs = append(errs, fmt.Errorf("rename table %s back: %w", r.def, err))
		}
	}
	for _, r := range recs {
		var err error
		switch r.kind {
		case "index":
			_, err = q.ExecContext(ctx, r.def)
		case "pgindex":
			_, err = q.ExecContext(ctx, fmt.Sprintf(`ALTER INDEX %q RENAME TO %q`, r.def, r.name))
		case "pgseq":
			_, err = q.ExecContext(ctx, fmt.Sprintf(`ALTER SEQUENCE %q RENAME TO %q`, r.def, r.name))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("restore %s %s: %w", r.kind, r.name, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	_, err = o.exec(ctx, "DROP TABLE {p}"+takeoverTable)
	return err
}

// toSFTPGoSecrets re-encrypts, in SFTPGo's Secretbox layout, the secrets
// an earlier build of this server stored in its own AES-256-GCM layout
// (a base64 key rather than SFTPGo's 64 hex digits), which SFTPGo cannot
// read. The additional data stays the same.
func (s *Store) toSFTPGoSecrets(data *BackupData) error {
	convert := func(kind, name string, fields []secretField) error {
		for _, f := range fields {
			sec := *f.ptr
			if sec == nil || sec.Status != kms.StatusAES256GCM || sec.Payload == "" {
				continue
			}
			if k, err := hex.DecodeString(sec.Key); err == nil && len(k) == 32 {
				continue // already SFTPGo's layout
			}
			plain, err := s.secrets.Decrypt(sec)
			if err != nil {
				return fmt.Errorf("%s %q: %s: %w", kind, name, f.name, err)
			}
			c := kms.NewPlainSecret(plain)
			if err := s.secrets.Encrypt(c, sec.AdditionalData); err != nil {
				return fmt.Errorf("%s %q: %s: %w", kind, name, f.name, err)
			}
			*f.ptr = c
		}
		return nil
	}
	for i := range data.Users {
		u := &data.Users[i]
		if err := convert("user", u.Username, userSecrets(u)); err != nil {
			return err
		}
		for j := range u.VirtualFolders {
			if err := convert("folder", u.VirtualFolders[j].Name, fsSecrets(&u.VirtualFolders[j].FsConfig)); err != nil {
				return err
			}
		}
	}
	for i := range data.Groups {
		g := &data.Groups[i]
		if err := convert("group", g.Name, fsSecrets(&g.UserSettings.FsConfig)); err != nil {
			return err
		}
	}
	for i := range data.Folders {
		if err := convert("folder", data.Folders[i].Name, fsSecrets(&data.Folders[i].FsConfig)); err != nil {
			return err
		}
	}
	for i := range data.Admins {
		if err := convert("admin", data.Admins[i].Username, adminSecrets(&data.Admins[i])); err != nil {
			return err
		}
	}
	return nil
}
