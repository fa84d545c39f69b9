package dataprovider

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dbtest"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// SFTPGo's schema on PostgreSQL and MySQL, for takeover tests: written
// from the tables SFTPGo created in the fixture's SQLite database
// (sqlite_master), translated to each dialect, then filled with the
// fixture's rows. SFTPGo's own DDL for these databases differs in details
// (column types, constraint names) that the takeover does not depend on.

var (
	sqliteIDCol   = regexp.MustCompile(`"id" integer NOT NULL PRIMARY KEY( AUTOINCREMENT)?`)
	sqliteDefer   = regexp.MustCompile(`\s*DEFERRABLE INITIALLY DEFERRED`)
	sqliteTextDef = regexp.MustCompile(`"subpath" text DEFAULT '' NOT NULL`)
)

func translateSQLiteDDL(stmt string, kind dbtest.Kind) string {
	switch kind {
	case dbtest.Postgres:
		stmt = sqliteIDCol.ReplaceAllString(stmt, `"id" serial NOT NULL PRIMARY KEY`)
		stmt = strings.ReplaceAll(stmt, "BLOB", "bytea")
	case dbtest.MySQL:
		stmt = sqliteIDCol.ReplaceAllString(stmt, `"id" integer AUTO_INCREMENT NOT NULL PRIMARY KEY`)
		stmt = sqliteDefer.ReplaceAllString(stmt, "")
		stmt = sqliteTextDef.ReplaceAllString(stmt, `"subpath" varchar(255) DEFAULT '' NOT NULL`)
		stmt = strings.ReplaceAll(stmt, "BLOB", "varbinary(16)")
		stmt = strings.ReplaceAll(stmt, `"`, "`")
	}
	return stmt
}

// sftpgoOnServer creates SFTPGo's schema in a fresh database of kind and
// copies the fixture's rows into it; it returns the data provider config.
func sftpgoOnServer(t *testing.T, kind dbtest.Kind) (config.DataProviderConfig, *sql.DB) {
	t.Helper()
	_, file := copyFixtureDB(t)
	src, err := sql.Open("sqlite3", "file:"+file)
	must(t, err)
	defer src.Close()
	db := dbtest.NewDatabase(t, kind)
	driverName := map[dbtest.Kind]string{dbtest.Postgres: "pgx", dbtest.MySQL: "mysql"}[kind]
	dst, err := sql.Open(driverName, db.DSN())
	must(t, err)
	t.Cleanup(func() { dst.Close() })

	rows, err := src.Query(`SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'
		ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, rowid`)
	must(t, err)
	var tables []string
	var ddl []string
	for rows.Next() {
		var typ, name, stmt string
		must(t, rows.Scan(&typ, &name, &stmt))
		if typ == "table" {
			tables = append(tables, name)
		}
		ddl = append(ddl, translateSQLiteDDL(stmt, kind))
	}
	rows.Close()
	for _, st := range ddl {
		if _, err := dst.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	q := func(n string) string {
		if kind == dbtest.MySQL {
			return "`" + n + "`"
		}
		return `"` + n + `"`
	}
	if kind == dbtest.MySQL {
		_, err := dst.Exec("SET FOREIGN_KEY_CHECKS = 0")
		must(t, err)
	}
	// parents first: the fixture's tables were created in dependency order
	for _, tbl := range tables {
		r, err := src.Query(fmt.Sprintf(`SELECT * FROM "%s"`, tbl))
		must(t, err)
		cols, err := r.Columns()
		must(t, err)
		var qcols, ph []string
		for i, c := range cols {
			qcols = append(qcols, q(c))
			if kind == dbtest.Postgres {
				ph = append(ph, fmt.Sprintf("$%d", i+1))
			} else {
				ph = append(ph, "?")
			}
		}
		ins := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", q(tbl), strings.Join(qcols, ", "), strings.Join(ph, ", "))
		var all [][]any
		for r.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			must(t, r.Scan(ptrs...))
			all = append(all, vals)
		}
		r.Close()
		for _, vals := range all {
			if _, err := dst.Exec(ins, vals...); err != nil {
				t.Fatalf("%s %v: %v", ins, vals, err)
			}
		}
		if kind == dbtest.Postgres && len(all) > 0 {
			if _, err := dst.Exec(fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT MAX(id) FROM %s))`, q(tbl), q(tbl))); err != nil {
				t.Fatalf("setval %s: %v", tbl, err)
			}
		}
	}
	cfg := testConfig(string(kind))
	cfg.ConnectionString = db.DSN()
	cfg.SQLTablesPrefix = ""
	return cfg, dst
}

func openServerStore(t *testing.T, cfg config.DataProviderConfig) *Store {
	t.Helper()
	dir := t.TempDir()
	km, err := kms.NewManager(config.KMSConfig{}, dir)
	must(t, err)
	s, err := Open(context.Background(), Options{Config: cfg, ConfigDir: dir, KMS: km})
	must(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestTakeoverPostgresMySQL(t *testing.T) {
	ctx := context.Background()
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			cfg, raw := sftpgoOnServer(t, kind)
			s := openServerStore(t, cfg)
			must(t, s.Migrate(ctx))
			if v, _ := s.SchemaVersion(ctx); v != CurrentSchemaVersion {
				t.Fatalf("schema after takeover: %d", v)
			}
			checkFixtureData(t, s)
			var n int
			must(t, raw.QueryRow("SELECT count(*) FROM sftpgo_users").Scan(&n))
			if n != 5 {
				t.Fatalf("kept SFTPGo users: %d", n)
			}
			// the new schema is usable: a new user gets an id
			u := newUser("after-takeover")
			must(t, s.AddUser(ctx, &u))
		})
	}
}

func TestTakeoverMySQLFailureRestoresTables(t *testing.T) {
	ctx := context.Background()
	cfg, raw := sftpgoOnServer(t, dbtest.MySQL)
	// a group name our validation refuses: the restore fails after the DDL
	_, err := raw.Exec("UPDATE `groups` SET name = 'bad/name'")
	must(t, err)
	s := openServerStore(t, cfg)
	err = s.Migrate(ctx)
	if err == nil {
		t.Fatal("takeover of an invalid group succeeded")
	}
	t.Logf("refused: %v", err)
	v, ok, err := s.driver.(*sqlDriver).sftpgoSchema(ctx)
	if err != nil || !ok || v != 35 {
		t.Fatalf("SFTPGo schema after a failed MySQL takeover: %d %v %v", v, ok, err)
	}
	var n int
	must(t, raw.QueryRow("SELECT count(*) FROM users").Scan(&n))
	if n != 5 {
		t.Fatalf("SFTPGo users after a failed takeover: %d", n)
	}
}

func TestRevertTakeoverPostgresMySQL(t *testing.T) {
	ctx := context.Background()
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			cfg, raw := sftpgoOnServer(t, kind)
			s := openServerStore(t, cfg)
			must(t, s.Migrate(ctx))
			changeAfterTakeover(t, s)
			must(t, s.Revert(ctx, 35))
			v, ok, err := s.driver.(*sqlDriver).sftpgoSchema(ctx)
			if err != nil || !ok || v != 35 {
				t.Fatalf("after revert: SFTPGo schema %d %v %v", v, ok, err)
			}
			var n int
			must(t, raw.QueryRow("SELECT count(*) FROM users").Scan(&n))
			if n != 6 {
				t.Fatalf("SFTPGo users after revert: %d", n)
			}
			if kind == dbtest.Postgres {
				// SFTPGo's sequences and indexes have their names back
				var seq string
				must(t, raw.QueryRow(`SELECT pg_get_serial_sequence('users', 'id')`).Scan(&seq))
				if !strings.HasSuffix(seq, "users_id_seq") {
					t.Fatalf("users sequence after revert: %s", seq)
				}
			}
			// a new SFTPGo row gets a fresh id from its sequence
			must(t, s.Migrate(ctx))
			checkFixtureData(t, s)
			checkChangesCameBack(t, s)
		})
	}
}
