package telemetry

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/GehirnInc/crypt"
	_ "github.com/GehirnInc/crypt/apr1_crypt"   // registers $apr1$
	_ "github.com/GehirnInc/crypt/md5_crypt"    // registers $1$
	_ "github.com/GehirnInc/crypt/sha256_crypt" // registers $5$
	_ "github.com/GehirnInc/crypt/sha512_crypt" // registers $6$
	"golang.org/x/crypto/bcrypt"
)

// htpasswd holds the users of an Apache htpasswd file: one "user:hash"
// a line, the hash written by `htpasswd -B` (bcrypt $2y$, also $2a$ and
// $2b$), `htpasswd -m` ($apr1$, Apache's MD5), `htpasswd -s` ({SHA},
// base64 SHA-1) or a glibc crypt ($1$, $5$, $6$). Traditional DES crypt
// (`htpasswd -d`) and plain text are refused when the file is loaded, so
// a user is never silently locked out.
type htpasswd struct {
	users map[string]string

	// verified caches the SHA-256 of the last password that matched each
	// user, so a scraper every few seconds does not pay a bcrypt each time.
	mu       sync.Mutex
	verified map[string][sha256.Size]byte
}

// dummyBcrypt is compared against when the user is unknown, so that an
// unknown name costs about as much as a wrong password.
var dummyBcrypt = []byte("$2a$10$i3wTYWtPMV6eULZ5Ga646uRNLNzSMeiJK8.uy7ZmGX5hSzzn7i2WK")

func loadHtpasswd(path string) (*htpasswd, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth_user_file: %w", err)
	}
	return parseHtpasswd(data)
}

func parseHtpasswd(data []byte) (*htpasswd, error) {
	h := &htpasswd{users: map[string]string{}, verified: map[string][sha256.Size]byte{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		user, hash, ok := strings.Cut(text, ":")
		if !ok || user == "" || hash == "" {
			return nil, fmt.Errorf("auth_user_file: line %d: want user:hash", line)
		}
		if err := checkHashFormat(hash); err != nil {
			return nil, fmt.Errorf("auth_user_file: line %d (user %q): %w", line, user, err)
		}
		h.users[user] = hash
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("auth_user_file: %w", err)
	}
	return h, nil
}

func isBcrypt(hash string) bool {
	return strings.HasPrefix(hash, "$2y$") || strings.HasPrefix(hash, "$2a$") || strings.HasPrefix(hash, "$2b$")
}

func checkHashFormat(hash string) error {
	switch {
	case isBcrypt(hash):
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return fmt.Errorf("invalid bcrypt hash: %w", err)
		}
		return nil
	case strings.HasPrefix(hash, "{SHA}"):
		if raw, err := base64.StdEncoding.DecodeString(hash[5:]); err != nil || len(raw) != sha1.Size {
			return fmt.Errorf("invalid {SHA} hash")
		}
		return nil
	case strings.HasPrefix(hash, "$apr1$"), strings.HasPrefix(hash, "$1$"), strings.HasPrefix(hash, "$5$"), strings.HasPrefix(hash, "$6$"):
		if !crypt.IsHashSupported(hash) {
			return fmt.Errorf("unsupported crypt hash")
		}
		return nil
	}
	return fmt.Errorf("unsupported hash format (use htpasswd -B for bcrypt, or -m for $apr1$)")
}

// verify reports whether password is the one of user.
func (h *htpasswd) verify(user, password string) bool {
	hash, ok := h.users[user]
	if !ok {
		_ = bcrypt.CompareHashAndPassword(dummyBcrypt, []byte(password))
		return false
	}
	sum := sha256.Sum256([]byte(password))
	h.mu.Lock()
	prev, cached := h.verified[user]
	h.mu.Unlock()
	if cached && subtle.ConstantTimeCompare(prev[:], sum[:]) == 1 {
		return true
	}
	if !matchHash(hash, password) {
		return false
	}
	h.mu.Lock()
	h.verified[user] = sum
	h.mu.Unlock()
	return true
}

func matchHash(hash, password string) bool {
	switch {
	case isBcrypt(hash):
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
	case strings.HasPrefix(hash, "{SHA}"):
		sum := sha1.Sum([]byte(password))
		want := base64.StdEncoding.EncodeToString(sum[:])
		return subtle.ConstantTimeCompare([]byte(want), []byte(hash[5:])) == 1
	case crypt.IsHashSupported(hash):
		return crypt.NewFromHash(hash).Verify(hash, []byte(password)) == nil
	}
	return false
}
