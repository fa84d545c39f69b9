package dataprovider

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sort"
	"strings"
)

// Share scopes.
const (
	ShareScopeRead      = 1
	ShareScopeWrite     = 2
	ShareScopeReadWrite = 3
)

// AddShare validates and stores a share of a user's files. An empty ID is
// generated; a clear password is hashed.
func (s *Store) AddShare(ctx context.Context, sh *Share) error {
	c := deepCopy(*sh)
	if c.ShareID == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		c.ShareID = hex.EncodeToString(b)
	}
	if strings.TrimSpace(c.Name) == "" {
		return invalid("name", "is required")
	}
	if err := s.prepareShare(&c); err != nil {
		return err
	}
	if _, err := s.driver.GetUser(ctx, c.Username); err != nil {
		if errors.Is(err, ErrNotFound) {
			return invalid("username", "user %q does not exist", c.Username)
		}
		return err
	}
	now := nowMillis()
	c.CreatedAt, c.UpdatedAt, c.LastUseAt, c.UsedTokens = now, now, 0, 0
	if err := s.driver.AddShare(ctx, &c); err != nil {
		return err
	}
	*sh = c
	return nil
}

// UpdateShare replaces a share's settings; an empty password keeps the
// stored one. The owner, creation time and usage are kept.
func (s *Store) UpdateShare(ctx context.Context, sh *Share) error {
	c := deepCopy(*sh)
	var stored Share
	err := s.driver.InTx(ctx, func(ops Ops) error {
		old, err := ops.GetShare(ctx, c.ShareID)
		if err != nil {
			return err
		}
		c.Username = old.Username
		if c.Password == "" {
			c.Password = old.Password
		}
		if strings.TrimSpace(c.Name) == "" {
			return invalid("name", "is required")
		}
		if err := s.prepareShare(&c); err != nil {
			return err
		}
		c.CreatedAt, c.LastUseAt, c.UsedTokens = old.CreatedAt, old.LastUseAt, old.UsedTokens
		c.UpdatedAt = nowMillis()
		if err := ops.UpdateShare(ctx, &c); err != nil {
			return err
		}
		stored = c
		return nil
	})
	if err == nil {
		*sh = stored
	}
	return err
}

// DeleteShare removes a share.
func (s *Store) DeleteShare(ctx context.Context, shareID string) error {
	return s.driver.DeleteShare(ctx, shareID)
}

// GetShare returns a share (password as a hash).
func (s *Store) GetShare(ctx context.Context, shareID string) (Share, error) {
	return s.driver.GetShare(ctx, shareID)
}

// ListUserShares pages through a user's shares ordered by id.
func (s *Store) ListUserShares(ctx context.Context, username string, limit, offset int, order string) ([]Share, error) {
	desc, err := parseOrder(order)
	if err != nil {
		return nil, err
	}
	all, err := s.driver.ListShares(ctx, 0, 0, desc)
	if err != nil {
		return nil, err
	}
	username = s.name(username)
	var out []Share
	for _, sh := range all {
		if sh.Username == username {
			out = append(out, sh)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if desc {
			return out[i].ShareID > out[j].ShareID
		}
		return out[i].ShareID < out[j].ShareID
	})
	offset = max(offset, 0)
	if offset >= len(out) {
		return nil, nil
	}
	out = out[offset:]
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// UseShare checks a share can be used now (not expired, tokens left, the
// password when it has one) and counts one use. A refused use fails with
// ErrInvalidCredentials, a missing share with ErrNotFound.
func (s *Store) UseShare(ctx context.Context, shareID, password string) (Share, error) {
	var used Share
	err := s.driver.InTx(ctx, func(ops Ops) error {
		sh, err := ops.GetShare(ctx, shareID)
		if err != nil {
			return err
		}
		now := nowMillis()
		if sh.ExpiresAt > 0 && sh.ExpiresAt < now {
			return errLogin("share expired")
		}
		if sh.MaxTokens > 0 && sh.UsedTokens >= sh.MaxTokens {
			return errLogin("share used up")
		}
		if sh.Password != "" && verifyPassword(sh.Password, password) != nil {
			return errLogin("wrong share password")
		}
		sh.UsedTokens++
		sh.LastUseAt = now
		if err := ops.UpdateShare(ctx, &sh); err != nil {
			return err
		}
		used = sh
		return nil
	})
	return used, err
}
