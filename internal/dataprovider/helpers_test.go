package dataprovider

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// testEncrypter stands in for the KMS: a reversible scrambling that never
// leaves the clear text visible, bound to the additional data.
type testEncrypter struct{}

func scramble(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = c ^ 0x5a
	}
	return out
}

func (testEncrypter) Encrypt(s *kms.Secret, ad string) error {
	if !s.IsPlain() {
		return nil
	}
	s.Status = kms.StatusAES256GCM
	s.Payload = base64.StdEncoding.EncodeToString(scramble([]byte(s.Payload)))
	s.AdditionalData = ad
	s.Key = "test-key"
	return nil
}

func (testEncrypter) Decrypt(s *kms.Secret) (string, error) {
	if s.IsPlain() {
		return s.Payload, nil
	}
	if s.Status != kms.StatusAES256GCM {
		return "", errors.New("unknown status")
	}
	b, err := base64.StdEncoding.DecodeString(s.Payload)
	if err != nil {
		return "", err
	}
	return string(scramble(b)), nil
}

// drivers are the drivers every driver-agnostic test runs against.
// PostgreSQL and MySQL join when SFTPGO_TEST_POSTGRES_DSN or
// SFTPGO_TEST_MYSQL_DSN name a database (each test then works under its
// own table prefix and drops its tables).
var drivers = func() []string {
	d := []string{"memory", "sqlite", "bolt"}
	if os.Getenv("SFTPGO_TEST_POSTGRES_DSN") != "" {
		d = append(d, "postgresql")
	}
	if os.Getenv("SFTPGO_TEST_MYSQL_DSN") != "" {
		d = append(d, "mysql")
	}
	return d
}()

var tablePrefixSeq atomic.Int64

func testConfig(driver string) config.DataProviderConfig {
	var prefix, dsn string
	switch driver {
	case "postgresql":
		dsn = os.Getenv("SFTPGO_TEST_POSTGRES_DSN")
	case "mysql":
		dsn = os.Getenv("SFTPGO_TEST_MYSQL_DSN")
	}
	if dsn != "" {
		prefix = fmt.Sprintf("t%d_%d_", os.Getpid(), tablePrefixSeq.Add(1))
	}
	return config.DataProviderConfig{
		Driver:           driver,
		ConnectionString: dsn,
		SQLTablesPrefix:  prefix,
		Name:             map[string]string{"memory": "", "sqlite": "sftpgo.db", "bolt": "sftpgo.bolt"}[driver],
		NamingRules:      NamingRuleAllowUTF8 | NamingRuleTrim,
		PasswordCaching:  true,
		PasswordHashing:  config.PasswordHashing{Algo: HashingAlgoBcrypt, BcryptOptions: config.BcryptOptions{Cost: 4}},
	}
}

// newTestStore opens a migrated store in a temp dir.
func newTestStore(t testing.TB, driver string, mod ...func(*config.DataProviderConfig)) *Store {
	t.Helper()
	cfg := testConfig(driver)
	for _, m := range mod {
		m(&cfg)
	}
	dir := t.TempDir()
	s, err := Open(context.Background(), Options{Config: cfg, ConfigDir: dir, Secrets: testEncrypter{}})
	if err != nil {
		t.Fatalf("open %s: %v", driver, err)
	}
	t.Cleanup(func() {
		if driver == "postgresql" || driver == "mysql" {
			s.Reset(context.Background())
		}
		s.Close()
	})
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", driver, err)
	}
	return s
}

func dbPath(t testing.TB, s *Store) string {
	t.Helper()
	if d, ok := s.driver.(*sqlDriver); ok {
		return d.file
	}
	return filepath.Join(t.TempDir(), "none")
}

func forEachDriver(t *testing.T, fn func(t *testing.T, s *Store)) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			fn(t, newTestStore(t, d))
		})
	}
}

func newUser(name string) User {
	return User{
		Username:    name,
		Status:      StatusEnabled,
		Password:    "secret-" + name,
		HomeDir:     "/srv/sftp/" + name,
		Permissions: map[string][]string{"/": {PermAny}},
	}
}

func testPublicKey(t testing.TB) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(ssh.MarshalAuthorizedKey(sp))
}
