package common

import (
	"context"
	"errors"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/common/commontest"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// objectLikeFs is local storage that declares, like the object stores,
// that it renames directories entry by entry.
type objectLikeFs struct{ vfs.Fs }

func (objectLikeFs) RenamesDirsRecursively() {}

func TestRenameModeOnRecursiveRenameBackends(t *testing.T) {
	for _, mode := range []int{0, 1} {
		store := commontest.NewMemStore()
		s, err := New(config.CommonConfig{RenameMode: mode}, Deps{Store: store, NewFs: func(fsConfig dataprovider.Filesystem, root string, _ Decrypter) (vfs.Fs, error) {
			return objectLikeFs{commontest.NewLocalFs(root)}, nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		c := newTestConn(t, s, store, testUser(t, "renamer"))
		ctx := context.Background()
		for _, d := range []string{"/empty", "/full"} {
			if err := c.Mkdir(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		if err := upload(t, c, "/full/f.txt", []byte("data")); err != nil {
			t.Fatal(err)
		}
		if err := c.Rename(ctx, "/empty", "/empty2"); err != nil {
			t.Errorf("mode %d: renaming an empty directory: %v", mode, err)
		}
		err = c.Rename(ctx, "/full", "/full2")
		switch {
		case mode == 0 && !errors.Is(err, vfs.ErrNotSupported):
			t.Errorf("mode 0: renaming a non-empty directory: want not supported, got %v", err)
		case mode == 1 && err != nil:
			t.Errorf("mode 1: renaming a non-empty directory: %v", err)
		}
		if err := c.Rename(ctx, "/full2/f.txt", "/g.txt"); mode == 1 && err != nil {
			t.Errorf("mode 1: the renamed directory's content is not there: %v", err)
		}
		s.Close()
	}
}
