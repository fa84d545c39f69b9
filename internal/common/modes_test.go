package common

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// common.symlink_mode: 0 refuses symlink creation everywhere (links in
// place still work), bit 1 allows it on local storage, bit 2 on SFTP.
func TestSymlinkMode(t *testing.T) {
	for _, tc := range []struct {
		mode  int
		local bool
	}{{0, false}, {SymlinkModeLocal, true}, {SymlinkModeSFTP, false}, {SymlinkModeLocal | SymlinkModeSFTP, true}} {
		t.Run(fmt.Sprint(tc.mode), func(t *testing.T) {
			s, store := newTestServer(t, config.CommonConfig{SymlinkMode: tc.mode})
			u := testUser(t, "sl")
			c := newTestConn(t, s, store, u)
			if err := upload(t, c, "/t.txt", []byte("t")); err != nil {
				t.Fatal(err)
			}
			err := c.Symlink(bg, "/t.txt", "/l")
			if tc.local && err != nil {
				t.Fatalf("symlink with mode %d: %v", tc.mode, err)
			}
			if !tc.local {
				if !errors.Is(err, fs.ErrPermission) {
					t.Fatalf("symlink with mode %d: %v, want permission denied", tc.mode, err)
				}
				if _, lerr := os.Lstat(filepath.Join(u.HomeDir, "l")); lerr == nil {
					t.Fatal("refused link exists on disk")
				}
				// a link already there is still followed
				if err := os.Symlink("t.txt", filepath.Join(u.HomeDir, "old")); err != nil {
					t.Fatal(err)
				}
				if b, err := download(t, c, "/old"); err != nil || string(b) != "t" {
					t.Fatalf("existing link: %q %v", b, err)
				}
			}
		})
	}
}

// common.setstat_mode 1 accepts and ignores every metadata change.
func TestSetstatModeIgnore(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{SetstatMode: SetstatModeIgnore})
	u := testUser(t, "ss")
	c := newTestConn(t, s, store, u)
	if err := upload(t, c, "/f", []byte("f")); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(filepath.Join(u.HomeDir, "f"))
	old := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := c.Chtimes(bg, "/f", old, old); err != nil {
		t.Fatal(err)
	}
	if err := c.Chmod(bg, "/f", 0o600); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(filepath.Join(u.HomeDir, "f"))
	if !after.ModTime().Equal(before.ModTime()) || after.Mode() != before.Mode() {
		t.Fatalf("setstat_mode 1 changed the file: %v %v -> %v %v", before.ModTime(), before.Mode(), after.ModTime(), after.Mode())
	}
	_ = dataprovider.PermAny
}
