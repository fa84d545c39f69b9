//go:build !unix

package events

import "os/exec"

func setProcessGroup(*exec.Cmd) {}
