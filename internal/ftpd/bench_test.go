package ftpd

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
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

// TestBenchServer serves FTP for bench/ftp.sh: with FTPD_BENCH_DIR set it
// starts a cleartext binding (AUTH TLS allowed) for user "bench" with
// testPassword and home FTPD_BENCH_DIR/home, writes the address to
// FTPD_BENCH_DIR/addr and serves until FTPD_BENCH_DIR/stop exists.
func TestBenchServer(t *testing.T) {
	dir := os.Getenv("FTPD_BENCH_DIR")
	if dir == "" {
		t.Skip("set FTPD_BENCH_DIR to serve for bench/ftp.sh")
	}
	e := newEnv(t, envOpts{quiet: true, ftpd: func(c *config.FTPDConfig) {}})
	home := filepath.Join(dir, "home")
	e.addUser(t, "bench", func(u *dataprovider.User) { u.HomeDir = home })
	if err := os.WriteFile(filepath.Join(dir, "addr.tmp"), []byte(e.addrs[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "addr.tmp"), filepath.Join(dir, "addr")); err != nil {
		t.Fatal(err)
	}
	fmt.Println("serving on", e.addrs[0])
	for {
		if _, err := os.Stat(filepath.Join(dir, "stop")); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
