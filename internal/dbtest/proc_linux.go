//go:build linux

package dbtest

import (
	"errors"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// procCred is the account a server process runs as.
type procCred = syscall.Credential

func processAlive(pid int) bool {
	return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// serverCredential: PostgreSQL refuses to run as root, so as root the
// server runs as the postgres account (or nobody).
func serverCredential() (*procCred, int, int, error) {
	if os.Getuid() != 0 {
		return nil, -1, -1, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, uid, gid, nil
	}
	return nil, 0, 0, errors.New("running as root and no postgres or nobody account to run PostgreSQL as")
}

// credentialAttr runs a helper program (initdb) as cred.
func credentialAttr(cred *procCred) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred}
}

// serverAttr runs a server as cred in its own process group, sent
// deathSig if the test process dies.
func serverAttr(cred *procCred, deathSig syscall.Signal) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Pdeathsig: deathSig, Setpgid: true}
}
