//go:build !windows

package service

import (
	"os"
	"syscall"
)

// rotateSignals are the signals that rotate the log file (SIGUSR1).
func rotateSignals() []os.Signal { return []os.Signal{syscall.SIGUSR1} }
