//go:build !unix

package e2e

import "testing"

// lockDevset: the devset tests need flock, hence Unix.
func lockDevset(t *testing.T) {
	t.Helper()
	t.Fatal("the devset tests run on Unix only")
}
