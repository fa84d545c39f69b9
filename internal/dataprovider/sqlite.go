package dataprovider

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sync"
)

// errSQLiteNoCgo is what the sqlite driver answers in a binary built
// without cgo, which mattn/go-sqlite3 needs (sqlite_nocgo.go).
var errSQLiteNoCgo = errors.New(`dataprovider: the "sqlite" driver is not in this binary: it was built with CGO_ENABLED=0 and SQLite needs cgo; rebuild with cgo or use the postgresql, mysql, bolt or memory driver`)

var (
	sqliteDialectOnce sync.Once
	sqliteDialect     *dialect
	sqliteDialectErr  error
)

func loadSQLiteDialect() (*dialect, error) {
	sqliteDialectOnce.Do(func() {
		m, err := loadMigrations("sqlite")
		if err != nil {
			sqliteDialectErr = err
			return
		}
		sqliteDialect = &dialect{
			name:         "sqlite",
			tableExists:  "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
			isUnique:     sqliteIsUnique,
			isForeignKey: sqliteIsForeignKey,
			migrations:   m,
		}
	})
	return sqliteDialect, sqliteDialectErr
}

// openSQLite opens (creating it on first use) a SQLite database in WAL
// mode with foreign keys enforced, a busy timeout so concurrent writers
// wait for each other, and BEGIN IMMEDIATE transactions so a transaction
// never fails upgrading its read lock.
func openSQLite(ctx context.Context, file, tablePrefix string, poolSize int) (*sqlDriver, error) {
	if !sqliteBuiltIn {
		return nil, errSQLiteNoCgo
	}
	dl, err := loadSQLiteDialect()
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("_foreign_keys", "1")
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	q.Set("_synchronous", "NORMAL")
	dsn := "file:" + file + "?" + q.Encode()
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("dataprovider: open sqlite %s: %w", file, err)
	}
	if poolSize > 0 {
		db.SetMaxOpenConns(poolSize)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("dataprovider: open sqlite %s: %w", file, err)
	}
	d := &sqlDriver{db: db, file: file, prefix: tablePrefix}
	d.sqlOps = &sqlOps{d: d, dl: dl}
	return d, nil
}
