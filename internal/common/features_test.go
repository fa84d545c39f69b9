package common

import (
	"errors"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// TestStorageBackendsMatchNewFs: every listed provider is one NewFs knows
// (it may fail on its empty config, never as unsupported), and every
// provider NewFs refuses as unsupported is absent from the list.
func TestStorageBackendsMatchNewFs(t *testing.T) {
	listed := map[dataprovider.FilesystemProvider]bool{}
	for _, b := range StorageBackends() {
		listed[b.Provider] = true
	}
	for p := dataprovider.FilesystemProvider(0); p <= 10; p++ {
		fs, err := NewFs(dataprovider.Filesystem{Provider: p}, t.TempDir(), nil)
		if err == nil {
			fs.Close()
		}
		supported := !errors.Is(err, vfs.ErrNotSupported)
		if supported != listed[p] {
			t.Errorf("provider %d: built=%v, listed=%v (err %v)", p, supported, listed[p], err)
		}
	}
}
