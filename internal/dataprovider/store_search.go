package dataprovider

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
)

// userNameSearcher is an optional driver capability: the usernames, in
// order, of the users whose username or stored document contains q
// (case-insensitive). It may return more than the exact matches (the
// document holds every field); SearchUsers checks each candidate.
type userNameSearcher interface {
	SearchUsernames(ctx context.Context, q string, limit, offset int) ([]string, error)
}

// searchBatch is how many candidates SearchUsers reads at once.
const searchBatch = 200

// UserMatches reports whether a user's username, email or description
// contains q (case-insensitive; an empty q matches every user) and, when
// role is not empty, whether the user has that role.
func UserMatches(u *User, q, role string) bool {
	if role != "" && u.Role != role {
		return false
	}
	if q == "" {
		return true
	}
	q = strings.ToLower(q)
	for _, f := range []string{u.Username, u.Email, u.Description} {
		if strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	return false
}

// SearchUsers pages through the users that UserMatches accepts, ordered
// by username: up to limit of them after skipping offset, and whether
// more follow. Without q and role it is one page of ListUsers; with q,
// drivers that can search (the SQL ones) find the candidates in the
// database, so a search among many users reads only names until a page
// is full.
func (s *Store) SearchUsers(ctx context.Context, q, role string, limit, offset int) ([]User, bool, error) {
	if limit <= 0 {
		return nil, false, errors.New("dataprovider: SearchUsers needs a limit")
	}
	offset = max(offset, 0)
	if q == "" && role == "" {
		users, err := s.ListUsers(ctx, limit+1, offset, "ASC")
		if err != nil {
			return nil, false, err
		}
		if len(users) > limit {
			return users[:limit], true, nil
		}
		return users, false, nil
	}
	var out []User
	skip := offset
	// take keeps u when it matches; it reports whether the page is full
	// and one more match exists.
	take := func(u *User) bool {
		if !UserMatches(u, q, role) {
			return false
		}
		if skip > 0 {
			skip--
			return false
		}
		if len(out) == limit {
			return true
		}
		out = append(out, *u)
		return false
	}
	if ns, ok := s.driver.(userNameSearcher); ok {
		// the candidates: the query, or else the role as the stored
		// document spells it
		cq := q
		if cq == "" {
			b, _ := json.Marshal(role)
			cq = `"role":` + string(b)
		}
		for off := 0; ; off += searchBatch {
			names, err := ns.SearchUsernames(ctx, cq, searchBatch, off)
			if err != nil {
				return nil, false, err
			}
			for _, n := range names {
				u, err := s.GetUser(ctx, n)
				if errors.Is(err, ErrNotFound) {
					continue // deleted meanwhile
				}
				if err != nil {
					return nil, false, err
				}
				if take(&u) {
					return out, true, nil
				}
			}
			if len(names) < searchBatch {
				return out, false, nil
			}
		}
	}
	for off := 0; ; off += searchBatch {
		users, err := s.ListUsers(ctx, searchBatch, off, "ASC")
		if err != nil {
			return nil, false, err
		}
		for i := range users {
			if take(&users[i]) {
				return out, true, nil
			}
		}
		if len(users) < searchBatch {
			return out, false, nil
		}
	}
}
