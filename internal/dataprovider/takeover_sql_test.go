package dataprovider

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider/takeovertest"
	"github.com/sftpgo-ng/sftpgo/internal/dbtest"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// sftpgoOnServer puts the fixture's SFTPGo database into a fresh
// database of kind and returns the data provider config for it.
func sftpgoOnServer(t *testing.T, kind dbtest.Kind) (config.DataProviderConfig, *sql.DB) {
	t.Helper()
	_, file := copyFixtureDB(t)
	db, raw := takeovertest.Populate(t, kind, file)
	cfg := testConfig(string(kind))
	cfg.ConnectionString = db.DSN()
	cfg.SQLTablesPrefix = ""
	return cfg, raw
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
