package e2e

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFTPThroughBinary: lftp uploads, lists and downloads through the
// binary's FTP binding; the file lands in the user's home.
func TestFTPThroughBinary(t *testing.T) {
	lftp := requireTool(t, "lftp")
	dir := t.TempDir()
	in := newInstance(t, dir)
	in.start()
	home := in.addUser(in.token("admin", "admin-pass"), "gina", "gina-pass", nil)
	local, payload := randomFile(t, 4<<20+99)
	work := t.TempDir()
	script := fmt.Sprintf("set ftp:ssl-allow no; set net:max-retries 1; set net:timeout 10; "+
		"open -u gina,gina-pass ftp://127.0.0.1:%d; mkdir data; put %s -o data/f.bin; cls -1 data; get data/f.bin -o %s/out.bin; bye",
		in.ftpPort, local, work)
	out, err := exec.Command(lftp, "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("lftp: %v\n%s\n%s", err, out, in.log.String())
	}
	if !strings.Contains(string(out), "f.bin") {
		t.Errorf("listing does not show the file:\n%s", out)
	}
	got, err := os.ReadFile(filepath.Join(work, "out.bin"))
	if err != nil || sha256.Sum256(got) != sha256.Sum256(payload) {
		t.Fatalf("downloaded content differs (%v)", err)
	}
	if stored, err := os.ReadFile(filepath.Join(home, "data", "f.bin")); err != nil || len(stored) != len(payload) {
		t.Fatalf("file not stored in the home: %v", err)
	}
	bad := fmt.Sprintf("set ftp:ssl-allow no; set net:max-retries 1; open -u gina,wrong ftp://127.0.0.1:%d; ls; bye", in.ftpPort)
	if out, err := exec.Command(lftp, "-c", bad).CombinedOutput(); err == nil {
		t.Fatalf("wrong password accepted:\n%s", out)
	}
}
