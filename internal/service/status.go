package service

import (
	"context"
	"net"
	"strconv"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/httpd"
)

// connectionsAdapter exposes the connection registry to the REST API.
type connectionsAdapter struct{ srv *common.Server }

func (a connectionsAdapter) Connections() []httpd.ConnectionStatus {
	list := a.srv.Connections()
	out := make([]httpd.ConnectionStatus, 0, len(list))
	for _, c := range list {
		st := httpd.ConnectionStatus{
			Username: c.Username, ConnectionID: c.ConnectionID, ClientVersion: c.ClientVersion,
			RemoteAddress: c.RemoteAddress, ConnectionTime: c.ConnectionTime, Command: c.Command,
			LastActivity: c.LastActivity, Protocol: c.Protocol,
		}
		for _, t := range c.ActiveTransfers {
			st.ActiveTransfers = append(st.ActiveTransfers, httpd.Transfer(t))
		}
		out = append(out, st)
	}
	return out
}

func (a connectionsAdapter) CloseConnection(id string) bool { return a.srv.CloseConnection(id) }

// addrLister is a protocol server that reports where it listens.
type addrLister interface{ Addrs() []net.Addr }

// servicesStatus answers GET /api/v2/status for the protocol servers.
type servicesStatus struct {
	sftp addrLister
}

func bindingsStatus(srv addrLister) map[string]any {
	if srv == nil {
		return map[string]any{"is_active": false}
	}
	var bindings []map[string]any
	for _, a := range srv.Addrs() {
		host, p, _ := net.SplitHostPort(a.String())
		port, _ := strconv.Atoi(p)
		bindings = append(bindings, map[string]any{"address": host, "port": port})
	}
	return map[string]any{"is_active": len(bindings) > 0, "bindings": bindings}
}

func (s *servicesStatus) ServicesStatus(context.Context) map[string]any {
	return map[string]any{"ssh": bindingsStatus(s.sftp)}
}
