package dataprovider

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestShareCRUD(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		u := newUser("alice")
		if err := s.AddUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		other := newUser("bob")
		if err := s.AddUser(ctx, &other); err != nil {
			t.Fatal(err)
		}
		sh := Share{Name: " docs ", Scope: ShareScopeRead, Paths: []string{"/a/../docs/", "/docs", "/x"},
			Username: "alice", Password: "s3cret", MaxTokens: 2, AllowFrom: []string{"10.0.0.0/8"},
			ExpiresAt: time.Now().Add(time.Hour).UnixMilli()}
		if err := s.AddShare(ctx, &sh); err != nil {
			t.Fatal(err)
		}
		if len(sh.ShareID) < 20 || strings.ContainsAny(sh.ShareID, "/+=") {
			t.Fatalf("share id %q is not a long URL-safe token", sh.ShareID)
		}
		if sh.Name != "docs" || len(sh.Paths) != 2 || sh.Paths[0] != "/docs" || sh.Paths[1] != "/x" {
			t.Fatalf("not normalized: %+v", sh)
		}
		if sh.Password == "s3cret" || !IsPasswordHashed(sh.Password) {
			t.Fatalf("password stored in clear: %q", sh.Password)
		}
		got, err := s.GetUserShare(ctx, sh.ShareID, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if !s.CheckSharePassword(&got, "s3cret") || s.CheckSharePassword(&got, "wrong") || s.CheckSharePassword(&got, "") {
			t.Fatal("share password check is wrong")
		}
		if _, err := s.GetUserShare(ctx, sh.ShareID, "bob"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("bob sees alice's share: %v", err)
		}
		if err := s.DeleteShare(ctx, sh.ShareID, "bob"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("bob deletes alice's share: %v", err)
		}
		if got.IsUsable("10.1.2.3") != nil || got.IsUsable("192.168.1.1") == nil {
			t.Fatal("allow_from not applied")
		}

		// update: redacted keeps the password, counters survive
		if err := s.UseShare(ctx, sh.ShareID, 1); err != nil {
			t.Fatal(err)
		}
		upd := got
		upd.Name = "renamed"
		upd.Password = RedactedSharePassword
		upd.UsedTokens = 0
		if err := s.UpdateShare(ctx, &upd); err != nil {
			t.Fatal(err)
		}
		got, _ = s.GetShare(ctx, sh.ShareID)
		if got.Name != "renamed" || got.UsedTokens != 1 || !s.CheckSharePassword(&got, "s3cret") || got.LastUseAt == 0 {
			t.Fatalf("update lost state: %+v", got)
		}
		upd.Password = ""
		if err := s.UpdateShare(ctx, &upd); err != nil {
			t.Fatal(err)
		}
		got, _ = s.GetShare(ctx, sh.ShareID)
		if got.HasPassword() {
			t.Fatal("empty password on update did not remove it")
		}
		// token budget
		if err := s.UseShare(ctx, sh.ShareID, 1); err != nil {
			t.Fatal(err)
		}
		if err := s.UseShare(ctx, sh.ShareID, 1); !errors.Is(err, ErrValidation) {
			t.Fatalf("third use of a 2-token share: %v", err)
		}
		got, _ = s.GetShare(ctx, sh.ShareID)
		if got.IsUsable("10.0.0.1") == nil {
			t.Fatal("exhausted share still usable")
		}

		list, err := s.ListUserShares(ctx, "alice", 10, 0, "ASC")
		if err != nil || len(list) != 1 {
			t.Fatalf("list: %v %v", list, err)
		}
		if list, _ := s.ListUserShares(ctx, "bob", 10, 0, "ASC"); len(list) != 0 {
			t.Fatalf("bob lists %d shares", len(list))
		}
		if err := s.DeleteShare(ctx, sh.ShareID, "alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetShare(ctx, sh.ShareID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleted share: %v", err)
		}
	})
}

func TestShareValidation(t *testing.T) {
	s := newTestStore(t, "memory")
	ctx := context.Background()
	u := newUser("carol")
	u.Filters.MaxSharesExpiration = 3
	if err := s.AddUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	in := time.Now().Add(24 * time.Hour).UnixMilli()
	for _, tc := range []struct {
		name  string
		share Share
		field string
	}{
		{"no name", Share{Scope: 1, Paths: []string{"/"}, ExpiresAt: in}, "name"},
		{"bad scope", Share{Name: "n", Scope: 4, Paths: []string{"/"}, ExpiresAt: in}, "scope"},
		{"no paths", Share{Name: "n", Scope: 1, ExpiresAt: in}, "paths"},
		{"relative path", Share{Name: "n", Scope: 1, Paths: []string{"docs"}, ExpiresAt: in}, "paths"},
		{"write with two paths", Share{Name: "n", Scope: 2, Paths: []string{"/a", "/b"}, ExpiresAt: in}, "paths"},
		{"past expiry", Share{Name: "n", Scope: 1, Paths: []string{"/"}, ExpiresAt: time.Now().Add(-time.Hour).UnixMilli()}, "expires_at"},
		{"no expiry over max", Share{Name: "n", Scope: 1, Paths: []string{"/"}}, "expires_at"},
		{"expiry over max", Share{Name: "n", Scope: 1, Paths: []string{"/"}, ExpiresAt: time.Now().Add(96 * time.Hour).UnixMilli()}, "expires_at"},
		{"bad cidr", Share{Name: "n", Scope: 1, Paths: []string{"/"}, ExpiresAt: in, AllowFrom: []string{"1.2.3.4"}}, "allow_from"},
		{"negative tokens", Share{Name: "n", Scope: 1, Paths: []string{"/"}, ExpiresAt: in, MaxTokens: -1}, "max_tokens"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sh := tc.share
			sh.Username = "carol"
			err := s.AddShare(ctx, &sh)
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Fatalf("want validation error on %q, got %v", tc.field, err)
			}
		})
	}
	sh := Share{Name: "n", Scope: 1, Paths: []string{"/"}, Username: "nobody"}
	if err := s.AddShare(ctx, &sh); !errors.Is(err, ErrValidation) {
		t.Fatalf("share of a missing user: %v", err)
	}
}
