//go:build !linux

package dbtest

import (
	"errors"
	"syscall"
)

// procCred: the database test servers are started on Linux only (CI);
// elsewhere the package compiles, and starting a server fails with a
// clear error at initdb or at start.
type procCred struct{}

func processAlive(int) bool { return true }

func serverCredential() (*procCred, int, int, error) {
	return nil, -1, -1, errors.New("dbtest: database test servers run on Linux only")
}

func credentialAttr(*procCred) *syscall.SysProcAttr { return nil }

func serverAttr(*procCred, syscall.Signal) *syscall.SysProcAttr { return nil }
