//go:build unix && !linux

package osfs

import "golang.org/x/sys/unix"

func fragSize(st *unix.Statfs_t) uint64 { return uint64(st.Bsize) }

func nameMax(*unix.Statfs_t) uint64 { return 255 }
