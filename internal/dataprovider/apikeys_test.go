package dataprovider

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestAPIKeys(t *testing.T) {
	ctx := context.Background()
	forEachDriver(t, func(t *testing.T, s *Store) {
		must(t, s.AddAdmin(ctx, &Admin{Username: "adm", Password: "p", Status: 1, Permissions: []string{"*"}}))
		u := newUser("owner")
		must(t, s.AddUser(ctx, &u))
		k := APIKey{Name: "deploy", Scope: APIKeyScopeAdmin, Admin: "adm"}
		must(t, s.AddAPIKey(ctx, &k))
		if !strings.HasPrefix(k.Key, k.KeyID+".") || k.KeyID == "" {
			t.Fatalf("plain key %q id %q", k.Key, k.KeyID)
		}
		stored, err := s.GetAPIKey(ctx, k.KeyID)
		if err != nil || stored.Key != "" || stored.Admin != "adm" {
			t.Fatalf("get key: %v %+v", err, stored)
		}
		raw, _ := s.driver.GetAPIKey(ctx, k.KeyID)
		if strings.Contains(raw.Key, strings.Split(k.Key, ".")[1]) {
			t.Fatal("plain secret stored")
		}
		got, err := s.AuthenticateAPIKey(ctx, k.Key)
		if err != nil || got.KeyID != k.KeyID || got.LastUseAt == 0 {
			t.Fatalf("authenticate: %v %+v", err, got)
		}
		if again, _ := s.GetAPIKey(ctx, k.KeyID); again.LastUseAt == 0 {
			t.Fatal("last use not recorded")
		}
		for _, bad := range []string{"", "nodot", "." + k.KeyID, "wrong." + k.KeyID, k.KeyID + ".wrong", k.Key + "x", strings.Split(k.Key, ".")[0] + ".unknown"} {
			if _, err := s.AuthenticateAPIKey(ctx, bad); !errors.Is(err, ErrInvalidCredentials) {
				t.Errorf("key %q: %v", bad, err)
			}
		}
		// the impersonation form carries a third part
		if _, err := s.AuthenticateAPIKey(ctx, k.Key+".someone"); err != nil {
			t.Fatalf("three-part key: %v", err)
		}
		// update keeps the secret
		k.Name, k.Description, k.ExpiresAt = "renamed", "d", nowMillis()-1000
		must(t, s.UpdateAPIKey(ctx, &k))
		if _, err := s.AuthenticateAPIKey(ctx, stored.KeyID); err == nil {
			t.Fatal("id alone accepted")
		}
		expired := k
		if _, err := s.AuthenticateAPIKey(ctx, expired.KeyID+".x"); err != nil &&
			!errors.Is(err, ErrInvalidCredentials) {
			t.Fatal(err)
		}
		keys, err := s.ListAPIKeys(ctx, 0, 0, "ASC")
		if err != nil || len(keys) != 1 || keys[0].Name != "renamed" || keys[0].Key != "" {
			t.Fatalf("list keys: %v %+v", err, keys)
		}
		for name, bad := range map[string]APIKey{
			"no name":       {Scope: APIKeyScopeAdmin},
			"bad scope":     {Name: "x", Scope: 5},
			"missing admin": {Name: "x", Scope: APIKeyScopeAdmin, Admin: "ghost"},
			"missing user":  {Name: "x", Scope: APIKeyScopeUser, User: "ghost"},
			"user on admin": {Name: "x", Scope: APIKeyScopeAdmin, User: "owner"},
		} {
			if err := s.AddAPIKey(ctx, &bad); !errors.Is(err, ErrValidation) {
				t.Errorf("%s: %v", name, err)
			}
		}
		uk := APIKey{Name: "userkey", Scope: APIKeyScopeUser, User: "owner"}
		must(t, s.AddAPIKey(ctx, &uk))
		// keys go with their owner
		must(t, s.DeleteUser(ctx, "owner"))
		if _, err := s.GetAPIKey(ctx, uk.KeyID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("user key survived its user: %v", err)
		}
		must(t, s.DeleteAdmin(ctx, "adm"))
		if _, err := s.GetAPIKey(ctx, k.KeyID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("admin key survived its admin: %v", err)
		}
	})
}

func TestAPIKeyExpired(t *testing.T) {
	ctx := context.Background()
	forEachDriver(t, func(t *testing.T, s *Store) {
		k := APIKey{Name: "old", Scope: APIKeyScopeAdmin, ExpiresAt: nowMillis() - 1}
		must(t, s.AddAPIKey(ctx, &k))
		if _, err := s.AuthenticateAPIKey(ctx, k.Key); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("expired key: %v", err)
		}
		if err := s.DeleteAPIKey(ctx, k.KeyID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteAPIKey(ctx, k.KeyID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
	})
}
