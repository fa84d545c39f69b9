package httpd

import (
	"bytes"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupFilesPrivate: a dump written to the backups directory is
// 0600 in a 0700 directory, and a server that finds a backup readable by
// others warns once at start.
func TestBackupFilesPrivate(t *testing.T) {
	backups := filepath.Join(t.TempDir(), "backups")
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e := newTestEnv(t, func(o *Options) { o.BackupsPath = backups })
	adm := e.adminAuth()
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/dumpdata?output-file=b.json", adm, nil)
	for p, want := range map[string]os.FileMode{backups: 0o700, filepath.Join(backups, "b.json"): 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Fatalf("%s: mode %04o, want %04o", p, fi.Mode().Perm(), want)
		}
	}
	if _, err := New(Options{Store: e.store, Logger: logger, BackupsPath: backups}); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Fatalf("warning with private backups: %q", buf.String())
	}
	if err := os.Chmod(filepath.Join(backups, "b.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{Store: e.store, Logger: logger, BackupsPath: backups}); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); strings.Count(out, "\n") != 1 || !strings.Contains(out, "b.json (0644)") {
		t.Fatalf("warning: %q", out)
	}
}
