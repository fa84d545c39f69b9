package dataprovider

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/secretfile"
)

// DefaultSQLitePoolSize is the SQLite connection pool size when
// data_provider.pool_size is 0. SQLite runs one writer at a time, so more
// connections only add readers.
const DefaultSQLitePoolSize = 8

// sqliteConnMaxIdleTime is how long an unused SQLite connection stays
// open, so a burst's connections (and descriptors) go away afterwards.
const sqliteConnMaxIdleTime = 5 * time.Second

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
func openSQLite(ctx context.Context, file, tablePrefix string, poolSize int, log *slog.Logger) (*sqlDriver, error) {
	if !sqliteBuiltIn {
		return nil, errSQLiteNoCgo
	}
	dl, err := loadSQLiteDialect()
	if err != nil {
		return nil, err
	}
	// the database holds password hashes and secrets: create it private,
	// SQLite gives the -wal and -shm files the same mode
	secretfile.Warn(log, "the SQLite database files are", file, file+"-wal", file+"-shm")
	if err := secretfile.Ensure(file); err != nil {
		return nil, fmt.Errorf("dataprovider: create sqlite %s: %w", file, err)
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
	// Every SQLite connection holds descriptors on the database, its WAL
	// and its shared-memory file, and SQLite defers closing those of a
	// closed connection while another one holds a lock on the file: a
	// pool that opens and closes connections under load piles them up.
	// So the pool is bounded, keeps its connections instead of churning
	// them, and lets them go once idle.
	if poolSize <= 0 {
		poolSize = DefaultSQLitePoolSize
	}
	db.SetMaxOpenConns(poolSize)
	db.SetMaxIdleConns(poolSize)
	db.SetConnMaxIdleTime(sqliteConnMaxIdleTime)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("dataprovider: open sqlite %s: %w", file, err)
	}
	d := &sqlDriver{db: db, file: file, prefix: tablePrefix}
	d.sqlOps = &sqlOps{d: d, dl: dl}
	return d, nil
}
