package webdavd

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

const authTimeout = 30 * time.Second

// defaultCacheTTL is the lifetime of a cached login when
// cache.users.expiration_time is 0. The cache is not told about every
// change made to a user elsewhere, so a cached login must not outlive a
// password change or a disabled account by much.
const defaultCacheTTL = time.Minute

var (
	errNoCredentials = errors.New("no credentials")
	errAuthFailed    = errors.New("authentication failed")
)

// authenticate finds the user of a request from its Basic credentials
// and/or its verified TLS client certificate, then applies the account
// checks every protocol shares. It returns the status to answer with on
// failure: 401 for missing or wrong credentials, 403 when the account
// may not use WebDAV from here.
func (s *Server) authenticate(r *http.Request, remote string) (dataprovider.User, int, error) {
	username, password, hasBasic := r.BasicAuth()
	var cert *x509.Certificate
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.PeerCertificates) > 0 {
		cert = r.TLS.PeerCertificates[0]
	}
	var method string
	switch {
	case hasBasic && cert != nil:
		method = dataprovider.LoginMethodTLSCertificateAndPwd
	case hasBasic:
		method = dataprovider.LoginMethodPassword
	case cert != nil:
		method = dataprovider.LoginMethodTLSCertificate
		username = cert.Subject.CommonName
	default:
		return dataprovider.User{}, http.StatusUnauthorized, errNoCredentials
	}
	if username == "" {
		return dataprovider.User{}, http.StatusUnauthorized, errNoCredentials
	}
	secret := s.cache.secret(method, password, cert)
	user, cached := s.cache.get(username, secret)
	if !cached {
		var err error
		user, err = s.login(r.Context(), username, password, method, cert)
		if err != nil {
			s.common.LoginFailed(remote, username, method, protocolDAV, err)
			return dataprovider.User{}, http.StatusUnauthorized, errAuthFailed
		}
	}
	if err := s.common.CheckLogin(&user, protocolDAV, method, remote); err != nil {
		s.common.LoginFailed(remote, username, method, protocolDAV, err)
		s.cache.remove(username)
		return dataprovider.User{}, http.StatusForbidden, err
	}
	if !cached {
		s.common.LoginSucceeded(r.Context(), &user, protocolDAV, method, remote)
		s.cache.add(username, secret, user)
	}
	return user, 0, nil
}

// login checks the credentials against the store.
func (s *Server) login(ctx context.Context, username, password, method string, cert *x509.Certificate) (dataprovider.User, error) {
	ctx, cancel := context.WithTimeout(ctx, authTimeout)
	defer cancel()
	var user dataprovider.User
	var err error
	if method == dataprovider.LoginMethodTLSCertificate {
		user, err = s.store.GetEffectiveUser(ctx, username)
	} else {
		user, err = s.store.CheckUserPassword(ctx, username, password)
	}
	if err != nil {
		return dataprovider.User{}, err
	}
	if cert != nil {
		// the certificate names the account only for users that say so;
		// a certificate alone is never enough for the others
		usesCN := user.Filters.TLSUsername == "CommonName"
		if method == dataprovider.LoginMethodTLSCertificate && !usesCN {
			return dataprovider.User{}, errors.New("user does not accept TLS certificate logins")
		}
		if usesCN && cert.Subject.CommonName != user.Username {
			return dataprovider.User{}, errors.New("TLS certificate common name does not match the username")
		}
	}
	return user, nil
}

// userCache remembers recent successful logins so that the many requests
// of one WebDAV client cost one password hash instead of one each. Each
// entry keeps a salted digest of the credentials it was verified with.
type userCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	salt    [32]byte
	entries map[string]*cacheEntry
	now     func() time.Time
}

type cacheEntry struct {
	user    dataprovider.User
	secret  [32]byte
	expires time.Time
}

func newUserCache(cfg config.UsersCacheConfig) *userCache {
	c := &userCache{ttl: time.Duration(cfg.ExpirationTime) * time.Minute, max: cfg.MaxSize,
		entries: make(map[string]*cacheEntry), now: time.Now}
	if c.ttl <= 0 {
		c.ttl = defaultCacheTTL
	}
	rand.Read(c.salt[:])
	return c
}

func (c *userCache) secret(method, password string, cert *x509.Certificate) [32]byte {
	h := sha256.New()
	h.Write(c.salt[:])
	h.Write([]byte(method))
	h.Write([]byte{0})
	h.Write([]byte(password))
	h.Write([]byte{0})
	if cert != nil {
		h.Write(cert.Raw)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func (c *userCache) get(username string, secret [32]byte) (dataprovider.User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[username]
	if !ok {
		return dataprovider.User{}, false
	}
	if !c.now().Before(e.expires) {
		delete(c.entries, username)
		return dataprovider.User{}, false
	}
	if subtle.ConstantTimeCompare(e.secret[:], secret[:]) != 1 {
		return dataprovider.User{}, false
	}
	return e.user, true
}

func (c *userCache) add(username string, secret [32]byte, user dataprovider.User) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if _, ok := c.entries[username]; !ok && c.max > 0 && len(c.entries) >= c.max {
		// evict the entry closest to expiring
		var oldest string
		var at time.Time
		for k, e := range c.entries {
			if oldest == "" || e.expires.Before(at) {
				oldest, at = k, e.expires
			}
		}
		delete(c.entries, oldest)
	}
	c.entries[username] = &cacheEntry{user: user, secret: secret, expires: now.Add(c.ttl)}
}

func (c *userCache) remove(username string) {
	c.mu.Lock()
	delete(c.entries, username)
	c.mu.Unlock()
}

func (c *userCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
