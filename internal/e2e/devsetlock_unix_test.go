//go:build unix

package e2e

import (
	"os"
	"syscall"
	"testing"
)

// lockDevset serialises the tests that use the fixed devset paths and port.
func lockDevset(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(devsetRoot+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}
