package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestWebUIInBrowser runs test/browser/web.test.js (Playwright driving
// Debian's headless Chromium) against the built binary. In CI a missing
// node, chromium or playwright-core fails the test; elsewhere it skips.
// SFTPGO_SCREENSHOTS keeps the screenshots in a directory of your choice.
func TestWebUIInBrowser(t *testing.T) {
	node, chromium, testDir := browserTools(t)

	dir := t.TempDir()
	homes := t.TempDir()
	in := newInstance(t, dir,
		"SFTPGO_HTTPD__BINDINGS__0__ENABLE_WEB_ADMIN=true",
		"SFTPGO_HTTPD__BINDINGS__0__ENABLE_WEB_CLIENT=true",
		"SFTPGO_COMMON__UPLOAD_MODE=1",
	)
	in.start()

	shots := os.Getenv("SFTPGO_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(testDir, "web.test.js"))
	cmd.Dir = testDir
	cmd.Env = append(os.Environ(),
		"SFTPGO_URL="+in.baseURL(),
		"SFTPGO_ADMIN_USER=admin",
		"SFTPGO_ADMIN_PASSWORD=admin-pass",
		"SFTPGO_HOME_BASE="+homes,
		"SFTPGO_WORK_DIR="+t.TempDir(),
		"SFTPGO_SCREENSHOTS="+shots,
		"CHROMIUM_PATH="+chromium,
		"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1",
	)
	out, err := cmd.CombinedOutput()
	t.Logf("browser test output:\n%s", out)
	if err != nil {
		t.Fatalf("browser test failed: %v\nserver log:\n%s", err, in.log.String())
	}
	t.Logf("screenshots in %s", shots)
}
