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
	ready chan struct{} // closed once v and err are set
	v     io.Closer
	err   error
	refs  int
	timer *time.Timer
}

// NewShared returns an empty registry; linger is how long a value nobody
// holds stays open (0 closes it at once).
func NewShared(linger time.Duration) *Shared {
	return &Shared{linger: linger, entries: map[string]*sharedEntry{}}
}

// Acquire returns the value for key, calling create when there is none.
// create runs outside the registry's lock; concurrent callers for a key
// being created wait for that one call. A failed create is not kept: the
// next caller tries again. release gives the value back; it may be
// called more than once.
func (s *Shared) Acquire(key string, create func() (io.Closer, error)) (v io.Closer, release func(), err error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, nil, ErrClosed
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
	} else {
		e = &sharedEntry{ready: make(chan struct{}), refs: 1}
		s.entries[key] = e
		s.mu.Unlock()
		e.v, e.err = create()
		if e.err != nil {
			s.mu.Lock()
			if s.entries[key] == e {
				delete(s.entries, key)
			}
			s.mu.Unlock()
		}
		close(e.ready)
	}
	if e.err != nil {
		s.release(key, e)
		return nil, nil, e.err
	}
	var once sync.Once
	return e.v, func() { once.Do(func() { s.release(key, e) }) }, nil
}

func (s *Shared) release(key string, e *sharedEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.refs--
	if e.refs > 0 || e.err != nil {
		return
	}
	if s.closed || s.entries[key] != e || s.linger <= 0 {
		if s.entries[key] == e {
			delete(s.entries, key)
		}
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
	return s.shut(true)
}

// CloseIdle closes the values nobody holds and lets each held one close
// when its last holder releases it (a transfer in progress finishes on
// its connection); later Acquire calls fail.
func (s *Shared) CloseIdle() error {
	return s.shut(false)
}

func (s *Shared) shut(held bool) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	var closing []io.Closer
	for key, e := range s.entries {
		delete(s.entries, key)
		select {
		case <-e.ready:
		default:
			continue // its creator closes it when released
		}
		if e.err != nil || (e.refs > 0 && !held) {
			continue
		}
		if e.timer != nil {
			e.timer.Stop()
		}
		closing = append(closing, e.v)
	}
	s.mu.Unlock()
	var errs []error
	for _, v := range closing {
		if err := v.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
