package webdavd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// binding is the HTTP handler of one listener.
type binding struct {
	s       *Server
	cfg     config.WebDAVDBinding
	prefix  string
	proxies []*net.IPNet // peers allowed to set the client IP header
	cors    *corsPolicy

	conns sync.Map // net.Conn → *tcpConn
}

func newBinding(s *Server, cfg config.WebDAVDBinding) (*binding, error) {
	prefix, err := cleanPrefix(cfg.Prefix)
	if err != nil {
		return nil, err
	}
	b := &binding{s: s, cfg: cfg, prefix: prefix, cors: newCORSPolicy(s.cfg.CORS)}
	if cfg.ProxyMode == 0 {
		b.proxies, err = parseNetworks(cfg.ProxyAllowed)
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

// stripPrefix maps a URL path onto a virtual path; ok is false outside
// the prefix.
func (b *binding) stripPrefix(p string) (string, bool) {
	if b.prefix != "" {
		rest, ok := strings.CutPrefix(p, b.prefix)
		if !ok || (rest != "" && rest[0] != '/') {
			return "", false
		}
		p = rest
	}
	return dataprovider.CleanVirtualPath(p), true
}

// tcpConn is the state of one client TCP connection: it counts against
// the connection limits from its first request until it closes.
type tcpConn struct {
	nc       net.Conn
	mu       sync.Mutex
	admitted bool
	release  func()
}

type tcpConnKey struct{}

func (b *binding) connContext(ctx context.Context, c net.Conn) context.Context {
	tc := &tcpConn{nc: c}
	b.conns.Store(c, tc)
	return context.WithValue(ctx, tcpConnKey{}, tc)
}

func (b *binding) connState(c net.Conn, state http.ConnState) {
	if state != http.StateClosed && state != http.StateHijacked {
		return
	}
	v, ok := b.conns.LoadAndDelete(c)
	if !ok {
		return
	}
	tc := v.(*tcpConn)
	tc.mu.Lock()
	release := tc.release
	tc.release = nil
	tc.mu.Unlock()
	if release != nil {
		release()
	}
}

// admit counts the connection against max_total_connections and
// max_per_host_connections the first time it is seen.
func (b *binding) admit(tc *tcpConn, remote string) error {
	if tc == nil {
		return nil
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.admitted {
		return nil
	}
	if err := b.s.common.CheckConnection(context.Background(), protocolDAV, remote); err != nil {
		return err
	}
	release, err := b.s.common.AcceptClient(remote)
	if err != nil {
		return err
	}
	tc.admitted = true
	tc.release = release
	return nil
}

func newConnID() string {
	var buf [8]byte
	rand.Read(buf[:])
	return "DAV_" + hex.EncodeToString(buf[:])
}

// ServeHTTP authenticates the request, registers it as a connection for
// its lifetime and serves it.
func (b *binding) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tc, _ := r.Context().Value(tcpConnKey{}).(*tcpConn)
	remote := b.clientAddr(r)
	if err := b.admit(tc, remote); err != nil {
		b.s.log.Info("connection refused", "remote", remote, "error", err)
		w.Header().Set("Connection", "close")
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	if b.cors.handle(w, r) {
		return
	}
	vpath, ok := b.stripPrefix(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	login, status, err := b.s.authenticate(r, remote)
	if err != nil {
		if status == http.StatusUnauthorized && !b.cfg.DisableWWWAuthHeader {
			w.Header().Set("WWW-Authenticate", `Basic realm="SFTPGo WebDAV", charset="UTF-8"`)
		}
		msg := http.StatusText(status)
		if m := common.LoginFailureMessage(err); m != "" && status != http.StatusUnauthorized {
			msg += ": " + m
		}
		http.Error(w, msg, status)
		return
	}
	disconnect := func() error {
		if tc != nil {
			return tc.nc.Close()
		}
		return nil
	}
	conn, err := b.s.common.OpenSession(login, newConnID(), r.UserAgent(), disconnect)
	if err != nil {
		http.Error(w, err.Error(), http.StatusTooManyRequests)
		return
	}
	defer conn.Close()
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		conn.SetLocalAddr(a.String())
	}
	conn.SetCommand(r.Method + " " + vpath)
	// one lookup cache per request: the checks of one PUT or PROPFIND ask
	// an object store once (vfs.LookupCache)
	ctx, cancel := context.WithCancel(vfs.WithLookupCache(r.Context()))
	defer cancel()
	stop := context.AfterFunc(conn.Context(), cancel)
	defer stop()
	q := &request{s: b.s, b: b, conn: conn, w: w, r: r.WithContext(ctx), ctx: ctx, path: vpath}
	q.fs = &davFS{q: q}
	if h := r.Header.Get("If"); h != "" {
		lists, err := parseIfHeader(h)
		if err != nil {
			http.Error(w, "invalid If header", http.StatusBadRequest)
			return
		}
		q.ifh = lists
	}
	q.serve()
}

// clientAddr returns the client address: the peer, or the address a
// trusted proxy put in client_ip_proxy_header.
func (b *binding) clientAddr(r *http.Request) string {
	remote := r.RemoteAddr
	if b.cfg.ClientIPProxyHeader == "" || len(b.proxies) == 0 {
		return remote
	}
	host, port, err := net.SplitHostPort(remote)
	if err != nil {
		host, port = remote, "0"
	}
	peer := net.ParseIP(host)
	if peer == nil || !containsIP(b.proxies, peer) {
		return remote
	}
	values := r.Header.Values(b.cfg.ClientIPProxyHeader)
	var ips []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				ips = append(ips, part)
			}
		}
	}
	if len(ips) == 0 {
		return remote
	}
	var pick string
	if b.cfg.ClientIPHeaderDepth < 0 {
		pick = ips[0]
	} else {
		idx := len(ips) - 1 - b.cfg.ClientIPHeaderDepth
		if idx < 0 {
			return remote
		}
		pick = ips[idx]
	}
	ip := net.ParseIP(pick)
	if ip == nil {
		return remote
	}
	return net.JoinHostPort(ip.String(), port)
}

// parseNetworks parses IP addresses and CIDR ranges.
func parseNetworks(list []string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, item := range list {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !strings.Contains(item, "/") {
			ip := net.ParseIP(item)
			if ip == nil {
				return nil, errors.New("webdavd: invalid IP address " + item)
			}
			bits := 32
			if ip.To4() == nil {
				bits = 128
			} else {
				ip = ip.To4()
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(item)
		if err != nil {
			return nil, errors.New("webdavd: invalid network " + item)
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
