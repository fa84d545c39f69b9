package cryptfs

import (
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

const testPassphrase = "correct horse battery staple"

func newTestFs(t testing.TB) *Fs {
	t.Helper()
	fsys, err := New(t.TempDir(), testPassphrase, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func TestConformance(t *testing.T) {
	vfstest.Run(t, func(t *testing.T) vfs.Fs { return newTestFs(t) }, vfstest.Chmod, vfstest.Chown, vfstest.Chtimes, vfstest.Copy, vfstest.Link, vfstest.LocalPath, vfstest.ReaderAt, vfstest.StatVFS)
}
