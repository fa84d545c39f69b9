package service

import (
	"context"
	"net"
	"strconv"

	"github.com/sftpgo-ng/sftpgo/internal/sftpd"
)

// addrLister is a protocol server that reports where it listens.
type addrLister interface{ Addrs() []net.Addr }

// servicesStatus answers GET /api/v2/status for the protocol servers.
type servicesStatus struct {
	sftp   sftpStatus
	ftp    addrLister
	webdav addrLister
	// defenderOn: common.defender.enabled
	defenderOn bool
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

// sftpStatus is the SFTP server as the status needs it.
type sftpStatus interface {
	addrLister
	HostKeys() []sftpd.HostKeyInfo
}

func (s *servicesStatus) ServicesStatus(context.Context) map[string]any {
	var ssh map[string]any
	if s.sftp == nil {
		ssh = bindingsStatus(nil)
	} else {
		ssh = bindingsStatus(s.sftp)
		ssh["host_keys"] = s.sftp.HostKeys()
	}
	return map[string]any{"ssh": ssh, "ftp": bindingsStatus(s.ftp), "webdav": bindingsStatus(s.webdav),
		"defender": map[string]bool{"is_active": s.defenderOn}}
}
