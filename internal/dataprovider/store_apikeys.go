package dataprovider

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// An API key as shown to its owner is "<secret>.<key id>": the key id
// finds the row, the secret is checked against the stored hash
// ("$sha256$" + unpadded base64url of SHA-256(secret); the secret has 256
// random bits, so a slow hash adds nothing). Keys restored from the
// reference product keep their bcrypt/argon2id hashes and still verify.
// A third dot-separated part ("<secret>.<key id>.<username>", used for
// impersonation by keys without an owner) is left to the caller.

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashAPIKeySecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return sha256KeyPrefix + base64.RawURLEncoding.EncodeToString(sum[:])
}

func (s *Store) prepareAPIKey(ctx context.Context, ops Ops, k *APIKey) error {
	k.Name = strings.TrimSpace(k.Name)
	if k.Name == "" {
		return invalid("name", "is required")
	}
	if k.Scope != APIKeyScopeAdmin && k.Scope != APIKeyScopeUser {
		return invalid("scope", "must be 1 (admin) or 2 (user)")
	}
	if k.ExpiresAt < 0 {
		return invalid("expires_at", "must not be negative")
	}
	k.User, k.Admin = s.name(k.User), s.name(k.Admin)
	if k.User != "" {
		if k.Scope != APIKeyScopeUser {
			return invalid("user", "only a key with user scope can belong to a user")
		}
		if _, err := ops.GetUser(ctx, k.User); err != nil {
			if errors.Is(err, ErrNotFound) {
				return invalid("user", "user %q does not exist", k.User)
			}
			return err
		}
	}
	if k.Admin != "" {
		if k.Scope != APIKeyScopeAdmin {
			return invalid("admin", "only a key with admin scope can belong to an admin")
		}
		if _, err := ops.GetAdmin(ctx, k.Admin); err != nil {
			if errors.Is(err, ErrNotFound) {
				return invalid("admin", "admin %q does not exist", k.Admin)
			}
			return err
		}
	}
	return nil
}

// AddAPIKey generates and stores a key; on return k.Key holds the plain
// key "<key id>.<secret>" (SFTPGo's layout), shown to the caller once.
func (s *Store) AddAPIKey(ctx context.Context, k *APIKey) error {
	c := *k
	if err := s.prepareAPIKey(ctx, s.driver, &c); err != nil {
		return err
	}
	idBytes := make([]byte, 16)
	if _, err := rand.Read(idBytes); err != nil {
		return err
	}
	c.KeyID = hex.EncodeToString(idBytes)
	secret := randomToken(32)
	// hashed as passwords are (bcrypt by default), as SFTPGo does, so a
	// dump or a reverted database keeps working keys in SFTPGo
	hashed, err := s.hashPassword(secret)
	if err != nil {
		return err
	}
	c.Key = hashed
	now := nowMillis()
	c.CreatedAt, c.UpdatedAt, c.LastUseAt = now, now, 0
	if err := s.driver.AddAPIKey(ctx, &c); err != nil {
		return err
	}
	s.notifyObjectChange(ctx, ObjectActionAdd, ObjectTypeAPIKey, c.KeyID, c)
	c.Key = c.KeyID + "." + secret
	*k = c
	return nil
}

// UpdateAPIKey changes a key's name, description, scope, expiry and
// owner; the secret, creation time and last use are kept.
func (s *Store) UpdateAPIKey(ctx context.Context, k *APIKey) error {
	c := *k
	var stored APIKey
	err := s.driver.InTx(ctx, func(ops Ops) error {
		old, err := ops.GetAPIKey(ctx, c.KeyID)
		if err != nil {
			return err
		}
		if c.Scope == 0 {
			c.Scope = old.Scope
		}
		if err := s.prepareAPIKey(ctx, ops, &c); err != nil {
			return err
		}
		c.ID, c.Key, c.CreatedAt, c.LastUseAt = old.ID, old.Key, old.CreatedAt, old.LastUseAt
		c.UpdatedAt = nowMillis()
		if err := ops.UpdateAPIKey(ctx, &c); err != nil {
			return err
		}
		stored, err = ops.GetAPIKey(ctx, c.KeyID)
		return err
	})
	s.pwdCache.remove("k:" + c.KeyID)
	if err != nil {
		return err
	}
	stored.Key = ""
	*k = stored
	s.notifyObjectChange(ctx, ObjectActionUpdate, ObjectTypeAPIKey, stored.KeyID, stored)
	return nil
}

// DeleteAPIKey removes a key by its id.
func (s *Store) DeleteAPIKey(ctx context.Context, keyID string) error {
	s.pwdCache.remove("k:" + keyID)
	old := s.beforeDelete(ctx, func() (any, error) { return s.driver.GetAPIKey(ctx, keyID) })
	err := s.driver.DeleteAPIKey(ctx, keyID)
	s.afterDelete(ctx, err, ObjectTypeAPIKey, keyID, old)
	return err
}

// GetAPIKey returns a key by its id, without the secret.
func (s *Store) GetAPIKey(ctx context.Context, keyID string) (APIKey, error) {
	k, err := s.driver.GetAPIKey(ctx, keyID)
	k.Key = ""
	return k, err
}

// ListAPIKeys pages through keys (ordered by key id), without secrets.
func (s *Store) ListAPIKeys(ctx context.Context, limit, offset int, order string) ([]APIKey, error) {
	desc, err := parseOrder(order)
	if err != nil {
		return nil, err
	}
	keys, err := s.driver.ListAPIKeys(ctx, limit, max(offset, 0), desc)
	for i := range keys {
		keys[i].Key = ""
	}
	return keys, err
}

// AuthenticateAPIKey checks a plain key and records its use. Expired keys
// and malformed or unknown keys fail with ErrInvalidCredentials.
func (s *Store) AuthenticateAPIKey(ctx context.Context, key string) (APIKey, error) {
	parts := strings.SplitN(key, ".", 3)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return APIKey{}, errLogin("malformed API key")
	}
	// SFTPGo's keys are "<key id>.<secret>"; our first ones were
	// "<secret>.<key id>": both are accepted.
	keyID, secret := parts[0], parts[1]
	k, err := s.driver.GetAPIKey(ctx, keyID)
	if errors.Is(err, ErrNotFound) {
		secret, keyID = parts[0], parts[1]
		k, err = s.driver.GetAPIKey(ctx, keyID)
	}
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return APIKey{}, errLogin("unknown API key")
		}
		return APIKey{}, err
	}
	cacheKey := "k:" + k.KeyID
	if !s.pwdCache.check(cacheKey, k.Key, secret) {
		if verifyPassword(k.Key, secret) != nil {
			return APIKey{}, errLogin("wrong API key")
		}
		if !strings.HasPrefix(k.Key, sha256KeyPrefix) {
			s.pwdCache.add(cacheKey, k.Key, secret)
		}
	}
	now := nowMillis()
	if k.ExpiresAt > 0 && k.ExpiresAt < now {
		return APIKey{}, errLogin("API key expired")
	}
	if err := s.driver.SetAPIKeyLastUse(ctx, k.KeyID, now); err != nil {
		return APIKey{}, err
	}
	k.LastUseAt = now
	k.Key = ""
	return k, nil
}
