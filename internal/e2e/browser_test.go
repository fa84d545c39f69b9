package e2e

import (
	"testing"
)

// TestWebUIInBrowser runs test/browser/web.test.js (Playwright driving
// Debian's headless Chromium) against the built binary. In CI a missing
// node, chromium or playwright-core fails the test; elsewhere it skips.
// SFTPGO_SCREENSHOTS keeps the screenshots in a directory of your choice.
func TestWebUIInBrowser(t *testing.T) {
	br := requireBrowser(t)

	dir := t.TempDir()
	homes := t.TempDir()
	in := newInstance(t, dir,
		"SFTPGO_HTTPD__BINDINGS__0__ENABLE_WEB_ADMIN=true",
		"SFTPGO_HTTPD__BINDINGS__0__ENABLE_WEB_CLIENT=true",
		"SFTPGO_COMMON__UPLOAD_MODE=1",
	)
	in.start()

	br.run(t, in, "web.test.js",
		"SFTPGO_ADMIN_USER=admin",
		"SFTPGO_ADMIN_PASSWORD=admin-pass",
		"SFTPGO_HOME_BASE="+homes,
		"SFTPGO_WORK_DIR="+t.TempDir(),
	)
}
