//go:build unix

package osfs

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// openNoBlock keeps an open of a FIFO (or a device) placed in the root from
// blocking the caller forever; the file is then refused as not regular.
const openNoBlock = syscall.O_NONBLOCK

func statVFS(f *os.File) (*vfs.StatVFS, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var st unix.Statfs_t
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.Fstatfs(int(fd), &st) }); err != nil {
		return nil, err
	}
	if serr != nil {
		return nil, serr
	}
	return &vfs.StatVFS{
		BlockSize:   uint64(st.Bsize),
		FragSize:    fragSize(&st),
		Blocks:      uint64(st.Blocks),
		BlocksFree:  uint64(st.Bfree),
		BlocksAvail: uint64(st.Bavail),
		Files:       uint64(st.Files),
		FilesFree:   uint64(st.Ffree),
		FilesAvail:  uint64(st.Ffree),
		NameMaxLen:  nameMax(&st),
	}, nil
}
