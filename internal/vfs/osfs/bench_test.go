package osfs

import (
	"io"
	"os"
	"path/filepath"
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

// The baselines do the same with a bare *os.File, the peer osfs's
// overhead (os.Root resolution, context checks) is measured against.

func BenchmarkBaselineOSWrite(b *testing.B) {
	name := filepath.Join(b.TempDir(), "bench")
	chunk := vfstest.RandomData(b, vfstest.BenchChunkSize)
	b.SetBytes(vfstest.BenchFileSize)
	for b.Loop() {
		f, err := os.Create(name)
		if err != nil {
			b.Fatal(err)
		}
		for written := 0; written < vfstest.BenchFileSize; written += len(chunk) {
			if _, err := f.Write(chunk); err != nil {
				b.Fatal(err)
			}
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBaselineOSRead(b *testing.B) {
	name := filepath.Join(b.TempDir(), "bench")
	if err := os.WriteFile(name, vfstest.RandomData(b, vfstest.BenchFileSize), 0o600); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, vfstest.BenchChunkSize)
	b.SetBytes(vfstest.BenchFileSize)
	for b.Loop() {
		f, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		var total int64
		for {
			n, err := f.Read(buf)
			total += int64(n)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		f.Close()
		if total != vfstest.BenchFileSize {
			b.Fatalf("read %d bytes", total)
		}
	}
}
