package dataprovider

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ---- groups

func (o *sqlOps) GetGroup(ctx context.Context, name string) (Group, error) {
	var g Group
	var id int64
	if err := o.readDoc(ctx, groupsTable, name, &g, ", id", &id); err != nil {
		return Group{}, err
	}
	g.ID = id
	var err error
	if g.VirtualFolders, err = o.mountedFolders(ctx, "groups_folders_mapping", "group_id", id); err != nil {
		return Group{}, err
	}
	rows, err := o.q().QueryContext(ctx, o.sq(`SELECT u.username FROM {p}users_groups_mapping m
		JOIN {p}users u ON u.id = m.user_id WHERE m.group_id = ? ORDER BY u.username`), id)
	if err != nil {
		return Group{}, err
	}
	if g.Users, err = scanStrings(rows); err != nil {
		return Group{}, err
	}
	rows, err = o.q().QueryContext(ctx, o.sq(`SELECT a.username FROM {p}admins_groups_mapping m
		JOIN {p}admins a ON a.id = m.admin_id WHERE m.group_id = ? ORDER BY a.username`), id)
	if err != nil {
		return Group{}, err
	}
	g.Admins, err = scanStrings(rows)
	return g, err
}

func (o *sqlOps) ListGroups(ctx context.Context, limit, offset int, desc bool) ([]Group, error) {
	return sqlList(ctx, o, groupsTable, limit, offset, desc, o.GetGroup)
}

func groupDoc(g *Group) (string, error) {
	c := *g
	c.VirtualFolders, c.Users, c.Admins = nil, nil, nil
	return toJSON(c)
}

func (o *sqlOps) AddGroup(ctx context.Context, g *Group) error {
	return o.write(ctx, func(o *sqlOps) error {
		doc, err := groupDoc(g)
		if err != nil {
			return err
		}
		id, err := o.insertNew(ctx, groupsTable, g.Name, "INSERT INTO {p}groups (name, data) VALUES (?, ?)", g.Name, doc)
		if err != nil {
			return err
		}
		if err := o.setFolderMappings(ctx, "groups_folders_mapping", "group_id", id, g.VirtualFolders); err != nil {
			return err
		}
		g.ID = id
		return nil
	})
}

func (o *sqlOps) UpdateGroup(ctx context.Context, g *Group) error {
	return o.write(ctx, func(o *sqlOps) error {
		doc, err := groupDoc(g)
		if err != nil {
			return err
		}
		id, err := o.updateDoc(ctx, groupsTable, g.Name, doc, "")
		if err != nil {
			return err
		}
		if _, err := o.exec(ctx, "DELETE FROM {p}groups_folders_mapping WHERE group_id = ?", id); err != nil {
			return err
		}
		g.ID = id
		return o.setFolderMappings(ctx, "groups_folders_mapping", "group_id", id, g.VirtualFolders)
	})
}

func (o *sqlOps) DeleteGroup(ctx context.Context, name string) error {
	return o.write(ctx, func(o *sqlOps) error {
		id, err := o.idOf(ctx, "group", "groups", "name", name)
		if err != nil {
			return err
		}
		var members int
		if err := o.queryRow(ctx, "SELECT COUNT(*) FROM {p}users_groups_mapping WHERE group_id = ?", id).Scan(&members); err != nil {
			return err
		}
		if members > 0 {
			return fmt.Errorf("group %q has %d members: %w", name, members, ErrConflict)
		}
		if err := o.removeAdminGroup(ctx, id, name); err != nil {
			return err
		}
		_, err = o.exec(ctx, "DELETE FROM {p}groups WHERE id = ?", id)
		return err
	})
}

// removeAdminGroup drops a group from the documents of the admins that
// reference it (the mapping rows go with the foreign key).
func (o *sqlOps) removeAdminGroup(ctx context.Context, groupID int64, name string) error {
	rows, err := o.q().QueryContext(ctx, o.sq(`SELECT a.username FROM {p}admins_groups_mapping m
		JOIN {p}admins a ON a.id = m.admin_id WHERE m.group_id = ?`), groupID)
	if err != nil {
		return err
	}
	admins, err := scanStrings(rows)
	if err != nil {
		return err
	}
	for _, n := range admins {
		a, err := o.GetAdmin(ctx, n)
		if err != nil {
			return err
		}
		var keep []AdminGroupMapping
		for _, m := range a.Groups {
			if m.Name != name {
				keep = append(keep, m)
			}
		}
		a.Groups = keep
		doc, err := toJSON(a)
		if err != nil {
			return err
		}
		if _, err := o.exec(ctx, "UPDATE {p}admins SET data = ? WHERE id = ?", doc, a.ID); err != nil {
			return err
		}
	}
	return nil
}

// ---- folders

func (o *sqlOps) GetFolder(ctx context.Context, name string) (BaseVirtualFolder, error) {
	var f BaseVirtualFolder
	var id int64
	var c BaseVirtualFolder
	var cs counterScan
	err := o.readDoc(ctx, foldersTable, name, &f, ", id, used_quota_size, used_quota_files, last_quota_update", &id,
		col(&cs, "used_quota_size", &c.UsedQuotaSize), col(&cs, "used_quota_files", &c.UsedQuotaFiles),
		col(&cs, "last_quota_update", &c.LastQuotaUpdate))
	if err == nil {
		err = cs.err("folder", name)
	}
	if err != nil {
		return BaseVirtualFolder{}, err
	}
	f.ID = id
	f.UsedQuotaSize, f.UsedQuotaFiles, f.LastQuotaUpdate = c.UsedQuotaSize, c.UsedQuotaFiles, c.LastQuotaUpdate
	rows, err := o.q().QueryContext(ctx, o.sq(`SELECT u.username FROM {p}users_folders_mapping m
		JOIN {p}users u ON u.id = m.user_id WHERE m.folder_id = ? ORDER BY u.username`), id)
	if err != nil {
		return f, err
	}
	if f.Users, err = scanStrings(rows); err != nil {
		return f, err
	}
	rows, err = o.q().QueryContext(ctx, o.sq(`SELECT g.name FROM {p}groups_folders_mapping m
		JOIN {p}groups g ON g.id = m.group_id WHERE m.folder_id = ? ORDER BY g.name`), id)
	if err != nil {
		return f, err
	}
	f.Groups, err = scanStrings(rows)
	return f, err
}

func (o *sqlOps) ListFolders(ctx context.Context, limit, offset int, desc bool) ([]BaseVirtualFolder, error) {
	return sqlList(ctx, o, foldersTable, limit, offset, desc, o.GetFolder)
}

func folderDoc(f *BaseVirtualFolder) (string, error) {
	c := *f
	c.Users, c.Groups = nil, nil
	c.UsedQuotaSize, c.UsedQuotaFiles, c.LastQuotaUpdate = 0, 0, 0
	return toJSON(c)
}

func (o *sqlOps) AddFolder(ctx context.Context, f *BaseVirtualFolder) error {
	return o.write(ctx, func(o *sqlOps) error {
		doc, err := folderDoc(f)
		if err != nil {
			return err
		}
		id, err := o.insertNew(ctx, foldersTable, f.Name, `INSERT INTO {p}folders (name, data, used_quota_size,
			used_quota_files, last_quota_update) VALUES (?, ?, ?, ?, ?)`, f.Name, doc, f.UsedQuotaSize,
			f.UsedQuotaFiles, f.LastQuotaUpdate)
		if err != nil {
			return err
		}
		f.ID = id
		return nil
	})
}

func (o *sqlOps) UpdateFolder(ctx context.Context, f *BaseVirtualFolder) error {
	return o.write(ctx, func(o *sqlOps) error {
		doc, err := folderDoc(f)
		if err != nil {
			return err
		}
		id, err := o.updateDoc(ctx, foldersTable, f.Name, doc, "")
		if err == nil {
			f.ID = id
		}
		return err
	})
}

func (o *sqlOps) DeleteFolder(ctx context.Context, name string) error {
	return o.write(ctx, func(o *sqlOps) error { return o.deleteKey(ctx, foldersTable, name) })
}

func (o *sqlOps) UpdateFolderQuota(ctx context.Context, name string, size int64, files int, reset bool) error {
	if !reset {
		q := `UPDATE {p}folders SET used_quota_size = ` + addCapped("used_quota_size") + `,
			used_quota_files = ` + addCapped("used_quota_files") + `, last_quota_update = ? WHERE name = ?`
		return o.updateCounters(ctx, "folder", name, q, capArgs(size, int64(files), nowMillis(), name)...)
	}
	q := "UPDATE {p}folders SET used_quota_size = ?, used_quota_files = ?, last_quota_update = ? WHERE name = ?"
	return o.updateCounters(ctx, "folder", name, q, size, files, nowMillis(), name)
}

// ---- admins

func (o *sqlOps) GetAdmin(ctx context.Context, username string) (Admin, error) {
	var a Admin
	var id, lastLogin int64
	if err := o.readDoc(ctx, adminsTable, username, &a, ", id, last_login", &id, &lastLogin); err != nil {
		return Admin{}, err
	}
	a.ID, a.LastLogin = id, lastLogin
	return a, nil
}

func (o *sqlOps) ListAdmins(ctx context.Context, limit, offset int, desc bool) ([]Admin, error) {
	return sqlList(ctx, o, adminsTable, limit, offset, desc, o.GetAdmin)
}

func (o *sqlOps) setAdminGroups(ctx context.Context, adminID int64, a *Admin) error {
	if _, err := o.exec(ctx, "DELETE FROM {p}admins_groups_mapping WHERE admin_id = ?", adminID); err != nil {
		return err
	}
	for i, m := range a.Groups {
		gid, err := o.idOf(ctx, "group", "groups", "name", m.Name)
		if err != nil {
			return err
		}
		opts, err := toJSON(m.Options)
		if err != nil {
			return err
		}
		if _, err := o.exec(ctx, `INSERT INTO {p}admins_groups_mapping (admin_id, group_id, options, sort_order)
			VALUES (?, ?, ?, ?)`, adminID, gid, opts, i); err != nil {
			return err
		}
	}
	return nil
}

func adminDoc(a *Admin) (string, error) {
	c := *a
	c.LastLogin = 0
	return toJSON(c)
}

func (o *sqlOps) AddAdmin(ctx context.Context, a *Admin) error {
	return o.write(ctx, func(o *sqlOps) error {
		doc, err := adminDoc(a)
		if err != nil {
			return err
		}
		id, err := o.insertNew(ctx, adminsTable, a.Username, "INSERT INTO {p}admins (username, data, last_login) VALUES (?, ?, ?)",
			a.Username, doc, a.LastLogin)
		if err != nil {
			return err
		}
		a.ID = id
		return o.setAdminGroups(ctx, id, a)
	})
}

func (o *sqlOps) UpdateAdmin(ctx context.Context, a *Admin) error {
	return o.write(ctx, func(o *sqlOps) error {
		doc, err := adminDoc(a)
		if err != nil {
			return err
		}
		id, err := o.updateDoc(ctx, adminsTable, a.Username, doc, "")
		if err != nil {
			return err
		}
		a.ID = id
		return o.setAdminGroups(ctx, id, a)
	})
}

func (o *sqlOps) DeleteAdmin(ctx context.Context, username string) error {
	return o.write(ctx, func(o *sqlOps) error { return o.deleteKey(ctx, adminsTable, username) })
}

func (o *sqlOps) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := o.queryRow(ctx, "SELECT COUNT(*) FROM {p}admins").Scan(&n)
	return n, err
}

func (o *sqlOps) SetAdminLastLogin(ctx context.Context, username string, at int64) error {
	return o.updateCounters(ctx, "admin", username, "UPDATE {p}admins SET last_login = ? WHERE username = ?", at, username)
}

// ---- API keys

func (o *sqlOps) GetAPIKey(ctx context.Context, keyID string) (APIKey, error) {
	var k APIKey
	var id, lastUse int64
	if err := o.readDoc(ctx, apiKeysTable, keyID, &k, ", id, last_use_at", &id, &lastUse); err != nil {
		return APIKey{}, err
	}
	k.ID, k.LastUseAt = id, lastUse
	return k, nil
}

func (o *sqlOps) ListAPIKeys(ctx context.Context, limit, offset int, desc bool) ([]APIKey, error) {
	return sqlList(ctx, o, apiKeysTable, limit, offset, desc, o.GetAPIKey)
}

// keyOwners resolves the user and admin ids of a key (NULL when none).
func (o *sqlOps) keyOwners(ctx context.Context, k *APIKey) (userID, adminID sql.NullInt64, err error) {
	if k.User != "" {
		id, err := o.idOf(ctx, "user", "users", "username", k.User)
		if err != nil {
			return userID, adminID, err
		}
		userID = sql.NullInt64{Int64: id, Valid: true}
	}
	if k.Admin != "" {
		id, err := o.idOf(ctx, "admin", "admins", "username", k.Admin)
		if err != nil {
			return userID, adminID, err
		}
		adminID = sql.NullInt64{Int64: id, Valid: true}
	}
	return userID, adminID, nil
}

func apiKeyDoc(k *APIKey) (string, error) {
	c := *k
	c.LastUseAt = 0
	return toJSON(c)
}

func (o *sqlOps) AddAPIKey(ctx context.Context, k *APIKey) error {
	return o.write(ctx, func(o *sqlOps) error {
		uid, aid, err := o.keyOwners(ctx, k)
		if err != nil {
			return err
		}
		doc, err := apiKeyDoc(k)
		if err != nil {
			return err
		}
		id, err := o.insertNew(ctx, apiKeysTable, k.KeyID, `INSERT INTO {p}api_keys (key_id, data, user_id, admin_id,
			last_use_at) VALUES (?, ?, ?, ?, ?)`, k.KeyID, doc, uid, aid, k.LastUseAt)
		if err != nil {
			return err
		}
		k.ID = id
		return nil
	})
}

func (o *sqlOps) UpdateAPIKey(ctx context.Context, k *APIKey) error {
	return o.write(ctx, func(o *sqlOps) error {
		if _, err := o.idOf(ctx, apiKeysTable.kind, apiKeysTable.name, apiKeysTable.key, k.KeyID); err != nil {
			return err
		}
		uid, aid, err := o.keyOwners(ctx, k)
		if err != nil {
			return err
		}
		doc, err := apiKeyDoc(k)
		if err != nil {
			return err
		}
		id, err := o.updateDoc(ctx, apiKeysTable, k.KeyID, doc, ", user_id = ?, admin_id = ?", uid, aid)
		if err == nil {
			k.ID = id
		}
		return err
	})
}

func (o *sqlOps) DeleteAPIKey(ctx context.Context, keyID string) error {
	return o.write(ctx, func(o *sqlOps) error { return o.deleteKey(ctx, apiKeysTable, keyID) })
}

func (o *sqlOps) SetAPIKeyLastUse(ctx context.Context, keyID string, at int64) error {
	return o.updateCounters(ctx, "API key", keyID, "UPDATE {p}api_keys SET last_use_at = ? WHERE key_id = ?", at, keyID)
}

// ---- shares

func (o *sqlOps) GetShare(ctx context.Context, shareID string) (Share, error) {
	var sh Share
	if err := o.readDoc(ctx, sharesTable, shareID, &sh, ""); err != nil {
		return Share{}, err
	}
	return sh, nil
}

func (o *sqlOps) ListShares(ctx context.Context, limit, offset int, desc bool) ([]Share, error) {
	return sqlList(ctx, o, sharesTable, limit, offset, desc, o.GetShare)
}

func (o *sqlOps) AddShare(ctx context.Context, sh *Share) error {
	return o.write(ctx, func(o *sqlOps) error {
		uid, err := o.idOf(ctx, usersTable.kind, usersTable.name, usersTable.key, sh.Username)
		if err != nil {
			return err
		}
		doc, err := toJSON(sh)
		if err != nil {
			return err
		}
		_, err = o.insertNew(ctx, sharesTable, sh.ShareID, "INSERT INTO {p}shares (share_id, user_id, data) VALUES (?, ?, ?)",
			sh.ShareID, uid, doc)
		return err
	})
}

func (o *sqlOps) UpdateShare(ctx context.Context, sh *Share) error {
	return o.write(ctx, func(o *sqlOps) error {
		if _, err := o.idOf(ctx, sharesTable.kind, sharesTable.name, sharesTable.key, sh.ShareID); err != nil {
			return err
		}
		uid, err := o.idOf(ctx, usersTable.kind, usersTable.name, usersTable.key, sh.Username)
		if err != nil {
			return err
		}
		doc, err := toJSON(sh)
		if err != nil {
			return err
		}
		_, err = o.updateDoc(ctx, sharesTable, sh.ShareID, doc, ", user_id = ?", uid)
		return err
	})
}

func (o *sqlOps) DeleteShare(ctx context.Context, shareID string) error {
	return o.write(ctx, func(o *sqlOps) error { return o.deleteKey(ctx, sharesTable, shareID) })
}

// ---- opaque sections

func (o *sqlOps) GetSection(ctx context.Context, name string) ([]byte, error) {
	var data string
	err := o.queryRow(ctx, "SELECT data FROM {p}sections WHERE name = ?", name).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []byte(data), nil
}

func (o *sqlOps) SetSection(ctx context.Context, name string, data []byte) error {
	return o.write(ctx, func(o *sqlOps) error {
		if _, err := o.exec(ctx, "DELETE FROM {p}sections WHERE name = ?", name); err != nil {
			return err
		}
		if len(data) == 0 {
			return nil
		}
		_, err := o.exec(ctx, "INSERT INTO {p}sections (name, data) VALUES (?, ?)", name, string(data))
		return err
	})
}
