package kms

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// TestKeyFilesListed: the manager names the key files it read so the
// service can warn when they are readable by others.
func TestKeyFilesListed(t *testing.T) {
	dir := t.TempDir()
	local := filepath.Join(dir, LocalKeyFile)
	if err := os.WriteFile(local, []byte(base64.StdEncoding.EncodeToString(make([]byte, keySize))), 0o600); err != nil {
		t.Fatal(err)
	}
	master := filepath.Join(dir, "master.key")
	if err := os.WriteFile(master, []byte("a master key"), 0o600); err != nil {
		t.Fatal(err)
	}
	var cfg config.KMSConfig
	cfg.Secrets.MasterKeyPath = "master.key"
	m, err := NewManager(cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.KeyFiles(); !slices.Equal(got, []string{master, local}) {
		t.Fatalf("key files %v", got)
	}
	m, err = NewManager(config.KMSConfig{}, t.TempDir())
	if err != nil || len(m.KeyFiles()) != 0 {
		t.Fatalf("no key files: %v %v", m.KeyFiles(), err)
	}
}
