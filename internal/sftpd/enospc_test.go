//go:build linux

package sftpd

import (
	"bytes"
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/pkg/sftp"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// TestDiskFullMessage: a write that fails because the device is full
// (ENOSPC) says so in the SFTP status, with SSH_FX_FAILURE. The home is a
// 256 KiB tmpfs (the test runs as root, as CI does); the upload is 1 MiB.
func TestDiskFullMessage(t *testing.T) {
	home := t.TempDir()
	if err := syscall.Mount("tmpfs", home, "tmpfs", 0, "size=256k"); err != nil {
		t.Fatalf("mount a small tmpfs (needs root or CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(home, syscall.MNT_DETACH) })
	e := newEnv(t, envOpts{})
	key := newUserKey(t)
	e.addUser(t, "fullu", key, func(u *dataprovider.User) { u.HomeDir = home })
	c := e.sftpClient(t, "fullu", sshPublicKeys(key))
	f, err := c.Create("/big.bin")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	_, werr := f.ReadFrom(bytes.NewReader(make([]byte, 1<<20)))
	cerr := f.Close()
	err = errors.Join(werr, cerr)
	if err == nil {
		t.Fatal("1 MiB fitted into a 256 KiB file system")
	}
	if !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("status %v, want it to name \"no space left on device\"", err)
	}
	for _, e := range []error{werr, cerr} {
		var se *sftp.StatusError
		if e != nil && errors.As(e, &se) && se.FxCode() != sftp.ErrSSHFxFailure {
			t.Fatalf("code %v, want SSH_FX_FAILURE", se.FxCode())
		}
	}
}
