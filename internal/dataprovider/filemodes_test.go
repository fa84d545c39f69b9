//go:build unix

package dataprovider

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestDatabaseFilesPrivate: the SQLite database with its -wal and -shm
// files, and the bolt file, are created 0600 in 0700 directories under a
// usual umask (before the fix sftpgo.db was 0644).
func TestDatabaseFilesPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	ctx := context.Background()
	for _, driver := range []string{"sqlite", "bolt"} {
		t.Run(driver, func(t *testing.T) {
			cfg := testConfig(driver)
			cfg.Name = filepath.Join("data", "sub", cfg.Name)
			dir := t.TempDir()
			s, err := Open(ctx, Options{Config: cfg, ConfigDir: dir, Secrets: testEncrypter{}})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			u := newUser("modes")
			if err := s.AddUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, cfg.Name)
			want := map[string]os.FileMode{file: 0o600, filepath.Dir(file): 0o700, filepath.Dir(filepath.Dir(file)): 0o700}
			if driver == "sqlite" {
				want[file+"-wal"], want[file+"-shm"] = 0o600, 0o600
			}
			for p, m := range want {
				fi, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != m {
					t.Errorf("%s: mode %04o, want %04o", p, fi.Mode().Perm(), m)
				}
			}
		})
	}
}

// TestWarnOnReadableDatabase: opening an existing database that others
// can read logs one warning naming it.
func TestWarnOnReadableDatabase(t *testing.T) {
	ctx := context.Background()
	for _, driver := range []string{"sqlite", "bolt"} {
		t.Run(driver, func(t *testing.T) {
			dir := t.TempDir()
			cfg := testConfig(driver)
			open := func() string {
				var buf bytes.Buffer
				s, err := Open(ctx, Options{Config: cfg, ConfigDir: dir, Secrets: testEncrypter{},
					Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))})
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				s.Close()
				return buf.String()
			}
			if out := open(); out != "" {
				t.Fatalf("warning on a fresh database: %q", out)
			}
			file := filepath.Join(dir, cfg.Name)
			if err := os.Chmod(file, 0o644); err != nil {
				t.Fatal(err)
			}
			out := open()
			if strings.Count(out, "\n") != 1 || !strings.Contains(out, file+" (0644)") || !strings.Contains(out, "level=WARN") {
				t.Fatalf("warning on a readable database: %q", out)
			}
		})
	}
}
