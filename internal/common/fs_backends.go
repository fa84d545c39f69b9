package common

import (
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/cryptfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/osfs"
)

func newLocalFs(root string) (vfs.Fs, error) {
	return osfs.New(root, osfs.Options{})
}

func newCryptFs(root, passphrase string) (vfs.Fs, error) {
	return cryptfs.New(root, passphrase, cryptfs.Options{})
}

// newOwnedLocalFs is newLocalFs whose new entries belong to uid/gid.
func newOwnedLocalFs(root string, uid, gid int) (vfs.Fs, error) {
	return osfs.New(root, osfs.Options{UID: uid, GID: gid})
}
