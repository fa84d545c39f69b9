//go:build unix

package remotetest

import "syscall"

// killTree stops pid and every process below it first, so none can fork
// or reap while the others die, then kills them all: a crash, as far as
// clients can tell.
func killTree(pid int) {
	for _, p := range descendants(pid) {
		_ = syscall.Kill(p, syscall.SIGSTOP)
	}
	for _, p := range descendants(pid) {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}
