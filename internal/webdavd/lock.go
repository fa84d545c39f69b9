package webdavd

import (
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/net/webdav"
)

// Lock timeouts. Locks live in memory only, so a client that asked for an
// infinite lock and then vanished would block the resource until the
// process restarts; every lock therefore gets a finite timeout, which is
// what the LOCK response reports, and clients refresh before it ends.
const (
	maxLockTimeout     = 24 * time.Hour
	defaultLockTimeout = maxLockTimeout
)

// maxLocksPerUser bounds the memory one account can tie up with locks.
const maxLocksPerUser = 10000

var (
	errLocked       = webdav.ErrLocked
	errNoSuchLock   = webdav.ErrNoSuchLock
	errTooManyLocks = errors.New("webdavd: too many locks")
)

// davLock is one active WebDAV write lock.
type davLock struct {
	token    string
	user     string
	root     string // clean virtual path of the lock root
	infinite bool   // depth infinity (else depth 0)
	shared   bool
	owner    string // <owner> content, re-encoded with its namespaces
	timeout  time.Duration
	expires  time.Time
}

// covers reports whether the lock applies to the virtual path p.
func (l *davLock) covers(p string) bool {
	return l.root == p || (l.infinite && isUnder(p, l.root))
}

// isUnder reports whether p is strictly below dir.
func isUnder(p, dir string) bool {
	if dir == "/" {
		return p != "/" && strings.HasPrefix(p, "/")
	}
	return strings.HasPrefix(p, dir+"/")
}

// lockManager holds the locks of every user of one WebDAV server. Every
// connection (every HTTP request) of the server shares it, so a lock taken
// on one TCP connection is honoured on all others. Locks are kept per
// user: each user has its own namespace of virtual paths.
type lockManager struct {
	mu      sync.Mutex
	byToken map[string]*davLock
	byUser  map[string]map[*davLock]struct{}
	now     func() time.Time
}

func newLockManager() *lockManager {
	return &lockManager{
		byToken: make(map[string]*davLock),
		byUser:  make(map[string]map[*davLock]struct{}),
		now:     time.Now,
	}
}

// grantTimeout turns a requested timeout (negative: infinite, zero: none
// asked) into the one granted.
func grantTimeout(d time.Duration) time.Duration {
	if d <= 0 {
		return defaultLockTimeout
	}
	return min(d, maxLockTimeout)
}

// purge drops the expired locks of user; m.mu must be held.
func (m *lockManager) purge(user string, now time.Time) map[*davLock]struct{} {
	locks := m.byUser[user]
	for l := range locks {
		if !now.Before(l.expires) {
			m.removeLocked(l)
		}
	}
	return m.byUser[user]
}

func (m *lockManager) removeLocked(l *davLock) {
	delete(m.byToken, l.token)
	if set := m.byUser[l.user]; set != nil {
		delete(set, l)
		if len(set) == 0 {
			delete(m.byUser, l.user)
		}
	}
}

// conflicts reports whether a new lock would conflict with an existing
// one of the user; m.mu must be held.
func (m *lockManager) conflicts(user, root string, infinite, shared bool, now time.Time) bool {
	for l := range m.purge(user, now) {
		overlap := l.covers(root) || (infinite && isUnder(l.root, root))
		if overlap && !(shared && l.shared) {
			return true
		}
	}
	return false
}

// create takes a new lock; errLocked when it conflicts with another.
func (m *lockManager) create(user, root string, infinite, shared bool, owner string, timeout time.Duration) (*davLock, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if m.conflicts(user, root, infinite, shared, now) {
		return nil, errLocked
	}
	if len(m.byUser[user]) >= maxLocksPerUser {
		return nil, errTooManyLocks
	}
	t := grantTimeout(timeout)
	l := &davLock{
		token:    "opaquelocktoken:" + uuid.NewString(),
		user:     user,
		root:     root,
		infinite: infinite,
		shared:   shared,
		owner:    owner,
		timeout:  t,
		expires:  now.Add(t),
	}
	m.byToken[l.token] = l
	set := m.byUser[user]
	if set == nil {
		set = make(map[*davLock]struct{})
		m.byUser[user] = set
	}
	set[l] = struct{}{}
	return l.clone(), nil
}

func (l *davLock) clone() *davLock {
	c := *l
	return &c
}

// lookup returns a live lock of user by token.
func (m *lockManager) lookupLocked(user, token string, now time.Time) *davLock {
	l := m.byToken[token]
	if l == nil || l.user != user {
		return nil
	}
	if !now.Before(l.expires) {
		m.removeLocked(l)
		return nil
	}
	return l
}

// get returns a copy of a live lock of user.
func (m *lockManager) get(user, token string) *davLock {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l := m.lookupLocked(user, token, m.now()); l != nil {
		return l.clone()
	}
	return nil
}

// refresh restarts a lock's timeout; errNoSuchLock if the token is not a
// live lock of user.
func (m *lockManager) refresh(user, token string, timeout time.Duration) (*davLock, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	l := m.lookupLocked(user, token, now)
	if l == nil {
		return nil, errNoSuchLock
	}
	l.timeout = grantTimeout(timeout)
	l.expires = now.Add(l.timeout)
	return l.clone(), nil
}

// unlock removes a lock; errNoSuchLock if the token is not a live lock of
// user.
func (m *lockManager) unlock(user, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.lookupLocked(user, token, m.now())
	if l == nil {
		return errNoSuchLock
	}
	m.removeLocked(l)
	return nil
}

// covering returns the locks of user that apply to p, sorted by nothing
// in particular.
func (m *lockManager) covering(user, p string) []*davLock {
	return m.affecting(user, p, false)
}

// affecting returns the locks that apply to p and, when deep, also those
// rooted anywhere below p (what a recursive DELETE or MOVE would touch).
func (m *lockManager) affecting(user, p string, deep bool) []*davLock {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*davLock
	for l := range m.purge(user, m.now()) {
		if l.covers(p) || (deep && isUnder(l.root, p)) {
			out = append(out, l.clone())
		}
	}
	return out
}

// removeTree drops the locks rooted at p or below: their roots no longer
// exist once p is deleted or moved away.
func (m *lockManager) removeTree(user, p string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for l := range m.byUser[user] {
		if l.root == p || isUnder(l.root, p) {
			m.removeLocked(l)
		}
	}
}

// count returns the number of live locks (tests).
func (m *lockManager) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	n := 0
	for user := range m.byUser {
		n += len(m.purge(user, now))
	}
	return n
}
