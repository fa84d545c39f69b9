package dataprovider

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
)

// memOps works on one snapshot; the caller holds the driver's lock.
type memOps struct{ s *memState }

// touch records a written key for persistence.
func (o *memOps) touch(kind, key string) {
	if o.s.dirty == nil {
		return
	}
	if o.s.dirty[kind] == nil {
		o.s.dirty[kind] = map[string]bool{}
	}
	o.s.dirty[kind][key] = true
}

func (o *memOps) nextID(kind string) int64 {
	o.s.lastID[kind]++
	return o.s.lastID[kind]
}

// page sorts keys and applies order, offset and limit (limit <= 0: all).
func page[V any](m map[string]V, limit, offset int, desc bool) []string {
	keys := slices.Collect(maps.Keys(m))
	sort.Strings(keys)
	if desc {
		slices.Reverse(keys)
	}
	if offset > 0 {
		if offset >= len(keys) {
			return nil
		}
		keys = keys[offset:]
	}
	if limit > 0 && len(keys) > limit {
		keys = keys[:limit]
	}
	return keys
}

func notFound(kind, name string) error { return fmt.Errorf("%s %q: %w", kind, name, ErrNotFound) }
func conflict(kind, name string) error {
	return fmt.Errorf("%s %q already exists: %w", kind, name, ErrConflict)
}

// folderMappings reduces virtual folders to what a mapping stores.
func folderMappings(vfs []VirtualFolder) []VirtualFolder {
	if len(vfs) == 0 {
		return nil
	}
	out := make([]VirtualFolder, 0, len(vfs))
	for _, vf := range vfs {
		out = append(out, VirtualFolder{BaseVirtualFolder: BaseVirtualFolder{Name: vf.Name},
			VirtualPath: vf.VirtualPath, QuotaSize: vf.QuotaSize, QuotaFiles: vf.QuotaFiles})
	}
	return out
}

func (o *memOps) checkFolders(vfs []VirtualFolder) error {
	for _, vf := range vfs {
		if _, ok := o.s.folders[vf.Name]; !ok {
			return notFound("folder", vf.Name)
		}
	}
	return nil
}

func (o *memOps) resolveFolders(vfs []VirtualFolder) []VirtualFolder {
	for i := range vfs {
		f := deepCopy(o.s.folders[vfs[i].Name])
		f.Users, f.Groups = nil, nil
		vfs[i].BaseVirtualFolder = f
	}
	return vfs
}

func (o *memOps) GetUser(ctx context.Context, username string) (User, error) {
	return memGet(o.users(), username)
}

func (o *memOps) ListUsers(ctx context.Context, limit, offset int, desc bool) ([]User, error) {
	return memList(o.users(), limit, offset, desc), nil
}

func (o *memOps) checkUserRefs(u *User) error {
	for _, g := range u.Groups {
		if _, ok := o.s.groups[g.Name]; !ok {
			return notFound("group", g.Name)
		}
	}
	return o.checkFolders(u.VirtualFolders)
}

func (o *memOps) AddUser(ctx context.Context, u *User) error {
	return memInsert(o, o.users(), u.Username, u, func() error { return o.checkUserRefs(u) })
}

func (o *memOps) UpdateUser(ctx context.Context, u *User) error {
	return memReplace(o, o.users(), u.Username, u, func() error { return o.checkUserRefs(u) },
		func(old User, c *User) { copyUserCounters(c, &old) })
}

// copyUserCounters copies the usage counters from src to dst.
func copyUserCounters(dst, src *User) {
	dst.UsedQuotaSize, dst.UsedQuotaFiles, dst.LastQuotaUpdate = src.UsedQuotaSize, src.UsedQuotaFiles, src.LastQuotaUpdate
	dst.UsedUploadDataTransfer, dst.UsedDownloadDataTransfer = src.UsedUploadDataTransfer, src.UsedDownloadDataTransfer
	dst.LastLogin, dst.FirstDownload, dst.FirstUpload = src.LastLogin, src.FirstDownload, src.FirstUpload
}

func (o *memOps) DeleteUser(ctx context.Context, username string) error {
	if err := memRemove(o, o.users(), username); err != nil {
		return err
	}
	memRemoveWhere(o, o.apiKeys(), func(k APIKey) bool { return k.User == username })
	memRemoveWhere(o, o.shares(), func(sh Share) bool { return sh.Username == username })
	return nil
}

func (o *memOps) UpdateUserQuota(ctx context.Context, username string, size int64, files int, reset bool) error {
	return memModify(o, o.users(), username, func(u *User) {
		if reset {
			u.UsedQuotaSize, u.UsedQuotaFiles = size, files
		} else {
			u.UsedQuotaSize = addCounter(u.UsedQuotaSize, size)
			u.UsedQuotaFiles = addCounter(u.UsedQuotaFiles, files)
		}
		u.LastQuotaUpdate = nowMillis()
	})
}

func (o *memOps) UpdateUserTransferQuota(ctx context.Context, username string, ul, dl int64, reset bool) error {
	return memModify(o, o.users(), username, func(u *User) {
		if reset {
			u.UsedUploadDataTransfer, u.UsedDownloadDataTransfer = ul, dl
		} else {
			u.UsedUploadDataTransfer = addCounter(u.UsedUploadDataTransfer, ul)
			u.UsedDownloadDataTransfer = addCounter(u.UsedDownloadDataTransfer, dl)
		}
		u.LastQuotaUpdate = nowMillis()
	})
}

func (o *memOps) SetUserLastLogin(ctx context.Context, username string, at int64) error {
	return memModify(o, o.users(), username, func(u *User) { u.LastLogin = at })
}

func (o *memOps) GetGroup(ctx context.Context, name string) (Group, error) {
	return memGet(o.groups(), name)
}

// loadGroup completes a stored group with its folders, members and
// admins.
func (o *memOps) loadGroup(g Group) Group {
	name := g.Name
	g = deepCopy(g)
	g.VirtualFolders = o.resolveFolders(g.VirtualFolders)
	g.Users = nil
	for _, u := range o.s.users {
		if slices.ContainsFunc(u.Groups, func(m GroupMapping) bool { return m.Name == name }) {
			g.Users = append(g.Users, u.Username)
		}
	}
	sort.Strings(g.Users)
	g.Admins = nil
	for _, a := range o.s.admins {
		if slices.ContainsFunc(a.Groups, func(m AdminGroupMapping) bool { return m.Name == name }) {
			g.Admins = append(g.Admins, a.Username)
		}
	}
	sort.Strings(g.Admins)
	return g
}

func (o *memOps) ListGroups(ctx context.Context, limit, offset int, desc bool) ([]Group, error) {
	return memList(o.groups(), limit, offset, desc), nil
}

func (o *memOps) AddGroup(ctx context.Context, g *Group) error {
	return memInsert(o, o.groups(), g.Name, g, func() error { return o.checkFolders(g.VirtualFolders) })
}

func (o *memOps) UpdateGroup(ctx context.Context, g *Group) error {
	return memReplace(o, o.groups(), g.Name, g, func() error { return o.checkFolders(g.VirtualFolders) }, nil)
}

func (o *memOps) DeleteGroup(ctx context.Context, name string) error {
	if _, ok := o.s.groups[name]; !ok {
		return notFound("group", name)
	}
	for _, u := range o.s.users {
		if slices.ContainsFunc(u.Groups, func(m GroupMapping) bool { return m.Name == name }) {
			return fmt.Errorf("group %q has members: %w", name, ErrConflict)
		}
	}
	delete(o.s.groups, name)
	o.touch("groups", name)
	for n, a := range o.s.admins {
		if slices.ContainsFunc(a.Groups, func(m AdminGroupMapping) bool { return m.Name == name }) {
			a.Groups = slices.DeleteFunc(slices.Clone(a.Groups), func(m AdminGroupMapping) bool { return m.Name == name })
			o.s.admins[n] = a
			o.touch("admins", n)
		}
	}
	return nil
}

func (o *memOps) GetFolder(ctx context.Context, name string) (BaseVirtualFolder, error) {
	return memGet(o.folders(), name)
}

// loadFolder completes a stored folder with the users and groups that
// mount it.
func (o *memOps) loadFolder(f BaseVirtualFolder) BaseVirtualFolder {
	name := f.Name
	f = deepCopy(f)
	f.Users, f.Groups = nil, nil
	mounts := func(vfs []VirtualFolder) bool {
		return slices.ContainsFunc(vfs, func(vf VirtualFolder) bool { return vf.Name == name })
	}
	for _, u := range o.s.users {
		if mounts(u.VirtualFolders) {
			f.Users = append(f.Users, u.Username)
		}
	}
	for _, g := range o.s.groups {
		if mounts(g.VirtualFolders) {
			f.Groups = append(f.Groups, g.Name)
		}
	}
	sort.Strings(f.Users)
	sort.Strings(f.Groups)
	return f
}

func (o *memOps) ListFolders(ctx context.Context, limit, offset int, desc bool) ([]BaseVirtualFolder, error) {
	return memList(o.folders(), limit, offset, desc), nil
}

func (o *memOps) AddFolder(ctx context.Context, f *BaseVirtualFolder) error {
	return memInsert(o, o.folders(), f.Name, f, nil)
}

func (o *memOps) UpdateFolder(ctx context.Context, f *BaseVirtualFolder) error {
	return memReplace(o, o.folders(), f.Name, f, nil, func(old BaseVirtualFolder, c *BaseVirtualFolder) {
		c.UsedQuotaSize, c.UsedQuotaFiles, c.LastQuotaUpdate = old.UsedQuotaSize, old.UsedQuotaFiles, old.LastQuotaUpdate
	})
}

func (o *memOps) DeleteFolder(ctx context.Context, name string) error {
	if _, ok := o.s.folders[name]; !ok {
		return notFound("folder", name)
	}
	delete(o.s.folders, name)
	o.touch("folders", name)
	unmount := func(vfs []VirtualFolder) ([]VirtualFolder, bool) {
		if !slices.ContainsFunc(vfs, func(vf VirtualFolder) bool { return vf.Name == name }) {
			return vfs, false
		}
		return slices.DeleteFunc(slices.Clone(vfs), func(vf VirtualFolder) bool { return vf.Name == name }), true
	}
	for n, u := range o.s.users {
		if vfs, changed := unmount(u.VirtualFolders); changed {
			u.VirtualFolders = vfs
			o.s.users[n] = u
			o.touch("users", n)
		}
	}
	for n, g := range o.s.groups {
		if vfs, changed := unmount(g.VirtualFolders); changed {
			g.VirtualFolders = vfs
			o.s.groups[n] = g
			o.touch("groups", n)
		}
	}
	return nil
}

func (o *memOps) UpdateFolderQuota(ctx context.Context, name string, size int64, files int, reset bool) error {
	return memModify(o, o.folders(), name, func(f *BaseVirtualFolder) {
		if reset {
			f.UsedQuotaSize, f.UsedQuotaFiles = size, files
		} else {
			f.UsedQuotaSize = addCounter(f.UsedQuotaSize, size)
			f.UsedQuotaFiles = addCounter(f.UsedQuotaFiles, files)
		}
		f.LastQuotaUpdate = nowMillis()
	})
}

func (o *memOps) GetAdmin(ctx context.Context, username string) (Admin, error) {
	return memGet(o.admins(), username)
}

func (o *memOps) ListAdmins(ctx context.Context, limit, offset int, desc bool) ([]Admin, error) {
	return memList(o.admins(), limit, offset, desc), nil
}

func (o *memOps) checkAdminGroups(a *Admin) error {
	for _, g := range a.Groups {
		if _, ok := o.s.groups[g.Name]; !ok {
			return notFound("group", g.Name)
		}
	}
	return nil
}

func (o *memOps) AddAdmin(ctx context.Context, a *Admin) error {
	return memInsert(o, o.admins(), a.Username, a, func() error { return o.checkAdminGroups(a) })
}

func (o *memOps) UpdateAdmin(ctx context.Context, a *Admin) error {
	return memReplace(o, o.admins(), a.Username, a, func() error { return o.checkAdminGroups(a) },
		func(old Admin, c *Admin) { c.LastLogin = old.LastLogin })
}

func (o *memOps) DeleteAdmin(ctx context.Context, username string) error {
	if err := memRemove(o, o.admins(), username); err != nil {
		return err
	}
	memRemoveWhere(o, o.apiKeys(), func(k APIKey) bool { return k.Admin == username })
	return nil
}

func (o *memOps) CountAdmins(ctx context.Context) (int, error) { return len(o.s.admins), nil }

func (o *memOps) SetAdminLastLogin(ctx context.Context, username string, at int64) error {
	return memModify(o, o.admins(), username, func(a *Admin) { a.LastLogin = at })
}

// cloneAPIKey keeps the ID, which is not part of the JSON form.
func cloneAPIKey(k APIKey) APIKey {
	c := deepCopy(k)
	c.ID = k.ID
	return c
}

func (o *memOps) GetAPIKey(ctx context.Context, keyID string) (APIKey, error) {
	return memGet(o.apiKeys(), keyID)
}

func (o *memOps) ListAPIKeys(ctx context.Context, limit, offset int, desc bool) ([]APIKey, error) {
	return memList(o.apiKeys(), limit, offset, desc), nil
}

func (o *memOps) checkKeyOwner(k *APIKey) error {
	if k.User != "" {
		if _, ok := o.s.users[k.User]; !ok {
			return notFound("user", k.User)
		}
	}
	if k.Admin != "" {
		if _, ok := o.s.admins[k.Admin]; !ok {
			return notFound("admin", k.Admin)
		}
	}
	return nil
}

func (o *memOps) AddAPIKey(ctx context.Context, k *APIKey) error {
	return memInsert(o, o.apiKeys(), k.KeyID, k, func() error { return o.checkKeyOwner(k) })
}

func (o *memOps) UpdateAPIKey(ctx context.Context, k *APIKey) error {
	return memReplace(o, o.apiKeys(), k.KeyID, k, func() error { return o.checkKeyOwner(k) },
		func(old APIKey, c *APIKey) { c.LastUseAt = old.LastUseAt })
}

func (o *memOps) DeleteAPIKey(ctx context.Context, keyID string) error {
	return memRemove(o, o.apiKeys(), keyID)
}

func (o *memOps) SetAPIKeyLastUse(ctx context.Context, keyID string, at int64) error {
	return memModify(o, o.apiKeys(), keyID, func(k *APIKey) { k.LastUseAt = at })
}

func (o *memOps) GetShare(ctx context.Context, shareID string) (Share, error) {
	return memGet(o.shares(), shareID)
}

func (o *memOps) ListShares(ctx context.Context, limit, offset int, desc bool) ([]Share, error) {
	return memList(o.shares(), limit, offset, desc), nil
}

func (o *memOps) AddShare(ctx context.Context, sh *Share) error {
	return memInsert(o, o.shares(), sh.ShareID, sh, func() error { return o.checkShareOwner(sh) })
}

func (o *memOps) checkShareOwner(sh *Share) error {
	if _, ok := o.s.users[sh.Username]; !ok {
		return notFound("user", sh.Username)
	}
	return nil
}

func (o *memOps) UpdateShare(ctx context.Context, sh *Share) error {
	return memReplace(o, o.shares(), sh.ShareID, sh, func() error { return o.checkShareOwner(sh) }, nil)
}

func (o *memOps) DeleteShare(ctx context.Context, shareID string) error {
	return memRemove(o, o.shares(), shareID)
}

func (o *memOps) GetSection(ctx context.Context, name string) ([]byte, error) {
	return slices.Clone(o.s.sections[name]), nil
}

func (o *memOps) SetSection(ctx context.Context, name string, data []byte) error {
	if len(data) == 0 {
		delete(o.s.sections, name)
		o.touch("sections", name)
		return nil
	}
	o.s.sections[name] = slices.Clone(data)
	o.touch("sections", name)
	return nil
}
