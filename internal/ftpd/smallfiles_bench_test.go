package ftpd

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// BenchmarkFTPSmallFiles uploads 4 KiB files one after the other over one
// control connection, as `lftp mirror -R` does: each costs a passive
// listener (from a port range, as configured by default), STOR, the data
// connection and the transfer's bookkeeping.
func BenchmarkFTPSmallFiles(b *testing.B) {
	e := newEnv(b, envOpts{quiet: true, ftpd: func(c *config.FTPDConfig) {
		c.PassivePortRange = config.PortRange{Start: 53000, End: 53100}
	}})
	e.addUser(b, "bench", func(u *dataprovider.User) { u.HomeDir = tmpfsDir(b) })
	c := e.login(b, 0, "bench")
	data := randomBytes(b, 4096)
	i := 0
	for b.Loop() {
		if err := c.Stor(fmt.Sprintf("f%d", i%1000), bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkFTPList10k lists a directory of 10,000 files with MLSD.
func BenchmarkFTPList10k(b *testing.B) {
	const entries = 10000
	e := newEnv(b, envOpts{quiet: true})
	home := tmpfsDir(b)
	e.addUser(b, "bench", func(u *dataprovider.User) { u.HomeDir = home })
	dir := filepath.Join(home, "big")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	for i := range entries {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("file-%05d", i)), nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	c := e.login(b, 0, "bench")
	for b.Loop() {
		list, err := c.List("big")
		if err != nil {
			b.Fatal(err)
		}
		if len(list) != entries {
			b.Fatalf("listed %d entries, want %d", len(list), entries)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/entries, "ns/entry")
}

// tmpfsDir is a temp dir on tmpfs when there is one, as bench/ uses, so
// the disk does not decide the result.
func tmpfsDir(b testing.TB) string {
	b.Helper()
	parent := ""
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		parent = "/dev/shm"
	}
	dir, err := os.MkdirTemp(parent, "ftpd-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
