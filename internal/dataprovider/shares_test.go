package dataprovider

import (
	"context"
	"errors"
	"testing"
)

// TestShares runs the share API on every driver: validation, hashed
// passwords kept through a redacted update, the use budget, cascade on
// user deletion.
func TestShares(t *testing.T) {
	ctx := context.Background()
	forEachDriver(t, func(t *testing.T, s *Store) {
		u := newUser("olga")
		must(t, s.AddUser(ctx, &u))
		sh := Share{Name: "docs", Scope: ShareScopeRead, Paths: []string{"/docs/../pub"}, Username: "olga", Password: "pw", MaxTokens: 2}
		must(t, s.AddShare(ctx, &sh))
		stored, err := s.GetShare(ctx, sh.ShareID)
		if err != nil || sh.ShareID == "" || stored.Paths[0] != "/pub" || stored.Password == "pw" {
			t.Fatalf("stored share: %+v (%v)", stored, err)
		}
		if err := s.AddShare(ctx, &Share{Name: "x", Scope: 1, Paths: []string{"/"}, Username: "ghost"}); !errors.Is(err, ErrValidation) {
			t.Fatalf("share of a missing user: %v", err)
		}
		if err := s.AddShare(ctx, &Share{Name: "x", Scope: 9, Paths: []string{"/"}, Username: "olga"}); !errors.Is(err, ErrValidation) {
			t.Fatalf("bad scope: %v", err)
		}
		if s.CheckSharePassword(&stored, "bad") || !s.CheckSharePassword(&stored, "pw") {
			t.Fatal("share password check")
		}
		for i := 0; i < 2; i++ {
			if err := s.UseShare(ctx, sh.ShareID, 1); err != nil {
				t.Fatalf("use %d: %v", i, err)
			}
		}
		if err := s.UseShare(ctx, sh.ShareID, 1); err == nil {
			t.Fatal("a share was used past its max_tokens")
		}
		stored.Name, stored.Password, stored.MaxTokens = "renamed", RedactedSharePassword, 0
		must(t, s.UpdateShare(ctx, &stored))
		got, _ := s.GetShare(ctx, sh.ShareID)
		if got.Name != "renamed" || got.UsedTokens != 2 || !s.CheckSharePassword(&got, "pw") {
			t.Fatalf("updated share lost its password or counters: %+v", got)
		}
		if _, err := s.GetUserShare(ctx, sh.ShareID, "someone-else"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another user's share is visible: %v", err)
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
