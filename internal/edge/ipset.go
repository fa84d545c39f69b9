package edge

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// IPSet is a set of IP networks parsed from a configuration list of
// addresses ("192.0.2.1", "2001:db8::1") and CIDR networks
// ("10.0.0.0/8"). IPv4-mapped IPv6 addresses match their IPv4 form.
type IPSet struct {
	prefixes []netip.Prefix
}

// ParseIPSet parses list; an entry that is neither an address nor a
// network is an error naming it.
func ParseIPSet(list []string) (IPSet, error) {
	var s IPSet
	for _, e := range list {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if strings.Contains(e, "/") {
			p, err := netip.ParsePrefix(e)
			if err != nil {
				return IPSet{}, fmt.Errorf("%q is neither an IP address nor a CIDR network", e)
			}
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			s.prefixes = append(s.prefixes, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(e)
		if err != nil {
			return IPSet{}, fmt.Errorf("%q is neither an IP address nor a CIDR network", e)
		}
		a = a.Unmap()
		s.prefixes = append(s.prefixes, netip.PrefixFrom(a, a.BitLen()))
	}
	return s, nil
}

// Len returns the number of entries.
func (s IPSet) Len() int { return len(s.prefixes) }

// Contains reports whether a is in the set.
func (s IPSet) Contains(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap()
	for _, p := range s.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ContainsIP is Contains for a net.IP.
func (s IPSet) ContainsIP(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	return ok && s.Contains(a)
}

// AddrIP returns the IP address of a network address (TCP or host:port).
func AddrIP(addr net.Addr) netip.Addr {
	if addr == nil {
		return netip.Addr{}
	}
	if ta, ok := addr.(*net.TCPAddr); ok {
		a, _ := netip.AddrFromSlice(ta.IP)
		return a.Unmap()
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		host = addr.String()
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}
