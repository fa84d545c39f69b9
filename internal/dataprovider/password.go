package dataprovider

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"sync"

	"github.com/GehirnInc/crypt"
	_ "github.com/GehirnInc/crypt/md5_crypt"    // registers $1$
	_ "github.com/GehirnInc/crypt/sha256_crypt" // registers $5$
	_ "github.com/GehirnInc/crypt/sha512_crypt" // registers $6$
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// Password hashing algorithms accepted in password_hashing.algo.
const (
	HashingAlgoBcrypt   = "bcrypt"
	HashingAlgoArgon2ID = "argon2id"
)

const (
	argon2IDPrefix     = "$argon2id$"
	pbkdf2SHA1Prefix   = "$pbkdf2-sha1$"
	pbkdf2SHA256Prefix = "$pbkdf2-sha256$"
	pbkdf2SHA512Prefix = "$pbkdf2-sha512$"
	pbkdf2B64SaltSHA   = "$pbkdf2-b64salt-sha256$"
	sha256KeyPrefix    = "$sha256$"
)

// hashPrefixes are the stored forms the verifier understands; a password
// sent through the API that starts with one of them is stored unchanged.
var hashPrefixes = []string{"$2a$", "$2b$", "$2y$", argon2IDPrefix, pbkdf2SHA1Prefix,
	pbkdf2SHA256Prefix, pbkdf2SHA512Prefix, pbkdf2B64SaltSHA, "$1$", "$5$", "$6$"}

// IsPasswordHashed reports whether p already is a hash in one of the
// accepted formats.
func IsPasswordHashed(p string) bool {
	for _, prefix := range hashPrefixes {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// passwordHasher hashes new passwords as configured.
type passwordHasher struct {
	algo       string
	bcryptCost int
	memory     uint32
	iterations uint32
	threads    uint8
}

func newPasswordHasher(cfg config.PasswordHashing) passwordHasher {
	h := passwordHasher{algo: cfg.Algo, bcryptCost: cfg.BcryptOptions.Cost,
		memory: cfg.Argon2Options.Memory, iterations: cfg.Argon2Options.Iterations,
		threads: cfg.Argon2Options.Parallelism}
	if h.algo == "" {
		h.algo = HashingAlgoBcrypt
	}
	if h.bcryptCost < bcrypt.MinCost || h.bcryptCost > bcrypt.MaxCost {
		h.bcryptCost = bcrypt.DefaultCost
	}
	if h.memory == 0 {
		h.memory = 65536
	}
	if h.iterations == 0 {
		h.iterations = 1
	}
	if h.threads == 0 {
		h.threads = 2
	}
	return h
}

// hash returns the stored form of a new password; an already hashed value
// is returned as is.
func (h passwordHasher) hash(password string) (string, error) {
	if IsPasswordHashed(password) {
		return password, nil
	}
	if h.algo == HashingAlgoArgon2ID {
		salt := make([]byte, 16)
		if _, err := rand.Read(salt); err != nil {
			return "", err
		}
		key := argon2.IDKey([]byte(password), salt, h.iterations, h.memory, h.threads, 32)
		return fmt.Sprintf("%sv=%d$m=%d,t=%d,p=%d$%s$%s", argon2IDPrefix, argon2.Version, h.memory,
			h.iterations, h.threads, base64.RawStdEncoding.EncodeToString(salt),
			base64.RawStdEncoding.EncodeToString(key)), nil
	}
	b, err := bcrypt.GenerateFromPassword([]byte(password), h.bcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(b), nil
}

var errPasswordMismatch = errors.New("password mismatch")

// verifyPassword checks password against a stored hash in any accepted
// format. It returns nil on match.
func verifyPassword(stored, password string) error {
	switch {
	case stored == "":
		return errPasswordMismatch
	case strings.HasPrefix(stored, "$2a$"), strings.HasPrefix(stored, "$2b$"), strings.HasPrefix(stored, "$2y$"):
		if bcrypt.CompareHashAndPassword([]byte(stored), []byte(password)) != nil {
			return errPasswordMismatch
		}
		return nil
	case strings.HasPrefix(stored, argon2IDPrefix):
		return verifyArgon2ID(stored, password)
	case strings.HasPrefix(stored, "$pbkdf2-"):
		return verifyPBKDF2(stored, password)
	case strings.HasPrefix(stored, sha256KeyPrefix):
		sum := sha256.Sum256([]byte(password))
		want, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(stored, sha256KeyPrefix))
		if err != nil || subtle.ConstantTimeCompare(sum[:], want) != 1 {
			return errPasswordMismatch
		}
		return nil
	case strings.HasPrefix(stored, "$1$"), strings.HasPrefix(stored, "$5$"), strings.HasPrefix(stored, "$6$"):
		if !crypt.IsHashSupported(stored) {
			return errPasswordMismatch
		}
		if crypt.NewFromHash(stored).Verify(stored, []byte(password)) != nil {
			return errPasswordMismatch
		}
		return nil
	default:
		return errPasswordMismatch
	}
}

// verifyArgon2ID parses $argon2id$v=19$m=M,t=T,p=P$salt$key (unpadded
// standard base64, the PHC string format).
func verifyArgon2ID(stored, password string) error {
	parts := strings.Split(stored, "$")
	if len(parts) != 6 {
		return errPasswordMismatch
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return errPasswordMismatch
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || t == 0 || p == 0 {
		return errPasswordMismatch
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return errPasswordMismatch
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 1024 {
		return errPasswordMismatch
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return errPasswordMismatch
	}
	return nil
}

// verifyPBKDF2 parses $pbkdf2-<sha1|sha256|sha512>$iterations$salt$hash
// with the salt taken as is and the hash in standard base64, plus
// $pbkdf2-b64salt-sha256$ where the salt is base64 too.
func verifyPBKDF2(stored, password string) error {
	parts := strings.Split(stored, "$")
	if len(parts) != 5 {
		return errPasswordMismatch
	}
	var h func() hash.Hash
	b64Salt := false
	switch parts[1] {
	case "pbkdf2-sha1":
		h = sha1.New
	case "pbkdf2-sha256":
		h = sha256.New
	case "pbkdf2-sha512":
		h = sha512.New
	case "pbkdf2-b64salt-sha256":
		h, b64Salt = sha256.New, true
	default:
		return errPasswordMismatch
	}
	iter, err := strconv.Atoi(parts[2])
	if err != nil || iter <= 0 {
		return errPasswordMismatch
	}
	salt := []byte(parts[3])
	if b64Salt {
		if salt, err = base64.StdEncoding.DecodeString(parts[3]); err != nil {
			return errPasswordMismatch
		}
	}
	want, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(want) == 0 {
		return errPasswordMismatch
	}
	got, err := pbkdf2.Key(h, password, salt, iter, len(want))
	if err != nil || subtle.ConstantTimeCompare(got, want) != 1 {
		return errPasswordMismatch
	}
	return nil
}

// passwordCache remembers successful verifications so protocols that
// authenticate every request (WebDAV, REST) do not pay bcrypt or argon2
// each time. An entry is bound to the stored hash it was checked against,
// so a changed password never matches a stale entry; updates and deletes
// also drop it explicitly.
type passwordCache struct {
	mu      sync.Mutex
	entries map[string]passwordCacheEntry
}

type passwordCacheEntry struct {
	stored string
	digest [32]byte
}

const passwordCacheMax = 10000

func newPasswordCache() *passwordCache {
	return &passwordCache{entries: map[string]passwordCacheEntry{}}
}

func (c *passwordCache) check(key, stored, password string) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if !ok || subtle.ConstantTimeCompare([]byte(e.stored), []byte(stored)) != 1 {
		return false
	}
	d := sha256.Sum256([]byte(password))
	return subtle.ConstantTimeCompare(d[:], e.digest[:]) == 1
}

func (c *passwordCache) add(key, stored, password string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= passwordCacheMax {
		clear(c.entries)
	}
	c.entries[key] = passwordCacheEntry{stored: stored, digest: sha256.Sum256([]byte(password))}
}

func (c *passwordCache) remove(key string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	delete(c.entries, key)
	c.mu.Unlock()
}

// spendVerification runs one password verification against a throw-away
// hash, so a login for an unknown name takes as long as a wrong password
// and does not reveal which names exist.
func (s *Store) spendVerification() {
	s.dummyOnce.Do(func() {
		s.dummyHash, _ = s.hasher.hash(randomToken(16))
	})
	_ = verifyPassword(s.dummyHash, "not-the-password")
}
