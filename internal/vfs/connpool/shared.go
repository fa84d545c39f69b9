// Package connpool keeps the network connections of remote storage
// backends (remote SFTP, remote FTP) alive between uses: Shared hands one
// value per key to every Fs built with the same endpoint and credentials,
// so sessions of one user reuse a connection, and Pool lends a bounded set
// of single-user connections, checked before each reuse.
package connpool

import (
	"errors"
	"io"
	"sync"
	"time"
)

// ErrClosed is returned by Acquire and Get after Close.
var ErrClosed = errors.New("connpool: closed")

// Shared hands out one value per key to any number of holders and closes
// it once the last holder has released it and Linger has passed without a
// new holder. A protocol session that ends and a new one that starts a few
// seconds later (a WebDAV client, an HTTP request) find the connection
// still open.
type Shared struct {
	linger time.Duration

	mu      sync.Mutex
	entries map[string]*sharedEntry
	closed  bool
}

type sharedEntry struct {
	v     io.Closer
	refs  int
	timer *time.Timer
}

// NewShared returns an empty registry; linger is how long a value nobody
// holds stays open (0 closes it at once).
func NewShared(linger time.Duration) *Shared {
	return &Shared{linger: linger, entries: map[string]*sharedEntry{}}
}

// Acquire returns the value for key, calling create when there is none.
// create runs under the registry's lock, so it must not block: it should
// build a value that connects lazily. release gives the value back; it
// may be called more than once.
func (s *Shared) Acquire(key string, create func() (io.Closer, error)) (v io.Closer, release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, ErrClosed
	}
	e, ok := s.entries[key]
	if !ok {
		v, err := create()
		if err != nil {
			return nil, nil, err
		}
		e = &sharedEntry{v: v}
		s.entries[key] = e
	}
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
	e.refs++
	var once sync.Once
	return e.v, func() { once.Do(func() { s.release(key, e) }) }, nil
}

func (s *Shared) release(key string, e *sharedEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.refs--
	if e.refs > 0 || s.entries[key] != e {
		return
	}
	if s.linger <= 0 || s.closed {
		delete(s.entries, key)
		go e.v.Close()
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
		e.v.Close()
	})
}

// Len returns how many values are open, held or lingering.
func (s *Shared) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// Close closes every value, held or not; later Acquire calls fail.
func (s *Shared) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	entries := s.entries
	s.entries = map[string]*sharedEntry{}
	s.mu.Unlock()
	var errs []error
	for _, e := range entries {
		if e.timer != nil {
			e.timer.Stop()
		}
		if err := e.v.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
