package common

import (
	"errors"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// Placeholders until internal/vfs/osfs and cryptfs are merged.
func newLocalFs(root string) (vfs.Fs, error) {
	return nil, errors.New("local storage backend not available in this build")
}

func newCryptFs(root, passphrase string) (vfs.Fs, error) {
	return nil, errors.New("encrypted storage backend not available in this build")
}
