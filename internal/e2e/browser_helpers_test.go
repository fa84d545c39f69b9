package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// browserTools returns node, the Chromium binary and test/browser for a
// test that drives headless Chromium through playwright-core: in CI a
// missing one fails the test, elsewhere it skips it.
func browserTools(t *testing.T) (node, chromium, testDir string) {
	t.Helper()
	node = requireTool(t, "node")
	chromium = "/usr/bin/chromium"
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		chromium = p
	}
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI: run scripts/install-test-deps.sh", chromium)
		}
		t.Skipf("%s not installed", chromium)
	}
	testDir, err := filepath.Abs("../../test/browser")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(testDir, "node_modules", "playwright-core", "package.json")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("playwright-core is required in CI: run scripts/install-test-deps.sh")
		}
		t.Skip("playwright-core not installed in test/browser (run scripts/install-test-deps.sh)")
	}
	return node, chromium, testDir
}
