package dataprovider

import (
	"bytes"
	"context"
	"errors"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fileContains reads every file of a sqlite database (main file and WAL).
func fileContains(t *testing.T, dbFile string, needle string) bool {
	t.Helper()
	matches, _ := filepath.Glob(dbFile + "*")
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(needle)) {
			return true
		}
	}
	return false
}

// storedContains reports whether needle is anywhere in what a SQL store
// keeps: the database files for SQLite, every text column of every table
// for the database servers.
func storedContains(t *testing.T, s *Store, needle string) bool {
	t.Helper()
	d := s.driver.(*sqlDriver)
	if d.file != "" {
		return fileContains(t, dbPath(t, s), needle)
	}
	ctx := context.Background()
	for _, table := range []string{"users", "groups", "folders", "admins", "api_keys", "shares", "sections"} {
		rows, err := d.db.QueryContext(ctx, d.sq("SELECT * FROM {p}"+table))
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if b, ok := v.([]byte); ok && bytes.Contains(b, []byte(needle)) {
					rows.Close()
					return true
				}
				if str, ok := v.(string); ok && strings.Contains(str, needle) {
					rows.Close()
					return true
				}
			}
		}
		rows.Close()
	}
	return false
}

func TestSecretsEncryptedAtRest(t *testing.T) {
	for _, driver := range sqlDrivers {
		t.Run(driver, func(t *testing.T) { testSecretsEncryptedAtRest(t, driver) })
	}
}

func testSecretsEncryptedAtRest(t *testing.T, driver string) {
	ctx := context.Background()
	s := newTestStore(t, driver)
	const plain = "very-secret-S3-key-0123456789"
	u := newUser("erin")
	u.FsConfig = Filesystem{Provider: S3FilesystemProvider, S3Config: S3Config{Bucket: "b", Region: "r",
		AccessKey: "AK", AccessSecret: kms.NewPlainSecret(plain)},
		// a section of another provider is dropped, secrets included
		FTPConfig: FTPConfig{Password: kms.NewPlainSecret("ftp-leftover-secret")}}
	if err := s.AddUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	sec := u.FsConfig.S3Config.AccessSecret
	if !sec.IsEncrypted() || sec.AdditionalData != "erin" || sec.Payload == plain {
		t.Fatalf("secret not sealed: %+v", sec)
	}
	if u.FsConfig.FTPConfig.Password != nil {
		t.Fatal("secret of an unused provider section kept")
	}
	if got, err := s.DecryptSecret(sec); err != nil || got != plain {
		t.Fatalf("decrypt: %q %v", got, err)
	}
	if storedContains(t, s, plain) || storedContains(t, s, "ftp-leftover-secret") {
		t.Fatal("clear secret found in the database files")
	}
	if !storedContains(t, s, sec.Payload) {
		t.Fatal("encrypted payload not found: the scan reads the wrong files")
	}
	// a redacted secret on update keeps the stored one
	u.FsConfig.S3Config.AccessSecret = sec.Redacted()
	u.Password = ""
	if err := s.UpdateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	if got := u.FsConfig.S3Config.AccessSecret; got == nil || got.Payload != sec.Payload {
		t.Fatalf("redacted secret did not keep the stored one: %+v", got)
	}
	// a new plain secret replaces it
	u.FsConfig.S3Config.AccessSecret = kms.NewPlainSecret("rotated")
	if err := s.UpdateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.DecryptSecret(u.FsConfig.S3Config.AccessSecret); got != "rotated" {
		t.Fatalf("rotated secret: %q", got)
	}
	// an empty secret removes it (allowed here: no access key)
	u.FsConfig.S3Config.AccessKey = ""
	u.FsConfig.S3Config.AccessSecret = &kms.Secret{}
	if err := s.UpdateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	if u.FsConfig.S3Config.AccessSecret != nil {
		t.Fatalf("empty secret kept: %+v", u.FsConfig.S3Config.AccessSecret)
	}
	// folder and group secrets are bound to their names
	f := BaseVirtualFolder{Name: "vault", MappedPath: "/vault", FsConfig: Filesystem{Provider: CryptedFilesystemProvider,
		CryptConfig: CryptConfig{Passphrase: kms.NewPlainSecret("folder-passphrase-xyz")}}}
	if err := s.AddFolder(ctx, &f); err != nil {
		t.Fatal(err)
	}
	if f.FsConfig.CryptConfig.Passphrase.AdditionalData != "vault" {
		t.Fatalf("folder secret: %+v", f.FsConfig.CryptConfig.Passphrase)
	}
	g := Group{Name: "sftpgrp", UserSettings: GroupUserSettings{FsConfig: Filesystem{Provider: SFTPFilesystemProvider,
		SFTPConfig: SFTPConfig{Endpoint: "h:22", Username: "%username%", Password: kms.NewPlainSecret("group-password-xyz")}}}}
	if err := s.AddGroup(ctx, &g); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"folder-passphrase-xyz", "group-password-xyz"} {
		if storedContains(t, s, p) {
			t.Fatalf("clear %q in the database", p)
		}
	}
}

func TestSecretsNeedKMS(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig("memory")
	s, err := Open(ctx, Options{Config: cfg, ConfigDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	u := newUser("nokms")
	if err := s.AddUser(ctx, &u); err != nil {
		t.Fatalf("user without secrets needs no KMS: %v", err)
	}
	u2 := newUser("withsecret")
	u2.FsConfig = Filesystem{Provider: CryptedFilesystemProvider, CryptConfig: CryptConfig{Passphrase: kms.NewPlainSecret("p")}}
	if err := s.AddUser(ctx, &u2); !errors.Is(err, errNoKMS) {
		t.Fatalf("secret without KMS: %v", err)
	}
}
