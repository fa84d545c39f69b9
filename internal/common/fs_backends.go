package common

import (
	"errors"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/osfs"
)

func newLocalFs(root string) (vfs.Fs, error) {
	return osfs.New(root, osfs.Options{})
}

// Placeholder until internal/vfs/cryptfs is merged.
func newCryptFs(root, passphrase string) (vfs.Fs, error) {
	return nil, errors.New("encrypted storage backend not available in this build")
}
