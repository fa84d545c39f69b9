//go:build !unix

package remotetest

import "os"

// killTree kills pid; vsftpd only runs on Unix, so there are no session
// processes to find here.
func killTree(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}
