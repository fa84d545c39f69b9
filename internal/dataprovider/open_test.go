package dataprovider

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// With the real KMS and the default configuration: the database file is
// created in the config dir, secrets survive a reopen.
func TestOpenDefaultsWithKMS(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	mgr, err := kms.NewManager(config.KMSConfig{Secrets: config.KMSSecrets{MasterKey: "0123456789abcdef0123456789abcdef"}}, dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default().DataProvider
	cfg.PasswordHashing.BcryptOptions.Cost = 4
	s, err := Open(ctx, Options{Config: cfg, ConfigDir: dir, KMS: mgr})
	must(t, err)
	if err := s.CheckSchema(ctx); !errors.Is(err, ErrSchemaOutdated) {
		t.Fatalf("fresh database: %v", err)
	}
	must(t, s.Migrate(ctx))
	must(t, s.CheckAvailability(ctx))
	u := newUser("nina")
	u.FsConfig = Filesystem{Provider: CryptedFilesystemProvider, CryptConfig: CryptConfig{Passphrase: kms.NewPlainSecret("kms-protected")}}
	must(t, s.AddUser(ctx, &u))
	must(t, s.Close())
	if _, err := os.Stat(filepath.Join(dir, "sftpgo.db")); err != nil {
		t.Fatalf("database file: %v", err)
	}
	s2, err := Open(ctx, Options{Config: cfg, ConfigDir: dir, KMS: mgr})
	must(t, err)
	defer s2.Close()
	must(t, s2.CheckSchema(ctx))
	got, err := s2.GetUser(ctx, "nina")
	must(t, err)
	if p, err := s2.DecryptSecret(got.FsConfig.CryptConfig.Passphrase); err != nil || p != "kms-protected" {
		t.Fatalf("decrypt after reopen: %q %v", p, err)
	}
	// a group's secret reaches its members through the effective user
	g := Group{Name: "remote", UserSettings: GroupUserSettings{FsConfig: Filesystem{Provider: SFTPFilesystemProvider,
		SFTPConfig: SFTPConfig{Endpoint: "h:22", Username: "%username%", Password: kms.NewPlainSecret("group-secret")}}}}
	must(t, s2.AddGroup(ctx, &g))
	got.Password = ""
	got.Groups = []GroupMapping{{Name: "remote", Type: GroupTypePrimary}}
	must(t, s2.UpdateUser(ctx, &got))
	e, err := s2.GetEffectiveUser(ctx, "nina")
	must(t, err)
	if p, err := s2.DecryptSecret(e.FsConfig.SFTPConfig.Password); err != nil || p != "group-secret" || e.FsConfig.SFTPConfig.Username != "nina" {
		t.Fatalf("group secret through the effective user: %q %v", p, err)
	}
}

func TestOpenMemoryFromDump(t *testing.T) {
	ctx := context.Background()
	src := newTestStore(t, "sqlite")
	populate(t, src)
	dump, err := src.Dump(ctx)
	must(t, err)
	dir := t.TempDir()
	b, _ := json.Marshal(dump)
	must(t, os.WriteFile(filepath.Join(dir, "dump.json"), b, 0o600))
	cfg := testConfig("memory")
	cfg.Name = "dump.json"
	s, err := Open(ctx, Options{Config: cfg, ConfigDir: dir, Secrets: testEncrypter{}})
	must(t, err)
	if err := s.CheckSchema(ctx); err != nil {
		t.Fatalf("memory schema: %v", err)
	}
	if _, err := s.CheckUserPassword(ctx, "kate", "secret-kate"); err != nil {
		t.Fatalf("user from dump: %v", err)
	}
	cfg.Name = "missing.json"
	if _, err := Open(ctx, Options{Config: cfg, ConfigDir: dir}); err == nil {
		t.Fatal("missing dump file accepted")
	}
	cfg.Driver = "oracle"
	if _, err := Open(ctx, Options{Config: cfg, ConfigDir: dir}); err == nil || !strings.Contains(err.Error(), "unsupported") {
		t.Fatalf("unknown driver: %v", err)
	}
}
