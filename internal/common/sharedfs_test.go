package common

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/osfs"
)

type countingFs struct {
	vfs.Fs
	closed *atomic.Int32
}

func (c countingFs) Close() error { c.closed.Add(1); return nil }

// TestSharedBackends: concurrent sessions of one configuration build one
// backend; it is closed only after the last release plus the linger; a
// failed build is not kept; another configuration gets its own.
func TestSharedBackends(t *testing.T) {
	s := newSharedBackends(50 * time.Millisecond)
	var builds, closed atomic.Int32
	gate := make(chan struct{})
	build := func() (vfs.Fs, error) {
		builds.Add(1)
		<-gate
		f, err := osfs.New(t.TempDir(), osfs.Options{})
		return countingFs{Fs: f, closed: &closed}, err
	}
	var wg sync.WaitGroup
	releases := make([]func() error, 10)
	for i := range releases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, rel, err := s.acquire("a", build)
			if err != nil {
				t.Error(err)
				return
			}
			releases[i] = rel
		}()
	}
	time.Sleep(20 * time.Millisecond) // let them queue behind the build
	close(gate)
	wg.Wait()
	if builds.Load() != 1 {
		t.Fatalf("%d builds for one configuration", builds.Load())
	}
	for _, rel := range releases[1:] {
		rel()
		rel() // twice is once
	}
	time.Sleep(100 * time.Millisecond)
	if closed.Load() != 0 {
		t.Fatal("closed while a session still uses it")
	}
	releases[0]()
	deadline := time.Now().Add(5 * time.Second)
	for closed.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if closed.Load() != 1 || s.len() != 0 {
		t.Fatalf("after the linger: closed %d, kept %d", closed.Load(), s.len())
	}

	// a failed build is not kept
	boom := errors.New("boom")
	if _, _, err := s.acquire("b", func() (vfs.Fs, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("failed build: %v", err)
	}
	if s.len() != 0 {
		t.Fatal("a failed build was kept")
	}

	// reuse within the linger, and close() closes what is idle
	gate2 := make(chan struct{})
	close(gate2)
	gate = gate2
	_, rel, _ := s.acquire("c", build)
	rel()
	_, rel2, _ := s.acquire("c", build)
	if builds.Load() != 2 {
		t.Fatalf("not reused within the linger: %d builds", builds.Load())
	}
	_, rel3, _ := s.acquire("d", build)
	rel3()
	s.close()
	if closed.Load() != 2 {
		t.Fatalf("close: %d closed, want the idle one", closed.Load())
	}
	rel2()
	deadline = time.Now().Add(5 * time.Second)
	for closed.Load() != 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if closed.Load() != 3 {
		t.Fatal("a backend released after close was not closed")
	}
	if _, _, err := s.acquire("e", build); err == nil {
		t.Fatal("acquire after close")
	}
}
