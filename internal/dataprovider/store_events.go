package dataprovider

import "sync"

// UserChangeFunc is told that what a user may do could have changed; an
// empty username means "any user" (a group, a folder or a restore).
// Caches of authenticated users (WebDAV, HTTP) drop their entries on it.
type UserChangeFunc func(username string)

// userListeners holds the registered UserChangeFuncs.
type userListeners struct {
	mu  sync.RWMutex
	fns []UserChangeFunc
}

// OnUserChange registers fn, called after every change that can alter a
// user's effective settings or credentials.
func (s *Store) OnUserChange(fn UserChangeFunc) {
	s.listeners.mu.Lock()
	s.listeners.fns = append(s.listeners.fns, fn)
	s.listeners.mu.Unlock()
}

func (s *Store) notifyUserChange(username string) {
	s.listeners.mu.RLock()
	defer s.listeners.mu.RUnlock()
	for _, fn := range s.listeners.fns {
		fn(username)
	}
	s.notifyPeers(username)
}
