package dataprovider

import (
	"context"
	"errors"
	"testing"
)

func TestShares(t *testing.T) {
	ctx := context.Background()
	forEachDriver(t, func(t *testing.T, s *Store) {
		u := newUser("olga")
		must(t, s.AddUser(ctx, &u))
		sh := Share{Name: "docs", Scope: ShareScopeRead, Paths: []string{"docs/../pub"}, Username: "olga", Password: "pw", MaxTokens: 2}
		must(t, s.AddShare(ctx, &sh))
		if sh.ShareID == "" || sh.Paths[0] != "/pub" || sh.Password == "pw" {
			t.Fatalf("stored share: %+v", sh)
		}
		if err := s.AddShare(ctx, &Share{Name: "x", Scope: 1, Paths: []string{"/"}, Username: "ghost"}); !errors.Is(err, ErrValidation) {
			t.Fatalf("share of a missing user: %v", err)
		}
		if err := s.AddShare(ctx, &Share{Name: "x", Scope: 9, Paths: []string{"/"}, Username: "olga"}); !errors.Is(err, ErrValidation) {
			t.Fatalf("bad scope: %v", err)
		}
		if _, err := s.UseShare(ctx, sh.ShareID, "bad"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("wrong share password: %v", err)
		}
		for i := 0; i < 2; i++ {
			if _, err := s.UseShare(ctx, sh.ShareID, "pw"); err != nil {
				t.Fatalf("use %d: %v", i, err)
			}
		}
		if _, err := s.UseShare(ctx, sh.ShareID, "pw"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("use past max tokens: %v", err)
		}
		sh.Name, sh.Password, sh.MaxTokens = "renamed", "", 0
		must(t, s.UpdateShare(ctx, &sh))
		got, _ := s.GetShare(ctx, sh.ShareID)
		if got.Name != "renamed" || got.UsedTokens != 2 {
			t.Fatalf("updated share: %+v", got)
		}
		if _, err := s.UseShare(ctx, sh.ShareID, "pw"); err != nil {
			t.Fatalf("password kept on update: %v", err)
		}
		list, err := s.ListUserShares(ctx, "olga", 10, 0, "ASC")
		if err != nil || len(list) != 1 {
			t.Fatalf("list: %v %d", err, len(list))
		}
		must(t, s.DeleteUser(ctx, "olga"))
		if _, err := s.GetShare(ctx, sh.ShareID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("share survived its user: %v", err)
		}
	})
}
