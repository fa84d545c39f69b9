package dataprovider

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"hash"
	"strings"
	"testing"

	"github.com/GehirnInc/crypt"
	"github.com/GehirnInc/crypt/md5_crypt"
	"github.com/GehirnInc/crypt/sha256_crypt"
	"github.com/GehirnInc/crypt/sha512_crypt"
	"golang.org/x/crypto/bcrypt"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

func pbkdf2Fixture(t *testing.T, prefix string, h func() hash.Hash, keyLen int, b64salt bool, password string) string {
	t.Helper()
	salt := "Wq3pLz9Kd0Xa"
	saltBytes := []byte(salt)
	if b64salt {
		saltBytes = []byte("raw\x00salt\xffbytes")
		salt = base64.StdEncoding.EncodeToString(saltBytes)
	}
	key, err := pbkdf2.Key(h, password, saltBytes, 1000, keyLen)
	if err != nil {
		t.Fatal(err)
	}
	return prefix + "1000$" + salt + "$" + base64.StdEncoding.EncodeToString(key)
}

func cryptFixture(t *testing.T, c crypt.Crypter, password string) string {
	t.Helper()
	h, err := c.Generate([]byte(password), nil)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// passwordFixtures returns, for each accepted stored format, a hash of
// password generated with the reference libraries.
func passwordFixtures(t *testing.T, password string) map[string]string {
	t.Helper()
	bc, err := bcrypt.GenerateFromPassword([]byte(password), 4)
	if err != nil {
		t.Fatal(err)
	}
	bcrypt2b := "$2b$" + strings.TrimPrefix(string(bc), "$2a$")
	bcrypt2y := "$2y$" + strings.TrimPrefix(string(bc), "$2a$")
	argon := newPasswordHasher(config.PasswordHashing{Algo: HashingAlgoArgon2ID,
		Argon2Options: config.Argon2Options{Memory: 1024, Iterations: 1, Parallelism: 1}})
	ar, err := argon.hash(password)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"bcrypt-2a":             string(bc),
		"bcrypt-2b":             bcrypt2b,
		"bcrypt-2y":             bcrypt2y,
		"argon2id":              ar,
		"pbkdf2-sha1":           pbkdf2Fixture(t, pbkdf2SHA1Prefix, sha1.New, 20, false, password),
		"pbkdf2-sha256":         pbkdf2Fixture(t, pbkdf2SHA256Prefix, sha256.New, 32, false, password),
		"pbkdf2-sha512":         pbkdf2Fixture(t, pbkdf2SHA512Prefix, sha512.New, 64, false, password),
		"pbkdf2-b64salt-sha256": pbkdf2Fixture(t, pbkdf2B64SaltSHA, sha256.New, 32, true, password),
		"md5crypt":              cryptFixture(t, md5_crypt.New(), password),
		"sha256crypt":           cryptFixture(t, sha256_crypt.New(), password),
		"sha512crypt":           cryptFixture(t, sha512_crypt.New(), password),
	}
}

func TestVerifyPasswordFormats(t *testing.T) {
	fixtures := passwordFixtures(t, "Pa55 wörd")
	// the example of the reference product's documentation
	fixtures["pbkdf2-sha256-doc"] = "$pbkdf2-sha256$150000$E86a9YMX3zC7$R5J62hsSq+pYw00hLLPKBbcGXmq7fj5+/M0IFoYtZbo="
	for name, stored := range fixtures {
		t.Run(name, func(t *testing.T) {
			pwd := "Pa55 wörd"
			if name == "pbkdf2-sha256-doc" {
				pwd = "password"
			}
			if !IsPasswordHashed(stored) {
				t.Fatalf("%q not recognised as a hash", stored)
			}
			if err := verifyPassword(stored, pwd); err != nil {
				t.Fatalf("correct password rejected: %v", err)
			}
			if err := verifyPassword(stored, pwd+"x"); err == nil {
				t.Fatal("wrong password accepted")
			}
			if err := verifyPassword(stored, ""); err == nil {
				t.Fatal("empty password accepted")
			}
		})
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	for _, stored := range []string{"", "plain", "$argon2id$v=19$m=1,t=0,p=1$AAAA$AAAA", "$argon2id$broken",
		"$pbkdf2-sha256$0$salt$AAAA", "$pbkdf2-md5$1000$salt$AAAA", "$pbkdf2-sha256$1000$salt$!!!",
		"$1$", "$6$rounds=x$", "$2a$10$short", "$sha256$???"} {
		if verifyPassword(stored, "x") == nil {
			t.Errorf("malformed %q accepted", stored)
		}
	}
}

func TestHashNewPasswords(t *testing.T) {
	for _, algo := range []string{HashingAlgoBcrypt, HashingAlgoArgon2ID} {
		h := newPasswordHasher(config.PasswordHashing{Algo: algo, BcryptOptions: config.BcryptOptions{Cost: 4},
			Argon2Options: config.Argon2Options{Memory: 1024, Iterations: 1, Parallelism: 1}})
		stored, err := h.hash("s3cret")
		if err != nil {
			t.Fatal(err)
		}
		wantPrefix := map[string]string{HashingAlgoBcrypt: "$2a$04$", HashingAlgoArgon2ID: "$argon2id$v=19$m=1024,t=1,p=1$"}[algo]
		if !strings.HasPrefix(stored, wantPrefix) {
			t.Fatalf("%s: stored %q lacks prefix %q", algo, stored, wantPrefix)
		}
		if verifyPassword(stored, "s3cret") != nil || verifyPassword(stored, "s3cre") == nil {
			t.Fatalf("%s: verification wrong", algo)
		}
	}
}

// A user created through the API with an already hashed password keeps it
// and can log in with the clear password: migrations from other systems.
func TestPreHashedPasswordsStoredAsIs(t *testing.T) {
	ctx := context.Background()
	fixtures := passwordFixtures(t, "migrated")
	forEachDriver(t, func(t *testing.T, s *Store) {
		for name, stored := range fixtures {
			u := newUser("u-" + name)
			u.Password = stored
			if err := s.AddUser(ctx, &u); err != nil {
				t.Fatalf("%s: add: %v", name, err)
			}
			if u.Password != stored {
				t.Fatalf("%s: stored %q, want as-is %q", name, u.Password, stored)
			}
			if _, err := s.CheckUserPassword(ctx, u.Username, "migrated"); err != nil {
				t.Fatalf("%s: login: %v", name, err)
			}
			if _, err := s.CheckUserPassword(ctx, u.Username, "migrate"); err == nil {
				t.Fatalf("%s: wrong password accepted", name)
			}
		}
	})
}

func TestPasswordCache(t *testing.T) {
	c := newPasswordCache()
	c.add("u:a", "$2a$hash1", "pw")
	if !c.check("u:a", "$2a$hash1", "pw") {
		t.Fatal("cached password not found")
	}
	if c.check("u:a", "$2a$hash1", "other") {
		t.Fatal("different password matched the cache")
	}
	if c.check("u:a", "$2a$hash2", "pw") {
		t.Fatal("entry matched a changed stored hash")
	}
	c.remove("u:a")
	if c.check("u:a", "$2a$hash1", "pw") {
		t.Fatal("removed entry still matches")
	}
	var nilCache *passwordCache
	nilCache.add("x", "y", "z")
	if nilCache.check("x", "y", "z") {
		t.Fatal("disabled cache matched")
	}
}

func TestPasswordStrength(t *testing.T) {
	weak, strong := "aaaaaaaaaaaa", "Tr0ub4dor&3-horse-Staple"
	if passwordEntropy(weak) >= passwordEntropy("abcxyzqw") {
		t.Fatalf("repeats not discounted: %v", passwordEntropy(weak))
	}
	if passwordEntropy("123456789") >= passwordEntropy("1739")*2 {
		t.Fatalf("runs not discounted: %v", passwordEntropy("123456789"))
	}
	if passwordEntropy(strong) < 100 {
		t.Fatalf("strong password rated %v", passwordEntropy(strong))
	}
	ctx := context.Background()
	s := newTestStore(t, "memory", func(c *config.DataProviderConfig) {
		c.PasswordValidation.Users.MinEntropy = 50
		c.PasswordValidation.Admins.MinEntropy = 50
	})
	u := newUser("weak")
	u.Password = weak
	if err := s.AddUser(ctx, &u); !errors.Is(err, ErrValidation) {
		t.Fatalf("weak user password: %v", err)
	}
	u.Password = strong
	if err := s.AddUser(ctx, &u); err != nil {
		t.Fatalf("strong user password: %v", err)
	}
	a := Admin{Username: "adm", Password: "short", Status: 1, Permissions: []string{"*"}}
	if err := s.AddAdmin(ctx, &a); !errors.Is(err, ErrValidation) {
		t.Fatalf("weak admin password: %v", err)
	}
	// pre-hashed passwords cannot be measured and are accepted
	u2 := newUser("hashed")
	u2.Password = passwordFixtures(t, "x")["bcrypt-2a"]
	if err := s.AddUser(ctx, &u2); err != nil {
		t.Fatalf("pre-hashed password: %v", err)
	}
}

func TestUnknownUserCostsAVerification(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, "memory")
	if _, err := s.CheckUserPassword(ctx, "nobody", "pw"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.dummyHash, "$2a$") {
		t.Fatalf("no dummy verification ran: %q", s.dummyHash)
	}
}
