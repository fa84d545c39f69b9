package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// browser runs the scripts of test/browser, which drive headless
// Chromium through playwright-core.
type browser struct {
	node, chromium, dir string
}

// requireBrowser finds node, Chromium and test/browser's modules: in CI a
// missing one fails the test, elsewhere it skips it.
func requireBrowser(t *testing.T) *browser {
	t.Helper()
	b := &browser{node: requireTool(t, "node"), chromium: "/usr/bin/chromium"}
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		b.chromium = p
	}
	if _, err := os.Stat(b.chromium); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI: run scripts/install-test-deps.sh", b.chromium)
		}
		t.Skipf("%s not installed", b.chromium)
	}
	dir, err := filepath.Abs("../../test/browser")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core", "package.json")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("playwright-core is required in CI: run scripts/install-test-deps.sh")
		}
		t.Skip("playwright-core not installed in test/browser (run scripts/install-test-deps.sh)")
	}
	b.dir = dir
	return b
}

// run runs one script against the instance, with SFTPGO_URL,
// SFTPGO_SCREENSHOTS (kept where that variable points, else in a temp
// dir) and CHROMIUM_PATH set, and fails the test, with the server log,
// when the script fails. It returns the script's output.
func (b *browser) run(t *testing.T, in *instance, script string, env ...string) []byte {
	t.Helper()
	shots := os.Getenv("SFTPGO_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.node, filepath.Join(b.dir, script))
	cmd.Dir = b.dir
	cmd.Env = append(os.Environ(),
		"SFTPGO_URL="+in.baseURL(),
		"SFTPGO_SCREENSHOTS="+shots,
		"CHROMIUM_PATH="+b.chromium,
		"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1",
	)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	t.Logf("browser test output:\n%s", out)
	if err != nil {
		t.Fatalf("browser test %s failed: %v\nserver log:\n%s", script, err, in.log.String())
	}
	t.Logf("screenshots in %s", shots)
	return out
}
