package sftpd

import (
	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/common"
)

type exitStatus struct {
	Status uint32
}

// handleSession serves one "session" channel: the sftp subsystem or an
// exec request (SCP and the enabled SSH commands). Shells and terminals
// are refused.
func (s *Server) handleSession(conn *common.BaseConnection, ch ssh.Channel, reqs <-chan *ssh.Request) {
	started := false
	for req := range reqs {
		ok := false
		switch req.Type {
		case "subsystem":
			var p struct{ Name string }
			if !started && ssh.Unmarshal(req.Payload, &p) == nil && p.Name == "sftp" {
				ok, started = true, true
				go func() {
					s.serveSFTP(conn, ch)
					ch.SendRequest("exit-status", false, ssh.Marshal(exitStatus{0}))
					ch.Close()
				}()
			}
		case "exec":
			var p struct{ Command string }
			if !started && ssh.Unmarshal(req.Payload, &p) == nil {
				if run := s.execHandler(conn, ch, p.Command); run != nil {
					ok, started = true, true
					go func() {
						status := run()
						s.common.Metrics().SSHCommandDone(status == 0)
						ch.SendRequest("exit-status", false, ssh.Marshal(exitStatus{status}))
						ch.Close()
					}()
				}
			}
		case "env":
			ok = true // accepted and ignored
		}
		if req.WantReply {
			req.Reply(ok, nil)
		}
	}
}
