package dataprovider

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// sqlDriver stores objects in a SQL database through a dialect. Every
// write runs in a transaction, so a failure leaves nothing behind.
type sqlDriver struct {
	*sqlOps
	db     *sql.DB
	file   string // the database file, for sqlite
	prefix string
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// sqlOps runs the Ops on the database (tx nil: each write in its own
// transaction) or inside one transaction.
type sqlOps struct {
	d  *sqlDriver
	dl *dialect
	tx *sql.Tx
}

func (o *sqlOps) q() querier {
	if o.tx != nil {
		return o.tx
	}
	return o.d.db
}

// tableRef is a table or index name in a query: "{p}name".
var tableRef = regexp.MustCompile(`\{p\}[A-Za-z0-9_]+`)

// sq expands the table prefix (quoting names for dialects that need it)
// and rebinds placeholders.
func (o *sqlOps) sq(q string) string {
	if o.dl.quote != nil {
		q = tableRef.ReplaceAllStringFunc(q, func(m string) string { return o.dl.quote(o.d.prefix + m[len("{p}"):]) })
	} else {
		q = strings.ReplaceAll(q, "{p}", o.d.prefix)
	}
	return o.dl.rebind(q)
}

func (o *sqlOps) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	res, err := o.q().ExecContext(ctx, o.sq(q), args...)
	return res, o.mapErr(err)
}

func (o *sqlOps) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return o.q().QueryRowContext(ctx, o.sq(q), args...)
}

func (o *sqlOps) mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case o.dl.isUnique(err):
		return fmt.Errorf("%w: %v", ErrConflict, err)
	case o.dl.isForeignKey(err):
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	return err
}

// write runs fn in the current transaction or in a new one.
func (o *sqlOps) write(ctx context.Context, fn func(*sqlOps) error) error {
	if o.tx != nil {
		return fn(o)
	}
	return o.d.InTx(ctx, func(ops Ops) error { return fn(ops.(*sqlOps)) })
}

func (d *sqlDriver) InTx(ctx context.Context, fn func(Ops) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(&sqlOps{d: d, dl: d.dl, tx: tx}); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (d *sqlDriver) Ping(ctx context.Context) error { return d.db.PingContext(ctx) }
func (d *sqlDriver) Close() error                   { return d.db.Close() }

func (d *sqlDriver) SchemaVersion(ctx context.Context) (int, error) {
	var name string
	err := d.db.QueryRowContext(ctx, d.dl.rebind(d.dl.tableExists), d.prefix+"schema_version").Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var v int
	err = d.db.QueryRowContext(ctx, d.sq("SELECT version FROM {p}schema_version WHERE id = 1")).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

// MigrateTo applies one migration per transaction, recording the new
// version in the same transaction: a failed step leaves the previous
// version both in the schema and in schema_version.
func (d *sqlDriver) MigrateTo(ctx context.Context, target int) error {
	if target < 0 || target > len(d.dl.migrations) {
		return fmt.Errorf("dataprovider: no schema version %d", target)
	}
	for {
		cur, err := d.SchemaVersion(ctx)
		if err != nil {
			return err
		}
		if cur > len(d.dl.migrations) {
			return fmt.Errorf("dataprovider: schema version %d is unknown: %w", cur, ErrSchemaNewer)
		}
		if cur == target {
			return nil
		}
		stmts, next := []string(nil), cur
		if cur < target {
			stmts, next = d.dl.migrations[cur].up, cur+1
		} else {
			stmts, next = d.dl.migrations[cur-1].down, cur-1
		}
		err = d.InTx(ctx, func(ops Ops) error {
			o := ops.(*sqlOps)
			for _, st := range stmts {
				if _, err := o.tx.ExecContext(ctx, o.sq(st)); err != nil {
					return fmt.Errorf("schema %d -> %d: %w", cur, next, err)
				}
			}
			if _, err := o.tx.ExecContext(ctx, o.sq("DELETE FROM {p}schema_version")); err != nil {
				return err
			}
			_, err := o.tx.ExecContext(ctx, o.sq("INSERT INTO {p}schema_version (id, version) VALUES (1, ?)"), next)
			return err
		})
		if err != nil {
			return fmt.Errorf("dataprovider: migrate: %w", err)
		}
	}
}

// Reset drops every table of the schema, whatever its version.
func (d *sqlDriver) Reset(ctx context.Context) error {
	tables := []string{"used_otp_codes", "roles", "event_schedule_runs", "event_rules_actions", "event_rules", "event_actions", "nodes", "defender_events", "defender_hosts", "ip_lists", "api_keys", "sections", "shares", "admins_groups_mapping", "groups_folders_mapping",
		"users_folders_mapping", "users_groups_mapping", "admins", "folders", "groups", "users", "schema_version"}
	return d.InTx(ctx, func(ops Ops) error {
		o := ops.(*sqlOps)
		for _, t := range tables {
			if _, err := o.tx.ExecContext(ctx, o.sq("DROP TABLE IF EXISTS {p}"+t)); err != nil {
				return err
			}
		}
		return nil
	})
}

func pageArgs(limit, offset int) (int, int) {
	if limit <= 0 {
		limit = math.MaxInt32
	}
	return limit, max(offset, 0)
}

func orderBy(desc bool) string {
	if desc {
		return "DESC"
	}
	return "ASC"
}

// names returns one page of a key column.
func (o *sqlOps) names(ctx context.Context, table, col string, limit, offset int, desc bool) ([]string, error) {
	limit, offset = pageArgs(limit, offset)
	rows, err := o.q().QueryContext(ctx, o.sq(fmt.Sprintf("SELECT %s FROM {p}%s ORDER BY %s %s LIMIT ? OFFSET ?",
		col, table, col, orderBy(desc))), limit, offset)
	if err != nil {
		return nil, err
	}
	return scanStrings(rows)
}

func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// idOf returns the id of the row whose key column equals name.
func (o *sqlOps) idOf(ctx context.Context, kind, table, col, name string) (int64, error) {
	var id int64
	err := o.queryRow(ctx, fmt.Sprintf("SELECT id FROM {p}%s WHERE %s = ?", table, col), name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound(kind, name)
	}
	return id, err
}

func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// ---- users

func (o *sqlOps) GetUser(ctx context.Context, username string) (User, error) {
	var u User
	var id int64
	var c User
	var cs counterScan
	err := o.readDoc(ctx, usersTable, username, &u, ", "+userCols, userDest(&id, &c, &cs)...)
	if err == nil {
		err = cs.err("user", username)
	}
	if err != nil {
		return User{}, err
	}
	u.ID = id
	copyUserCounters(&u, &c)
	users := []User{u}
	if err := o.userRelations(ctx, users); err != nil {
		return User{}, err
	}
	return users[0], nil
}

// userCols are the columns of a user row besides its key and document,
// scanned by userDest.
const userCols = `id, used_quota_size, used_quota_files, last_quota_update, used_upload_data_transfer,
	used_download_data_transfer, last_login, first_download, first_upload`

func userDest(id *int64, c *User, cs *counterScan) []any {
	return []any{id, col(cs, "used_quota_size", &c.UsedQuotaSize), col(cs, "used_quota_files", &c.UsedQuotaFiles),
		col(cs, "last_quota_update", &c.LastQuotaUpdate), col(cs, "used_upload_data_transfer", &c.UsedUploadDataTransfer),
		col(cs, "used_download_data_transfer", &c.UsedDownloadDataTransfer), col(cs, "last_login", &c.LastLogin),
		col(cs, "first_download", &c.FirstDownload), col(cs, "first_upload", &c.FirstUpload)}
}

// inChunk bounds the ids of one IN (...) list.
const inChunk = 500

// forIDChunks calls fn with the ids in slices of at most inChunk and the
// placeholders of an IN list for them.
func forIDChunks(ids []int64, fn func(chunk []any, marks string) error) error {
	for len(ids) > 0 {
		n := min(len(ids), inChunk)
		chunk := make([]any, n)
		for i, id := range ids[:n] {
			chunk[i] = id
		}
		if err := fn(chunk, strings.TrimSuffix(strings.Repeat("?, ", n), ", ")); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// userRelations fills the groups and virtual folders of users (read with
// their ids), with one query per relation for up to inChunk users.
func (o *sqlOps) userRelations(ctx context.Context, users []User) error {
	ids := make([]int64, len(users))
	byID := make(map[int64]*User, len(users))
	for i := range users {
		ids[i] = users[i].ID
		byID[users[i].ID] = &users[i]
		users[i].Groups = nil
	}
	err := forIDChunks(ids, func(chunk []any, marks string) error {
		rows, err := o.q().QueryContext(ctx, o.sq(`SELECT m.user_id, g.name, m.group_type FROM {p}users_groups_mapping m
			JOIN {p}groups g ON g.id = m.group_id WHERE m.user_id IN (`+marks+`) ORDER BY m.user_id, m.sort_order`), chunk...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var uid int64
			var gm GroupMapping
			if err := rows.Scan(&uid, &gm.Name, &gm.Type); err != nil {
				return err
			}
			if u := byID[uid]; u != nil {
				u.Groups = append(u.Groups, gm)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	folders, err := o.mountedFoldersOf(ctx, "users_folders_mapping", "user_id", ids)
	if err != nil {
		return err
	}
	for i := range users {
		users[i].VirtualFolders = folders[users[i].ID]
	}
	return nil
}

// mountedFolders resolves the folder mappings of a user or group.
func (o *sqlOps) mountedFolders(ctx context.Context, table, ownerCol string, ownerID int64) ([]VirtualFolder, error) {
	m, err := o.mountedFoldersOf(ctx, table, ownerCol, []int64{ownerID})
	return m[ownerID], err
}

// mountedFoldersOf resolves the folder mappings of several users or
// groups, by owner id, with one query for up to inChunk owners.
func (o *sqlOps) mountedFoldersOf(ctx context.Context, table, ownerCol string, ownerIDs []int64) (map[int64][]VirtualFolder, error) {
	out := map[int64][]VirtualFolder{}
	err := forIDChunks(ownerIDs, func(chunk []any, marks string) error {
		rows, err := o.q().QueryContext(ctx, o.sq(fmt.Sprintf(`SELECT m.%s, f.id, f.data, f.used_quota_size,
			f.used_quota_files, f.last_quota_update, m.virtual_path, m.quota_size, m.quota_files FROM {p}%s m
			JOIN {p}folders f ON f.id = m.folder_id WHERE m.%s IN (%s) ORDER BY m.%s, m.sort_order`,
			ownerCol, table, ownerCol, marks, ownerCol)), chunk...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var vf VirtualFolder
			var owner, id int64
			var data string
			var c BaseVirtualFolder
			var cs counterScan
			if err := rows.Scan(&owner, &id, &data, col(&cs, "used_quota_size", &c.UsedQuotaSize),
				col(&cs, "used_quota_files", &c.UsedQuotaFiles), col(&cs, "last_quota_update", &c.LastQuotaUpdate),
				&vf.VirtualPath, col(&cs, "quota_size", &vf.QuotaSize), col(&cs, "quota_files", &vf.QuotaFiles)); err != nil {
				return err
			}
			if err := cs.err("folder", strconv.FormatInt(id, 10)); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(data), &vf.BaseVirtualFolder); err != nil {
				return &CorruptRecordError{Kind: "folder", Name: strconv.FormatInt(id, 10), Err: fmt.Errorf("decode: %w", err)}
			}
			vf.ID = id
			vf.UsedQuotaSize, vf.UsedQuotaFiles, vf.LastQuotaUpdate = c.UsedQuotaSize, c.UsedQuotaFiles, c.LastQuotaUpdate
			vf.Users, vf.Groups = nil, nil
			out[owner] = append(out[owner], vf)
		}
		return rows.Err()
	})
	return out, err
}

// ListUsers reads one page of users with a query for the rows and one per
// relation (not one set of queries per user). A corrupt row is left out
// and named in the SkippedRecords error.
func (o *sqlOps) ListUsers(ctx context.Context, limit, offset int, desc bool) ([]User, error) {
	limit, offset = pageArgs(limit, offset)
	rows, err := o.q().QueryContext(ctx, o.sq(`SELECT username, data, `+userCols+` FROM {p}users ORDER BY username `+
		orderBy(desc)+` LIMIT ? OFFSET ?`), limit, offset)
	if err != nil {
		return nil, err
	}
	var out []User
	var skipped SkippedRecords
	for rows.Next() {
		var name, data string
		var id int64
		var c User
		var cs counterScan
		if err := rows.Scan(append([]any{&name, &data}, userDest(&id, &c, &cs)...)...); err != nil {
			rows.Close()
			return nil, err
		}
		err := cs.err("user", name)
		var u User
		if err == nil {
			if jerr := json.Unmarshal([]byte(data), &u); jerr != nil {
				err = &CorruptRecordError{Kind: "user", Name: name, Err: fmt.Errorf("decode: %w", jerr)}
			}
		}
		u.ID = id
		copyUserCounters(&u, &c)
		if err := keepOrSkip(&out, &skipped, u, err); err != nil {
			rows.Close()
			return nil, err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := o.userRelations(ctx, out); err != nil {
		return nil, err
	}
	if out == nil {
		out = []User{}
	}
	return listResult(out, skipped)
}

// userDoc is the JSON document of a user: relations and counters live in
// their own columns and tables.
func userDoc(u *User) (string, error) {
	c := *u
	c.VirtualFolders, c.Groups = nil, nil
	copyUserCounters(&c, &User{})
	return toJSON(c)
}

func (o *sqlOps) setUserRelations(ctx context.Context, userID int64, u *User) error {
	if _, err := o.exec(ctx, "DELETE FROM {p}users_groups_mapping WHERE user_id = ?", userID); err != nil {
		return err
	}
	if _, err := o.exec(ctx, "DELETE FROM {p}users_folders_mapping WHERE user_id = ?", userID); err != nil {
		return err
	}
	for i, g := range u.Groups {
		gid, err := o.idOf(ctx, "group", "groups", "name", g.Name)
		if err != nil {
			return err
		}
		if _, err := o.exec(ctx, `INSERT INTO {p}users_groups_mapping (user_id, group_id, group_type, sort_order)
			VALUES (?, ?, ?, ?)`, userID, gid, g.Type, i); err != nil {
			return err
		}
	}
	return o.setFolderMappings(ctx, "users_folders_mapping", "user_id", userID, u.VirtualFolders)
}

func (o *sqlOps) setFolderMappings(ctx context.Context, table, ownerCol string, ownerID int64, vfs []VirtualFolder) error {
	for i, vf := range vfs {
		fid, err := o.idOf(ctx, "folder", "folders", "name", vf.Name)
		if err != nil {
			return err
		}
		if _, err := o.exec(ctx, fmt.Sprintf(`INSERT INTO {p}%s (%s, folder_id, virtual_path, quota_size, quota_files, sort_order)
			VALUES (?, ?, ?, ?, ?, ?)`, table, ownerCol), ownerID, fid, vf.VirtualPath, vf.QuotaSize, vf.QuotaFiles, i); err != nil {
			return err
		}
	}
	return nil
}

func (o *sqlOps) exists(ctx context.Context, table, col, name string) (bool, error) {
	var one int
	err := o.queryRow(ctx, fmt.Sprintf("SELECT 1 FROM {p}%s WHERE %s = ?", table, col), name).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func (o *sqlOps) insertID(ctx context.Context, q string, args ...any) (int64, error) {
	if o.dl.returningID {
		var id int64
		err := o.queryRow(ctx, q+" RETURNING id", args...).Scan(&id)
		return id, o.mapErr(err)
	}
	res, err := o.exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func (o *sqlOps) AddUser(ctx context.Context, u *User) error {
	return o.write(ctx, func(o *sqlOps) error {
		doc, err := userDoc(u)
		if err != nil {
			return err
		}
		id, err := o.insertNew(ctx, usersTable, u.Username, `INSERT INTO {p}users (username, data, used_quota_size,
			used_quota_files, last_quota_update, used_upload_data_transfer, used_download_data_transfer, last_login,
			first_download, first_upload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, u.Username, doc, u.UsedQuotaSize,
			u.UsedQuotaFiles, u.LastQuotaUpdate, u.UsedUploadDataTransfer, u.UsedDownloadDataTransfer, u.LastLogin,
			u.FirstDownload, u.FirstUpload)
		if err != nil {
			return err
		}
		if err := o.setUserRelations(ctx, id, u); err != nil {
			return err
		}
		u.ID = id
		return nil
	})
}

func (o *sqlOps) UpdateUser(ctx context.Context, u *User) error {
	return o.write(ctx, func(o *sqlOps) error {
		doc, err := userDoc(u)
		if err != nil {
			return err
		}
		id, err := o.updateDoc(ctx, usersTable, u.Username, doc, "")
		if err != nil {
			return err
		}
		u.ID = id
		return o.setUserRelations(ctx, id, u)
	})
}

// deleteKey deletes the object of t keyed by key.
func (o *sqlOps) deleteKey(ctx context.Context, t sqlTable, key string) error {
	return o.deleteByKey(ctx, t.kind, t.name, t.key, key)
}

func (o *sqlOps) deleteByKey(ctx context.Context, kind, table, col, name string) error {
	res, err := o.exec(ctx, fmt.Sprintf("DELETE FROM {p}%s WHERE %s = ?", table, col), name)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return notFound(kind, name)
	}
	return nil
}

func (o *sqlOps) DeleteUser(ctx context.Context, username string) error {
	return o.write(ctx, func(o *sqlOps) error { return o.deleteKey(ctx, usersTable, username) })
}

// addCapped is the SQL of col + delta saturating at MaxCounter, so a sum
// never overflows (SQLite would store it as a REAL); capArgs gives its
// arguments.
func addCapped(col string) string { return "CASE WHEN " + col + " > ? THEN ? ELSE " + col + " + ? END" }

// capArgs returns the arguments of two addCapped expressions for deltas
// a and b, followed by rest.
func capArgs(a, b int64, rest ...any) []any {
	return append([]any{MaxCounter - a, MaxCounter, a, MaxCounter - b, MaxCounter, b}, rest...)
}

// updateCounters runs a single-row counter update; no row means not found.
func (o *sqlOps) updateCounters(ctx context.Context, kind, name, q string, args ...any) error {
	res, err := o.exec(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return notFound(kind, name)
	}
	return nil
}

func (o *sqlOps) UpdateUserQuota(ctx context.Context, username string, size int64, files int, reset bool) error {
	if !reset {
		q := `UPDATE {p}users SET used_quota_size = ` + addCapped("used_quota_size") + `,
			used_quota_files = ` + addCapped("used_quota_files") + `, last_quota_update = ? WHERE username = ?`
		return o.updateCounters(ctx, "user", username, q, capArgs(size, int64(files), nowMillis(), username)...)
	}
	q := "UPDATE {p}users SET used_quota_size = ?, used_quota_files = ?, last_quota_update = ? WHERE username = ?"
	return o.updateCounters(ctx, "user", username, q, size, files, nowMillis(), username)
}

func (o *sqlOps) UpdateUserTransferQuota(ctx context.Context, username string, ul, dl int64, reset bool) error {
	if !reset {
		q := `UPDATE {p}users SET used_upload_data_transfer = ` + addCapped("used_upload_data_transfer") + `,
			used_download_data_transfer = ` + addCapped("used_download_data_transfer") + `,
			last_quota_update = ? WHERE username = ?`
		return o.updateCounters(ctx, "user", username, q, capArgs(ul, dl, nowMillis(), username)...)
	}
	q := `UPDATE {p}users SET used_upload_data_transfer = ?, used_download_data_transfer = ?,
		last_quota_update = ? WHERE username = ?`
	return o.updateCounters(ctx, "user", username, q, ul, dl, nowMillis(), username)
}

func (o *sqlOps) SetUserLastLogin(ctx context.Context, username string, at int64) error {
	return o.updateCounters(ctx, "user", username, "UPDATE {p}users SET last_login = ? WHERE username = ?", at, username)
}
