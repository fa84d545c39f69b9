package dataprovider

import (
	"context"
	"sync"
)

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

// Object change actions, as data_provider.actions.execute_on names them.
const (
	ObjectActionAdd    = "add"
	ObjectActionUpdate = "update"
	ObjectActionDelete = "delete"
)

// Object types, as data_provider.actions.execute_for names them.
const (
	ObjectTypeUser   = "user"
	ObjectTypeAdmin  = "admin"
	ObjectTypeAPIKey = "api_key"
	ObjectTypeShare  = "share"
	ObjectTypeGroup  = "group"
	ObjectTypeFolder = "folder"
	ObjectTypeRole   = "role"
)

// Actor is who changed an object: the admin's username ("__self__" for a
// user changing its own account, "__system__" for loads), its IP and role.
type Actor struct {
	Username string
	IP       string
	Role     string
}

// ObjectChange is one added, updated or deleted provider object. Object
// is the object as stored (a value of its type: User, Admin, APIKey,
// Share, Group, BaseVirtualFolder), secrets included: listeners that
// publish it must redact it.
type ObjectChange struct {
	Action     string
	ObjectType string
	ObjectName string
	Object     any
	Actor      Actor
}

// ObjectChangeFunc is told about an object change after it is stored.
type ObjectChangeFunc func(ObjectChange)

type ctxActor struct{}
type ctxNoActions struct{}

// WithActor returns a context that names who makes the changes done
// with it.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, ctxActor{}, a)
}

// WithoutObjectActions returns a context whose changes are not reported
// to ObjectChange listeners (users provisioned by authentication hooks).
func WithoutObjectActions(ctx context.Context) context.Context {
	return context.WithValue(ctx, ctxNoActions{}, true)
}

// objectListeners holds the registered ObjectChangeFuncs.
type objectListeners struct {
	mu  sync.RWMutex
	fns []ObjectChangeFunc
}

// OnObjectChange registers fn, called after every add, update and delete
// of a user, admin, API key, share, group or folder made through the
// Store's API (not for usage counters, last logins or restores).
func (s *Store) OnObjectChange(fn ObjectChangeFunc) {
	l := &s.objects
	l.mu.Lock()
	l.fns = append(l.fns, fn)
	l.mu.Unlock()
}

// notifyObjectChange reports a stored change unless ctx opts out.
func (s *Store) notifyObjectChange(ctx context.Context, action, objectType, name string, obj any) {
	if skip, _ := ctx.Value(ctxNoActions{}).(bool); skip {
		return
	}
	l := &s.objects
	l.mu.RLock()
	fns := l.fns
	l.mu.RUnlock()
	if len(fns) == 0 {
		return
	}
	actor, _ := ctx.Value(ctxActor{}).(Actor)
	ch := ObjectChange{Action: action, ObjectType: objectType, ObjectName: name, Object: obj, Actor: actor}
	for _, fn := range fns {
		fn(ch)
	}
}

// beforeDelete reads the object about to be deleted when someone listens.
func (s *Store) beforeDelete(ctx context.Context, get func() (any, error)) any {
	if skip, _ := ctx.Value(ctxNoActions{}).(bool); skip {
		return nil
	}
	s.objects.mu.RLock()
	n := len(s.objects.fns)
	s.objects.mu.RUnlock()
	if n == 0 {
		return nil
	}
	obj, err := get()
	if err != nil {
		return nil
	}
	return obj
}

// afterDelete reports a successful delete.
func (s *Store) afterDelete(ctx context.Context, err error, objectType, name string, old any) {
	if err == nil {
		s.notifyObjectChange(ctx, ObjectActionDelete, objectType, name, old)
	}
}
