package dataprovider

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sync"
)

// memState is one immutable-by-convention snapshot of the memory driver:
// stored values are never modified in place, a write replaces the map
// entry with a fresh copy. A transaction therefore only needs to clone the
// maps (not the objects) and swap the snapshot in on success.
type memState struct {
	// dirty, when not nil, records the keys written since it was set, per
	// map name: the bolt driver persists just those.
	dirty    map[string]map[string]bool
	users    map[string]User
	groups   map[string]Group
	folders  map[string]BaseVirtualFolder
	admins   map[string]Admin
	apiKeys  map[string]APIKey
	shares   map[string]Share
	sections map[string][]byte
	lastID   map[string]int64
	version  int
}

func newMemState() *memState {
	return &memState{
		users: map[string]User{}, groups: map[string]Group{}, folders: map[string]BaseVirtualFolder{},
		admins: map[string]Admin{}, apiKeys: map[string]APIKey{}, shares: map[string]Share{},
		sections: map[string][]byte{}, lastID: map[string]int64{},
	}
}

func (s *memState) clone() *memState {
	return &memState{
		users: maps.Clone(s.users), groups: maps.Clone(s.groups), folders: maps.Clone(s.folders),
		admins: maps.Clone(s.admins), apiKeys: maps.Clone(s.apiKeys), shares: maps.Clone(s.shares),
		sections: maps.Clone(s.sections), lastID: maps.Clone(s.lastID), version: s.version,
	}
}

// memDriver keeps everything in maps under a mutex. Alone, nothing
// survives a restart (the Store can seed it from a dump file); with a
// persister (the bolt driver) every committed change is also written to
// disk before it becomes visible.
type memDriver struct {
	mu      sync.RWMutex
	state   *memState
	backend persister
}

// persister stores the changes of a memDriver.
type persister interface {
	// persist writes the keys recorded in s.dirty, and the ids and version.
	persist(s *memState) error
	reset() error
	close() error
}

func newMemDriver() *memDriver { return &memDriver{state: newMemState()} }

// deepCopy clones v through JSON so no slice or map is shared with the
// caller.
func deepCopy[T any](v T) T {
	var out T
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("dataprovider: deep copy: %v", err))
	}
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("dataprovider: deep copy: %v", err))
	}
	return out
}

func (d *memDriver) read(fn func(*memOps) error) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return fn(&memOps{s: d.state})
}

// write runs one operation in place. Every memOps method checks
// everything before it changes anything, so a failed single operation
// leaves the state untouched without the cost of a copy.
func (d *memDriver) write(fn func(*memOps) error) error {
	if d.backend != nil {
		return d.commit(fn)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return fn(&memOps{s: d.state})
}

// commit runs fn on a copy of the state, persists what fn changed, and
// only then makes the copy the state: a failure leaves nothing behind.
func (d *memDriver) commit(fn func(*memOps) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	next := d.state.clone()
	if d.backend != nil {
		next.dirty = map[string]map[string]bool{}
	}
	if err := fn(&memOps{s: next}); err != nil {
		return err
	}
	if d.backend != nil {
		if err := d.backend.persist(next); err != nil {
			return err
		}
		next.dirty = nil
	}
	d.state = next
	return nil
}

// InTx runs fn atomically (see commit).
func (d *memDriver) InTx(ctx context.Context, fn func(Ops) error) error {
	return d.commit(func(o *memOps) error { return fn(o) })
}

func (d *memDriver) SchemaVersion(ctx context.Context) (int, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.state.version, nil
}

func (d *memDriver) MigrateTo(ctx context.Context, version int) error {
	return d.write(func(o *memOps) error { o.s.version = version; return nil })
}

func (d *memDriver) Reset(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.backend != nil {
		if err := d.backend.reset(); err != nil {
			return err
		}
	}
	d.state = newMemState()
	return nil
}

func (d *memDriver) Ping(ctx context.Context) error { return nil }

func (d *memDriver) Close() error {
	if d.backend != nil {
		return d.backend.close()
	}
	return nil
}

// The Ops of the driver outside a transaction: each call is atomic.

func (d *memDriver) GetUser(ctx context.Context, n string) (u User, err error) {
	err = d.read(func(o *memOps) error { u, err = o.GetUser(ctx, n); return err })
	return u, err
}
func (d *memDriver) ListUsers(ctx context.Context, limit, offset int, desc bool) (r []User, err error) {
	err = d.read(func(o *memOps) error { r, err = o.ListUsers(ctx, limit, offset, desc); return err })
	return r, err
}
func (d *memDriver) AddUser(ctx context.Context, u *User) error {
	return d.write(func(o *memOps) error { return o.AddUser(ctx, u) })
}
func (d *memDriver) UpdateUser(ctx context.Context, u *User) error {
	return d.write(func(o *memOps) error { return o.UpdateUser(ctx, u) })
}
func (d *memDriver) DeleteUser(ctx context.Context, n string) error {
	return d.write(func(o *memOps) error { return o.DeleteUser(ctx, n) })
}
func (d *memDriver) UpdateUserQuota(ctx context.Context, n string, size int64, files int, reset bool) error {
	return d.write(func(o *memOps) error { return o.UpdateUserQuota(ctx, n, size, files, reset) })
}
func (d *memDriver) UpdateUserTransferQuota(ctx context.Context, n string, ul, dl int64, reset bool) error {
	return d.write(func(o *memOps) error { return o.UpdateUserTransferQuota(ctx, n, ul, dl, reset) })
}
func (d *memDriver) SetUserLastLogin(ctx context.Context, n string, at int64) error {
	return d.write(func(o *memOps) error { return o.SetUserLastLogin(ctx, n, at) })
}
func (d *memDriver) GetGroup(ctx context.Context, n string) (g Group, err error) {
	err = d.read(func(o *memOps) error { g, err = o.GetGroup(ctx, n); return err })
	return g, err
}
func (d *memDriver) ListGroups(ctx context.Context, limit, offset int, desc bool) (r []Group, err error) {
	err = d.read(func(o *memOps) error { r, err = o.ListGroups(ctx, limit, offset, desc); return err })
	return r, err
}
func (d *memDriver) AddGroup(ctx context.Context, g *Group) error {
	return d.write(func(o *memOps) error { return o.AddGroup(ctx, g) })
}
func (d *memDriver) UpdateGroup(ctx context.Context, g *Group) error {
	return d.write(func(o *memOps) error { return o.UpdateGroup(ctx, g) })
}
func (d *memDriver) DeleteGroup(ctx context.Context, n string) error {
	return d.write(func(o *memOps) error { return o.DeleteGroup(ctx, n) })
}
func (d *memDriver) GetFolder(ctx context.Context, n string) (f BaseVirtualFolder, err error) {
	err = d.read(func(o *memOps) error { f, err = o.GetFolder(ctx, n); return err })
	return f, err
}
func (d *memDriver) ListFolders(ctx context.Context, limit, offset int, desc bool) (r []BaseVirtualFolder, err error) {
	err = d.read(func(o *memOps) error { r, err = o.ListFolders(ctx, limit, offset, desc); return err })
	return r, err
}
func (d *memDriver) AddFolder(ctx context.Context, f *BaseVirtualFolder) error {
	return d.write(func(o *memOps) error { return o.AddFolder(ctx, f) })
}
func (d *memDriver) UpdateFolder(ctx context.Context, f *BaseVirtualFolder) error {
	return d.write(func(o *memOps) error { return o.UpdateFolder(ctx, f) })
}
func (d *memDriver) DeleteFolder(ctx context.Context, n string) error {
	return d.write(func(o *memOps) error { return o.DeleteFolder(ctx, n) })
}
func (d *memDriver) UpdateFolderQuota(ctx context.Context, n string, size int64, files int, reset bool) error {
	return d.write(func(o *memOps) error { return o.UpdateFolderQuota(ctx, n, size, files, reset) })
}
func (d *memDriver) GetAdmin(ctx context.Context, n string) (a Admin, err error) {
	err = d.read(func(o *memOps) error { a, err = o.GetAdmin(ctx, n); return err })
	return a, err
}
func (d *memDriver) ListAdmins(ctx context.Context, limit, offset int, desc bool) (r []Admin, err error) {
	err = d.read(func(o *memOps) error { r, err = o.ListAdmins(ctx, limit, offset, desc); return err })
	return r, err
}
func (d *memDriver) AddAdmin(ctx context.Context, a *Admin) error {
	return d.write(func(o *memOps) error { return o.AddAdmin(ctx, a) })
}
func (d *memDriver) UpdateAdmin(ctx context.Context, a *Admin) error {
	return d.write(func(o *memOps) error { return o.UpdateAdmin(ctx, a) })
}
func (d *memDriver) DeleteAdmin(ctx context.Context, n string) error {
	return d.write(func(o *memOps) error { return o.DeleteAdmin(ctx, n) })
}
func (d *memDriver) CountAdmins(ctx context.Context) (n int, err error) {
	err = d.read(func(o *memOps) error { n, err = o.CountAdmins(ctx); return err })
	return n, err
}
func (d *memDriver) SetAdminLastLogin(ctx context.Context, n string, at int64) error {
	return d.write(func(o *memOps) error { return o.SetAdminLastLogin(ctx, n, at) })
}
func (d *memDriver) GetAPIKey(ctx context.Context, id string) (k APIKey, err error) {
	err = d.read(func(o *memOps) error { k, err = o.GetAPIKey(ctx, id); return err })
	return k, err
}
func (d *memDriver) ListAPIKeys(ctx context.Context, limit, offset int, desc bool) (r []APIKey, err error) {
	err = d.read(func(o *memOps) error { r, err = o.ListAPIKeys(ctx, limit, offset, desc); return err })
	return r, err
}
func (d *memDriver) AddAPIKey(ctx context.Context, k *APIKey) error {
	return d.write(func(o *memOps) error { return o.AddAPIKey(ctx, k) })
}
func (d *memDriver) UpdateAPIKey(ctx context.Context, k *APIKey) error {
	return d.write(func(o *memOps) error { return o.UpdateAPIKey(ctx, k) })
}
func (d *memDriver) DeleteAPIKey(ctx context.Context, id string) error {
	return d.write(func(o *memOps) error { return o.DeleteAPIKey(ctx, id) })
}
func (d *memDriver) SetAPIKeyLastUse(ctx context.Context, id string, at int64) error {
	return d.write(func(o *memOps) error { return o.SetAPIKeyLastUse(ctx, id, at) })
}
func (d *memDriver) GetShare(ctx context.Context, id string) (sh Share, err error) {
	err = d.read(func(o *memOps) error { sh, err = o.GetShare(ctx, id); return err })
	return sh, err
}
func (d *memDriver) ListShares(ctx context.Context, limit, offset int, desc bool) (r []Share, err error) {
	err = d.read(func(o *memOps) error { r, err = o.ListShares(ctx, limit, offset, desc); return err })
	return r, err
}
func (d *memDriver) AddShare(ctx context.Context, sh *Share) error {
	return d.write(func(o *memOps) error { return o.AddShare(ctx, sh) })
}
func (d *memDriver) UpdateShare(ctx context.Context, sh *Share) error {
	return d.write(func(o *memOps) error { return o.UpdateShare(ctx, sh) })
}
func (d *memDriver) DeleteShare(ctx context.Context, id string) error {
	return d.write(func(o *memOps) error { return o.DeleteShare(ctx, id) })
}
func (d *memDriver) GetSection(ctx context.Context, n string) (b []byte, err error) {
	err = d.read(func(o *memOps) error { b, err = o.GetSection(ctx, n); return err })
	return b, err
}
func (d *memDriver) SetSection(ctx context.Context, n string, data []byte) error {
	return d.write(func(o *memOps) error { return o.SetSection(ctx, n, data) })
}
