package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestTOTPInBrowser runs test/browser/mfa.test.js: a user enrols TOTP in
// the web client, signs out and signs in with password and code; the
// admin does the same in the web admin. Same requirements as
// TestWebUIInBrowser.
func TestTOTPInBrowser(t *testing.T) {
	node, chromium, testDir := browserTools(t)
	in := newInstance(t, t.TempDir(),
		"SFTPGO_HTTPD__BINDINGS__0__ENABLE_WEB_ADMIN=true",
		"SFTPGO_HTTPD__BINDINGS__0__ENABLE_WEB_CLIENT=true",
	)
	in.start()
	shots := os.Getenv("SFTPGO_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(testDir, "mfa.test.js"))
	cmd.Dir = testDir
	cmd.Env = append(os.Environ(),
		"SFTPGO_URL="+in.baseURL(),
		"SFTPGO_ADMIN_USER=admin",
		"SFTPGO_ADMIN_PASSWORD=admin-pass",
		"SFTPGO_HOME_BASE="+t.TempDir(),
		"SFTPGO_SCREENSHOTS="+shots,
		"CHROMIUM_PATH="+chromium,
		"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1",
	)
	out, err := cmd.CombinedOutput()
	t.Logf("browser test output:\n%s", out)
	if err != nil {
		t.Fatalf("browser test failed: %v\nserver log:\n%s", err, in.log.String())
	}
}
