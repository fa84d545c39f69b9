package dataprovider

import "context"

var rolesTable = sqlTable{"roles", "name", "role"}

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
	if err := o.readDoc(ctx, rolesTable, name, &r, ", id", &id); err != nil {
		return Role{}, err
	}
	r.ID, r.Name = id, name
	return r, nil
}

func (o *sqlOps) ListRoles(ctx context.Context, limit, offset int, desc bool) ([]Role, error) {
	return sqlList(ctx, o, rolesTable, limit, offset, desc, o.GetRole)
}

func (o *sqlOps) AddRole(ctx context.Context, r *Role) error {
	return o.write(ctx, func(o *sqlOps) error {
		doc, err := roleDoc(r)
		if err != nil {
			return err
		}
		id, err := o.insertNew(ctx, rolesTable, r.Name, "INSERT INTO {p}roles (name, data) VALUES (?, ?)", r.Name, doc)
		if err == nil {
			r.ID = id
		}
		return err
	})
}

func (o *sqlOps) UpdateRole(ctx context.Context, r *Role) error {
	return o.write(ctx, func(o *sqlOps) error {
		doc, err := roleDoc(r)
		if err != nil {
			return err
		}
		id, err := o.updateDoc(ctx, rolesTable, r.Name, doc, "")
		if err == nil {
			r.ID = id
		}
		return err
	})
}

func (o *sqlOps) DeleteRole(ctx context.Context, name string) error {
	return o.write(ctx, func(o *sqlOps) error { return o.deleteKey(ctx, rolesTable, name) })
}
