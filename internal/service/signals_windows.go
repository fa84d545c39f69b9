//go:build windows

package service

import "os"

// rotateSignals: Windows has no SIGUSR1; the log rotation event action
// still rotates the file.
func rotateSignals() []os.Signal { return nil }
