package dataprovider

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dbtest"
)

// openSecond opens another Store on the same database as cfg, as a second
// node would.
func openSecond(t *testing.T, cfg config.DataProviderConfig) *Store {
	t.Helper()
	s, err := Open(context.Background(), Options{Config: cfg, ConfigDir: t.TempDir(), Secrets: testEncrypter{}})
	must(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// Two stores on one database (two nodes) updating one user's counters at
// once end with the exact sum: the counters are SQL increments, never a
// read-modify-write. Also under a table prefix, which MySQL quotes.
func TestQuotaExactAcrossStores(t *testing.T) {
	ctx := context.Background()
	for _, driver := range []string{"postgresql", "mysql", "sqlite"} {
		for _, prefix := range []string{"", "sftpgo_"} {
			t.Run(driver+"/"+prefix, func(t *testing.T) {
				var cfg config.DataProviderConfig
				a := newTestStore(t, driver, func(c *config.DataProviderConfig) {
					c.SQLTablesPrefix = prefix
					cfg = *c
				})
				if driver == "sqlite" {
					cfg.Name = dbPath(t, a)
				}
				b := openSecond(t, cfg)
				must(t, b.CheckSchema(ctx))
				u := newUser("shared")
				must(t, a.AddUser(ctx, &u))
				must(t, a.AddFolder(ctx, &BaseVirtualFolder{Name: "sf", MappedPath: "/sf"}))
				const workers, rounds = 4, 25
				var wg sync.WaitGroup
				errs := make(chan error, 2*workers*rounds*3)
				for _, s := range []*Store{a, b} {
					for w := 0; w < workers; w++ {
						wg.Add(1)
						go func() {
							defer wg.Done()
							for i := 0; i < rounds; i++ {
								errs <- s.UpdateUserQuota(ctx, "shared", 100, 1, false)
								errs <- s.UpdateUserTransferQuota(ctx, "shared", 3, 5, false)
								errs <- s.UpdateFolderQuota(ctx, "sf", 7, 1, false)
							}
						}()
					}
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					must(t, err)
				}
				n := int64(2 * workers * rounds)
				for _, s := range []*Store{a, b} {
					got, err := s.GetUser(ctx, "shared")
					must(t, err)
					if got.UsedQuotaSize != 100*n || int64(got.UsedQuotaFiles) != n ||
						got.UsedUploadDataTransfer != 3*n || got.UsedDownloadDataTransfer != 5*n {
						t.Fatalf("counters: %d %d %d %d, want %d", got.UsedQuotaSize, got.UsedQuotaFiles,
							got.UsedUploadDataTransfer, got.UsedDownloadDataTransfer, n)
					}
					f, err := s.GetFolder(ctx, "sf")
					must(t, err)
					if f.UsedQuotaSize != 7*n || int64(f.UsedQuotaFiles) != n {
						t.Fatalf("folder counters: %d %d", f.UsedQuotaSize, f.UsedQuotaFiles)
					}
				}
				// a user written by one store is read by the other
				got, err := b.CheckUserPassword(ctx, "shared", "secret-shared")
				must(t, err)
				if got.Username != "shared" {
					t.Fatal(got.Username)
				}
			})
		}
	}
}

// Counter updates made while the database server is away are kept and
// written once it is back (delayed_quota_update 0).
func TestQuotaSurvivesOutage(t *testing.T) {
	ctx := context.Background()
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			srv := dbtest.Start(t, kind)
			db := srv.NewDatabase(t)
			s := newTestStore(t, string(kind), func(c *config.DataProviderConfig) {
				c.Host, c.Port, c.Name = db.Host, db.Port, db.Name
			})
			u := newUser("outage")
			must(t, s.AddUser(ctx, &u))
			must(t, s.UpdateUserQuota(ctx, "outage", 10, 1, false))
			must(t, srv.Stop())
			short, cancel := context.WithTimeout(ctx, 5*time.Second)
			must(t, s.UpdateUserQuota(short, "outage", 100, 2, false))
			must(t, s.UpdateUserTransferQuota(short, "outage", 7, 0, false))
			cancel()
			if _, err := s.CheckUserPassword(ctx, "outage", "secret-outage"); err == nil {
				t.Fatal("login without the database")
			}
			must(t, srv.Restart())
			deadline := time.Now().Add(time.Minute)
			for {
				raw, err := s.driver.GetUser(ctx, "outage")
				if err == nil && raw.UsedQuotaSize == 110 && raw.UsedQuotaFiles == 3 && raw.UsedUploadDataTransfer == 7 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("usage after the outage: %+v %v", raw, err)
				}
				time.Sleep(200 * time.Millisecond)
			}
			if _, err := s.CheckUserPassword(ctx, "outage", "secret-outage"); err != nil {
				t.Fatalf("login after the outage: %v", err)
			}
		})
	}
}
