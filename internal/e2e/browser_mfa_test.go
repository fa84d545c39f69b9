package e2e

import (
	"testing"
)

// TestTOTPInBrowser runs test/browser/mfa.test.js: a user enrols TOTP in
// the web client, signs out and signs in with password and code; the
// admin does the same in the web admin. Same requirements as
// TestWebUIInBrowser.
func TestTOTPInBrowser(t *testing.T) {
	br := requireBrowser(t)
	in := newInstance(t, t.TempDir(),
		"SFTPGO_HTTPD__BINDINGS__0__ENABLE_WEB_ADMIN=true",
		"SFTPGO_HTTPD__BINDINGS__0__ENABLE_WEB_CLIENT=true",
	)
	in.start()
	br.run(t, in, "mfa.test.js",
		"SFTPGO_ADMIN_USER=admin",
		"SFTPGO_ADMIN_PASSWORD=admin-pass",
		"SFTPGO_HOME_BASE="+t.TempDir(),
	)
}
