package common

import (
	"errors"
	"net"
	"testing"
)

func TestListenerSet(t *testing.T) {
	l := newListenerSet()
	l.localIPs = func() ([]net.IP, error) {
		return []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("192.0.2.10"), net.ParseIP("2001:db8::1")}, nil
	}
	unSpecific := l.add(&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 2022})
	unWild := l.add(&net.TCPAddr{IP: net.IPv6unspecified, Port: 2121})
	l.add(&net.UnixAddr{Name: "/tmp/x", Net: "unix"})()

	cases := []struct {
		addr string
		self bool
	}{
		{"127.0.0.1:2022", true},
		{"127.0.0.2:2022", false}, // another loopback address: not where that listener is bound
		{"192.0.2.10:2022", false},
		{"127.0.0.1:2023", false},
		{"127.0.0.1:2121", true}, // wildcard listener: every local address
		{"127.0.0.5:2121", true},
		{"[::1]:2121", true},
		{"192.0.2.10:2121", true},
		{"[::ffff:192.0.2.10]:2121", true},
		{"[2001:db8::1]:2121", true},
		{"192.0.2.11:2121", false}, // another host
		{"198.51.100.7:22", false},
	}
	for _, c := range cases {
		err := l.dialControl("tcp", c.addr, nil)
		if got := errors.Is(err, ErrSelfConnection); got != c.self {
			t.Errorf("%s: self %v (%v), want %v", c.addr, got, err, c.self)
		}
	}
	unSpecific()
	unSpecific() // twice is harmless
	if err := l.dialControl("tcp", "127.0.0.1:2022", nil); err != nil {
		t.Fatalf("after unregistering: %v", err)
	}
	// Two listeners on one address: still self until both are gone.
	un1 := l.add(&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 9000})
	un2 := l.add(&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 9000})
	un1()
	if err := l.dialControl("tcp", "127.0.0.1:9000", nil); !errors.Is(err, ErrSelfConnection) {
		t.Fatalf("one of two listeners left: %v", err)
	}
	un2()
	unWild()
	if err := l.dialControl("tcp", "192.0.2.10:2121", nil); err != nil {
		t.Fatalf("after unregistering the wildcard listener: %v", err)
	}
	// Unknown local addresses with a wildcard listener: refuse.
	l.add(&net.TCPAddr{IP: net.IPv4zero, Port: 21})
	l.localIPs = func() ([]net.IP, error) { return nil, errors.New("no interfaces") }
	if err := l.dialControl("tcp", "192.0.2.99:21", nil); !errors.Is(err, ErrSelfConnection) {
		t.Fatalf("without interface addresses: %v", err)
	}
}
