package cryptfs

import (
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

func benchFs(b *testing.B) *Fs {
	fsys := newTestFs(b)
	b.Cleanup(func() { fsys.Close() })
	return fsys
}

func BenchmarkSequentialWrite(b *testing.B) { vfstest.BenchmarkWrite(b, benchFs(b)) }

func BenchmarkSequentialRead(b *testing.B) { vfstest.BenchmarkRead(b, benchFs(b)) }
