package dataprovider

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
)

// The memory and bolt drivers keep roles as JSON documents in the
// sections map under "role:<name>", so the bolt file persists them with
// the other sections.
const memRolePrefix = "role:"

func (o *memOps) GetRole(ctx context.Context, name string) (Role, error) {
	b, ok := o.s.sections[memRolePrefix+name]
	if !ok {
		return Role{}, notFound("role", name)
	}
	var r Role
	if err := json.Unmarshal(b, &r); err != nil {
		return Role{}, err
	}
	return r, nil
}

func (o *memOps) ListRoles(ctx context.Context, limit, offset int, desc bool) ([]Role, error) {
	var names []string
	for k := range o.s.sections {
		if n, ok := strings.CutPrefix(k, memRolePrefix); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if desc {
		for i, j := 0, len(names)-1; i < j; i, j = i+1, j-1 {
			names[i], names[j] = names[j], names[i]
		}
	}
	if offset >= len(names) {
		return nil, nil
	}
	names = names[offset:]
	if limit > 0 && len(names) > limit {
		names = names[:limit]
	}
	out := make([]Role, 0, len(names))
	for _, n := range names {
		r, err := o.GetRole(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (o *memOps) putRole(r *Role) error {
	c := *r
	c.Users, c.Admins = nil, nil
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	k := memRolePrefix + r.Name
	o.s.sections[k] = b
	o.touch("sections", k)
	return nil
}

func (o *memOps) AddRole(ctx context.Context, r *Role) error {
	if _, ok := o.s.sections[memRolePrefix+r.Name]; ok {
		return conflict("role", r.Name)
	}
	r.ID = o.nextID("roles")
	return o.putRole(r)
}

func (o *memOps) UpdateRole(ctx context.Context, r *Role) error {
	old, err := o.GetRole(ctx, r.Name)
	if err != nil {
		return err
	}
	r.ID = old.ID
	return o.putRole(r)
}

func (o *memOps) DeleteRole(ctx context.Context, name string) error {
	k := memRolePrefix + name
	if _, ok := o.s.sections[k]; !ok {
		return notFound("role", name)
	}
	delete(o.s.sections, k)
	o.touch("sections", k)
	return nil
}

func (d *memDriver) GetRole(ctx context.Context, name string) (r Role, err error) {
	err = d.read(func(o *memOps) error { r, err = o.GetRole(ctx, name); return err })
	return r, err
}
func (d *memDriver) ListRoles(ctx context.Context, limit, offset int, desc bool) (r []Role, err error) {
	err = d.read(func(o *memOps) error { r, err = o.ListRoles(ctx, limit, offset, desc); return err })
	return r, err
}
func (d *memDriver) AddRole(ctx context.Context, r *Role) error {
	return d.write(func(o *memOps) error { return o.AddRole(ctx, r) })
}
func (d *memDriver) UpdateRole(ctx context.Context, r *Role) error {
	return d.write(func(o *memOps) error { return o.UpdateRole(ctx, r) })
}
func (d *memDriver) DeleteRole(ctx context.Context, name string) error {
	return d.write(func(o *memOps) error { return o.DeleteRole(ctx, name) })
}
