package dataprovider

import (
	"context"
	"errors"
	"net"
	"path"
	"slices"
	"strings"
	"time"
)

// Share scopes.
const (
	ShareScopeRead      = 1
	ShareScopeWrite     = 2
	ShareScopeReadWrite = 3
)

// RedactedSharePassword stands for a share's stored password in API
// responses; sent back on update it keeps the stored password.
const RedactedSharePassword = "[**redacted**]"

// ShareCanRead reports whether the share allows downloads.
func (sh *Share) ShareCanRead() bool {
	return sh.Scope == ShareScopeRead || sh.Scope == ShareScopeReadWrite
}

// ShareCanWrite reports whether the share allows uploads.
func (sh *Share) ShareCanWrite() bool {
	return sh.Scope == ShareScopeWrite || sh.Scope == ShareScopeReadWrite
}

// IsExpired reports whether the share's expiry has passed.
func (sh *Share) IsExpired() bool {
	return sh.ExpiresAt > 0 && sh.ExpiresAt < nowMillis()
}

// HasPassword reports whether the share is protected by a password.
func (sh *Share) HasPassword() bool { return sh.Password != "" }

// IsUsable checks expiry, the token budget and the client address; the
// returned error is safe to show to whoever holds the link.
func (sh *Share) IsUsable(remoteIP string) error {
	if sh.IsExpired() {
		return errors.New("this share has expired")
	}
	if sh.MaxTokens > 0 && sh.UsedTokens >= sh.MaxTokens {
		return errors.New("this share has reached its maximum number of uses")
	}
	if len(sh.AllowFrom) > 0 {
		ip := net.ParseIP(remoteIP)
		if ip == nil || !ipInNetworks(ip, sh.AllowFrom) {
			return errors.New("this share is not available from your address")
		}
	}
	return nil
}

// CheckSharePassword verifies the password of a protected share; a share
// without a password accepts anything.
func (s *Store) CheckSharePassword(sh *Share, password string) bool {
	if sh.Password == "" {
		return true
	}
	if password == "" {
		return false
	}
	key := "s:" + sh.ShareID
	if s.pwdCache.check(key, sh.Password, password) {
		return true
	}
	if verifyPassword(sh.Password, password) != nil {
		return false
	}
	s.pwdCache.add(key, sh.Password, password)
	return true
}

// validateShare checks a share a user creates or edits. The owner must
// exist; her share expiration filters (days) bound expires_at.
func (s *Store) validateShare(ctx context.Context, ops Ops, sh *Share, isNew bool) error {
	sh.Name = strings.TrimSpace(sh.Name)
	if sh.Name == "" {
		return invalid("name", "is required")
	}
	if len(sh.Name) > 255 {
		return invalid("name", "is longer than 255 bytes")
	}
	if sh.Scope < ShareScopeRead || sh.Scope > ShareScopeReadWrite {
		return invalid("scope", "must be 1 (read), 2 (write) or 3 (read and write)")
	}
	if len(sh.Paths) == 0 {
		return invalid("paths", "at least one path is required")
	}
	seen := make([]string, 0, len(sh.Paths))
	for _, p := range sh.Paths {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !strings.HasPrefix(p, "/") {
			return invalid("paths", "%q must be an absolute path", p)
		}
		clean := path.Clean(p)
		if !slices.Contains(seen, clean) {
			seen = append(seen, clean)
		}
	}
	if len(seen) == 0 {
		return invalid("paths", "at least one path is required")
	}
	sh.Paths = seen
	if sh.ShareCanWrite() && len(sh.Paths) != 1 {
		return invalid("paths", "a share with write scope must have exactly one directory")
	}
	if sh.ExpiresAt < 0 {
		return invalid("expires_at", "must not be negative")
	}
	if sh.MaxTokens < 0 {
		return invalid("max_tokens", "must not be negative")
	}
	if err := validateCIDRs("allow_from", sh.AllowFrom); err != nil {
		return err
	}
	u, err := ops.GetUser(ctx, sh.Username)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return invalid("username", "user %q does not exist", sh.Username)
		}
		return err
	}
	now := time.Now()
	if isNew && sh.ExpiresAt == 0 && u.Filters.DefaultSharesExpiration > 0 {
		sh.ExpiresAt = now.Add(time.Duration(u.Filters.DefaultSharesExpiration) * 24 * time.Hour).UnixMilli()
	}
	if isNew && sh.ExpiresAt > 0 && sh.ExpiresAt < now.UnixMilli() {
		return invalid("expires_at", "must be in the future")
	}
	if maxDays := u.Filters.MaxSharesExpiration; maxDays > 0 {
		limit := now.Add(time.Duration(maxDays) * 24 * time.Hour).UnixMilli()
		if sh.ExpiresAt == 0 || sh.ExpiresAt > limit {
			return invalid("expires_at", "shares of this user must expire within %d days", maxDays)
		}
	}
	return nil
}

// newShareID returns a random, URL-safe share id (128 bits).
func newShareID() string { return randomToken(16) }

// AddShare creates a share owned by sh.Username with a random id; a clear
// password is hashed. On return sh holds the stored share.
func (s *Store) AddShare(ctx context.Context, sh *Share) error {
	c := deepCopy(*sh)
	c.Username = s.name(c.Username)
	if err := s.validateShare(ctx, s.driver, &c, true); err != nil {
		return err
	}
	if c.Password == RedactedSharePassword {
		c.Password = ""
	}
	if c.Password != "" {
		h, err := s.hashPassword(c.Password)
		if err != nil {
			return err
		}
		c.Password = h
	}
	now := nowMillis()
	c.ShareID = newShareID()
	c.CreatedAt, c.UpdatedAt, c.LastUseAt, c.UsedTokens = now, now, 0, 0
	if err := s.driver.AddShare(ctx, &c); err != nil {
		return err
	}
	*sh = c
	s.notifyObjectChange(ctx, ObjectActionAdd, ObjectTypeShare, c.ShareID, c)
	return nil
}

// UpdateShare changes a share of sh.Username. The id, owner, creation
// time and usage counters are kept. A password equal to
// RedactedSharePassword keeps the stored one, an empty one removes it.
func (s *Store) UpdateShare(ctx context.Context, sh *Share) error {
	c := deepCopy(*sh)
	c.Username = s.name(c.Username)
	err := s.driver.InTx(ctx, func(ops Ops) error {
		old, err := ops.GetShare(ctx, c.ShareID)
		if err != nil {
			return err
		}
		if old.Username != c.Username {
			return notFoundShare(c.ShareID)
		}
		if err := s.validateShare(ctx, ops, &c, false); err != nil {
			return err
		}
		switch c.Password {
		case RedactedSharePassword:
			c.Password = old.Password
		case "":
		default:
			if c.Password, err = s.hashPassword(c.Password); err != nil {
				return err
			}
		}
		c.CreatedAt, c.LastUseAt, c.UsedTokens = old.CreatedAt, old.LastUseAt, old.UsedTokens
		c.UpdatedAt = nowMillis()
		return ops.UpdateShare(ctx, &c)
	})
	s.pwdCache.remove("s:" + c.ShareID)
	if err != nil {
		return err
	}
	*sh = c
	s.notifyObjectChange(ctx, ObjectActionUpdate, ObjectTypeShare, c.ShareID, c)
	return nil
}

func notFoundShare(id string) error { return notFound("share", id) }

// GetShare returns a share by id, whoever owns it (public share access).
func (s *Store) GetShare(ctx context.Context, shareID string) (Share, error) {
	if shareID == "" {
		return Share{}, notFoundShare(shareID)
	}
	return s.driver.GetShare(ctx, shareID)
}

// GetUserShare returns a share of username; another user's share is not
// found.
func (s *Store) GetUserShare(ctx context.Context, shareID, username string) (Share, error) {
	sh, err := s.GetShare(ctx, shareID)
	if err != nil {
		return sh, err
	}
	if sh.Username != s.name(username) {
		return Share{}, notFoundShare(shareID)
	}
	return sh, nil
}

// DeleteShare removes a share of username.
func (s *Store) DeleteShare(ctx context.Context, shareID, username string) error {
	old, err := s.GetUserShare(ctx, shareID, username)
	if err != nil {
		return err
	}
	s.pwdCache.remove("s:" + shareID)
	err = s.driver.DeleteShare(ctx, shareID)
	s.afterDelete(ctx, err, ObjectTypeShare, shareID, old)
	return err
}

// ListUserShares pages through the shares of username, ordered by id.
func (s *Store) ListUserShares(ctx context.Context, username string, limit, offset int, order string) ([]Share, error) {
	desc, err := parseOrder(order)
	if err != nil {
		return nil, err
	}
	username = s.name(username)
	all, err := s.driver.ListShares(ctx, 0, 0, desc)
	if err != nil {
		return nil, err
	}
	out := make([]Share, 0)
	skipped := 0
	for _, sh := range all {
		if sh.Username != username {
			continue
		}
		if skipped < offset {
			skipped++
			continue
		}
		out = append(out, sh)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}

// UseShare records one use of a share: last_use_at and, when tokens > 0,
// used_tokens. It fails with a validation error when the share has no
// tokens left, so two concurrent uses cannot both take the last one.
func (s *Store) UseShare(ctx context.Context, shareID string, tokens int) error {
	return s.driver.InTx(ctx, func(ops Ops) error {
		sh, err := ops.GetShare(ctx, shareID)
		if err != nil {
			return err
		}
		if tokens > 0 && sh.MaxTokens > 0 && sh.UsedTokens+tokens > sh.MaxTokens {
			return invalid("max_tokens", "the share has no uses left")
		}
		sh.UsedTokens += tokens
		sh.LastUseAt = nowMillis()
		return ops.UpdateShare(ctx, &sh)
	})
}
