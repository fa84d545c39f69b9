package dataprovider

// memTable describes one object table of the memory driver, so every
// kind of object is read, added, replaced and removed by one piece of
// code: the same not-found and conflict errors, ID sequence and record of
// written keys for persistence.
type memTable[T any] struct {
	rows  map[string]T
	kind  string          // named in errors: "admin", "API key"
	dirty string          // the key's kind for persistence: "admins"
	seq   string          // ID sequence; "" for objects without an ID
	id    func(*T) *int64 // the object's ID field; nil without one
	// stored returns the copy kept in the table (derived fields dropped);
	// loaded what a read returns. Both default to deepCopy.
	stored func(T) T
	loaded func(T) T
}

func (t memTable[T]) store(v T) T {
	if t.stored != nil {
		return t.stored(v)
	}
	return deepCopy(v)
}

func (t memTable[T]) load(v T) T {
	if t.loaded != nil {
		return t.loaded(v)
	}
	return deepCopy(v)
}

func memGet[T any](t memTable[T], key string) (T, error) {
	v, ok := t.rows[key]
	if !ok {
		var zero T
		return zero, notFound(t.kind, key)
	}
	return t.load(v), nil
}

func memList[T any](t memTable[T], limit, offset int, desc bool) []T {
	var out []T
	for _, k := range page(t.rows, limit, offset, desc) {
		out = append(out, t.load(t.rows[k]))
	}
	return out
}

// memInsert adds v under key once check (the object's references) holds,
// giving it the next ID of the table's sequence.
func memInsert[T any](o *memOps, t memTable[T], key string, v *T, check func() error) error {
	if _, ok := t.rows[key]; ok {
		return conflict(t.kind, key)
	}
	if check != nil {
		if err := check(); err != nil {
			return err
		}
	}
	if t.id != nil {
		*t.id(v) = o.nextID(t.seq)
	}
	t.rows[key] = t.store(*v)
	o.touch(t.dirty, key)
	return nil
}

// memReplace replaces the object under key by v once check holds. v gets
// the stored object's ID; keep copies into the new stored copy what an
// update does not change (usage counters, last login).
func memReplace[T any](o *memOps, t memTable[T], key string, v *T, check func() error, keep func(old T, stored *T)) error {
	old, ok := t.rows[key]
	if !ok {
		return notFound(t.kind, key)
	}
	if check != nil {
		if err := check(); err != nil {
			return err
		}
	}
	if t.id != nil {
		*t.id(v) = *t.id(&old)
	}
	c := t.store(*v)
	if keep != nil {
		keep(old, &c)
	}
	t.rows[key] = c
	o.touch(t.dirty, key)
	return nil
}

// memModify changes the stored object under key in place (counters).
func memModify[T any](o *memOps, t memTable[T], key string, fn func(*T)) error {
	v, ok := t.rows[key]
	if !ok {
		return notFound(t.kind, key)
	}
	fn(&v)
	t.rows[key] = v
	o.touch(t.dirty, key)
	return nil
}

// memRemove deletes the object under key.
func memRemove[T any](o *memOps, t memTable[T], key string) error {
	if _, ok := t.rows[key]; !ok {
		return notFound(t.kind, key)
	}
	delete(t.rows, key)
	o.touch(t.dirty, key)
	return nil
}

// memRemoveWhere deletes every object of t that match selects (the
// objects owned by a deleted one).
func memRemoveWhere[T any](o *memOps, t memTable[T], match func(T) bool) {
	for k, v := range t.rows {
		if match(v) {
			delete(t.rows, k)
			o.touch(t.dirty, k)
		}
	}
}

func (o *memOps) users() memTable[User] {
	return memTable[User]{rows: o.s.users, kind: "user", dirty: "users", seq: "users",
		id: func(u *User) *int64 { return &u.ID },
		stored: func(u User) User {
			c := deepCopy(u)
			c.VirtualFolders = folderMappings(c.VirtualFolders)
			return c
		},
		loaded: func(u User) User {
			c := deepCopy(u)
			c.VirtualFolders = o.resolveFolders(c.VirtualFolders)
			return c
		}}
}

func (o *memOps) groups() memTable[Group] {
	return memTable[Group]{rows: o.s.groups, kind: "group", dirty: "groups", seq: "groups",
		id: func(g *Group) *int64 { return &g.ID },
		stored: func(g Group) Group {
			c := deepCopy(g)
			c.VirtualFolders = folderMappings(c.VirtualFolders)
			c.Users, c.Admins = nil, nil
			return c
		},
		loaded: o.loadGroup}
}

func (o *memOps) folders() memTable[BaseVirtualFolder] {
	return memTable[BaseVirtualFolder]{rows: o.s.folders, kind: "folder", dirty: "folders", seq: "folders",
		id: func(f *BaseVirtualFolder) *int64 { return &f.ID },
		stored: func(f BaseVirtualFolder) BaseVirtualFolder {
			c := deepCopy(f)
			c.Users, c.Groups = nil, nil
			return c
		},
		loaded: o.loadFolder}
}

func (o *memOps) admins() memTable[Admin] {
	return memTable[Admin]{rows: o.s.admins, kind: "admin", dirty: "admins", seq: "admins",
		id: func(a *Admin) *int64 { return &a.ID }}
}

func (o *memOps) apiKeys() memTable[APIKey] {
	return memTable[APIKey]{rows: o.s.apiKeys, kind: "API key", dirty: "apiKeys", seq: "api_keys",
		id: func(k *APIKey) *int64 { return &k.ID }, stored: cloneAPIKey, loaded: cloneAPIKey}
}

func (o *memOps) shares() memTable[Share] {
	return memTable[Share]{rows: o.s.shares, kind: "share", dirty: "shares"}
}
