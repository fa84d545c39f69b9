package common

import (
	"fmt"
	"net"
	"strings"
	"time"

	proxyproto "github.com/pires/go-proxyproto"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// DefaultProxyHeaderTimeout bounds how long a connection may take to send
// its PROXY header. Protocols where the server speaks first (FTP) wait
// this long for a header from clients that connect without a proxy under
// proxy_protocol 1; list such clients in proxy_skipped to avoid it.
const DefaultProxyHeaderTimeout = 5 * time.Second

// ProxyPolicy decides how the PROXY protocol header of connections from
// an upstream address is treated, following common.proxy_protocol (0 off,
// 1 optional, 2 required), proxy_allowed (who may send a header; empty:
// anyone) and proxy_skipped (who is never read a header from).
type ProxyPolicy struct {
	mode    int
	allowed []*net.IPNet
	skipped []*net.IPNet
}

// NewProxyPolicy parses the PROXY protocol settings of cfg.
func NewProxyPolicy(cfg config.CommonConfig) (*ProxyPolicy, error) {
	p := &ProxyPolicy{mode: cfg.ProxyProtocol}
	var err error
	if p.allowed, err = parseNets(cfg.ProxyAllowed); err != nil {
		return nil, fmt.Errorf("common: proxy_allowed: %w", err)
	}
	if p.skipped, err = parseNets(cfg.ProxySkipped); err != nil {
		return nil, fmt.Errorf("common: proxy_skipped: %w", err)
	}
	return p, nil
}

// Enabled reports whether PROXY headers are read at all.
func (p *ProxyPolicy) Enabled() bool { return p != nil && p.mode > 0 }

func parseNets(list []string) ([]*net.IPNet, error) {
	out := make([]*net.IPNet, 0, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		if !strings.Contains(s, "/") {
			ip := net.ParseIP(s)
			if ip == nil {
				return nil, fmt.Errorf("%q is neither an IP address nor a CIDR network", s)
			}
			bits := 32
			if ip.To4() == nil {
				bits = 128
			}
			s = fmt.Sprintf("%s/%d", s, bits)
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR network", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func containsIP(nets []*net.IPNet, ip net.IP) bool {
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

func (p *ProxyPolicy) policy(opts proxyproto.ConnPolicyOptions) (proxyproto.Policy, error) {
	var ip net.IP
	if ta, ok := opts.Upstream.(*net.TCPAddr); ok {
		ip = ta.IP
	} else if h, _, err := net.SplitHostPort(opts.Upstream.String()); err == nil {
		ip = net.ParseIP(h)
	}
	if ip == nil {
		return proxyproto.REJECT, fmt.Errorf("unparsable upstream %q: %w", opts.Upstream, proxyproto.ErrInvalidUpstream)
	}
	if containsIP(p.skipped, ip) {
		return proxyproto.SKIP, nil
	}
	trusted := len(p.allowed) == 0 || containsIP(p.allowed, ip)
	switch {
	case p.mode == 2 && trusted:
		return proxyproto.REQUIRE, nil
	case p.mode == 2:
		return proxyproto.REJECT, nil
	case trusted:
		return proxyproto.USE, nil
	default:
		return proxyproto.IGNORE, nil
	}
}

// Wrap returns l unchanged when the policy is off, otherwise a listener
// whose connections report the client addresses from their PROXY header.
// A connection that breaks the policy fails on its first read.
func (p *ProxyPolicy) Wrap(l net.Listener, headerTimeout time.Duration) net.Listener {
	if !p.Enabled() {
		return l
	}
	if headerTimeout <= 0 {
		headerTimeout = DefaultProxyHeaderTimeout
	}
	return &proxyproto.Listener{Listener: l, ConnPolicy: p.policy, ReadHeaderTimeout: headerTimeout}
}

// CheckProxyHeader reads and validates the PROXY header of a connection
// accepted from a wrapped listener, so a connection that breaks the
// policy is refused before the server speaks (FTP sends its banner
// first). Other connections pass.
func CheckProxyHeader(c net.Conn) error {
	pc, ok := c.(*proxyproto.Conn)
	if !ok {
		return nil
	}
	// a zero-length read processes the header without consuming data
	if _, err := pc.Read(nil); err != nil {
		return fmt.Errorf("proxy protocol: %w", err)
	}
	return nil
}
