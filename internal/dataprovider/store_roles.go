package dataprovider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// roleOps stores roles; *sqlOps and *memOps implement it, so it works
// inside a transaction too.
type roleOps interface {
	GetRole(ctx context.Context, name string) (Role, error)
	ListRoles(ctx context.Context, limit, offset int, desc bool) ([]Role, error)
	AddRole(ctx context.Context, r *Role) error
	UpdateRole(ctx context.Context, r *Role) error
	DeleteRole(ctx context.Context, name string) error
}

var errNoRoles = errors.New("dataprovider: this driver does not store roles")

func opsRoles(ops Ops) (roleOps, error) {
	if o, ok := ops.(roleOps); ok {
		return o, nil
	}
	return nil, errNoRoles
}

func (s *Store) prepareRole(r *Role, old *Role) error {
	var err error
	if r.Name, err = validateName("name", r.Name, s.cfg.NamingRules); err != nil {
		return err
	}
	if len(r.Description) > 512 {
		return invalid("description", "is longer than 512 bytes")
	}
	r.Users, r.Admins = nil, nil
	now := nowMillis()
	if old != nil {
		r.ID, r.CreatedAt = old.ID, old.CreatedAt
	} else if r.CreatedAt == 0 {
		r.CreatedAt = now
	}
	r.UpdatedAt = now
	return nil
}

// checkRoleExists refuses a user or admin naming a role that does not
// exist.
func checkRoleExists(ctx context.Context, ops Ops, role string) error {
	if role == "" {
		return nil
	}
	ro, err := opsRoles(ops)
	if err != nil {
		return err
	}
	if _, err := ro.GetRole(ctx, role); err != nil {
		if errors.Is(err, ErrNotFound) {
			return invalid("role", "role %q does not exist", role)
		}
		return err
	}
	return nil
}

// AddRole validates and stores a role.
func (s *Store) AddRole(ctx context.Context, r *Role) error {
	c := *r
	if err := s.prepareRole(&c, nil); err != nil {
		return err
	}
	ro, err := opsRoles(s.driver)
	if err != nil {
		return err
	}
	if err := ro.AddRole(ctx, &c); err != nil {
		return err
	}
	stored, err := ro.GetRole(ctx, c.Name)
	if err == nil {
		*r = stored
		s.notifyObjectChange(ctx, ObjectActionAdd, ObjectTypeRole, stored.Name, stored)
	}
	return err
}

// UpdateRole replaces a role's description.
func (s *Store) UpdateRole(ctx context.Context, r *Role) error {
	c := *r
	c.Name = s.name(c.Name)
	var stored Role
	err := s.driver.InTx(ctx, func(ops Ops) error {
		ro, err := opsRoles(ops)
		if err != nil {
			return err
		}
		old, err := ro.GetRole(ctx, c.Name)
		if err != nil {
			return err
		}
		if err := s.prepareRole(&c, &old); err != nil {
			return err
		}
		if err := ro.UpdateRole(ctx, &c); err != nil {
			return err
		}
		stored, err = ro.GetRole(ctx, c.Name)
		return err
	})
	if err == nil {
		*r = stored
		s.notifyObjectChange(ctx, ObjectActionUpdate, ObjectTypeRole, stored.Name, stored)
	}
	return err
}

// DeleteRole removes a role that no user or admin holds (ErrConflict
// otherwise: dropping the role of an admin would lift its limits).
func (s *Store) DeleteRole(ctx context.Context, name string) error {
	name = s.name(name)
	old := s.beforeDelete(ctx, func() (any, error) { return s.GetRole(ctx, name) })
	err := s.driver.InTx(ctx, func(ops Ops) error {
		ro, err := opsRoles(ops)
		if err != nil {
			return err
		}
		if _, err := ro.GetRole(ctx, name); err != nil {
			return err
		}
		users, admins, err := roleMembers(ctx, ops, name)
		if err != nil {
			return err
		}
		if len(users)+len(admins) > 0 {
			return fmt.Errorf("role %q is held by %d users and %d admins: %w", name, len(users), len(admins), ErrConflict)
		}
		return ro.DeleteRole(ctx, name)
	})
	s.afterDelete(ctx, err, ObjectTypeRole, name, old)
	return err
}

// GetRole returns a role with the users and admins that hold it.
func (s *Store) GetRole(ctx context.Context, name string) (Role, error) {
	ro, err := opsRoles(s.driver)
	if err != nil {
		return Role{}, err
	}
	r, err := ro.GetRole(ctx, s.name(name))
	if err != nil {
		return r, err
	}
	r.Users, r.Admins, err = roleMembers(ctx, s.driver, r.Name)
	return r, err
}

// ListRoles pages through roles, each with its users and admins.
func (s *Store) ListRoles(ctx context.Context, limit, offset int, order string) ([]Role, error) {
	desc, err := parseOrder(order)
	if err != nil {
		return nil, err
	}
	ro, err := opsRoles(s.driver)
	if err != nil {
		return nil, err
	}
	roles, err := ro.ListRoles(ctx, limit, max(offset, 0), desc)
	if err != nil || len(roles) == 0 {
		return roles, err
	}
	members, err := allRoleMembers(ctx, s.driver)
	if err != nil {
		return nil, err
	}
	for i := range roles {
		m := members[roles[i].Name]
		roles[i].Users, roles[i].Admins = m.users, m.admins
	}
	return roles, nil
}

type roleHolders struct{ users, admins []string }

// allRoleMembers maps each role to the users and admins holding it.
// Roles are kept in the users' and admins' documents, so this reads them
// all: roles are listed by admins, not on a hot path.
func allRoleMembers(ctx context.Context, ops Ops) (map[string]roleHolders, error) {
	out := map[string]roleHolders{}
	users, err := ops.ListUsers(ctx, 0, 0, false)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if u.Role != "" {
			m := out[u.Role]
			m.users = append(m.users, u.Username)
			out[u.Role] = m
		}
	}
	admins, err := ops.ListAdmins(ctx, 0, 0, false)
	if err != nil {
		return nil, err
	}
	for _, a := range admins {
		if a.Role != "" {
			m := out[a.Role]
			m.admins = append(m.admins, a.Username)
			out[a.Role] = m
		}
	}
	return out, nil
}

func roleMembers(ctx context.Context, ops Ops, name string) (users, admins []string, err error) {
	all, err := allRoleMembers(ctx, ops)
	if err != nil {
		return nil, nil, err
	}
	return all[name].users, all[name].admins, nil
}

// dumpRoles returns every role for a backup (without members: users
// and admins carry their role).
func dumpRoles(ctx context.Context, ops Ops) ([]Role, error) {
	ro, err := opsRoles(ops)
	if err != nil {
		return nil, err
	}
	roles, err := ro.ListRoles(ctx, 0, 0, false)
	if roles == nil {
		roles = []Role{}
	}
	return roles, err
}

// restoreRoles adds or updates the roles of a backup; it runs before
// users and admins, which name them.
func (s *Store) restoreRoles(ctx context.Context, ops Ops, roles []Role, addOnly bool) error {
	ro, err := opsRoles(ops)
	if err != nil {
		return err
	}
	for i := range roles {
		r := roles[i]
		r.Name = s.name(r.Name)
		if err := restoreOne(ctx, "role", r.Name, addOnly,
			func() error { _, err := ro.GetRole(ctx, r.Name); return err },
			func() error {
				created, updated := r.CreatedAt, r.UpdatedAt
				if err := s.prepareRole(&r, nil); err != nil {
					return err
				}
				if updated != 0 {
					r.CreatedAt, r.UpdatedAt = created, updated
				}
				return ro.AddRole(ctx, &r)
			},
			func() error {
				old, err := ro.GetRole(ctx, r.Name)
				if err != nil {
					return err
				}
				if err := s.prepareRole(&r, &old); err != nil {
					return err
				}
				return ro.UpdateRole(ctx, &r)
			}); err != nil {
			return err
		}
	}
	return nil
}

// importRoleSection moves the roles an older build kept verbatim in the
// "roles" backup section into the roles store, then empties the section.
func (s *Store) importRoleSection(ctx context.Context) error {
	return s.driver.InTx(ctx, func(ops Ops) error {
		b, err := ops.GetSection(ctx, sectionRoles)
		if err != nil || len(b) == 0 {
			return err
		}
		var roles []Role
		if err := json.Unmarshal(b, &roles); err != nil {
			return fmt.Errorf("roles section: %w", err)
		}
		if err := s.restoreRoles(ctx, ops, roles, true); err != nil {
			return err
		}
		return ops.SetSection(ctx, sectionRoles, nil)
	})
}

// exportRoleSection is importRoleSection reversed, before the roles
// table goes on a revert below version 7.
func (s *Store) exportRoleSection(ctx context.Context) error {
	return s.driver.InTx(ctx, func(ops Ops) error {
		roles, err := dumpRoles(ctx, ops)
		if err != nil || len(roles) == 0 {
			return err
		}
		b, err := json.Marshal(roles)
		if err != nil {
			return err
		}
		return ops.SetSection(ctx, sectionRoles, b)
	})
}
