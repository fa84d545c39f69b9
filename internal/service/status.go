package service

import (
	"context"
	"net"
	"strconv"
)

// addrLister is a protocol server that reports where it listens.
type addrLister interface{ Addrs() []net.Addr }

// servicesStatus answers GET /api/v2/status for the protocol servers.
type servicesStatus struct {
	sftp   addrLister
	webdav addrLister
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
	return map[string]any{"ssh": bindingsStatus(s.sftp), "webdav": bindingsStatus(s.webdav)}
}
