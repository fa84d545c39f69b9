package dataprovider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// dbFDs counts this process's open descriptors on the database file and
// its -wal and -shm companions.
func dbFDs(t *testing.T, db string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && strings.HasPrefix(l, db) {
			n++
		}
	}
	return n
}

// sqliteBurst runs many concurrent reads and writes against s.
func sqliteBurst(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	for i := range 10 {
		u := newUser(fmt.Sprintf("u%d", i))
		if err := s.AddUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 300)
	for i := range 300 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("u%d", i%10)
			if _, err := s.GetUser(ctx, name); err != nil {
				errs <- err
			}
			if err := s.UpdateUserQuota(ctx, name, 1, 1, false); err != nil {
				errs <- err
			}
			if _, err := s.ListUsers(ctx, 0, 0, "ASC"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestSQLiteDescriptorsBounded: a burst of concurrent provider operations
// leaves at most a pool's worth of descriptors on the database, and they
// return to the baseline once the pool's connections are idle. Before the
// pool was bounded the same burst left about 90 descriptors behind.
func TestSQLiteDescriptorsBounded(t *testing.T) {
	for _, pool := range []int{0, 3} {
		t.Run(fmt.Sprintf("pool_size=%d", pool), func(t *testing.T) {
			s := newTestStore(t, "sqlite", func(c *config.DataProviderConfig) { c.PoolSize = pool })
			db := dbPath(t, s)
			base := dbFDs(t, db)
			size := pool
			if size == 0 {
				size = DefaultSQLitePoolSize
			}
			if st := s.driver.(*sqlDriver).db.Stats(); st.MaxOpenConnections != size {
				t.Fatalf("max open connections %d, want %d", st.MaxOpenConnections, size)
			}
			sqliteBurst(t, s)
			// each connection holds the database and WAL files (the
			// shared memory is one more for the first)
			if n, limit := dbFDs(t, db), base+2*size+1; n > limit {
				t.Fatalf("%d descriptors on the database after the burst, want at most %d", n, limit)
			}
			// once idle, the connections close and so do their files
			s.driver.(*sqlDriver).db.SetConnMaxIdleTime(time.Millisecond)
			deadline := time.Now().Add(20 * time.Second)
			for dbFDs(t, db) > base && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if n := dbFDs(t, db); n > base {
				t.Fatalf("%d descriptors on the database once idle, baseline %d", n, base)
			}
			if _, err := s.GetUser(context.Background(), "u1"); err != nil {
				t.Fatalf("the store works after the pool drained: %v", err)
			}
		})
	}
}
