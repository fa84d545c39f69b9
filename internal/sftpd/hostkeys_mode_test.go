package sftpd

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// TestHostKeyReadableWarns: a host private key that others can read is
// named in one warning at start.
func TestHostKeyReadableWarns(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, envOpts{})
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if _, err := New(config.SFTPDConfig{}, e.common, e.store, dir, logger); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "host private keys") {
		t.Fatalf("warning on generated keys: %q", buf.String())
	}
	key := filepath.Join(dir, "id_ed25519")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if _, err := New(config.SFTPDConfig{}, e.common, e.store, dir, logger); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); strings.Count(out, "host private keys") != 1 || !strings.Contains(out, key+" (0644)") ||
		strings.Contains(out, "id_rsa ") {
		t.Fatalf("warning: %q", out)
	}
}
