package sftpd

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/pkg/sftp"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// BenchmarkSFTPPath moves 64 MiB through the SFTP request path without
// SSH, with 32 KiB requests (what clients use unless the server offers
// larger ones) and with 255 KiB requests (OpenSSH's size when the server
// announces limits@openssh.com).
func BenchmarkSFTPPath(b *testing.B) {
	const size = 64 << 20
	e := newEnv(b, envOpts{})
	e.addUser(b, "bench", userKey{}, func(u *dataprovider.User) { u.HomeDir = benchDir(b) })
	data := randomBytes(b, size)
	for _, packet := range []int{32768, 261120} {
		c := pipeSession(b, e, "bench", sftp.MaxPacketUnchecked(packet),
			sftp.UseConcurrentWrites(true), sftp.UseConcurrentReads(true))
		name := fmt.Sprintf("%dk", packet>>10)
		b.Run(name+"/upload", func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				f, err := c.Create("bench.bin")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := f.ReadFrom(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/download", func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				f, err := c.Open("bench.bin")
				if err != nil {
					b.Fatal(err)
				}
				n, err := f.WriteTo(io.Discard)
				f.Close()
				if err != nil || n != size {
					b.Fatalf("%d %v", n, err)
				}
			}
		})
	}
}

// BenchmarkSFTPListDir100k lists a directory of 100,000 files through
// the SFTP request path (READDIR until EOF, as `ls` does).
func BenchmarkSFTPListDir100k(b *testing.B) {
	const entries = 100000
	e := newEnv(b, envOpts{})
	home := benchDir(b)
	e.addUser(b, "bench", userKey{}, func(u *dataprovider.User) { u.HomeDir = home })
	big := filepath.Join(home, "big")
	makeFiles(b, big, entries)
	c := pipeSession(b, e, "bench")
	b.ReportAllocs()
	for b.Loop() {
		list, err := c.ReadDir("/big")
		if err != nil {
			b.Fatal(err)
		}
		if len(list) != entries {
			b.Fatalf("listed %d entries, want %d", len(list), entries)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/entries, "ns/entry")
}

// benchDir is a temp dir on tmpfs when there is one, so storage speed
// does not decide the result.
func benchDir(b testing.TB) string {
	b.Helper()
	parent := ""
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		parent = "/dev/shm"
	}
	dir, err := os.MkdirTemp(parent, "sftpd-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func makeFiles(b testing.TB, dir string, n int) {
	b.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("file-%06d", i)))
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// BenchmarkSFTPSmallFiles uploads 4 KiB files one after the other through
// the SFTP request path without SSH, as OpenSSH's `put -r` does per file:
// OPEN (create, truncate), one WRITE, CLOSE, each waiting for its reply.
func BenchmarkSFTPSmallFiles(b *testing.B) {
	e := newEnv(b, envOpts{})
	e.addUser(b, "bench", userKey{}, func(u *dataprovider.User) { u.HomeDir = benchDir(b) })
	c := pipeSession(b, e, "bench")
	data := randomBytes(b, 4096)
	if err := c.Mkdir("/small"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f, err := c.OpenFile(fmt.Sprintf("/small/f%05d", i%1000), os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Write(data); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
}
