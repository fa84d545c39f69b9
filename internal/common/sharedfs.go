package common

import (
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// cloudLinger keeps an object-store backend after its last session ends,
// so the next session (a WebDAV or HTTP request, a reconnecting client)
// reuses its client and its pooled TCP connections.
const cloudLinger = 2 * time.Minute

// sharedBackends holds the object-store backends (S3, GCS, Azure Blob):
// one per filesystem configuration, built once and shared by every
// session that uses that configuration, whichever user or protocol. The
// SDK clients are safe for concurrent use and costly to build (loading
// the AWS configuration alone reads files and the environment), and each
// owns a connection pool that only pays off when it lives on.
//
// A backend is closed when nobody has used it for cloudLinger. A changed
// configuration (another bucket, key, endpoint, a re-encrypted secret) is
// another key, so it gets a backend of its own at once; the old one goes
// when its last session does.
type sharedBackends struct {
	linger  time.Duration
	mu      sync.Mutex
	entries map[string]*sharedBackend
	closed  bool
}

type sharedBackend struct {
	ready chan struct{} // closed once fs/err are set
	fs    vfs.Fs
	err   error
	refs  int
	timer *time.Timer
}

func newSharedBackends(linger time.Duration) *sharedBackends {
	return &sharedBackends{linger: linger, entries: make(map[string]*sharedBackend)}
}

// isShared reports whether backends of this provider are shared.
func isShared(provider dataprovider.FilesystemProvider) bool {
	switch provider {
	case dataprovider.S3FilesystemProvider, dataprovider.GCSFilesystemProvider, dataprovider.AzureBlobFilesystemProvider:
		return true
	}
	return false
}

// sharedKey identifies a filesystem configuration. Secrets are in it as
// stored (encrypted), which is enough to tell configurations apart.
func sharedKey(fsConfig dataprovider.Filesystem) (string, bool) {
	b, err := json.Marshal(fsConfig)
	if err != nil {
		return "", false
	}
	return strconv.Itoa(int(fsConfig.Provider)) + ":" + string(b), true
}

// acquire returns the backend for key, building it with build when there
// is none; release gives it back. Concurrent callers for a key that is
// being built wait for that one build; nothing is built under s.mu. A
// build that fails is not kept: the next caller tries again.
func (s *sharedBackends) acquire(key string, build func() (vfs.Fs, error)) (vfs.Fs, func() error, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, nil, newErr(ErrTransferAborted, "server is shutting down")
	}
	e, ok := s.entries[key]
	if ok {
		e.refs++
		if e.timer != nil {
			e.timer.Stop()
			e.timer = nil
		}
		s.mu.Unlock()
		<-e.ready
		if e.err != nil {
			s.release(key, e)
			return nil, nil, e.err
		}
		return e.fs, s.releaser(key, e), nil
	}
	e = &sharedBackend{ready: make(chan struct{}), refs: 1}
	s.entries[key] = e
	s.mu.Unlock()

	e.fs, e.err = build()
	if e.err != nil {
		s.mu.Lock()
		if s.entries[key] == e {
			delete(s.entries, key)
		}
		s.mu.Unlock()
	}
	close(e.ready)
	if e.err != nil {
		s.release(key, e)
		return nil, nil, e.err
	}
	return e.fs, s.releaser(key, e), nil
}

func (s *sharedBackends) releaser(key string, e *sharedBackend) func() error {
	var once sync.Once
	return func() error {
		once.Do(func() { s.release(key, e) })
		return nil
	}
}

func (s *sharedBackends) release(key string, e *sharedBackend) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.refs--
	if e.refs > 0 || e.err != nil {
		return
	}
	if s.closed || s.entries[key] != e {
		go e.fs.Close()
		return
	}
	e.timer = time.AfterFunc(s.linger, func() {
		s.mu.Lock()
		if e.refs > 0 || s.entries[key] != e {
			s.mu.Unlock()
			return
		}
		delete(s.entries, key)
		s.mu.Unlock()
		e.fs.Close()
	})
}

// close closes the idle backends and makes the busy ones close when
// released.
func (s *sharedBackends) close() {
	s.mu.Lock()
	s.closed = true
	var idle []vfs.Fs
	for key, e := range s.entries {
		delete(s.entries, key)
		if e.refs == 0 && e.err == nil {
			if e.timer != nil {
				e.timer.Stop()
			}
			idle = append(idle, e.fs)
		}
	}
	s.mu.Unlock()
	for _, f := range idle {
		f.Close()
	}
}

// len is the number of backends kept (tests).
func (s *sharedBackends) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}
