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

// TestWebDAVThroughBinary: curl uploads and downloads through the
// binary's WebDAV binding; PROPFIND lists; a wrong password is 401.
func TestWebDAVThroughBinary(t *testing.T) {
	curl := requireTool(t, "curl")
	dir := t.TempDir()
	in := newInstance(t, dir)
	in.start()
	home := in.addUser(in.token("admin", "admin-pass"), "frank", "frank-pass", nil)
	local, payload := randomFile(t, 5<<20+7)
	base := fmt.Sprintf("http://127.0.0.1:%d", in.davPort)
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(curl, append([]string{"-s", "-u", "frank:frank-pass"}, args...)...).Output()
		if err != nil {
			t.Fatalf("curl %v: %v", args, err)
		}
		return string(out)
	}
	if code := run("-o", "/dev/null", "-w", "%{http_code}", "-X", "MKCOL", base+"/docs"); code != "201" {
		t.Fatalf("MKCOL: %s", code)
	}
	if code := run("-o", "/dev/null", "-w", "%{http_code}", "-T", local, base+"/docs/f.bin"); code != "201" {
		t.Fatalf("PUT: %s", code)
	}
	back := filepath.Join(t.TempDir(), "out.bin")
	run("-o", back, base+"/docs/f.bin")
	got, err := os.ReadFile(back)
	if err != nil || sha256.Sum256(got) != sha256.Sum256(payload) {
		t.Fatalf("downloaded content differs (%v)", err)
	}
	if stored, err := os.ReadFile(filepath.Join(home, "docs", "f.bin")); err != nil || len(stored) != len(payload) {
		t.Fatalf("file not stored in the home: %v", err)
	}
	listing := run("-X", "PROPFIND", "-H", "Depth: 1", base+"/docs/")
	if !strings.Contains(listing, "f.bin") || !strings.Contains(listing, "multistatus") {
		t.Fatalf("PROPFIND does not list the file:\n%s", listing)
	}
	out, _ := exec.Command(curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", "frank:bad", base+"/docs/f.bin").Output()
	if string(out) != "401" {
		t.Fatalf("wrong password: want 401, got %s", out)
	}
}
