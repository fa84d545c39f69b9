package dataprovider

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// Migrations live in migrations/<dialect>/<version>_<name>.up.sql and
// .down.sql. "{p}" stands for data_provider.sql_tables_prefix. Statements
// are separated by lines holding only "-- +statement".
//
//go:embed migrations
var migrationFS embed.FS

// migration is one schema step of a dialect.
type migration struct {
	version int
	up      []string
	down    []string
}

// dialect is what differs between SQL databases. Queries are written with
// "?" placeholders and rebound for dialects that number them.
type dialect struct {
	name string
	// numbered placeholders ($1, $2...) instead of "?"
	numbered bool
	// tableExists is a query with one placeholder, the table name,
	// returning a row when the table exists.
	tableExists string
	// isUnique reports whether an error is a unique-constraint violation.
	isUnique func(error) bool
	// isForeignKey reports whether an error is a foreign-key violation.
	isForeignKey func(error) bool
	// returningID: inserts read the new id with "RETURNING id" (PostgreSQL)
	// instead of LastInsertId (SQLite, MySQL).
	returningID bool
	// quote, when set, quotes table and index names (MySQL reserves
	// "groups").
	quote      func(string) string
	migrations []migration
}

func (d *dialect) rebind(q string) string {
	if !d.numbered {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// loadMigrations reads the embedded migrations of a dialect and checks
// they form the sequence 1..CurrentSchemaVersion, each with up and down.
func loadMigrations(name string) ([]migration, error) {
	dir := "migrations/" + name
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	byVersion := map[int]*migration{}
	for _, e := range entries {
		fname := e.Name()
		vstr, rest, ok := strings.Cut(fname, "_")
		if !ok {
			continue
		}
		v, err := strconv.Atoi(vstr)
		if err != nil {
			return nil, fmt.Errorf("migration %s: bad version", fname)
		}
		b, err := migrationFS.ReadFile(dir + "/" + fname)
		if err != nil {
			return nil, err
		}
		stmts := splitStatements(string(b))
		m := byVersion[v]
		if m == nil {
			m = &migration{version: v}
			byVersion[v] = m
		}
		switch {
		case strings.HasSuffix(rest, ".up.sql"):
			m.up = stmts
		case strings.HasSuffix(rest, ".down.sql"):
			m.down = stmts
		}
	}
	var out []migration
	for _, m := range byVersion {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 || len(m.up) == 0 || len(m.down) == 0 {
			return nil, fmt.Errorf("dialect %s: migration %d incomplete", name, m.version)
		}
	}
	if len(out) != CurrentSchemaVersion {
		return nil, fmt.Errorf("dialect %s: %d migrations, expected %d", name, len(out), CurrentSchemaVersion)
	}
	return out, nil
}

func splitStatements(sql string) []string {
	var out []string
	for _, part := range strings.Split(sql, "-- +statement") {
		if s := strings.TrimSpace(part); s != "" {
			out = append(out, s)
		}
	}
	return out
}
