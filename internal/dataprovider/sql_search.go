package dataprovider

import (
	"context"
	"strings"
)

// likeEscaper escapes q for LIKE ... ESCAPE '!' (the same in every
// dialect, unlike a backslash).
var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")

// SearchUsernames lists, in username order, the users whose username or
// JSON document contains q, case-insensitively: a candidate list for
// Store.SearchUsers, read without loading any user.
func (o *sqlOps) SearchUsernames(ctx context.Context, q string, limit, offset int) ([]string, error) {
	limit, offset = pageArgs(limit, offset)
	pat := "%" + likeEscaper.Replace(strings.ToLower(q)) + "%"
	rows, err := o.q().QueryContext(ctx, o.sq("SELECT username FROM {p}users WHERE LOWER(username) LIKE ? ESCAPE '!' OR LOWER(data) LIKE ? ESCAPE '!' ORDER BY username LIMIT ? OFFSET ?"),
		pat, pat, limit, offset)
	if err != nil {
		return nil, err
	}
	return scanStrings(rows)
}
