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

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

const authTimeout = 30 * time.Second

// defaultCacheTTL is the lifetime of a cached login when
// cache.users.expiration_time is 0. The cache is not told about every
// change made to a user elsewhere, so a cached login must not outlive a
// password change or a disabled account by much.
const defaultCacheTTL = time.Minute

var errNoCredentials = errors.New("no credentials")

// authenticate finds the user of a request from its Basic credentials
// and/or its verified TLS client certificate through the shared login
// path (a certificate alone names the user by its common name). It
// returns the status to answer with on failure: 401 for missing or wrong
// credentials, 403 when the account may not use WebDAV from here, 429
// over a limit, 503 when the user's storage is unavailable.
func (s *Server) authenticate(r *http.Request, remote string) (*common.LoginResult, int, error) {
	username, password, hasBasic := r.BasicAuth()
	var cert *x509.Certificate
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.PeerCertificates) > 0 {
		cert = r.TLS.PeerCertificates[0]
	}
	var method string
	switch {
	case hasBasic:
		method = dataprovider.LoginMethodPassword
	case cert != nil:
		method = dataprovider.LoginMethodTLSCertificate
		username = cert.Subject.CommonName
	default:
		return nil, http.StatusUnauthorized, errNoCredentials
	}
	if username == "" {
		return nil, http.StatusUnauthorized, errNoCredentials
	}
	secret := s.cache.secret(method, password, cert)
	if user, used, cached := s.cache.lookup(username, secret); cached {
		// the account rules depend on the request (client address)
		if err := s.common.CheckLogin(&user, protocolDAV, used, remote); err != nil {
			s.common.LoginFailed(remote, username, used, protocolDAV, err)
			s.cache.remove(username)
			return nil, http.StatusForbidden, err
		}
		return &common.LoginResult{User: user, Method: used, Protocol: protocolDAV, RemoteAddr: remote}, 0, nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), authTimeout)
	defer cancel()
	res, err := s.common.Login(ctx, common.LoginRequest{Protocol: protocolDAV, Method: method, Username: username,
		Password: password, Certificate: cert, RemoteAddr: remote})
	if err != nil {
		return nil, loginStatus(err), err
	}
	s.cache.addLogin(username, secret, res.User, res.Method)
	return res, 0, nil
}

func loginStatus(err error) int {
	switch {
	case errors.Is(err, common.ErrStorageUnavailable), errors.Is(err, common.ErrProviderUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, common.ErrConnectionLimit):
		return http.StatusTooManyRequests
	case errors.Is(err, common.ErrLoginDenied):
		return http.StatusForbidden
	}
	return http.StatusUnauthorized
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
	method  string
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
	u, _, ok := c.lookup(username, secret)
	return u, ok
}

// lookup returns a cached user and the login method it was verified with.
func (c *userCache) lookup(username string, secret [32]byte) (dataprovider.User, string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[username]
	if !ok {
		return dataprovider.User{}, "", false
	}
	if !c.now().Before(e.expires) {
		delete(c.entries, username)
		return dataprovider.User{}, "", false
	}
	if subtle.ConstantTimeCompare(e.secret[:], secret[:]) != 1 {
		return dataprovider.User{}, "", false
	}
	return e.user, e.method, true
}

func (c *userCache) add(username string, secret [32]byte, user dataprovider.User) {
	c.addLogin(username, secret, user, dataprovider.LoginMethodPassword)
}

// addLogin caches a user with the login method it was verified with.
func (c *userCache) addLogin(username string, secret [32]byte, user dataprovider.User, method string) {
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
	c.entries[username] = &cacheEntry{user: user, method: method, secret: secret, expires: now.Add(c.ttl)}
}

// remove drops one user, or every user when username is empty.
func (c *userCache) remove(username string) {
	c.mu.Lock()
	if username == "" {
		clear(c.entries)
	} else {
		delete(c.entries, username)
	}
	c.mu.Unlock()
}

func (c *userCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
