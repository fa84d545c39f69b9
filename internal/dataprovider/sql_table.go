package dataprovider

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// sqlTable names an object table of the SQL drivers: every object is a
// JSON document in column data under a unique key column, with an id.
// The helpers below read, list, insert and update any of them, so each
// kind only adds its own columns and relations.
type sqlTable struct {
	name string // table, without the prefix
	key  string // unique key column
	kind string // named in errors
}

var (
	usersTable   = sqlTable{"users", "username", "user"}
	groupsTable  = sqlTable{"groups", "name", "group"}
	foldersTable = sqlTable{"folders", "name", "folder"}
	adminsTable  = sqlTable{"admins", "username", "admin"}
	apiKeysTable = sqlTable{"api_keys", "key_id", "API key"}
	sharesTable  = sqlTable{"shares", "share_id", "share"}
)

// readDoc reads the row of t keyed by key: its document, decoded into
// doc, then the columns listed in cols (", id, last_login") into dest.
// A document that does not decode is a CorruptRecordError.
func (o *sqlOps) readDoc(ctx context.Context, t sqlTable, key string, doc any, cols string, dest ...any) error {
	var data string
	q := fmt.Sprintf("SELECT data%s FROM {p}%s WHERE %s = ?", cols, t.name, t.key)
	err := o.queryRow(ctx, q, key).Scan(append([]any{&data}, dest...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(t.kind, key)
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(data), doc); err != nil {
		return &CorruptRecordError{Kind: t.kind, Name: key, Err: fmt.Errorf("decode: %w", err)}
	}
	return nil
}

// sqlList reads one page of t's keys and each object through get. A
// corrupt record is left out and named in the SkippedRecords error; any
// other error ends the list.
func sqlList[T any](ctx context.Context, o *sqlOps, t sqlTable, limit, offset int, desc bool,
	get func(context.Context, string) (T, error)) ([]T, error) {
	keys, err := o.names(ctx, t.name, t.key, limit, offset, desc)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(keys))
	var skipped SkippedRecords
	for _, k := range keys {
		v, err := get(ctx, k)
		if err := keepOrSkip(&out, &skipped, v, err); err != nil {
			return nil, err
		}
	}
	return listResult(out, skipped)
}

// insertNew runs the INSERT q of a new object keyed by key, refusing an
// existing key, and returns the new row's id.
func (o *sqlOps) insertNew(ctx context.Context, t sqlTable, key, q string, args ...any) (int64, error) {
	ok, err := o.exists(ctx, t.name, t.key, key)
	if err != nil {
		return 0, err
	}
	if ok {
		return 0, conflict(t.kind, key)
	}
	return o.insertID(ctx, q, args...)
}

// updateDoc replaces the document of the object keyed by key, and the
// columns of set (", user_id = ?") with args, and returns its id.
func (o *sqlOps) updateDoc(ctx context.Context, t sqlTable, key, doc, set string, args ...any) (int64, error) {
	id, err := o.idOf(ctx, t.kind, t.name, t.key, key)
	if err != nil {
		return 0, err
	}
	q := fmt.Sprintf("UPDATE {p}%s SET data = ?%s WHERE id = ?", t.name, set)
	_, err = o.exec(ctx, q, append(append([]any{doc}, args...), id)...)
	return id, err
}
