package dataprovider

import (
	"context"
	"errors"
	"sync"
	"time"
)

// quotaBuffer implements data_provider.delayed_quota_update: quota and
// transfer deltas accumulate in memory and are written every period, so
// many small transfers cost one update. Reads through the Store add the
// pending deltas, so quota checks always see current usage.
type quotaBuffer struct {
	mu      sync.Mutex
	users   map[string]quotaDelta
	folders map[string]quotaDelta
	stop    chan struct{}
	done    chan struct{}
	// writeThrough: updates go to the database at once and only failed
	// ones wait in the buffer (delayed_quota_update 0 on a database
	// server, which can go away while transfers go on).
	writeThrough bool
}

// quotaRetryPeriod is how often failed counter updates are retried when
// delayed_quota_update is 0.
const quotaRetryPeriod = 5 * time.Second

// addQuota adds a delta through the buffer: kept for the next flush, or,
// write-through, written now by direct and kept only when that fails for
// another reason than a missing object.
func (s *Store) addQuota(user bool, name string, d quotaDelta, direct func() error) error {
	keep := func() {
		if user {
			s.quota.addUser(name, d)
		} else {
			s.quota.addFolder(name, d)
		}
	}
	if !s.quota.writeThrough {
		keep()
		return nil
	}
	err := direct()
	if err == nil || errors.Is(err, ErrNotFound) {
		return err
	}
	s.log.Warn("quota update failed, retrying later", "name", name, "error", err)
	keep()
	return nil
}

type quotaDelta struct {
	size       int64
	files      int
	uploaded   int64
	downloaded int64
}

func (d quotaDelta) add(o quotaDelta) quotaDelta {
	return quotaDelta{d.size + o.size, d.files + o.files, d.uploaded + o.uploaded, d.downloaded + o.downloaded}
}

// startQuotaBuffer starts the flusher; Store.Close stops it after a last
// flush.
func (s *Store) startQuotaBuffer(period time.Duration, writeThrough bool) {
	b := &quotaBuffer{users: map[string]quotaDelta{}, folders: map[string]quotaDelta{},
		stop: make(chan struct{}), done: make(chan struct{}), writeThrough: writeThrough}
	s.quota = b
	go func() {
		defer close(b.done)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.flushQuota(context.Background())
			case <-b.stop:
				s.flushQuota(context.Background())
				return
			}
		}
	}()
}

func (s *Store) stopQuotaBuffer() {
	if s.quota == nil {
		return
	}
	select {
	case <-s.quota.stop:
	default:
		close(s.quota.stop)
	}
	<-s.quota.done
}

func (b *quotaBuffer) addUser(name string, d quotaDelta) {
	b.mu.Lock()
	b.users[name] = b.users[name].add(d)
	b.mu.Unlock()
}

func (b *quotaBuffer) addFolder(name string, d quotaDelta) {
	b.mu.Lock()
	b.folders[name] = b.folders[name].add(d)
	b.mu.Unlock()
}

// forgetUser drops the pending size/files (reset quota) or transfer
// (reset transfer) deltas of a user.
func (b *quotaBuffer) forgetUser(name string, quota, transfer bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d := b.users[name]
	if quota {
		d.size, d.files = 0, 0
	}
	if transfer {
		d.uploaded, d.downloaded = 0, 0
	}
	b.users[name] = d
}

func (b *quotaBuffer) dropUser(name string) {
	b.mu.Lock()
	delete(b.users, name)
	b.mu.Unlock()
}

func (b *quotaBuffer) forgetFolder(name string) {
	b.mu.Lock()
	delete(b.folders, name)
	b.mu.Unlock()
}

func (b *quotaBuffer) pendingUser(name string) quotaDelta {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.users[name]
}

func (b *quotaBuffer) pendingFolder(name string) quotaDelta {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.folders[name]
}

// flushQuota writes the pending deltas. A delta for an object that no
// longer exists is dropped; one that failed otherwise is kept for the
// next flush.
func (s *Store) flushQuota(ctx context.Context) {
	b := s.quota
	if b == nil {
		return
	}
	b.mu.Lock()
	users, folders := b.users, b.folders
	b.users, b.folders = map[string]quotaDelta{}, map[string]quotaDelta{}
	b.mu.Unlock()
	keep := func(err error) bool {
		if err == nil || errors.Is(err, ErrNotFound) {
			return false
		}
		s.log.Warn("delayed quota update failed, retrying later", "error", err)
		return true
	}
	for name, d := range users {
		if d.size != 0 || d.files != 0 {
			if keep(s.driver.UpdateUserQuota(ctx, name, d.size, d.files, false)) {
				b.addUser(name, quotaDelta{size: d.size, files: d.files})
			}
		}
		if d.uploaded != 0 || d.downloaded != 0 {
			if keep(s.driver.UpdateUserTransferQuota(ctx, name, d.uploaded, d.downloaded, false)) {
				b.addUser(name, quotaDelta{uploaded: d.uploaded, downloaded: d.downloaded})
			}
		}
	}
	for name, d := range folders {
		if d.size != 0 || d.files != 0 {
			if keep(s.driver.UpdateFolderQuota(ctx, name, d.size, d.files, false)) {
				b.addFolder(name, d)
			}
		}
	}
}

// withPendingUser adds the pending deltas to a user read from the driver,
// its virtual folders included.
func (s *Store) withPendingUser(u User) User {
	if s.quota == nil {
		return u
	}
	d := s.quota.pendingUser(u.Username)
	u.UsedQuotaSize += d.size
	u.UsedQuotaFiles += d.files
	u.UsedUploadDataTransfer += d.uploaded
	u.UsedDownloadDataTransfer += d.downloaded
	for i := range u.VirtualFolders {
		u.VirtualFolders[i].BaseVirtualFolder = s.withPendingFolder(u.VirtualFolders[i].BaseVirtualFolder)
	}
	return u
}

func (s *Store) withPendingFolder(f BaseVirtualFolder) BaseVirtualFolder {
	if s.quota == nil {
		return f
	}
	d := s.quota.pendingFolder(f.Name)
	f.UsedQuotaSize += d.size
	f.UsedQuotaFiles += d.files
	return f
}
