package vfstest

import (
	"io"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// Benchmark sizes shared by every backend's benchmarks, so their numbers
// compare: a 64 MiB file moved in 32 KiB chunks (the SFTP packet size
// most clients use).
const (
	BenchFileSize  = 64 << 20
	BenchChunkSize = 32 << 10
)

// BenchmarkWrite writes BenchFileSize bytes to one file per iteration in
// BenchChunkSize chunks.
func BenchmarkWrite(b *testing.B, fsys vfs.Fs) {
	chunk := RandomData(b, BenchChunkSize)
	b.SetBytes(BenchFileSize)
	b.ResetTimer()
	for b.Loop() {
		w, err := fsys.Create(b.Context(), "/bench", vfs.CreateOptions{Size: BenchFileSize})
		if err != nil {
			b.Fatal(err)
		}
		for written := 0; written < BenchFileSize; written += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRead reads a BenchFileSize file per iteration in
// BenchChunkSize chunks.
func BenchmarkRead(b *testing.B, fsys vfs.Fs) {
	WriteFile(b, fsys, "/bench", RandomData(b, BenchFileSize))
	buf := make([]byte, BenchChunkSize)
	b.SetBytes(BenchFileSize)
	b.ResetTimer()
	for b.Loop() {
		r, err := fsys.Open(b.Context(), "/bench", 0)
		if err != nil {
			b.Fatal(err)
		}
		var total int64
		for {
			n, err := r.Read(buf)
			total += int64(n)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
		if total != BenchFileSize {
			b.Fatalf("read %d bytes, want %d", total, BenchFileSize)
		}
	}
}
