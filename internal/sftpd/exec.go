package sftpd

import (
	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/common"
)

// execHandler returns the function running an exec request, or nil to
// refuse it.
func (s *Server) execHandler(conn *common.BaseConnection, ch ssh.Channel, command string) func() uint32 {
	conn.Logger().Info("exec request refused", "command", command)
	return nil
}
