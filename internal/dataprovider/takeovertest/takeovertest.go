// Package takeovertest puts SFTPGo's schema and the rows of an SFTPGo
// SQLite database into a fresh PostgreSQL or MariaDB database, for tests
// of the takeover on those servers. The DDL is written from the tables
// SFTPGo created in the SQLite file (sqlite_master), translated to each
// dialect: SFTPGo's own DDL for these databases differs in details
// (column types, constraint names) that the takeover does not depend on.
package takeovertest

import (
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3" // the SFTPGo SQLite file

	"github.com/sftpgo-ng/sftpgo/internal/dbtest"
)

var (
	sqliteIDCol   = regexp.MustCompile(`"id" integer NOT NULL PRIMARY KEY( AUTOINCREMENT)?`)
	sqliteDefer   = regexp.MustCompile(`\s*DEFERRABLE INITIALLY DEFERRED`)
	sqliteTextDef = regexp.MustCompile(`"subpath" text DEFAULT '' NOT NULL`)
)

// TranslateDDL turns one of SFTPGo's SQLite statements into kind's dialect.
func TranslateDDL(stmt string, kind dbtest.Kind) string {
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

// Populate creates a database of kind holding SFTPGo's schema and the
// rows of the SQLite database file, and returns it with an open handle.
func Populate(t testing.TB, kind dbtest.Kind, file string) (dbtest.Database, *sql.DB) {
	t.Helper()
	src, err := sql.Open("sqlite3", "file:"+file)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	db := dbtest.NewDatabase(t, kind)
	driverName := map[dbtest.Kind]string{dbtest.Postgres: "pgx", dbtest.MySQL: "mysql"}[kind]
	dst, err := sql.Open(driverName, db.DSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dst.Close() })
	// MySQL checks foreign keys per connection
	dst.SetMaxOpenConns(1)

	rows, err := src.Query(`SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'
		ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, rowid`)
	if err != nil {
		t.Fatal(err)
	}
	var tables, ddl []string
	for rows.Next() {
		var typ, name, stmt string
		if err := rows.Scan(&typ, &name, &stmt); err != nil {
			t.Fatal(err)
		}
		if typ == "table" {
			tables = append(tables, name)
		}
		ddl = append(ddl, TranslateDDL(stmt, kind))
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
		if _, err := dst.Exec("SET FOREIGN_KEY_CHECKS = 0"); err != nil {
			t.Fatal(err)
		}
	}
	for _, tbl := range tables {
		r, err := src.Query(fmt.Sprintf(`SELECT * FROM "%s"`, tbl))
		if err != nil {
			t.Fatal(err)
		}
		cols, err := r.Columns()
		if err != nil {
			t.Fatal(err)
		}
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
			if err := r.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
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
	if kind == dbtest.MySQL {
		if _, err := dst.Exec("SET FOREIGN_KEY_CHECKS = 1"); err != nil {
			t.Fatal(err)
		}
	}
	return db, dst
}
