package common

import (
	"fmt"
	"net"
	"time"

	proxyproto "github.com/pires/go-proxyproto"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/edge"
)

// DefaultProxyHeaderTimeout bounds how long a connection may take to send
// its PROXY header (see edge.DefaultProxyHeaderTimeout).
const DefaultProxyHeaderTimeout = edge.DefaultProxyHeaderTimeout

// ProxyPolicy is the PROXY protocol policy of common.proxy_protocol,
// proxy_allowed and proxy_skipped; the work is done by edge.ProxyPolicy.
type ProxyPolicy struct {
	*edge.ProxyPolicy
}

// ProxySettings returns the PROXY protocol settings of cfg.
func ProxySettings(cfg config.CommonConfig) edge.ProxySettings {
	return edge.ProxySettings{Mode: cfg.ProxyProtocol, Allowed: cfg.ProxyAllowed, Skipped: cfg.ProxySkipped}
}

// NewProxyPolicy parses the PROXY protocol settings of cfg.
func NewProxyPolicy(cfg config.CommonConfig) (*ProxyPolicy, error) {
	p, err := edge.NewProxyPolicy(ProxySettings(cfg))
	if err != nil {
		return nil, fmt.Errorf("common: %w", err)
	}
	return &ProxyPolicy{ProxyPolicy: p}, nil
}

func (p *ProxyPolicy) policy(opts proxyproto.ConnPolicyOptions) (proxyproto.Policy, error) {
	return p.Decide(opts)
}

// Wrap returns l unchanged when the policy is off, otherwise a listener
// whose connections report the client addresses from their PROXY header.
func (p *ProxyPolicy) Wrap(l net.Listener, headerTimeout time.Duration) net.Listener {
	if p == nil {
		return l
	}
	return p.ProxyPolicy.Wrap(l, headerTimeout)
}

// Enabled reports whether PROXY headers are read at all.
func (p *ProxyPolicy) Enabled() bool { return p != nil && p.ProxyPolicy.Enabled() }

// CheckProxyHeader reads and validates the PROXY header of a connection
// accepted from a wrapped listener (see edge.CheckProxyHeader).
func CheckProxyHeader(c net.Conn) error { return edge.CheckProxyHeader(c) }
