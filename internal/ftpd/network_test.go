package ftpd

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/jlaffaye/ftp"
	proxyproto "github.com/pires/go-proxyproto"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// portArg formats a PORT argument for addr.
func portArg(addr *net.TCPAddr) string {
	ip := addr.IP.To4()
	return fmt.Sprintf("%d,%d,%d,%d,%d,%d", ip[0], ip[1], ip[2], ip[3], addr.Port>>8, addr.Port&0xff)
}

// activeRetr runs PORT/EPRT (cmd) + RETR with the client listening on
// l and returns the data received.
func activeRetr(t *testing.T, r *raw, l net.Listener, cmd, file string) []byte {
	t.Helper()
	r.expect(200, "%s", cmd)
	r.expect(150, "RETR %s", file)
	l.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	c, err := l.Accept()
	if err != nil {
		t.Fatalf("the server did not connect back: %v", err)
	}
	defer c.Close()
	data, _ := io.ReadAll(c)
	r.want(226)
	return data
}

func TestActiveMode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	content := randomBytes(t, 100000)
	writeHome(t, e, "alice", "f.bin", content)
	r := dialRaw(t, e.addrs[0])
	r.login("alice")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := activeRetr(t, r, l, "PORT "+portArg(l.Addr().(*net.TCPAddr)), "f.bin"); !bytes.Equal(got, content) {
		t.Fatalf("PORT transfer: %d bytes", len(got))
	}
	eprt := fmt.Sprintf("EPRT |1|127.0.0.1|%d|", l.Addr().(*net.TCPAddr).Port)
	if got := activeRetr(t, r, l, eprt, "f.bin"); !bytes.Equal(got, content) {
		t.Fatalf("EPRT transfer: %d bytes", len(got))
	}
}

func TestActiveSecurity(t *testing.T) {
	t.Parallel()
	for _, sec := range []int{0, 1} {
		t.Run(strconv.Itoa(sec), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) { c.Bindings[0].ActiveConnectionsSecurity = sec }})
			e.addUser(t, "alice", nil)
			writeHome(t, e, "alice", "f.bin", []byte("data"))
			r := dialRaw(t, e.addrs[0])
			r.login("alice")
			// a PORT to another address than the client's (a bounce attack)
			l, err := net.Listen("tcp", "127.0.0.2:0")
			if err != nil {
				t.Skipf("127.0.0.2 not usable: %v", err)
			}
			defer l.Close()
			cmd := "PORT " + portArg(l.Addr().(*net.TCPAddr))
			if sec == 0 {
				r.expect(501, "%s", cmd)
				return
			}
			if got := activeRetr(t, r, l, cmd, "f.bin"); string(got) != "data" {
				t.Fatalf("got %q", got)
			}
		})
	}
}

func TestActiveUseControlIP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) { c.Bindings[0].ActiveUseControlIP = true }})
	e.addUser(t, "alice", nil)
	writeHome(t, e, "alice", "f.bin", []byte("natted"))
	r := dialRaw(t, e.addrs[0])
	r.login("alice")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	// the client announces its private address; the server uses the
	// address of the control connection instead
	if got := activeRetr(t, r, l, fmt.Sprintf("PORT 10,9,8,7,%d,%d", port>>8, port&0xff), "f.bin"); string(got) != "natted" {
		t.Fatalf("PORT: %q", got)
	}
	if got := activeRetr(t, r, l, fmt.Sprintf("EPRT |1|10.9.8.7|%d|", port), "f.bin"); string(got) != "natted" {
		t.Fatalf("EPRT: %q", got)
	}
}

func TestActivePort20(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("binding port 20 needs root")
	}
	e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) { c.ActiveTransfersPortNon20 = false }})
	e.addUser(t, "alice", nil)
	writeHome(t, e, "alice", "f.bin", []byte("x"))
	r := dialRaw(t, e.addrs[0])
	r.login("alice")
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	defer l.Close()
	r.expect(200, "PORT %s", portArg(l.Addr().(*net.TCPAddr)))
	r.expect(150, "RETR f.bin")
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if p := c.RemoteAddr().(*net.TCPAddr).Port; p != 20 {
		t.Fatalf("active connection from port %d, want 20", p)
	}
	io.ReadAll(c)
	r.want(226)
}

func TestPassiveSecurity(t *testing.T) {
	t.Parallel()
	for _, sec := range []int{0, 1} {
		t.Run(strconv.Itoa(sec), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) { c.Bindings[0].PassiveConnectionsSecurity = sec }})
			e.addUser(t, "alice", nil)
			writeHome(t, e, "alice", "f.bin", []byte("data"))
			r := dialRaw(t, e.addrs[0])
			r.login("alice")
			msg := r.expect(229, "EPSV")
			port := msg[strings.Index(msg, "|||")+3 : strings.LastIndex(msg, "|")]
			// the data connection comes from another address than the control one
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
			dc, err := d.Dial("tcp", net.JoinHostPort("127.0.0.1", port))
			if err != nil {
				t.Skipf("cannot dial from 127.0.0.2: %v", err)
			}
			defer dc.Close()
			if sec == 0 {
				r.expect(425, "RETR f.bin")
				return
			}
			r.expect(150, "RETR f.bin")
			got, _ := io.ReadAll(dc)
			r.want(226)
			if string(got) != "data" {
				t.Fatalf("got %q", got)
			}
		})
	}
}

func TestPassivePortRange(t *testing.T) {
	t.Parallel()
	start := 42000 + int(time.Now().UnixNano()%2000)
	e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) {
		c.PassivePortRange = config.PortRange{Start: start, End: start + 30}
	}})
	e.addUser(t, "alice", nil)
	c := e.login(t, 0, "alice", ftp.DialWithDebugOutput(nil))
	r := dialRaw(t, e.addrs[0])
	r.login("alice")
	for range 3 {
		dc, addr := r.pasv()
		dc.Close()
		_, p, _ := net.SplitHostPort(addr)
		if n, _ := strconv.Atoi(p); n < start || n > start+30 {
			t.Fatalf("passive port %d outside %d-%d", n, start, start+30)
		}
	}
	if err := c.Stor("x", strings.NewReader("y")); err != nil {
		t.Fatal(err)
	}
}

func TestEPSVOverIPv6(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	l.Close()
	e := newEnv(t, envOpts{listen: "[::1]:0", ftpd: func(c *config.FTPDConfig) { c.Bindings[0].Address = "::1" }})
	e.addUser(t, "alice", nil)
	c := e.login(t, 0, "alice")
	data := randomBytes(t, 500000)
	if err := c.Stor("v6.bin", bytes.NewReader(data)); err != nil {
		t.Fatalf("EPSV upload over IPv6: %v", err)
	}
	got, err := retr(c, "v6.bin")
	if err != nil || sum(got) != sum(data) {
		t.Fatalf("EPSV download over IPv6: %v", err)
	}
	r := dialRaw(t, e.addrs[0])
	r.login("alice")
	// PASV cannot describe an IPv6 address
	if code, _ := r.cmd("PASV"); code < 400 {
		t.Fatalf("PASV over IPv6 answered %d", code)
	}
	// EPRT with an IPv6 address
	al, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer al.Close()
	if got := activeRetr(t, r, al, fmt.Sprintf("EPRT |2|::1|%d|", al.Addr().(*net.TCPAddr).Port), "v6.bin"); sum(got) != sum(data) {
		t.Fatal("EPRT over IPv6 differs")
	}
}

// fakeCC is the part of a library client the passive address needs.
type fakeCC struct {
	ftpserver.ClientContext
	remote, local string
	tls           bool
}

func (f fakeCC) RemoteAddr() net.Addr {
	a, _ := net.ResolveTCPAddr("tcp", f.remote)
	return a
}

func (f fakeCC) LocalAddr() net.Addr {
	a, _ := net.ResolveTCPAddr("tcp", f.local)
	return a
}

func (f fakeCC) HasTLSForControl() bool { return f.tls }

func TestPassiveIPResolution(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	overrides := []config.PassiveIPOverride{
		{Networks: []string{"192.168.1.0/24"}, IP: "10.0.0.1"},
		{Networks: []string{"172.16.0.0/12", "192.168.2.0/24"}},
	}
	cases := []struct {
		name   string
		mutate func(*config.FTPDBinding)
		cc     fakeCC
		want   string
	}{
		{"default is the control connection's server address", nil, fakeCC{remote: "8.8.8.8:1", local: "10.1.1.1:21"}, "10.1.1.1"},
		{"force_passive_ip", func(b *config.FTPDBinding) { b.ForcePassiveIP = "203.0.113.5" }, fakeCC{remote: "8.8.8.8:1", local: "10.1.1.1:21"}, "203.0.113.5"},
		{"TLS passive IP on a TLS session", func(b *config.FTPDBinding) { b.ForcePassiveIP = "203.0.113.5"; b.ForcePassiveIPTLS = "203.0.113.6" },
			fakeCC{remote: "8.8.8.8:1", local: "10.1.1.1:21", tls: true}, "203.0.113.6"},
		{"TLS passive IP not on cleartext", func(b *config.FTPDBinding) { b.ForcePassiveIP = "203.0.113.5"; b.ForcePassiveIPTLS = "203.0.113.6" },
			fakeCC{remote: "8.8.8.8:1", local: "10.1.1.1:21"}, "203.0.113.5"},
		{"override network with an IP", func(b *config.FTPDBinding) { b.ForcePassiveIP = "203.0.113.5"; b.PassiveIPOverrides = overrides },
			fakeCC{remote: "192.168.1.20:1", local: "10.1.1.1:21"}, "10.0.0.1"},
		{"override network without an IP", func(b *config.FTPDBinding) { b.ForcePassiveIP = "203.0.113.5"; b.PassiveIPOverrides = overrides },
			fakeCC{remote: "192.168.2.20:1", local: "10.1.1.1:21"}, "10.1.1.1"},
		{"no override match", func(b *config.FTPDBinding) { b.ForcePassiveIP = "203.0.113.5"; b.PassiveIPOverrides = overrides },
			fakeCC{remote: "192.168.3.20:1", local: "10.1.1.1:21"}, "203.0.113.5"},
		{"PASV local network", func(b *config.FTPDBinding) {
			b.ForcePassiveIP = "203.0.113.5"
			b.PassiveLocalNetworks = []string{"10.0.0.0/8"}
		},
			fakeCC{remote: "10.2.3.4:1", local: "10.1.1.1:21"}, "10.1.1.1"},
		{"PASV local network, outside client", func(b *config.FTPDBinding) {
			b.ForcePassiveIP = "203.0.113.5"
			b.PassiveLocalNetworks = []string{"10.0.0.0/8"}
		},
			fakeCC{remote: "8.8.8.8:1", local: "10.1.1.1:21"}, "203.0.113.5"},
		{"use the control connection IP", func(b *config.FTPDBinding) { b.ForcePassiveIP = "203.0.113.5"; b.PassiveUseControlIP = true },
			fakeCC{remote: "8.8.8.8:1", local: "10.1.1.1:21"}, "10.1.1.1"},
		{"passive_host resolved", func(b *config.FTPDBinding) { b.PassiveHost = "localhost" },
			fakeCC{remote: "8.8.8.8:1", local: "10.1.1.1:21"}, "127.0.0.1"},
		{"IPv4-mapped control address", nil, fakeCC{remote: "[::ffff:8.8.8.8]:1", local: "[::ffff:10.1.1.1]:21"}, "10.1.1.1"},
	}
	for _, tc := range cases {
		cfg := testBinding(0)
		if tc.mutate != nil {
			tc.mutate(&cfg)
		}
		b, err := newBinding(e.srv, 0, cfg)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, err := b.passiveIP(tc.cc)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	b, _ := newBinding(e.srv, 0, testBinding(0))
	if _, err := b.passiveIP(fakeCC{remote: "[::1]:1", local: "[::1]:21"}); err == nil {
		t.Error("an IPv6 control connection got a PASV address")
	}
}

// sendProxyHeader writes a PROXY header claiming src to c.
func sendProxyHeader(t *testing.T, c net.Conn, version byte, src string) {
	t.Helper()
	srcAddr, _ := net.ResolveTCPAddr("tcp", src)
	h := proxyproto.HeaderProxyFromAddrs(version, srcAddr, c.RemoteAddr())
	if _, err := h.WriteTo(c); err != nil {
		t.Fatal(err)
	}
}

func TestProxyProtocol(t *testing.T) {
	t.Parallel()
	for _, version := range []byte{1, 2} {
		t.Run(fmt.Sprintf("v%d", version), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{
				common: config.CommonConfig{ProxyProtocol: 2, ProxyAllowed: []string{"127.0.0.1"}},
				ftpd:   func(c *config.FTPDConfig) { c.Bindings[0].ApplyProxyConfig = true },
			})
			e.addUser(t, "alice", nil)
			writeHome(t, e, "alice", "f.bin", []byte("proxied"))
			c, err := net.Dial("tcp", e.addrs[0])
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			sendProxyHeader(t, c, version, "198.51.100.7:4444")
			r := &raw{t: t, conn: c, r: newReader(c)}
			c.SetDeadline(time.Now().Add(20 * time.Second))
			r.want(220)
			r.login("alice")
			conns := e.common.Connections()
			if len(conns) != 1 || !strings.HasPrefix(conns[0].RemoteAddress, "198.51.100.7:") {
				t.Fatalf("connections: %+v", conns)
			}
			// the passive data connection carries a header too, and must
			// come from the same client address
			msg := r.expect(229, "EPSV")
			port := msg[strings.Index(msg, "|||")+3 : strings.LastIndex(msg, "|")]
			dc, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", port))
			if err != nil {
				t.Fatal(err)
			}
			defer dc.Close()
			sendProxyHeader(t, dc, version, "198.51.100.7:5555")
			r.expect(150, "RETR f.bin")
			got, _ := io.ReadAll(dc)
			r.want(226)
			if string(got) != "proxied" {
				t.Fatalf("got %q", got)
			}
		})
	}
}

func TestProxyProtocolRequired(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{common: config.CommonConfig{ProxyProtocol: 2}})
	c, err := net.Dial("tcp", e.addrs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	// no header: the connection is closed without a banner
	if n, err := c.Read(make([]byte, 10)); err == nil {
		t.Fatalf("got %d bytes without a PROXY header", n)
	}
	// a binding that does not apply the proxy configuration ignores it
	e2 := newEnv(t, envOpts{common: config.CommonConfig{ProxyProtocol: 2}, ftpd: func(c *config.FTPDConfig) {
		c.Bindings[0].ApplyProxyConfig = false
	}})
	dialRaw(t, e2.addrs[0])
}

func TestProxyProtocolOptional(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{common: config.CommonConfig{ProxyProtocol: 1, ProxyAllowed: []string{"10.0.0.0/8"}, ProxySkipped: []string{"127.0.0.2"}}})
	e.addUser(t, "alice", nil)
	// from an address not allowed to send a header: it is ignored
	c, err := net.Dial("tcp", e.addrs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sendProxyHeader(t, c, 2, "198.51.100.7:4444")
	r := &raw{t: t, conn: c, r: newReader(c)}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r.want(220)
	r.login("alice")
	conns := e.common.Connections()
	if len(conns) != 1 || !strings.HasPrefix(conns[0].RemoteAddress, "127.0.0.1:") {
		t.Fatalf("an untrusted header was used: %+v", conns)
	}
	// a skipped address is not read a header from: it gets the banner at once
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
	c2, err := d.Dial("tcp", e.addrs[0])
	if err != nil {
		t.Skipf("cannot dial from 127.0.0.2: %v", err)
	}
	defer c2.Close()
	c2.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := newReader(c2).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "220") {
		t.Fatalf("skipped client: %q, %v", line, err)
	}
}

func TestDataPathsFromPASV(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	writeHome(t, e, "alice", "f.bin", []byte("abc"))
	// jlaffaye with PASV and the advertised address trusted
	c := e.login(t, 0, "alice", ftp.DialWithDisabledEPSV(true), ftp.DialWithTrustPasvIP(true))
	got, err := retr(c, "f.bin")
	if err != nil || string(got) != "abc" {
		t.Fatalf("PASV download: %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(e.home("alice"), "f.bin")); err != nil {
		t.Fatal(err)
	}
}
