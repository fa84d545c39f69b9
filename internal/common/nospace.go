package common

import (
	"errors"
	"syscall"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// isNoSpace reports whether err means the storage is full: the vfs
// sentinel, or ENOSPC/EDQUOT straight from a local file write (an
// *os.File written through vfs.RandomAccessFile carries the bare errno).
func isNoSpace(err error) bool {
	return errors.Is(err, vfs.ErrNoSpace) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
