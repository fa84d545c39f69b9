package dataprovider

import (
	"context"
	"fmt"
	"testing"
)

func TestSearchUsers(t *testing.T) {
	for _, driver := range []string{"memory", "sqlite"} {
		t.Run(driver, func(t *testing.T) {
			s := newTestStore(t, driver)
			ctx := context.Background()
			if err := s.AddRole(ctx, &Role{Name: "Team"}); err != nil {
				t.Fatal(err)
			}
			for i := range 30 {
				u := User{Username: fmt.Sprintf("user%02d", i), Password: "Passw0rd!x", Status: StatusEnabled,
					HomeDir: "/srv/home", Permissions: map[string][]string{"/": {PermAny}}}
				if i%3 == 0 {
					u.Role = "Team"
				}
				switch {
				case i%10 == 3:
					u.Email = fmt.Sprintf("Boss%d@Example.com", i)
				case i == 7:
					u.Description = "has 100%_ literal"
				}
				if err := s.AddUser(ctx, &u); err != nil {
					t.Fatal(err)
				}
			}
			names := func(us []User) []string {
				var out []string
				for _, u := range us {
					out = append(out, u.Username)
				}
				return out
			}
			page, more, err := s.SearchUsers(ctx, "", "", 10, 20)
			if err != nil || !equalStrings(names(page), []string{"user20", "user21", "user22", "user23", "user24", "user25", "user26", "user27", "user28", "user29"}) || more {
				t.Fatalf("plain page: %v %v %v", names(page), more, err)
			}
			page, more, err = s.SearchUsers(ctx, "boss", "", 2, 0)
			if err != nil || !equalStrings(names(page), []string{"user03", "user13"}) || !more {
				t.Fatalf("email search: %v %v %v", names(page), more, err)
			}
			page, more, err = s.SearchUsers(ctx, "BOSS", "", 2, 2)
			if err != nil || !equalStrings(names(page), []string{"user23"}) || more {
				t.Fatalf("email search page 2: %v %v %v", names(page), more, err)
			}
			// LIKE wildcards in the query are literal
			page, _, _ = s.SearchUsers(ctx, "0%_", "", 10, 0)
			if !equalStrings(names(page), []string{"user07"}) {
				t.Fatalf("wildcards not escaped: %v", names(page))
			}
			// the role alone, and with a query
			page, more, _ = s.SearchUsers(ctx, "", "Team", 3, 3)
			if !equalStrings(names(page), []string{"user09", "user12", "user15"}) || !more {
				t.Fatalf("role page: %v %v", names(page), more)
			}
			page, _, _ = s.SearchUsers(ctx, "boss", "Team", 10, 0)
			if !equalStrings(names(page), []string{"user03"}) {
				t.Fatalf("role and query: %v", names(page))
			}
			if page, _, _ = s.SearchUsers(ctx, "", "team", 10, 0); len(page) != 0 {
				t.Fatalf("roles are case-sensitive: %v", names(page))
			}
			// "srv" is in every home dir but in no searched field
			if page, _, _ = s.SearchUsers(ctx, "srv", "", 10, 0); len(page) != 0 {
				t.Fatalf("matched a field that is not searched: %v", names(page))
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
