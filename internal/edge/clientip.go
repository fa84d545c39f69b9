package edge

import (
	"net"
	"net/netip"
	"strings"
)

// ForwardedIP returns the client IP a trusted proxy reported in a header
// such as X-Forwarded-For, or "" when the peer at remoteAddr is not in
// trusted or the header gives no usable address. values are the header's
// values in order; their comma-separated entries form one list, and depth
// counts from its right: 0 is the address the last proxy saw, 1 the one
// before; -1 takes the leftmost.
func ForwardedIP(remoteAddr string, values []string, depth int, trusted IPSet) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !trusted.Contains(peer) {
		return ""
	}
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
