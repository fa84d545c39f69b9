package dataprovider

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestMigrationsRoundTripKeepData(t *testing.T) {
	ctx := context.Background()
	for _, driver := range drivers {
		t.Run(driver, func(t *testing.T) {
			s := newTestStore(t, driver)
			if v, _ := s.SchemaVersion(ctx); v != CurrentSchemaVersion {
				t.Fatalf("version after migrate: %d", v)
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("migrate twice: %v", err)
			}
			if err := s.AddFolder(ctx, &BaseVirtualFolder{Name: "f", MappedPath: "/f"}); err != nil {
				t.Fatal(err)
			}
			if err := s.AddGroup(ctx, &Group{Name: "g"}); err != nil {
				t.Fatal(err)
			}
			u := newUser("ivan")
			u.Groups = []GroupMapping{{Name: "g", Type: GroupTypePrimary}}
			u.VirtualFolders = []VirtualFolder{{BaseVirtualFolder: BaseVirtualFolder{Name: "f"}, VirtualPath: "/f"}}
			if err := s.AddUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			if err := s.UpdateUserQuota(ctx, "ivan", 123, 4, false); err != nil {
				t.Fatal(err)
			}
			if err := s.AddAdmin(ctx, &Admin{Username: "root", Password: "pw", Status: 1, Permissions: []string{"*"}}); err != nil {
				t.Fatal(err)
			}
			for _, bad := range []int{0, -1, CurrentSchemaVersion + 1} {
				if err := s.Revert(ctx, bad); err == nil {
					t.Fatalf("revert to %d accepted", bad)
				}
			}
			if err := s.Revert(ctx, 1); err != nil {
				t.Fatalf("revert: %v", err)
			}
			if v, _ := s.SchemaVersion(ctx); v != 1 {
				t.Fatalf("version after revert: %d", v)
			}
			if err := s.CheckSchema(ctx); !errors.Is(err, ErrSchemaOutdated) {
				t.Fatalf("check schema on old version: %v", err)
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("migrate again: %v", err)
			}
			if err := s.CheckSchema(ctx); err != nil {
				t.Fatalf("check schema: %v", err)
			}
			got, err := s.GetUser(ctx, "ivan")
			if err != nil || got.UsedQuotaSize != 123 || len(got.Groups) != 1 || len(got.VirtualFolders) != 1 {
				t.Fatalf("user after down/up: %v %+v", err, got)
			}
			if _, err := s.CheckUserPassword(ctx, "ivan", "secret-ivan"); err != nil {
				t.Fatalf("login after down/up: %v", err)
			}
			if _, err := s.CheckAdminPassword(ctx, "root", "pw"); err != nil {
				t.Fatalf("admin after down/up: %v", err)
			}
			// version 2 is usable again
			k := APIKey{Name: "k", Scope: APIKeyScopeAdmin, Admin: "root"}
			if err := s.AddAPIKey(ctx, &k); err != nil {
				t.Fatalf("api key after re-migration: %v", err)
			}
		})
	}
}

// sqlDrivers are the drivers on database/sql.
var sqlDrivers = []string{"sqlite", "postgresql", "mysql"}

// rawExec runs a statement on a SQL store's database, "{p}" standing for
// the table prefix.
func rawExec(t *testing.T, s *Store, q string, args ...any) {
	t.Helper()
	d := s.driver.(*sqlDriver)
	if _, err := d.db.ExecContext(context.Background(), d.sq(q), args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func tableExists(t *testing.T, s *Store, name string) bool {
	t.Helper()
	d := s.driver.(*sqlDriver)
	var got string
	err := d.db.QueryRowContext(context.Background(), d.dl.rebind(d.dl.tableExists), d.prefix+name).Scan(&got)
	return err == nil
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	for _, driver := range sqlDrivers {
		t.Run(driver, func(t *testing.T) {
			s := newTestStore(t, driver)
			rawExec(t, s, "UPDATE {p}schema_version SET version = ?", CurrentSchemaVersion+5)
			for name, fn := range map[string]func() error{
				"migrate": func() error { return s.Migrate(ctx) },
				"check":   func() error { return s.CheckSchema(ctx) },
				"revert":  func() error { return s.Revert(ctx, 1) },
			} {
				err := fn()
				if !errors.Is(err, ErrSchemaNewer) || !strings.Contains(err.Error(), "newer") {
					t.Errorf("%s on a newer schema: %v", name, err)
				}
			}
		})
	}
}

// A failing step leaves the version and the schema as they were, on the
// databases with transactional DDL. (MySQL commits DDL implicitly; its
// version-2 step is one idempotent statement, so it has no half to leave.)
func TestFailedMigrationKeepsVersion(t *testing.T) {
	ctx := context.Background()
	for _, driver := range []string{"sqlite", "postgresql"} {
		t.Run(driver, func(t *testing.T) {
			s := newTestStore(t, driver)
			if err := s.Revert(ctx, 1); err != nil {
				t.Fatal(err)
			}
			// make step 2 fail halfway: its first statement creates
			// api_keys, the index statement then collides with an object
			// we create here (tables and indexes share one namespace)
			rawExec(t, s, "CREATE TABLE {p}api_keys_admin_idx (x INTEGER)")
			if err := s.Migrate(ctx); err == nil {
				t.Fatal("migration should have failed")
			}
			if v, _ := s.SchemaVersion(ctx); v != 1 {
				t.Fatalf("version after failed step: %d", v)
			}
			if tableExists(t, s, "api_keys") {
				t.Fatal("half-applied step left the api_keys table")
			}
		})
	}
}

func TestResetAndReinit(t *testing.T) {
	ctx := context.Background()
	for _, driver := range drivers {
		t.Run(driver, func(t *testing.T) {
			s := newTestStore(t, driver)
			u := newUser("judy")
			if err := s.AddUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			if err := s.Reset(ctx); err != nil {
				t.Fatal(err)
			}
			if v, _ := s.SchemaVersion(ctx); v != 0 && driver != "memory" {
				t.Fatalf("version after reset: %d", v)
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := s.GetUser(ctx, "judy"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("user survived reset: %v", err)
			}
		})
	}
}
