package dataprovider

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dbtest"
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
// PostgreSQL and MySQL (MariaDB) run on private servers that
// internal/dbtest starts for this test binary, with a fresh database per
// test; a missing server fails the tests.
var drivers = []string{"memory", "sqlite", "bolt", "postgresql", "mysql"}

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func testConfig(driver string) config.DataProviderConfig {
	return config.DataProviderConfig{
		Driver:          driver,
		Name:            map[string]string{"memory": "", "sqlite": "sftpgo.db", "bolt": "sftpgo.bolt"}[driver],
		NamingRules:     NamingRuleAllowUTF8 | NamingRuleTrim,
		PasswordCaching: true,
		PasswordHashing: config.PasswordHashing{Algo: HashingAlgoBcrypt, BcryptOptions: config.BcryptOptions{Cost: 4}},
	}
}

// withDatabase points a PostgreSQL or MySQL configuration at a fresh
// database of the test's server, through host, port, username, password
// and name (the DSN builders are part of what runs).
func withDatabase(t testing.TB, cfg *config.DataProviderConfig) {
	t.Helper()
	if cfg.Driver != "postgresql" && cfg.Driver != "mysql" {
		return
	}
	db := dbtest.NewDatabase(t, dbtest.Kind(cfg.Driver))
	cfg.Host, cfg.Port, cfg.Username, cfg.Password, cfg.Name = db.Host, db.Port, db.User, db.Password, db.Name
}

// newTestStore opens a migrated store in a temp dir.
func newTestStore(t testing.TB, driver string, mod ...func(*config.DataProviderConfig)) *Store {
	t.Helper()
	cfg := testConfig(driver)
	withDatabase(t, &cfg)
	for _, m := range mod {
		m(&cfg)
	}
	dir := t.TempDir()
	s, err := Open(context.Background(), Options{Config: cfg, ConfigDir: dir, Secrets: testEncrypter{}})
	if err != nil {
		t.Fatalf("open %s: %v", driver, err)
	}
	t.Cleanup(func() { s.Close() })
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
