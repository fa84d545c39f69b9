package dataprovider

import (
	"net/netip"
	"strings"
)

// IPListType is one of the three IP lists.
type IPListType int

// IP list types, as SFTPGo numbers them.
const (
	// IPListTypeAllowList: with common.allowlist_status 1 only these
	// networks may connect.
	IPListTypeAllowList IPListType = 1
	// IPListTypeDefender: networks the defender never bans (mode 1) or
	// always refuses (mode 2).
	IPListTypeDefender IPListType = 2
	// IPListTypeRateLimiterSafeList: networks the rate limiters skip.
	IPListTypeRateLimiterSafeList IPListType = 3
)

// IP list entry modes.
const (
	ListModeAllow = 1
	ListModeDeny  = 2
)

// Protocol bits of IPListEntry.Protocols; 0 means every protocol.
const (
	IPListProtoSSH  = 1
	IPListProtoFTP  = 2
	IPListProtoDAV  = 4
	IPListProtoHTTP = 8
)

// IPListProtocolBit maps a protocol name (SSH, FTP, DAV, HTTP) to its bit.
func IPListProtocolBit(protocol string) int {
	switch protocol {
	case ProtocolSSH:
		return IPListProtoSSH
	case ProtocolFTP:
		return IPListProtoFTP
	case ProtocolWebDAV:
		return IPListProtoDAV
	case ProtocolHTTP:
		return IPListProtoHTTP
	}
	return 0
}

// IPListEntry is one IP address or CIDR network of an IP list.
type IPListEntry struct {
	IPOrNet     string     `json:"ipornet"`
	Description string     `json:"description,omitempty"`
	Type        IPListType `json:"type"`
	Mode        int        `json:"mode"`
	// Protocols is a bitmask of IPListProto*; 0 covers every protocol.
	Protocols int   `json:"protocols"`
	CreatedAt int64 `json:"created_at"`
	UpdatedAt int64 `json:"updated_at"`
}

// Prefix returns the entry's network (a bare address is a /32 or /128).
func (e *IPListEntry) Prefix() (netip.Prefix, error) {
	return ParseIPOrNet(e.IPOrNet)
}

// AppliesTo reports whether the entry covers protocol.
func (e *IPListEntry) AppliesTo(protocol string) bool {
	return e.Protocols == 0 || e.Protocols&IPListProtocolBit(protocol) != 0
}

// ParseIPOrNet parses an address or a CIDR network into a masked prefix;
// IPv4-mapped IPv6 forms become IPv4.
func ParseIPOrNet(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, invalid("ipornet", "%q is neither an IP address nor a CIDR network", s)
		}
		if p.Addr().Is4In6() {
			if p.Bits() < 96 {
				return netip.Prefix{}, invalid("ipornet", "%q is not a valid network", s)
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, invalid("ipornet", "%q is neither an IP address nor a CIDR network", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// ip_type values of the ip_lists table, as SFTPGo writes them.
const (
	ipTypeV4 = 1
	ipTypeV6 = 2
)

// prefixRange returns the first and last address of p as bytes (4 or
// 16) and the IP family (ipTypeV4, ipTypeV6), as SFTPGo stores them in
// the ip_lists table.
func prefixRange(p netip.Prefix) (first, last []byte, ipType int) {
	a := p.Masked().Addr()
	b := a.AsSlice()
	first = append([]byte(nil), b...)
	last = append([]byte(nil), b...)
	host := a.BitLen() - p.Bits()
	for i := len(last) - 1; i >= 0 && host > 0; i-- {
		n := min(host, 8)
		last[i] |= byte(1<<n - 1)
		host -= n
	}
	ipType = ipTypeV4
	if a.Is6() {
		ipType = ipTypeV6
	}
	return first, last, ipType
}

// validateIPListEntry checks and normalizes an entry: the network is
// written in its canonical form, the type and mode must go together and
// the protocol mask must name known protocols.
func validateIPListEntry(e *IPListEntry) error {
	switch e.Type {
	case IPListTypeAllowList, IPListTypeRateLimiterSafeList:
		if e.Mode != ListModeAllow {
			return invalid("mode", "the allow list and the rate limiter safe list accept mode 1 only")
		}
	case IPListTypeDefender:
		if e.Mode != ListModeAllow && e.Mode != ListModeDeny {
			return invalid("mode", "must be 1 (safe) or 2 (block)")
		}
	default:
		return invalid("type", "must be 1 (allow list), 2 (defender) or 3 (rate limiter safe list)")
	}
	p, err := ParseIPOrNet(e.IPOrNet)
	if err != nil {
		return err
	}
	e.IPOrNet = p.String()
	if e.Protocols < 0 || e.Protocols > IPListProtoSSH|IPListProtoFTP|IPListProtoDAV|IPListProtoHTTP {
		return invalid("protocols", "unknown protocol bits in %d", e.Protocols)
	}
	if len(e.Description) > 512 {
		return invalid("description", "at most 512 characters")
	}
	return nil
}
