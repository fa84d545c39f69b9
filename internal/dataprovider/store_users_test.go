package dataprovider

import (
	"context"
	"errors"
	"testing"
)

func TestUserCRUD(t *testing.T) {
	ctx := context.Background()
	forEachDriver(t, func(t *testing.T, s *Store) {
		u := newUser("alice")
		if err := s.AddUser(ctx, &u); err != nil {
			t.Fatalf("add: %v", err)
		}
		if u.ID == 0 || u.CreatedAt == 0 || u.Password == "secret-alice" || !u.HasPassword {
			t.Fatalf("stored user not filled: %+v", u)
		}
		dup := newUser("alice")
		if err := s.AddUser(ctx, &dup); !errors.Is(err, ErrConflict) {
			t.Fatalf("duplicate add: want ErrConflict, got %v", err)
		}
		got, err := s.GetUser(ctx, "alice")
		if err != nil || got.HomeDir != "/srv/sftp/alice" {
			t.Fatalf("get: %v %+v", err, got)
		}
		if _, err := s.CheckUserPassword(ctx, "alice", "secret-alice"); err != nil {
			t.Fatalf("password check: %v", err)
		}
		if _, err := s.CheckUserPassword(ctx, "alice", "wrong"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
		// update without password keeps the hash
		got.Password = ""
		got.QuotaSize = 100
		if err := s.UpdateUser(ctx, &got); err != nil {
			t.Fatalf("update: %v", err)
		}
		if _, err := s.CheckUserPassword(ctx, "alice", "secret-alice"); err != nil {
			t.Fatalf("password after update: %v", err)
		}
		got.Password = "new-password"
		if err := s.UpdateUser(ctx, &got); err != nil {
			t.Fatalf("update password: %v", err)
		}
		if _, err := s.CheckUserPassword(ctx, "alice", "secret-alice"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("old password still accepted after change: %v", err)
		}
		if _, err := s.CheckUserPassword(ctx, "alice", "new-password"); err != nil {
			t.Fatalf("new password: %v", err)
		}
		missing := newUser("bob")
		if err := s.UpdateUser(ctx, &missing); !errors.Is(err, ErrNotFound) {
			t.Fatalf("update missing: %v", err)
		}
		list, err := s.ListUsers(ctx, 10, 0, "ASC")
		if err != nil || len(list) != 1 {
			t.Fatalf("list: %v %d", err, len(list))
		}
		if err := s.DeleteUser(ctx, "alice"); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if _, err := s.GetUser(ctx, "alice"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get deleted: %v", err)
		}
		if err := s.DeleteUser(ctx, "alice"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
		if _, err := s.CheckUserPassword(ctx, "alice", "new-password"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("deleted user authenticated: %v", err)
		}
	})
}

func TestAdminCRUD(t *testing.T) {
	ctx := context.Background()
	forEachDriver(t, func(t *testing.T, s *Store) {
		if has, err := s.HasAdmin(ctx); err != nil || has {
			t.Fatalf("has admin on empty store: %v %v", has, err)
		}
		if err := s.EnsureDefaultAdmin(ctx, "admin", "password"); err != nil {
			t.Fatalf("default admin: %v", err)
		}
		if err := s.EnsureDefaultAdmin(ctx, "other", "password"); err != nil {
			t.Fatalf("default admin twice: %v", err)
		}
		if _, err := s.GetAdmin(ctx, "other"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second default admin created: %v", err)
		}
		a, err := s.CheckAdminPassword(ctx, "admin", "password")
		if err != nil || !a.HasPermission(AdminPermManageSystem) {
			t.Fatalf("check admin: %v %+v", err, a)
		}
		noPwd := Admin{Username: "nopwd", Status: 1, Permissions: []string{AdminPermViewUsers}}
		if err := s.AddAdmin(ctx, &noPwd); !errors.Is(err, ErrValidation) {
			t.Fatalf("admin without password: %v", err)
		}
		bad := Admin{Username: "bad", Password: "x", Status: 1, Permissions: []string{"fly"}}
		if err := s.AddAdmin(ctx, &bad); !errors.Is(err, ErrValidation) {
			t.Fatalf("admin bad perm: %v", err)
		}
		if err := s.AddAdmin(ctx, &Admin{Username: "admin", Password: "x", Status: 1, Permissions: []string{"*"}}); !errors.Is(err, ErrConflict) {
			t.Fatalf("duplicate admin: %v", err)
		}
		if err := s.UpdateAdmin(ctx, &Admin{Username: "ghost", Status: 1, Permissions: []string{"*"}}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("update missing admin: %v", err)
		}
		if err := s.DeleteAdmin(ctx, "ghost"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("delete missing admin: %v", err)
		}
		a.Password = ""
		a.Permissions = []string{AdminPermViewUsers, AdminPermAddUsers}
		if err := s.UpdateAdmin(ctx, &a); err != nil {
			t.Fatalf("update admin: %v", err)
		}
		a2, err := s.CheckAdminPassword(ctx, "admin", "password")
		if err != nil || a2.HasPermission(AdminPermManageSystem) || !a2.HasPermission(AdminPermAddUsers) {
			t.Fatalf("after update: %v %+v", err, a2)
		}
		if err := s.DeleteAdmin(ctx, "admin"); err != nil {
			t.Fatalf("delete admin: %v", err)
		}
		if _, err := s.CheckAdminPassword(ctx, "admin", "password"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("deleted admin: %v", err)
		}
	})
}
