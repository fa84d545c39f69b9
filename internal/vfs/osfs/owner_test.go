//go:build linux

package osfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// With an owner option every entry the Fs creates belongs to it.
func TestOwnerOption(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown needs root")
	}
	dir := t.TempDir()
	f, err := New(dir, Options{UID: 1234, GID: 2345})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx := context.Background()
	if err := f.Mkdir(ctx, "/d"); err != nil {
		t.Fatal(err)
	}
	w, err := f.Create(ctx, "/d/c.txt", vfs.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x"))
	w.Close()
	r, err := f.OpenFile(ctx, "/d/r.txt", os.O_WRONLY|os.O_CREATE, 0)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if err := f.Symlink(ctx, "c.txt", "/d/l"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"d", "d/c.txt", "d/r.txt", "d/l"} {
		fi, err := os.Lstat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != 1234 || st.Gid != 2345 {
			t.Errorf("%s owned by %d:%d, want 1234:2345", p, st.Uid, st.Gid)
		}
	}
}

// ENOSPC and EDQUOT carry vfs.ErrNoSpace.
func TestNoSpaceMapping(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT} {
		t.Run(fmt.Sprint(errno), func(t *testing.T) {
			err := mapErr("mkdir", "/x", &fs.PathError{Op: "mkdirat", Path: "x", Err: errno}, false)
			if !errors.Is(err, vfs.ErrNoSpace) || !errors.Is(err, errno) {
				t.Fatalf("%v does not carry both vfs.ErrNoSpace and the errno", err)
			}
		})
	}
}
