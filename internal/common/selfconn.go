package common

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
)

// ErrSelfConnection refuses a remote storage endpoint (remote SFTP or
// FTP) that resolves to one of this server's own listeners: a user whose
// storage is this very server would loop through it. Set
// common.allow_self_connections to 1 to allow it.
var ErrSelfConnection = errors.New("the storage endpoint is this server's own listener (common.allow_self_connections is 0)")

// listenerSet holds the addresses this process listens on.
type listenerSet struct {
	mu    sync.Mutex
	addrs map[string]int // "ip:port" -> how many listeners
	// localIPs lists this host's addresses (net.InterfaceAddrs); tests
	// replace it.
	localIPs func() ([]net.IP, error)
}

func newListenerSet() *listenerSet {
	return &listenerSet{addrs: map[string]int{}, localIPs: interfaceIPs}
}

func interfaceIPs() ([]net.IP, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	ips := make([]net.IP, 0, len(addrs))
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			ips = append(ips, n.IP)
		}
	}
	return ips, nil
}

// RegisterListener records addr (a TCP listener's Addr()) as one of this
// server's listeners, so remote storage pointing at it is refused unless
// common.allow_self_connections is 1. Every protocol server calls it
// once its listener is open, and calls the returned function when the
// listener closes.
func (s *Server) RegisterListener(addr net.Addr) (unregister func()) {
	return s.remote.listeners.add(addr)
}

func (l *listenerSet) add(addr net.Addr) func() {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return func() {}
	}
	key := net.JoinHostPort(canonicalIP(tcp.IP).String(), strconv.Itoa(tcp.Port))
	l.mu.Lock()
	l.addrs[key]++
	l.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.addrs[key]--; l.addrs[key] <= 0 {
				delete(l.addrs, key)
			}
		})
	}
}

func canonicalIP(ip net.IP) net.IP {
	if ip == nil {
		return net.IPv6unspecified
	}
	if v4 := ip.To4(); v4 != nil {
		return v4
	}
	return ip
}

// isSelf reports whether ip:port reaches one of the listeners: the same
// address, or any address of this host for a listener on 0.0.0.0 or ::.
func (l *listenerSet) isSelf(ip net.IP, port int) bool {
	ip = canonicalIP(ip)
	l.mu.Lock()
	var wildcard bool
	for key := range l.addrs {
		h, p, err := net.SplitHostPort(key)
		if err != nil || p != strconv.Itoa(port) {
			continue
		}
		lip := net.ParseIP(h)
		if lip.IsUnspecified() {
			wildcard = true
			continue
		}
		if canonicalIP(lip).Equal(ip) {
			l.mu.Unlock()
			return true
		}
	}
	l.mu.Unlock()
	if !wildcard {
		return false
	}
	if ip.IsLoopback() || ip.IsUnspecified() {
		return true
	}
	local, err := l.localIPs()
	if err != nil {
		// Cannot tell: refuse rather than risk a loop.
		return true
	}
	for _, a := range local {
		if canonicalIP(a).Equal(ip) {
			return true
		}
	}
	return false
}

// dialControl is a net.Dialer.Control hook: it sees the resolved address
// of every connection attempt, so a host name that resolves to this
// server is caught too.
func (l *listenerSet) dialControl(_, address string, _ syscall.RawConn) error {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return fmt.Errorf("unexpected address %q", address)
	}
	if l.isSelf(ip, p) {
		return fmt.Errorf("%s: %w", address, ErrSelfConnection)
	}
	return nil
}
