package common

import (
	"net"
	"testing"

	proxyproto "github.com/pires/go-proxyproto"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

func TestProxyPolicy(t *testing.T) {
	t.Parallel()
	up := func(ip string) proxyproto.ConnPolicyOptions {
		return proxyproto.ConnPolicyOptions{Upstream: &net.TCPAddr{IP: net.ParseIP(ip), Port: 1234}}
	}
	cases := []struct {
		name string
		cfg  config.CommonConfig
		ip   string
		want proxyproto.Policy
	}{
		{"optional, anyone allowed", config.CommonConfig{ProxyProtocol: 1}, "192.0.2.1", proxyproto.USE},
		{"optional, allowed", config.CommonConfig{ProxyProtocol: 1, ProxyAllowed: []string{"10.0.0.0/8"}}, "10.1.2.3", proxyproto.USE},
		{"optional, not allowed", config.CommonConfig{ProxyProtocol: 1, ProxyAllowed: []string{"10.0.0.0/8"}}, "192.0.2.1", proxyproto.IGNORE},
		{"required, allowed single IP", config.CommonConfig{ProxyProtocol: 2, ProxyAllowed: []string{"192.0.2.1"}}, "192.0.2.1", proxyproto.REQUIRE},
		{"required, not allowed", config.CommonConfig{ProxyProtocol: 2, ProxyAllowed: []string{"192.0.2.1"}}, "192.0.2.2", proxyproto.REJECT},
		{"skipped wins", config.CommonConfig{ProxyProtocol: 2, ProxySkipped: []string{"192.0.2.0/24"}}, "192.0.2.9", proxyproto.SKIP},
		{"IPv6", config.CommonConfig{ProxyProtocol: 2, ProxyAllowed: []string{"2001:db8::/32"}}, "2001:db8::1", proxyproto.REQUIRE},
	}
	for _, tc := range cases {
		p, err := NewProxyPolicy(tc.cfg)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, err := p.policy(up(tc.ip))
		if err != nil || got != tc.want {
			t.Errorf("%s: got %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	if _, err := NewProxyPolicy(config.CommonConfig{ProxyAllowed: []string{"nope"}}); err == nil {
		t.Error("an invalid network was accepted")
	}
	off, _ := NewProxyPolicy(config.CommonConfig{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if off.Enabled() || off.Wrap(l, 0) != l {
		t.Error("proxy_protocol 0 wrapped the listener")
	}
}
