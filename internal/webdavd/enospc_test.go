//go:build linux

package webdavd

import (
	"bytes"
	"net/http"
	"syscall"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// TestDiskFullIs507: a PUT that fills the storage answers 507
// Insufficient Storage, not a generic 500.
func TestDiskFullIs507(t *testing.T) {
	home := t.TempDir()
	if err := syscall.Mount("tmpfs", home, "tmpfs", 0, "size=256k"); err != nil {
		t.Fatalf("mount a small tmpfs (needs root or CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(home, syscall.MNT_DETACH) })
	e := newEnv(t, envOpts{})
	e.addUser(t, "fullu", func(u *dataprovider.User) { u.HomeDir = home })
	code, body := e.status(t, http.MethodPut, "/big.bin", "fullu", bytes.Repeat([]byte("x"), 1<<20), nil)
	if code != http.StatusInsufficientStorage {
		t.Fatalf("PUT onto a full disk: %d %s, want 507", code, body)
	}
}
