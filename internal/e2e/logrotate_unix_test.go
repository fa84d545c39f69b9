//go:build !windows

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGUSR1RotatesLogFile: SIGUSR1 moves the log file aside and opens a
// new one, which starts with the rotation line; the server keeps serving.
func TestSIGUSR1RotatesLogFile(t *testing.T) {
	dir := t.TempDir()
	logDir := filepath.Join(dir, "logs")
	logPath := filepath.Join(logDir, "sftpgo.log")
	in := newInstance(t, dir)
	startLogFile(t, in, logPath)
	if err := in.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		entries, _ := os.ReadDir(logDir)
		cur, _ := os.ReadFile(logPath)
		if len(entries) == 2 && strings.Contains(string(cur), "log file rotated") {
			var old []byte
			for _, e := range entries {
				if e.Name() != "sftpgo.log" {
					old, _ = os.ReadFile(filepath.Join(logDir, e.Name()))
				}
			}
			if !strings.Contains(string(old), `"starting"`) || strings.Contains(string(cur), `"starting"`) {
				t.Fatalf("rotated file lacks the start line or the new one has it:\nold: %.300s\nnew: %.300s", old, cur)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no rotation after SIGUSR1: %v\n%s\n%s", entries, cur, in.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, _ := in.api("", "GET", "/healthz", nil); code != 200 {
		t.Fatalf("healthz after SIGUSR1: %d", code)
	}
}
