package dataprovider

import (
	"context"
	"errors"
	"sync"
	"testing"
)

func TestConcurrentQuotaUpdates(t *testing.T) {
	ctx := context.Background()
	forEachDriver(t, func(t *testing.T, s *Store) {
		u := newUser("quota")
		must(t, s.AddUser(ctx, &u))
		must(t, s.AddFolder(ctx, &BaseVirtualFolder{Name: "qf", MappedPath: "/qf"}))
		const workers, rounds = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, workers*rounds*5+10)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < rounds; i++ {
					errs <- s.UpdateUserQuota(ctx, "quota", 10, 1, false)
					errs <- s.UpdateUserTransferQuota(ctx, "quota", 3, 5, false)
					errs <- s.UpdateFolderQuota(ctx, "qf", 7, 2, false)
					errs <- s.UpdateLastLogin(ctx, "quota")
					if _, err := s.GetUser(ctx, "quota"); err != nil {
						errs <- err
					}
				}
			}()
		}
		// a concurrent profile update must not clobber the counters
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				cur, err := s.GetUser(ctx, "quota")
				if err != nil {
					errs <- err
					return
				}
				cur.Password = ""
				cur.Description = "updated"
				errs <- s.UpdateUser(ctx, &cur)
			}
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.GetUser(ctx, "quota")
		must(t, err)
		n := int64(workers * rounds)
		if got.UsedQuotaSize != 10*n || int64(got.UsedQuotaFiles) != n || got.UsedUploadDataTransfer != 3*n ||
			got.UsedDownloadDataTransfer != 5*n || got.LastLogin == 0 {
			t.Fatalf("counters: size %d files %d ul %d dl %d, want %d %d %d %d", got.UsedQuotaSize, got.UsedQuotaFiles,
				got.UsedUploadDataTransfer, got.UsedDownloadDataTransfer, 10*n, n, 3*n, 5*n)
		}
		f, _ := s.GetFolder(ctx, "qf")
		if f.UsedQuotaSize != 7*n || int64(f.UsedQuotaFiles) != 2*n {
			t.Fatalf("folder counters: %d %d", f.UsedQuotaSize, f.UsedQuotaFiles)
		}
		must(t, s.UpdateUserQuota(ctx, "quota", 5, 1, true))
		must(t, s.UpdateUserTransferQuota(ctx, "quota", 0, 0, true))
		got, _ = s.GetUser(ctx, "quota")
		if got.UsedQuotaSize != 5 || got.UsedQuotaFiles != 1 || got.UsedUploadDataTransfer != 0 {
			t.Fatalf("reset: %+v", got)
		}
		if err := s.UpdateUserQuota(ctx, "nobody", 1, 1, false); !errors.Is(err, ErrNotFound) {
			t.Fatalf("quota of a missing user: %v", err)
		}
		if err := s.UpdateFolderQuota(ctx, "nofolder", 1, 1, false); !errors.Is(err, ErrNotFound) {
			t.Fatalf("quota of a missing folder: %v", err)
		}
	})
}
