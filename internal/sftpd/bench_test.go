package sftpd

import (
	"bytes"
	"io"
	"testing"

	"golang.org/x/crypto/ssh"
)

// BenchmarkSFTP moves 64 MiB through the real server on loopback with the
// pkg/sftp client (concurrent requests, as real clients do).
func BenchmarkSFTP(b *testing.B) {
	const size = 64 << 20
	e := newEnv(b, envOpts{})
	e.addUser(b, "bench", userKey{}, nil)
	c := e.sftpClient(b, "bench", ssh.Password(testPassword))
	data := randomBytes(b, size)
	b.Run("upload", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			if err := put(c, "/bench.bin", data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("download", func(b *testing.B) {
		if err := put(c, "/bench.bin", data); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(size)
		for b.Loop() {
			f, err := c.Open("/bench.bin")
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
	_ = bytes.MinRead
}
