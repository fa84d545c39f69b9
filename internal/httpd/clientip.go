package httpd

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

type ctxClientIP struct{}

// clientIP is the client's IP address: the one a trusted proxy reported,
// else the peer address without the port.
func clientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(ctxClientIP{}).(string); ok {
		return ip
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// proxyIPMiddleware trusts b.ClientIPProxyHeader (e.g. X-Forwarded-For)
// only on connections from b.ProxyAllowed. For a comma-separated list,
// b.ClientIPHeaderDepth counts entries from the right: 0 is the address
// the last proxy saw; -1 takes the leftmost.
func proxyIPMiddleware(b config.HTTPDBinding) func(http.Handler) http.Handler {
	header := strings.TrimSpace(b.ClientIPProxyHeader)
	var allowed []netip.Prefix
	for _, entry := range b.ProxyAllowed {
		if p, err := netip.ParsePrefix(strings.TrimSpace(entry)); err == nil {
			allowed = append(allowed, p.Masked())
		} else if a, err := netip.ParseAddr(strings.TrimSpace(entry)); err == nil {
			allowed = append(allowed, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	return func(next http.Handler) http.Handler {
		if header == "" || len(allowed) == 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ip := forwardedIP(r, header, b.ClientIPHeaderDepth, allowed); ip != "" {
				r = r.WithContext(context.WithValue(r.Context(), ctxClientIP{}, ip))
			}
			next.ServeHTTP(w, r)
		})
	}
}

func forwardedIP(r *http.Request, header string, depth int, allowed []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	peer = peer.Unmap()
	trusted := false
	for _, p := range allowed {
		if p.Contains(peer) {
			trusted = true
			break
		}
	}
	if !trusted {
		return ""
	}
	values := r.Header.Values(header)
	var list []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				list = append(list, part)
			}
		}
	}
	if len(list) == 0 || depth < -1 || depth >= len(list) {
		return ""
	}
	pick := list[0]
	if depth >= 0 {
		pick = list[len(list)-1-depth]
	}
	ip, err := netip.ParseAddr(pick)
	if err != nil {
		return ""
	}
	return ip.Unmap().String()
}
