package common

import (
	"errors"
	"fmt"
	"sync"
)

// MaxOpenFilesPerUser is how many files one user may have open at once,
// uploads and downloads together, across all of the user's sessions and
// protocols. Each open file holds a descriptor (or a backend stream), and
// sessions per user are unlimited by default: without this cap a handful
// of sessions of one user could take every descriptor of the process.
const MaxOpenFilesPerUser = 2048

// ErrTooManyOpenFiles is the kind of the error an open gets when the user
// already has MaxOpenFilesPerUser files open.
var ErrTooManyOpenFiles = errors.New("too many open files")

// openFiles counts the open files of each user.
type openFiles struct {
	mu sync.Mutex
	n  map[string]int
}

// acquire takes one open-file slot of user, or fails when limit are
// taken; release gives it back and may be called more than once.
func (o *openFiles) acquire(user string, limit int) (release func(), err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = map[string]int{}
	}
	if o.n[user] >= limit {
		return nil, newErr(ErrTooManyOpenFiles,
			fmt.Sprintf("too many open files: this user may have %d files open at once, across all sessions", limit))
	}
	o.n[user]++
	var once sync.Once
	return func() {
		once.Do(func() {
			o.mu.Lock()
			defer o.mu.Unlock()
			if o.n[user]--; o.n[user] <= 0 {
				delete(o.n, user)
			}
		})
	}, nil
}

// count returns how many files user has open.
func (o *openFiles) count(user string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n[user]
}

// OpenFiles returns how many files username has open on this server.
func (s *Server) OpenFiles(username string) int { return s.openFiles.count(username) }

// takeOpenSlot reserves an open-file slot of the connection's user for t;
// t releases it when it closes (or when the open fails, through
// releaseOpenSlot).
func (c *BaseConnection) takeOpenSlot(t *Transfer) error {
	limit := MaxOpenFilesPerUser
	release, err := c.srv.openFiles.acquire(c.User.Username, limit)
	if err != nil {
		c.log.Warn("open refused: per-user open files limit reached", "limit", limit)
		return err
	}
	t.openSlot = release
	return nil
}

// releaseOpenSlot gives back t's open-file slot, if it holds one.
func (t *Transfer) releaseOpenSlot() {
	if t.openSlot != nil {
		t.openSlot()
	}
}
