//go:build unix

package events

import (
	"os/exec"
	"syscall"
)

// setProcessGroup makes cmd the leader of its own process group and
// kills the whole group on cancel, so a script's children die with it.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
