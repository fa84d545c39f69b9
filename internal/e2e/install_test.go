package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnitVerifies runs systemd's own checker on init/sftpgo.service
// with ExecStart pointing at the built binary.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze := requireTool(t, "systemd-analyze")
	unit, err := os.ReadFile("../../init/sftpgo.service")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(unit), "ExecStart=/usr/bin/sftpgo", "ExecStart="+binary(t), 1)
	if text == string(unit) {
		t.Fatal("the unit has no ExecStart=/usr/bin/sftpgo line")
	}
	p := filepath.Join(t.TempDir(), "sftpgo.service")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", p).CombinedOutput()
	// systemd-analyze reports unknown users only on a real boot; anything
	// it prints here is a mistake in the unit.
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}
