package httpd

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// Token audiences: each kind of credential is accepted only where it was
// issued for, so a browser cookie is never a REST credential and a user
// token never an admin one.
const (
	tokenAudienceAPI       = "API"
	tokenAudienceUserAPI   = "APIUser"
	tokenAudienceWebAdmin  = "WebAdmin"
	tokenAudienceWebClient = "WebClient"
	tokenAudienceWebShare  = "WebShare"
)

// Token lifetime: httpd.jwt_lifetime minutes, 20 by default, 720 at most.
const (
	defaultTokenLifetime = 20 * time.Minute
	maxTokenLifetime     = 720 * time.Minute
)

// tokenClaims are the JWT claims of an admin token. Permissions are
// informational: every request reloads the admin from the store.
type tokenClaims struct {
	jwt.RegisteredClaims
	Username    string   `json:"username"`
	Permissions []string `json:"permissions,omitempty"`
	// Signature binds the token to the state of the admin account (see
	// tokenManager.signature).
	Signature string `json:"sig,omitempty"`
	// IDP marks a web session signed in through OpenID Connect.
	IDP bool `json:"idp,omitempty"`
}

// tokenManager signs, verifies and revokes JWTs (HS256).
type tokenManager struct {
	key []byte
	// bindIP: token_validation bit 1 unset binds a token to the client IP
	// it was issued to.
	bindIP bool
	// bindUpdates: token_validation bit 2 invalidates tokens whenever the
	// admin account changes, not only its password.
	bindUpdates bool
	lifetime    time.Duration
	now         func() time.Time

	mu      sync.Mutex
	revoked map[string]time.Time // jti -> expiry
}

func newTokenManager(key []byte, validation, lifetimeMinutes int, now func() time.Time) *tokenManager {
	lifetime := time.Duration(lifetimeMinutes) * time.Minute
	if lifetime <= 0 {
		lifetime = defaultTokenLifetime
	}
	lifetime = min(lifetime, maxTokenLifetime)
	return &tokenManager{key: key, bindIP: validation&1 == 0, bindUpdates: validation&2 != 0,
		lifetime: lifetime, now: now, revoked: map[string]time.Time{}}
}

// signature summarises the stored admin a token is bound to when
// token_validation bit 2 is set: any change to the account (password,
// permissions, profile) changes it. Without that bit tokens are not bound
// to the account's state.
func (m *tokenManager) signature(a *dataprovider.Admin) string {
	if !m.bindUpdates {
		return ""
	}
	v := a.Username + "\x00" + a.Password + "\x00" + strconv.FormatInt(a.UpdatedAt, 10)
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// issue returns a signed admin API token, bound to ip when configured.
func (m *tokenManager) issue(username string, perms []string, sig, ip string) (string, time.Time, error) {
	return m.issueFor(tokenAudienceAPI, m.lifetime, username, perms, sig, ip)
}

// issueFor returns a signed token for audience, valid for lifetime.
func (m *tokenManager) issueFor(audience string, lifetime time.Duration, username string, perms []string, sig, ip string) (string, time.Time, error) {
	claims := m.newClaims(audience, lifetime, username, perms, sig, ip)
	signed, err := m.sign(claims)
	if err != nil {
		return "", time.Time{}, err
	}
	return signed, claims.ExpiresAt.Time, nil
}

// sign signs claims built by newClaims.
func (m *tokenManager) sign(claims *tokenClaims) (string, error) {
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(m.key)
}

// newClaims builds the claims of a token for audience.
func (m *tokenManager) newClaims(audience string, lifetime time.Duration, username string, perms []string, sig, ip string) *tokenClaims {
	now := m.now()
	exp := now.Add(lifetime)
	aud := jwt.ClaimStrings{audience}
	if m.bindIP {
		aud = append(aud, ip)
	}
	return &tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			ID:        uuid.NewString(),
			Subject:   username,
			Audience:  aud,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now.Add(-30 * time.Second)),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		Username:    username,
		Permissions: perms,
		Signature:   sig,
	}
}

var (
	errTokenInvalid = errors.New("invalid or expired token")
	errTokenRevoked = errors.New("the token has been invalidated")
	errTokenIP      = errors.New("the token is not valid for this IP address")
)

// verify checks an admin API token.
func (m *tokenManager) verify(raw, ip string) (*tokenClaims, error) {
	return m.verifyFor(raw, ip, tokenAudienceAPI)
}

// verifyFor checks signature, expiry, audience, revocation and IP binding.
func (m *tokenManager) verifyFor(raw, ip, audience string) (*tokenClaims, error) {
	var claims tokenClaims
	_, err := jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return m.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(m.now),
	)
	if err != nil || claims.Username == "" || claims.ID == "" {
		return nil, errTokenInvalid
	}
	if m.isRevoked(claims.ID) {
		return nil, errTokenRevoked
	}
	if m.bindIP && !slices.Contains(claims.Audience, ip) {
		return nil, errTokenIP
	}
	return &claims, nil
}

// revoke invalidates a token until its expiry; expired entries are pruned
// here, so the list never outgrows the tokens still alive.
func (m *tokenManager) revoke(claims *tokenClaims) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, exp := range m.revoked {
		if now.After(exp) {
			delete(m.revoked, id)
		}
	}
	exp := now.Add(m.lifetime)
	if claims.ExpiresAt != nil {
		exp = claims.ExpiresAt.Time
	}
	m.revoked[claims.ID] = exp
}

func (m *tokenManager) isRevoked(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.revoked[id]
	return ok
}
