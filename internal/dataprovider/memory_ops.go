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
	u, ok := o.s.users[username]
	if !ok {
		return User{}, notFound("user", username)
	}
	u = deepCopy(u)
	u.VirtualFolders = o.resolveFolders(u.VirtualFolders)
	return u, nil
}

func (o *memOps) ListUsers(ctx context.Context, limit, offset int, desc bool) ([]User, error) {
	var out []User
	for _, k := range page(o.s.users, limit, offset, desc) {
		u, _ := o.GetUser(ctx, k)
		out = append(out, u)
	}
	return out, nil
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
	if _, ok := o.s.users[u.Username]; ok {
		return conflict("user", u.Username)
	}
	if err := o.checkUserRefs(u); err != nil {
		return err
	}
	u.ID = o.nextID("users")
	c := deepCopy(*u)
	c.VirtualFolders = folderMappings(c.VirtualFolders)
	o.s.users[u.Username] = c
	o.touch("users", u.Username)
	return nil
}

func (o *memOps) UpdateUser(ctx context.Context, u *User) error {
	old, ok := o.s.users[u.Username]
	if !ok {
		return notFound("user", u.Username)
	}
	if err := o.checkUserRefs(u); err != nil {
		return err
	}
	c := deepCopy(*u)
	c.ID = old.ID
	c.VirtualFolders = folderMappings(c.VirtualFolders)
	copyUserCounters(&c, &old)
	u.ID = old.ID
	o.s.users[u.Username] = c
	o.touch("users", u.Username)
	return nil
}

// copyUserCounters copies the usage counters from src to dst.
func copyUserCounters(dst, src *User) {
	dst.UsedQuotaSize, dst.UsedQuotaFiles, dst.LastQuotaUpdate = src.UsedQuotaSize, src.UsedQuotaFiles, src.LastQuotaUpdate
	dst.UsedUploadDataTransfer, dst.UsedDownloadDataTransfer = src.UsedUploadDataTransfer, src.UsedDownloadDataTransfer
	dst.LastLogin, dst.FirstDownload, dst.FirstUpload = src.LastLogin, src.FirstDownload, src.FirstUpload
}

func (o *memOps) DeleteUser(ctx context.Context, username string) error {
	if _, ok := o.s.users[username]; !ok {
		return notFound("user", username)
	}
	delete(o.s.users, username)
	o.touch("users", username)
	for id, k := range o.s.apiKeys {
		if k.User == username {
			delete(o.s.apiKeys, id)
			o.touch("apiKeys", id)
		}
	}
	for id, sh := range o.s.shares {
		if sh.Username == username {
			delete(o.s.shares, id)
			o.touch("shares", id)
		}
	}
	return nil
}

func (o *memOps) UpdateUserQuota(ctx context.Context, username string, size int64, files int, reset bool) error {
	u, ok := o.s.users[username]
	if !ok {
		return notFound("user", username)
	}
	if reset {
		u.UsedQuotaSize, u.UsedQuotaFiles = size, files
	} else {
		u.UsedQuotaSize = addCounter(u.UsedQuotaSize, size)
		u.UsedQuotaFiles = addCounter(u.UsedQuotaFiles, files)
	}
	u.LastQuotaUpdate = nowMillis()
	o.s.users[username] = u
	o.touch("users", username)
	return nil
}

func (o *memOps) UpdateUserTransferQuota(ctx context.Context, username string, ul, dl int64, reset bool) error {
	u, ok := o.s.users[username]
	if !ok {
		return notFound("user", username)
	}
	if reset {
		u.UsedUploadDataTransfer, u.UsedDownloadDataTransfer = ul, dl
	} else {
		u.UsedUploadDataTransfer = addCounter(u.UsedUploadDataTransfer, ul)
		u.UsedDownloadDataTransfer = addCounter(u.UsedDownloadDataTransfer, dl)
	}
	u.LastQuotaUpdate = nowMillis()
	o.s.users[username] = u
	o.touch("users", username)
	return nil
}

func (o *memOps) SetUserLastLogin(ctx context.Context, username string, at int64) error {
	u, ok := o.s.users[username]
	if !ok {
		return notFound("user", username)
	}
	u.LastLogin = at
	o.s.users[username] = u
	o.touch("users", username)
	return nil
}

func (o *memOps) GetGroup(ctx context.Context, name string) (Group, error) {
	g, ok := o.s.groups[name]
	if !ok {
		return Group{}, notFound("group", name)
	}
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
	return g, nil
}

func (o *memOps) ListGroups(ctx context.Context, limit, offset int, desc bool) ([]Group, error) {
	var out []Group
	for _, k := range page(o.s.groups, limit, offset, desc) {
		g, _ := o.GetGroup(ctx, k)
		out = append(out, g)
	}
	return out, nil
}

func (o *memOps) AddGroup(ctx context.Context, g *Group) error {
	if _, ok := o.s.groups[g.Name]; ok {
		return conflict("group", g.Name)
	}
	if err := o.checkFolders(g.VirtualFolders); err != nil {
		return err
	}
	g.ID = o.nextID("groups")
	c := deepCopy(*g)
	c.VirtualFolders = folderMappings(c.VirtualFolders)
	c.Users, c.Admins = nil, nil
	o.s.groups[g.Name] = c
	o.touch("groups", g.Name)
	return nil
}

func (o *memOps) UpdateGroup(ctx context.Context, g *Group) error {
	old, ok := o.s.groups[g.Name]
	if !ok {
		return notFound("group", g.Name)
	}
	if err := o.checkFolders(g.VirtualFolders); err != nil {
		return err
	}
	g.ID = old.ID
	c := deepCopy(*g)
	c.VirtualFolders = folderMappings(c.VirtualFolders)
	c.Users, c.Admins = nil, nil
	o.s.groups[g.Name] = c
	o.touch("groups", g.Name)
	return nil
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
	f, ok := o.s.folders[name]
	if !ok {
		return BaseVirtualFolder{}, notFound("folder", name)
	}
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
	return f, nil
}

func (o *memOps) ListFolders(ctx context.Context, limit, offset int, desc bool) ([]BaseVirtualFolder, error) {
	var out []BaseVirtualFolder
	for _, k := range page(o.s.folders, limit, offset, desc) {
		f, _ := o.GetFolder(ctx, k)
		out = append(out, f)
	}
	return out, nil
}

func (o *memOps) AddFolder(ctx context.Context, f *BaseVirtualFolder) error {
	if _, ok := o.s.folders[f.Name]; ok {
		return conflict("folder", f.Name)
	}
	f.ID = o.nextID("folders")
	c := deepCopy(*f)
	c.Users, c.Groups = nil, nil
	o.s.folders[f.Name] = c
	o.touch("folders", f.Name)
	return nil
}

func (o *memOps) UpdateFolder(ctx context.Context, f *BaseVirtualFolder) error {
	old, ok := o.s.folders[f.Name]
	if !ok {
		return notFound("folder", f.Name)
	}
	f.ID = old.ID
	c := deepCopy(*f)
	c.Users, c.Groups = nil, nil
	c.UsedQuotaSize, c.UsedQuotaFiles, c.LastQuotaUpdate = old.UsedQuotaSize, old.UsedQuotaFiles, old.LastQuotaUpdate
	o.s.folders[f.Name] = c
	o.touch("folders", f.Name)
	return nil
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
	f, ok := o.s.folders[name]
	if !ok {
		return notFound("folder", name)
	}
	if reset {
		f.UsedQuotaSize, f.UsedQuotaFiles = size, files
	} else {
		f.UsedQuotaSize = addCounter(f.UsedQuotaSize, size)
		f.UsedQuotaFiles = addCounter(f.UsedQuotaFiles, files)
	}
	f.LastQuotaUpdate = nowMillis()
	o.s.folders[name] = f
	o.touch("folders", name)
	return nil
}

func (o *memOps) GetAdmin(ctx context.Context, username string) (Admin, error) {
	a, ok := o.s.admins[username]
	if !ok {
		return Admin{}, notFound("admin", username)
	}
	return deepCopy(a), nil
}

func (o *memOps) ListAdmins(ctx context.Context, limit, offset int, desc bool) ([]Admin, error) {
	var out []Admin
	for _, k := range page(o.s.admins, limit, offset, desc) {
		out = append(out, deepCopy(o.s.admins[k]))
	}
	return out, nil
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
	if _, ok := o.s.admins[a.Username]; ok {
		return conflict("admin", a.Username)
	}
	if err := o.checkAdminGroups(a); err != nil {
		return err
	}
	a.ID = o.nextID("admins")
	o.s.admins[a.Username] = deepCopy(*a)
	o.touch("admins", a.Username)
	return nil
}

func (o *memOps) UpdateAdmin(ctx context.Context, a *Admin) error {
	old, ok := o.s.admins[a.Username]
	if !ok {
		return notFound("admin", a.Username)
	}
	if err := o.checkAdminGroups(a); err != nil {
		return err
	}
	a.ID = old.ID
	c := deepCopy(*a)
	c.LastLogin = old.LastLogin
	o.s.admins[a.Username] = c
	o.touch("admins", a.Username)
	return nil
}

func (o *memOps) DeleteAdmin(ctx context.Context, username string) error {
	if _, ok := o.s.admins[username]; !ok {
		return notFound("admin", username)
	}
	delete(o.s.admins, username)
	o.touch("admins", username)
	for id, k := range o.s.apiKeys {
		if k.Admin == username {
			delete(o.s.apiKeys, id)
			o.touch("apiKeys", id)
		}
	}
	return nil
}

func (o *memOps) CountAdmins(ctx context.Context) (int, error) { return len(o.s.admins), nil }

func (o *memOps) SetAdminLastLogin(ctx context.Context, username string, at int64) error {
	a, ok := o.s.admins[username]
	if !ok {
		return notFound("admin", username)
	}
	a.LastLogin = at
	o.s.admins[username] = a
	o.touch("admins", username)
	return nil
}

// cloneAPIKey keeps the ID, which is not part of the JSON form.
func cloneAPIKey(k APIKey) APIKey {
	c := deepCopy(k)
	c.ID = k.ID
	return c
}

func (o *memOps) GetAPIKey(ctx context.Context, keyID string) (APIKey, error) {
	k, ok := o.s.apiKeys[keyID]
	if !ok {
		return APIKey{}, notFound("API key", keyID)
	}
	return cloneAPIKey(k), nil
}

func (o *memOps) ListAPIKeys(ctx context.Context, limit, offset int, desc bool) ([]APIKey, error) {
	var out []APIKey
	for _, k := range page(o.s.apiKeys, limit, offset, desc) {
		out = append(out, cloneAPIKey(o.s.apiKeys[k]))
	}
	return out, nil
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
	if _, ok := o.s.apiKeys[k.KeyID]; ok {
		return conflict("API key", k.KeyID)
	}
	if err := o.checkKeyOwner(k); err != nil {
		return err
	}
	k.ID = o.nextID("api_keys")
	o.s.apiKeys[k.KeyID] = cloneAPIKey(*k)
	o.touch("apiKeys", k.KeyID)
	return nil
}

func (o *memOps) UpdateAPIKey(ctx context.Context, k *APIKey) error {
	old, ok := o.s.apiKeys[k.KeyID]
	if !ok {
		return notFound("API key", k.KeyID)
	}
	if err := o.checkKeyOwner(k); err != nil {
		return err
	}
	k.ID = old.ID
	c := cloneAPIKey(*k)
	c.LastUseAt = old.LastUseAt
	o.s.apiKeys[k.KeyID] = c
	o.touch("apiKeys", k.KeyID)
	return nil
}

func (o *memOps) DeleteAPIKey(ctx context.Context, keyID string) error {
	if _, ok := o.s.apiKeys[keyID]; !ok {
		return notFound("API key", keyID)
	}
	delete(o.s.apiKeys, keyID)
	o.touch("apiKeys", keyID)
	return nil
}

func (o *memOps) SetAPIKeyLastUse(ctx context.Context, keyID string, at int64) error {
	k, ok := o.s.apiKeys[keyID]
	if !ok {
		return notFound("API key", keyID)
	}
	k.LastUseAt = at
	o.s.apiKeys[keyID] = k
	o.touch("apiKeys", keyID)
	return nil
}

func (o *memOps) GetShare(ctx context.Context, shareID string) (Share, error) {
	sh, ok := o.s.shares[shareID]
	if !ok {
		return Share{}, notFound("share", shareID)
	}
	return deepCopy(sh), nil
}

func (o *memOps) ListShares(ctx context.Context, limit, offset int, desc bool) ([]Share, error) {
	var out []Share
	for _, k := range page(o.s.shares, limit, offset, desc) {
		out = append(out, deepCopy(o.s.shares[k]))
	}
	return out, nil
}

func (o *memOps) AddShare(ctx context.Context, sh *Share) error {
	if _, ok := o.s.shares[sh.ShareID]; ok {
		return conflict("share", sh.ShareID)
	}
	if _, ok := o.s.users[sh.Username]; !ok {
		return notFound("user", sh.Username)
	}
	o.s.shares[sh.ShareID] = deepCopy(*sh)
	o.touch("shares", sh.ShareID)
	return nil
}

func (o *memOps) UpdateShare(ctx context.Context, sh *Share) error {
	if _, ok := o.s.shares[sh.ShareID]; !ok {
		return notFound("share", sh.ShareID)
	}
	if _, ok := o.s.users[sh.Username]; !ok {
		return notFound("user", sh.Username)
	}
	o.s.shares[sh.ShareID] = deepCopy(*sh)
	o.touch("shares", sh.ShareID)
	return nil
}

func (o *memOps) DeleteShare(ctx context.Context, shareID string) error {
	if _, ok := o.s.shares[shareID]; !ok {
		return notFound("share", shareID)
	}
	delete(o.s.shares, shareID)
	o.touch("shares", shareID)
	return nil
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
