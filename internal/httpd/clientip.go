package httpd

import (
	"context"
	"net"
	"net/http"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/edge"
)

type ctxClientIP struct{}

// clientIP is the client's IP address: the one a trusted proxy reported,
// else the peer address (from a PROXY protocol header when the binding
// reads one) without the port.
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
// the last proxy saw; -1 takes the leftmost. A binding with proxy_mode 1
// takes the client address from the PROXY protocol instead.
func proxyIPMiddleware(b config.HTTPDBinding) func(http.Handler) http.Handler {
	header := strings.TrimSpace(b.ClientIPProxyHeader)
	// Start refuses invalid entries; an unparsable list trusts no one
	allowed, _ := edge.ParseIPSet(b.ProxyAllowed)
	return func(next http.Handler) http.Handler {
		if header == "" || allowed.Len() == 0 || b.ProxyMode == 1 {
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

func forwardedIP(r *http.Request, header string, depth int, allowed edge.IPSet) string {
	return edge.ForwardedIP(r.RemoteAddr, r.Header.Values(header), depth, allowed)
}
