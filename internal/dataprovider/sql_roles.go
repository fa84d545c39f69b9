package dataprovider

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// roleDoc is the stored JSON of a role: everything but the id and the
// members, which are not stored.
func roleDoc(r *Role) (string, error) {
	c := *r
	c.ID, c.Users, c.Admins = 0, nil, nil
	return toJSON(c)
}

func (o *sqlOps) GetRole(ctx context.Context, name string) (Role, error) {
	var r Role
	var id int64
	var data string
	err := o.queryRow(ctx, "SELECT id, data FROM {p}roles WHERE name = ?", name).Scan(&id, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFound("role", name)
	}
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return r, fmt.Errorf("role %q: decode: %w", name, err)
	}
	r.ID, r.Name = id, name
	return r, nil
}

func (o *sqlOps) ListRoles(ctx context.Context, limit, offset int, desc bool) ([]Role, error) {
	names, err := o.names(ctx, "roles", "name", limit, offset, desc)
	if err != nil {
		return nil, err
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

func (o *sqlOps) AddRole(ctx context.Context, r *Role) error {
	return o.write(ctx, func(o *sqlOps) error {
		if ok, err := o.exists(ctx, "roles", "name", r.Name); err != nil || ok {
			if ok {
				return conflict("role", r.Name)
			}
			return err
		}
		doc, err := roleDoc(r)
		if err != nil {
			return err
		}
		id, err := o.insertID(ctx, "INSERT INTO {p}roles (name, data) VALUES (?, ?)", r.Name, doc)
		if err != nil {
			return err
		}
		r.ID = id
		return nil
	})
}

func (o *sqlOps) UpdateRole(ctx context.Context, r *Role) error {
	return o.write(ctx, func(o *sqlOps) error {
		id, err := o.idOf(ctx, "role", "roles", "name", r.Name)
		if err != nil {
			return err
		}
		doc, err := roleDoc(r)
		if err != nil {
			return err
		}
		r.ID = id
		_, err = o.exec(ctx, "UPDATE {p}roles SET data = ? WHERE id = ?", doc, id)
		return err
	})
}

func (o *sqlOps) DeleteRole(ctx context.Context, name string) error {
	return o.write(ctx, func(o *sqlOps) error { return o.deleteByKey(ctx, "role", "roles", "name", name) })
}
