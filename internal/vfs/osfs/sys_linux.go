//go:build linux

package osfs

import "golang.org/x/sys/unix"

func fragSize(st *unix.Statfs_t) uint64 {
	if st.Frsize > 0 {
		return uint64(st.Frsize)
	}
	return uint64(st.Bsize)
}

func nameMax(st *unix.Statfs_t) uint64 { return uint64(st.Namelen) }
