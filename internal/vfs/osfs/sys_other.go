//go:build !unix

package osfs

import (
	"os"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

const openNoBlock = 0

func statVFS(*os.File) (*vfs.StatVFS, error) { return nil, vfs.ErrNotSupported }
