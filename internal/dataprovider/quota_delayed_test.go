package dataprovider

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Every driver that keeps its data across a reopen.
func TestDelayedQuotaUpdate(t *testing.T) {
	for _, driver := range []string{"sqlite", "bolt", "postgresql", "mysql"} {
		t.Run(driver, func(t *testing.T) { testDelayedQuotaUpdate(t, driver) })
	}
}

func testDelayedQuotaUpdate(t *testing.T, driver string) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := testConfig(driver)
	withDatabase(t, &cfg)
	cfg.DelayedQuotaUpdate = 1
	s, err := Open(ctx, Options{Config: cfg, ConfigDir: dir, Secrets: testEncrypter{}})
	must(t, err)
	must(t, s.Migrate(ctx))
	must(t, s.AddFolder(ctx, &BaseVirtualFolder{Name: "df", MappedPath: "/df"}))
	u := newUser("delayed")
	u.VirtualFolders = []VirtualFolder{{BaseVirtualFolder: BaseVirtualFolder{Name: "df"}, VirtualPath: "/df"}}
	must(t, s.AddUser(ctx, &u))
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				for _, err := range []error{s.UpdateUserQuota(ctx, "delayed", 100, 1, false),
					s.UpdateUserTransferQuota(ctx, "delayed", 1, 2, false),
					s.UpdateFolderQuota(ctx, "df", 10, 1, false)} {
					if err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	// the store shows current usage at once
	got, err := s.GetUser(ctx, "delayed")
	must(t, err)
	if got.UsedQuotaSize != 10000 || got.UsedQuotaFiles != 100 || got.UsedDownloadDataTransfer != 200 ||
		got.VirtualFolders[0].UsedQuotaSize != 1000 {
		t.Fatalf("pending usage not visible: %d %d %d %d", got.UsedQuotaSize, got.UsedQuotaFiles,
			got.UsedDownloadDataTransfer, got.VirtualFolders[0].UsedQuotaSize)
	}
	e, err := s.CheckUserPassword(ctx, "delayed", "secret-delayed")
	must(t, err)
	if e.UsedQuotaSize != 10000 || e.VirtualFolders[0].UsedQuotaFiles != 100 {
		t.Fatalf("effective user misses pending usage: %d", e.UsedQuotaSize)
	}
	// ... and writes it within the period
	deadline := time.Now().Add(5 * time.Second)
	for {
		raw, err := s.driver.GetUser(ctx, "delayed")
		must(t, err)
		if raw.UsedQuotaSize == 10000 && raw.UsedUploadDataTransfer == 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not flushed: %d", raw.UsedQuotaSize)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// a reset replaces pending deltas; Close flushes what is left
	must(t, s.UpdateUserQuota(ctx, "delayed", 5, 5, false))
	must(t, s.UpdateUserQuota(ctx, "delayed", 7, 1, true))
	must(t, s.UpdateUserQuota(ctx, "delayed", 3, 1, false))
	must(t, s.Close())
	cfg.DelayedQuotaUpdate = 0
	s2, err := Open(ctx, Options{Config: cfg, ConfigDir: dir, Secrets: testEncrypter{}})
	must(t, err)
	defer s2.Close()
	got, _ = s2.GetUser(ctx, "delayed")
	if got.UsedQuotaSize != 10 || got.UsedQuotaFiles != 2 {
		t.Fatalf("after reset and close: %d %d", got.UsedQuotaSize, got.UsedQuotaFiles)
	}
}
