package webdavd

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// PROXY protocol (HAProxy, versions 1 and 2) on the bindings with
// proxy_mode 1, configured by common.proxy_protocol: 1 uses the header
// when a trusted peer sends one, 2 requires it from trusted peers.
// proxy_allowed lists the trusted peers (empty: every peer); an untrusted
// peer's header is ignored in mode 1 and refused in mode 2; peers in
// proxy_skipped are never expected to send one.

const proxyHeaderTimeout = 10 * time.Second

var (
	proxyV2Sig       = []byte("\r\n\r\n\x00\r\nQUIT\n")
	errProxyRequired = errors.New("webdavd: PROXY protocol header required")
	errProxyRefused  = errors.New("webdavd: PROXY protocol header from an untrusted peer")
	errProxyInvalid  = errors.New("webdavd: invalid PROXY protocol header")
)

type proxyListener struct {
	net.Listener
	required bool
	allowed  []*net.IPNet
	skipped  []*net.IPNet
}

func newProxyListener(l net.Listener, cfg config.CommonConfig) (net.Listener, error) {
	allowed, err := parseNetworks(cfg.ProxyAllowed)
	if err != nil {
		return nil, err
	}
	skipped, err := parseNetworks(cfg.ProxySkipped)
	if err != nil {
		return nil, err
	}
	return &proxyListener{Listener: l, required: cfg.ProxyProtocol == 2, allowed: allowed, skipped: skipped}, nil
}

// Accept returns connections that read the PROXY header on first use, in
// the connection's own goroutine.
func (l *proxyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &proxyConn{Conn: c, l: l}, nil
}

type proxyConn struct {
	net.Conn
	l      *proxyListener
	once   sync.Once
	br     *bufio.Reader
	remote net.Addr
	err    error
}

func (c *proxyConn) init() {
	c.once.Do(func() {
		c.br = bufio.NewReaderSize(c.Conn, 512)
		peer := c.Conn.RemoteAddr()
		ip := addrIP(peer)
		if ip != nil && containsIP(c.l.skipped, ip) {
			return
		}
		trusted := len(c.l.allowed) == 0 || (ip != nil && containsIP(c.l.allowed, ip))
		c.Conn.SetReadDeadline(time.Now().Add(proxyHeaderTimeout))
		addr, present, err := readProxyHeader(c.br)
		c.Conn.SetReadDeadline(time.Time{})
		switch {
		case err != nil:
			c.err = err
		case !present && trusted && c.l.required:
			c.err = errProxyRequired
		case present && !trusted && c.l.required:
			c.err = errProxyRefused
		case present && trusted && addr != nil:
			c.remote = addr
		}
		if c.err != nil {
			c.Conn.Close()
		}
	})
}

func (c *proxyConn) Read(p []byte) (int, error) {
	c.init()
	if c.err != nil {
		return 0, c.err
	}
	return c.br.Read(p)
}

func (c *proxyConn) RemoteAddr() net.Addr {
	c.init()
	if c.remote != nil {
		return c.remote
	}
	return c.Conn.RemoteAddr()
}

func addrIP(a net.Addr) net.IP {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return nil
	}
	return net.ParseIP(host)
}

// readProxyHeader consumes a PROXY header if one starts the stream. addr
// is nil for headers that carry no address (v1 UNKNOWN, v2 LOCAL).
func readProxyHeader(br *bufio.Reader) (addr net.Addr, present bool, err error) {
	first, err := br.Peek(1)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, false, nil
		}
		return nil, false, err
	}
	switch first[0] {
	case 'P':
		b, err := br.Peek(6)
		if err != nil || string(b) != "PROXY " {
			return nil, false, nil
		}
		addr, err := readProxyV1(br)
		return addr, true, err
	case '\r':
		b, err := br.Peek(len(proxyV2Sig))
		if err != nil || !bytes.Equal(b, proxyV2Sig) {
			return nil, false, nil
		}
		addr, err := readProxyV2(br)
		return addr, true, err
	}
	return nil, false, nil
}

func readProxyV1(br *bufio.Reader) (net.Addr, error) {
	var line []byte
	for len(line) < 108 {
		b, err := br.ReadByte()
		if err != nil {
			return nil, errProxyInvalid
		}
		line = append(line, b)
		if b == '\n' {
			break
		}
	}
	s, ok := strings.CutSuffix(string(line), "\r\n")
	if !ok {
		return nil, errProxyInvalid
	}
	f := strings.Split(s, " ")
	if len(f) >= 2 && f[1] == "UNKNOWN" {
		return nil, nil
	}
	if len(f) != 6 || (f[1] != "TCP4" && f[1] != "TCP6") {
		return nil, errProxyInvalid
	}
	ip := net.ParseIP(f[2])
	port, err := strconv.ParseUint(f[4], 10, 16)
	if ip == nil || err != nil {
		return nil, errProxyInvalid
	}
	return &net.TCPAddr{IP: ip, Port: int(port)}, nil
}

func readProxyV2(br *bufio.Reader) (net.Addr, error) {
	hdr := make([]byte, 16)
	if _, err := io.ReadFull(br, hdr); err != nil {
		return nil, errProxyInvalid
	}
	verCmd, fam := hdr[12], hdr[13]
	n := int(binary.BigEndian.Uint16(hdr[14:16]))
	if verCmd>>4 != 2 {
		return nil, errProxyInvalid
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		return nil, errProxyInvalid
	}
	switch verCmd & 0x0f {
	case 0: // LOCAL: health checks of the proxy itself
		return nil, nil
	case 1:
	default:
		return nil, errProxyInvalid
	}
	switch fam >> 4 {
	case 1: // IPv4
		if n < 12 {
			return nil, errProxyInvalid
		}
		return &net.TCPAddr{IP: net.IP(append([]byte(nil), body[0:4]...)), Port: int(binary.BigEndian.Uint16(body[8:10]))}, nil
	case 2: // IPv6
		if n < 36 {
			return nil, errProxyInvalid
		}
		return &net.TCPAddr{IP: net.IP(append([]byte(nil), body[0:16]...)), Port: int(binary.BigEndian.Uint16(body[32:34]))}, nil
	}
	return nil, nil
}
