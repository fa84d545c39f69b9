//go:build linux

package common

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

func ownerOf(t *testing.T, p string) (uint32, uint32) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return st.Uid, st.Gid
}

// Files and directories a user with uid/gid creates on local storage
// belong to that uid/gid when the server runs as root, in the home and in
// a virtual folder, in direct and atomic upload mode.
func TestUploadOwnedByUserUIDGID(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("applying uid/gid needs root")
	}
	for _, mode := range []int{UploadModeStandard, UploadModeAtomic} {
		store := newStoreOnly()
		s, err := New(config.CommonConfig{UploadMode: mode}, Deps{Store: store, UsersBaseDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		u := testUser(t, "owned")
		u.UID, u.GID = 1000, 1001
		vf := filepath.Join(t.TempDir(), "vf")
		u.VirtualFolders = []dataprovider.VirtualFolder{{BaseVirtualFolder: dataprovider.BaseVirtualFolder{Name: "vf", MappedPath: vf}, VirtualPath: "/vf", QuotaSize: -1, QuotaFiles: -1}}
		c := newTestConn(t, s, store, u)
		ctx := context.Background()
		if err := c.Mkdir(ctx, "/dir"); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/dir/a.txt", "/vf/b.txt"} {
			if err := upload(t, c, p, []byte("hello")); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range []string{vf, filepath.Join(u.HomeDir, "dir"), filepath.Join(u.HomeDir, "dir", "a.txt"), filepath.Join(vf, "b.txt")} {
			if uid, gid := ownerOf(t, p); uid != 1000 || gid != 1001 {
				t.Errorf("mode %d: %s owned by %d:%d, want 1000:1001", mode, p, uid, gid)
			}
		}
	}
}

// A user without uid/gid keeps the process's ownership.
func TestUploadOwnerUnsetKeepsProcessOwner(t *testing.T) {
	_, c, u := newOsfsServer(t, config.CommonConfig{})
	if err := upload(t, c, "/x.txt", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if uid, _ := ownerOf(t, filepath.Join(u.HomeDir, "x.txt")); int(uid) != os.Geteuid() {
		t.Fatalf("owner %d, want the process's %d", uid, os.Geteuid())
	}
}

// A full disk reaches protocols as vfs.ErrNoSpace, distinct from a quota.
func TestUploadDiskFullIsNoSpace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	store := newStoreOnly()
	s, err := New(config.CommonConfig{}, Deps{Store: store, UsersBaseDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	u := testUser(t, "full")
	u.HomeDir = filepath.Join(dir, "home")
	c := newTestConn(t, s, store, u)
	err = upload(t, c, "/big.bin", make([]byte, 1<<20))
	if !errors.Is(err, vfs.ErrNoSpace) {
		t.Fatalf("upload on a full disk: %v, want vfs.ErrNoSpace", err)
	}
	if errors.Is(err, vfs.ErrQuotaExceeded) {
		t.Fatal("a full disk must not look like a quota")
	}
	if err.Error() != "no space left on device" {
		t.Fatalf("message %q", err.Error())
	}
}
