//go:build !unix

package hooks

import "os/exec"

// killGroupOnCancel keeps exec's default on systems without Unix process
// groups: cancelling the context kills the hook program itself (its own
// children may outlive it).
func killGroupOnCancel(*exec.Cmd) {}
