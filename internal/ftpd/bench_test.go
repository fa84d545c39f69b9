package ftpd

import (
	"bytes"
	"io"
	"testing"

	"github.com/jlaffaye/ftp"
)

// BenchmarkFTP moves 64 MiB through the real server on loopback with the
// jlaffaye/ftp client, in cleartext and over explicit FTPS.
func BenchmarkFTP(b *testing.B) {
	const size = 64 << 20
	e := newEnv(b, envOpts{quiet: true})
	e.addUser(b, "bench", nil)
	data := randomBytes(b, size)
	for _, mode := range []string{"plain", "ftps"} {
		var opts []ftp.DialOption
		if mode == "ftps" {
			opts = append(opts, ftp.DialWithExplicitTLS(pki.clientTLS()))
		}
		c := e.login(b, 0, "bench", opts...)
		b.Run(mode+"/upload", func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				if err := c.Stor("bench.bin", bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(mode+"/download", func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				r, err := c.Retr("bench.bin")
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, r)
				r.Close()
				if err != nil || n != size {
					b.Fatalf("%d %v", n, err)
				}
			}
		})
	}
}
