package osfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

func newTestFs(t testing.TB) *Fs {
	t.Helper()
	fsys, err := New(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func TestConformance(t *testing.T) {
	vfstest.Run(t, func(t *testing.T) vfs.Fs { return newTestFs(t) }, vfstest.Chmod, vfstest.Chown, vfstest.Chtimes, vfstest.Copy, vfstest.Link, vfstest.LocalPath, vfstest.RandomAccess,
		vfstest.ReaderAt, vfstest.StatVFS, vfstest.Symlink, vfstest.Truncate, vfstest.Append)
}

func TestNewCreatesRootAndAppliesModes(t *testing.T) {
	root := filepath.Join(t.TempDir(), "a", "b", "home")
	fsys, err := New(root, Options{DirMode: 0o750, FileMode: 0o640})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	fi, err := os.Stat(root)
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != DefaultRootMode {
		t.Fatalf("root: %v, %v; want a %o directory", fi, err, DefaultRootMode)
	}
	ctx := t.Context()
	if err := fsys.Mkdir(ctx, "/d"); err != nil {
		t.Fatal(err)
	}
	vfstest.WriteFile(t, fsys, "/d/f", []byte("x"))
	w, err := fsys.Create(ctx, "/d/g", vfs.CreateOptions{Mode: 0o600})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]fs.FileMode{"/d": 0o750, "/d/f": 0o640, "/d/g": 0o600} {
		fi, err := fsys.Stat(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Fatalf("%s: mode %o, want %o", name, fi.Mode().Perm(), want)
		}
	}
	if _, err := New("", Options{}); err == nil {
		t.Fatal("New with an empty root succeeded")
	}
	// A second Fs on the same root sees the same tree.
	again, err := New(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if got := vfstest.ReadFile(t, again, "/d/f", 0); string(got) != "x" {
		t.Fatalf("reopened root reads %q", got)
	}
}

func TestErrorsNameTheFsPath(t *testing.T) {
	fsys := newTestFs(t)
	defer fsys.Close()
	_, err := fsys.Stat(t.Context(), "/missing/file")
	if err == nil || strings.Contains(err.Error(), fsys.Root()) {
		t.Fatalf("error %q discloses the host root %q", err, fsys.Root())
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != "/missing/file" {
		t.Fatalf("error %#v: want a *fs.PathError naming /missing/file", err)
	}
}
