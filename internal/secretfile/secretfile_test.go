//go:build unix

package secretfile

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestEnsureCreatesPrivateFileAndDirs(t *testing.T) {
	old := syscall.Umask(0) // the widest umask: modes come from the code alone
	t.Cleanup(func() { syscall.Umask(old) })
	dir := filepath.Join(t.TempDir(), "a", "b")
	p := filepath.Join(dir, "db")
	if err := Ensure(p); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{p: FileMode, dir: DirMode, filepath.Dir(dir): DirMode} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Fatalf("%s: mode %04o, want %04o", path, fi.Mode().Perm(), want)
		}
	}
	// an existing file is left as it is, content included
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Ensure(p); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "x" {
		t.Fatal("Ensure truncated an existing file")
	}
}

func TestWarnNamesExposedFilesOnce(t *testing.T) {
	dir := t.TempDir()
	priv, pub, missing := filepath.Join(dir, "priv"), filepath.Join(dir, "pub"), filepath.Join(dir, "none")
	if err := os.WriteFile(priv, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pub, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(pub, 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	Warn(log, "keys", priv, pub, missing)
	out := buf.String()
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, pub+" (0644)") || strings.Contains(out, priv) {
		t.Fatalf("warning: %q", out)
	}
	buf.Reset()
	Warn(log, "keys", priv, missing)
	if buf.Len() != 0 {
		t.Fatalf("warned about private files: %q", buf.String())
	}
}
