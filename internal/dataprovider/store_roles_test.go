package dataprovider

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// TestRoleStorage: role CRUD on every driver; users and admins must name
// an existing role, a role admin cannot hold global permissions, a role
// in use cannot be deleted, and the members are listed.
func TestRoleStorage(t *testing.T) {
	ctx := context.Background()
	forEachDriver(t, func(t *testing.T, s *Store) {
		r := Role{Name: "auditors", Description: "read only"}
		must(t, s.AddRole(ctx, &r))
		if r.ID == 0 || r.CreatedAt == 0 || r.UpdatedAt == 0 {
			t.Fatalf("stored role %+v", r)
		}
		if err := s.AddRole(ctx, &Role{Name: "auditors"}); !errors.Is(err, ErrConflict) {
			t.Fatalf("duplicate role: %v", err)
		}
		if err := s.AddRole(ctx, &Role{Name: "a/b"}); !errors.Is(err, ErrValidation) {
			t.Fatalf("bad name: %v", err)
		}
		must(t, s.AddRole(ctx, &Role{Name: "backup"}))

		u := newUser("ann")
		u.Role = "nope"
		if err := s.AddUser(ctx, &u); !errors.Is(err, ErrValidation) {
			t.Fatalf("user with a missing role: %v", err)
		}
		u.Role = "auditors"
		must(t, s.AddUser(ctx, &u))
		a := Admin{Username: "lead", Password: "Lead-pass-1234", Status: 1, Role: "auditors",
			Permissions: []string{AdminPermManageAdmins}}
		if err := s.AddAdmin(ctx, &a); !errors.Is(err, ErrValidation) {
			t.Fatalf("role admin with manage_admins: %v", err)
		}
		a.Permissions = []string{AdminPermAddUsers, AdminPermViewUsers}
		must(t, s.AddAdmin(ctx, &a))

		got, err := s.GetRole(ctx, "auditors")
		must(t, err)
		if got.Description != "read only" || !slices.Equal(got.Users, []string{"ann"}) || !slices.Equal(got.Admins, []string{"lead"}) {
			t.Fatalf("role %+v", got)
		}
		got.Description = "changed"
		got.Users = []string{"ignored"}
		must(t, s.UpdateRole(ctx, &got))
		if got.Description != "changed" || got.CreatedAt != r.CreatedAt || got.ID != r.ID {
			t.Fatalf("updated role %+v (was %+v)", got, r)
		}
		if err := s.UpdateRole(ctx, &Role{Name: "ghost"}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("update missing role: %v", err)
		}
		list, err := s.ListRoles(ctx, 10, 0, "DESC")
		must(t, err)
		if len(list) != 2 || list[0].Name != "backup" || list[1].Name != "auditors" || len(list[1].Users) != 1 {
			t.Fatalf("roles %+v", list)
		}
		if list, _ = s.ListRoles(ctx, 1, 1, "ASC"); len(list) != 1 || list[0].Name != "backup" {
			t.Fatalf("paged roles %+v", list)
		}
		if err := s.DeleteRole(ctx, "auditors"); !errors.Is(err, ErrConflict) {
			t.Fatalf("delete role in use: %v", err)
		}
		must(t, s.DeleteUser(ctx, "ann"))
		must(t, s.DeleteAdmin(ctx, "lead"))
		must(t, s.DeleteRole(ctx, "auditors"))
		if _, err := s.GetRole(ctx, "auditors"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleted role: %v", err)
		}
		if err := s.DeleteRole(ctx, "auditors"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
	})
}

// TestRolesDumpRestore: roles are dumped and restored before the users
// and admins that name them.
func TestRolesDumpRestore(t *testing.T) {
	ctx := context.Background()
	forEachDriver(t, func(t *testing.T, s *Store) {
		u := newUser("ben")
		u.Role = "ops"
		data := &BackupData{Roles: []Role{{Name: "ops", Description: "operators", CreatedAt: 1700000000000, UpdatedAt: 1700000000001}},
			Users: []User{u}}
		must(t, s.Restore(ctx, data, RestoreModeAddUpdate))
		r, err := s.GetRole(ctx, "ops")
		must(t, err)
		if r.Description != "operators" || r.CreatedAt != 1700000000000 || !slices.Equal(r.Users, []string{"ben"}) {
			t.Fatalf("restored role %+v", r)
		}
		d, err := s.Dump(ctx)
		must(t, err)
		if len(d.Roles) != 1 || d.Roles[0].Name != "ops" || d.Roles[0].Users != nil {
			t.Fatalf("dumped roles %+v", d.Roles)
		}
	})
}

// TestRoleSectionImported: roles an older build kept in the opaque
// backup section move into the store when the schema is migrated, and
// back into the section on a revert below version 7.
func TestRoleSectionImported(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, "sqlite")
	must(t, s.Revert(ctx, 5))
	must(t, s.driver.SetSection(ctx, sectionRoles, []byte(`[{"id":1,"name":"legacy","description":"old","created_at":5,"updated_at":6}]`)))
	must(t, s.Migrate(ctx))
	r, err := s.GetRole(ctx, "legacy")
	must(t, err)
	if r.Description != "old" || r.CreatedAt != 5 {
		t.Fatalf("imported role %+v", r)
	}
	if b, _ := s.driver.GetSection(ctx, sectionRoles); len(b) != 0 {
		t.Fatalf("section left behind: %s", b)
	}
	must(t, s.Revert(ctx, 6))
	if b, _ := s.driver.GetSection(ctx, sectionRoles); len(b) == 0 {
		t.Fatal("roles lost on revert")
	}
	must(t, s.Migrate(ctx))
	if _, err := s.GetRole(ctx, "legacy"); err != nil {
		t.Fatal(err)
	}
}
