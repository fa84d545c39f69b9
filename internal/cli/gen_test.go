package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestManPageNamesTheEnvironment: the man page renderer drops anything
// that looks like an HTML tag, which once turned SFTPGO_<SECTION>__<KEY>
// into "SFTPGO___".
func TestManPageNamesTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	root := NewRootCommand()
	root.SetArgs([]string{"gen", "man", "-d", dir})
	root.SetOut(os.NewFile(0, os.DevNull))
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "sftpgo-serve.1"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	if strings.Contains(page, "SFTPGO___") || !strings.Contains(page, "SFTPGO_SFTPD__BINDINGS__0__PORT") {
		t.Errorf("the serve man page does not name the environment variables:\n%s", page)
	}
}
