package cli

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// TestPortableAddress: as in SFTPGo, portable mode takes a binding's
// address from the configuration file or the SFTPGO_ environment of its
// config dir, and its port from the flag.
func TestPortableAddress(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sftpgo.json"),
		[]byte(`{"webdavd": {"bindings": [{"address": "127.0.0.1", "port": 9}]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	base, err := config.LoadEnviron(dir, "", []string{"SFTPGO_SFTPD__BINDINGS__0__ADDRESS=127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	f := &portableFlags{sftpPort: 0, ftpPort: -1, webdavPort: 0, sshCommands: []string{"scp"}}
	cfg := portableConfig(f, base)
	if len(cfg.SFTPD.Bindings) != 1 || cfg.SFTPD.Bindings[0].Address != "127.0.0.1" || cfg.SFTPD.Bindings[0].Port <= 0 {
		t.Fatalf("sftpd bindings %+v, want 127.0.0.1 on a picked port", cfg.SFTPD.Bindings)
	}
	if len(cfg.WebDAVD.Bindings) != 1 || cfg.WebDAVD.Bindings[0].Address != "127.0.0.1" || cfg.WebDAVD.Bindings[0].Port == 9 {
		t.Fatalf("webdavd bindings %+v, want the file's address with the flag's port", cfg.WebDAVD.Bindings)
	}
	if len(cfg.FTPD.Bindings) != 0 {
		t.Fatalf("ftpd enabled: %+v", cfg.FTPD.Bindings)
	}
	if cfg.DataProvider.Driver != "memory" {
		t.Fatalf("provider %q", cfg.DataProvider.Driver)
	}
	// the picked port is free on that address
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.SFTPD.Bindings[0].Port)))
	if err != nil {
		t.Fatalf("picked port not usable: %v", err)
	}
	l.Close()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}
