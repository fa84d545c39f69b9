package webdavd

import (
	"fmt"
	"net"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/edge"
)

// PROXY protocol (HAProxy, versions 1 and 2) on the bindings with
// proxy_mode 1, configured by common.proxy_protocol: 1 uses the header
// when a trusted peer sends one, 2 requires it from trusted peers.
// proxy_allowed lists the trusted peers (empty: every peer); an untrusted
// peer's header is ignored in mode 1 and refused in mode 2; peers in
// proxy_skipped are never expected to send one. The work is edge's.

const proxyHeaderTimeout = 10 * time.Second

func newProxyListener(l net.Listener, cfg config.CommonConfig) (net.Listener, error) {
	p, err := edge.NewProxyPolicy(common.ProxySettings(cfg))
	if err != nil {
		return nil, fmt.Errorf("webdavd: %w", err)
	}
	return p.Wrap(l, proxyHeaderTimeout), nil
}
