package cryptfs

import (
	"fmt"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/vfs/osfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

func benchFs(b *testing.B) *Fs {
	fsys := newTestFs(b)
	b.Cleanup(func() { fsys.Close() })
	return fsys
}

func BenchmarkSequentialWrite(b *testing.B) { vfstest.BenchmarkWrite(b, benchFs(b)) }

func BenchmarkSequentialRead(b *testing.B) { vfstest.BenchmarkRead(b, benchFs(b)) }

// BenchmarkReadDir1000 lists a directory of 1000 small files: each entry
// costs one small read to tell the layout, which osfs does not pay.
func BenchmarkReadDir1000(b *testing.B) {
	fsys := benchFs(b)
	for i := range 1000 {
		vfstest.WriteFile(b, fsys, fmt.Sprintf("/f%04d", i), []byte("x"))
	}
	b.ResetTimer()
	for b.Loop() {
		if n := len(vfstest.ListInfos(b, fsys, "/", 250)); n != 1000 {
			b.Fatalf("%d entries", n)
		}
	}
}

func BenchmarkReadDir1000Osfs(b *testing.B) {
	fsys := benchFs(b)
	for i := range 1000 {
		vfstest.WriteFile(b, fsys, fmt.Sprintf("/f%04d", i), []byte("x"))
	}
	root, _ := fsys.LocalPath("/")
	base, err := osfs.New(root, osfs.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { base.Close() })
	b.ResetTimer()
	for b.Loop() {
		if n := len(vfstest.ListInfos(b, base, "/", 250)); n != 1000 {
			b.Fatalf("%d entries", n)
		}
	}
}
