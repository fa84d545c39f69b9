package edge

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	proxyproto "github.com/pires/go-proxyproto"
)

// DefaultProxyHeaderTimeout bounds how long a connection may take to send
// its PROXY header. Protocols where the server speaks first (FTP, SSH)
// wait this long for a header from clients that connect without a proxy
// under proxy_protocol 1; list such clients in proxy_skipped to avoid it.
const DefaultProxyHeaderTimeout = 5 * time.Second

// ProxySettings are common.proxy_protocol, proxy_allowed and
// proxy_skipped.
type ProxySettings struct {
	// Mode: 0 off, 1 use a header when present, 2 require one.
	Mode    int
	Allowed []string // who may send a header; empty: anyone
	Skipped []string // who is never read a header from
}

// ProxyPolicy decides how the PROXY protocol (v1 and v2) header of a
// connection from an upstream address is treated:
//   - an upstream in Skipped is served as is, no header read;
//   - mode 1: a header from an allowed upstream gives the client address,
//     a header from another upstream is read and ignored, no header is
//     fine;
//   - mode 2: an allowed upstream must send a header; another upstream
//     sending one is refused.
type ProxyPolicy struct {
	mode    int
	allowed IPSet
	skipped IPSet
}

// NewProxyPolicy parses s.
func NewProxyPolicy(s ProxySettings) (*ProxyPolicy, error) {
	if s.Mode < 0 || s.Mode > 2 {
		return nil, fmt.Errorf("proxy_protocol: invalid value %d (0, 1 or 2)", s.Mode)
	}
	p := &ProxyPolicy{mode: s.Mode}
	var err error
	if p.allowed, err = ParseIPSet(s.Allowed); err != nil {
		return nil, fmt.Errorf("proxy_allowed: %w", err)
	}
	if p.skipped, err = ParseIPSet(s.Skipped); err != nil {
		return nil, fmt.Errorf("proxy_skipped: %w", err)
	}
	return p, nil
}

// Enabled reports whether PROXY headers are read at all.
func (p *ProxyPolicy) Enabled() bool { return p != nil && p.mode > 0 }

// Required reports whether allowed upstreams must send a header.
func (p *ProxyPolicy) Required() bool { return p != nil && p.mode == 2 }

// Decide is the go-proxyproto connection policy.
func (p *ProxyPolicy) Decide(opts proxyproto.ConnPolicyOptions) (proxyproto.Policy, error) {
	ip := AddrIP(opts.Upstream)
	if !ip.IsValid() {
		return proxyproto.REJECT, fmt.Errorf("unparsable upstream %q: %w", opts.Upstream, proxyproto.ErrInvalidUpstream)
	}
	if p.skipped.Contains(ip) {
		return proxyproto.SKIP, nil
	}
	trusted := p.allowed.Len() == 0 || p.allowed.Contains(ip)
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
// whose connections report the client address of their PROXY header as
// RemoteAddr. A connection that breaks the policy fails on its first read
// (or RemoteAddr call); use CheckProxyHeader where the server speaks
// first.
func (p *ProxyPolicy) Wrap(l net.Listener, headerTimeout time.Duration) net.Listener {
	if !p.Enabled() {
		return l
	}
	if headerTimeout <= 0 {
		headerTimeout = DefaultProxyHeaderTimeout
	}
	return &proxyproto.Listener{Listener: l, ConnPolicy: p.Decide, ReadHeaderTimeout: headerTimeout}
}

// ErrProxyHeader wraps every refusal of a connection for its PROXY header.
var ErrProxyHeader = errors.New("proxy protocol")

// CheckProxyHeader reads and validates the PROXY header of a connection
// accepted from a wrapped listener, so a connection that breaks the
// policy is refused before the server speaks. Other connections pass.
func CheckProxyHeader(c net.Conn) error {
	pc, ok := c.(*proxyproto.Conn)
	if !ok {
		return nil
	}
	// a zero-length read processes the header without consuming data
	if _, err := pc.Read(nil); err != nil {
		return fmt.Errorf("%w: %w", ErrProxyHeader, err)
	}
	return nil
}

// CheckingListener is a listener whose Accept returns only connections
// that passed CheckProxyHeader; the check runs in its own goroutine per
// connection so one slow client does not hold up others. Refused
// connections are closed and reported to onRefused (may be nil).
type CheckingListener struct {
	net.Listener
	conns     chan net.Conn
	done      chan struct{}
	onRefused func(remote net.Addr, err error)
	closeOnce sync.Once
	acceptErr chan error
}

// NewCheckingListener wraps l (already wrapped by ProxyPolicy.Wrap).
func NewCheckingListener(l net.Listener, onRefused func(net.Addr, error)) *CheckingListener {
	cl := &CheckingListener{
		Listener:  l,
		conns:     make(chan net.Conn),
		done:      make(chan struct{}),
		onRefused: onRefused,
		acceptErr: make(chan error, 1),
	}
	go cl.loop()
	return cl
}

func (cl *CheckingListener) loop() {
	for {
		c, err := cl.Listener.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			cl.acceptErr <- err
			return
		}
		go func() {
			if err := CheckProxyHeader(c); err != nil {
				if cl.onRefused != nil {
					cl.onRefused(rawRemote(c), err)
				}
				_ = c.Close()
				return
			}
			select {
			case cl.conns <- c:
			case <-cl.done:
				_ = c.Close()
			}
		}()
	}
}

func rawRemote(c net.Conn) net.Addr {
	if pc, ok := c.(*proxyproto.Conn); ok {
		return pc.Raw().RemoteAddr()
	}
	return c.RemoteAddr()
}

// Accept returns the next connection that passed the check.
func (cl *CheckingListener) Accept() (net.Conn, error) {
	select {
	case c := <-cl.conns:
		return c, nil
	case err := <-cl.acceptErr:
		cl.acceptErr <- err
		return nil, err
	case <-cl.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting.
func (cl *CheckingListener) Close() error {
	cl.closeOnce.Do(func() { close(cl.done) })
	return cl.Listener.Close()
}
