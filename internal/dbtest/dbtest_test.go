package dbtest

import (
	"context"
	"database/sql"
	"os"
	"testing"
	"time"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func driverName(k Kind) string {
	if k == Postgres {
		return "pgx"
	}
	return "mysql"
}

func open(t *testing.T, d Database) *sql.DB {
	t.Helper()
	db, err := sql.Open(driverName(d.Kind), d.DSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Two databases of the shared server are separate; the account's password
// is checked; a dropped database is gone.
func TestSharedDatabases(t *testing.T) {
	for _, k := range Kinds {
		t.Run(string(k), func(t *testing.T) {
			ctx := context.Background()
			a := NewDatabase(t, k)
			b := NewDatabase(t, k)
			if a.Name == b.Name || a.Port != b.Port {
				t.Fatalf("databases %+v %+v", a, b)
			}
			dba, dbb := open(t, a), open(t, b)
			if _, err := dba.ExecContext(ctx, "CREATE TABLE x (id INT)"); err != nil {
				t.Fatal(err)
			}
			if _, err := dba.ExecContext(ctx, "INSERT INTO x VALUES (42)"); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := dba.QueryRowContext(ctx, "SELECT id FROM x").Scan(&n); err != nil || n != 42 {
				t.Fatalf("read back: %d %v", n, err)
			}
			if _, err := dbb.ExecContext(ctx, "SELECT id FROM x"); err == nil {
				t.Fatal("table visible in the other database")
			}
			wrong := a
			wrong.Password = "wrong"
			if err := open(t, wrong).PingContext(ctx); err == nil {
				t.Fatal("wrong password accepted")
			}
		})
	}
}

// A server of its own stops (clients fail) and restarts on the same port
// with its data.
func TestStopRestart(t *testing.T) {
	for _, k := range Kinds {
		t.Run(string(k), func(t *testing.T) {
			ctx := context.Background()
			s := Start(t, k)
			d := s.NewDatabase(t)
			db := open(t, d)
			if _, err := db.ExecContext(ctx, "CREATE TABLE y (id INT)"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, "INSERT INTO y VALUES (7)"); err != nil {
				t.Fatal(err)
			}
			if err := s.Stop(); err != nil {
				t.Fatal(err)
			}
			if s.Running() {
				t.Fatal("running after Stop")
			}
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := db.PingContext(cctx)
			cancel()
			if err == nil {
				t.Fatal("ping succeeded with the server stopped")
			}
			if err := s.Restart(); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.QueryRowContext(ctx, "SELECT id FROM y").Scan(&n); err != nil || n != 7 {
				t.Fatalf("after restart: %d %v", n, err)
			}
			dir := s.dir
			s.Close()
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Fatalf("data dir left behind: %v", err)
			}
		})
	}
}
