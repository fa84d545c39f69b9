package ftpd

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

func TestRewriteActive(t *testing.T) {
	t.Parallel()
	fc := &frontConn{remote: &net.TCPAddr{IP: net.IPv4(198, 51, 100, 9), Port: 1}}
	cases := []struct {
		verb, arg, want string
		ok              bool
	}{
		{"PORT", "10,0,0,1,4,1", "PORT 198,51,100,9,4,1", true},
		{"EPRT", "|1|10.0.0.1|1025|", "EPRT |1|198.51.100.9|1025|", true},
		{"EPRT", "|2|::1|1025|", "EPRT |1|198.51.100.9|1025|", true},
		{"EPRT", "#1#10.0.0.1#2000#", "EPRT |1|198.51.100.9|2000|", true},
		{"PORT", "10,0,0,1,4", "", false},
		{"PORT", "10,0,0,1,256,1", "", false},
		{"PORT", "10,0,0,1,0,0", "", false},
		{"EPRT", "|1|10.0.0.1|99999|", "", false},
		{"EPRT", "|", "", false},
	}
	for _, tc := range cases {
		got, ok := fc.rewriteActive(tc.verb, tc.arg)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%s %s: %q %v, want %q %v", tc.verb, tc.arg, got, ok, tc.want, tc.ok)
		}
	}
	v6 := &frontConn{remote: &net.TCPAddr{IP: net.ParseIP("2001:db8::5"), Port: 1}}
	if got, _ := v6.rewriteActive("PORT", "10,0,0,1,4,1"); got != "EPRT |2|2001:db8::5|1025|" {
		t.Errorf("PORT from an IPv6 client: %q", got)
	}
}

func FuzzRewriteActive(f *testing.F) {
	for _, s := range []string{"10,0,0,1,4,1", "|1|1.2.3.4|21|", "|2|::1|21|", ",,,,,", "||||", "1,2,3,4,-1,5"} {
		f.Add("PORT", s)
		f.Add("EPRT", s)
	}
	fc := &frontConn{remote: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}}
	f.Fuzz(func(t *testing.T, verb, arg string) {
		got, ok := fc.rewriteActive(verb, arg)
		if !ok {
			return
		}
		if strings.ContainsAny(got, "\r\n") {
			t.Fatalf("rewritten command holds a line break: %q", got)
		}
		if !strings.HasPrefix(got, "PORT 127,0,0,1,") && !strings.HasPrefix(got, "EPRT |1|127.0.0.1|") {
			t.Fatalf("rewritten to another address: %q", got)
		}
	})
}

// FuzzParseActive checks that an accepted PORT/EPRT argument always
// names a usable address: a port from 1 to 65535 and an IP of the
// family it announced.
func FuzzParseActive(f *testing.F) {
	for _, s := range []string{"127,0,0,1,4,1", "127,0,0,1,0,0", "|1|127.0.0.1|1025|", "|2|::1|1025|", "|2|::ffff:1.2.3.4|5|", "||||", "1,2,3,4,+1,1"} {
		f.Add("PORT", s)
		f.Add("EPRT", s)
	}
	f.Fuzz(func(t *testing.T, verb, arg string) {
		addr, ok := parseActive(verb, arg)
		if !ok {
			return
		}
		if addr.Port < 1 || addr.Port > 65535 || addr.IP == nil {
			t.Fatalf("%s %q accepted as %v", verb, arg, addr)
		}
		if verb == "EPRT" && strings.Split(strings.TrimSpace(arg), strings.TrimSpace(arg)[:1])[1] == "1" && addr.IP.To4() == nil {
			t.Fatalf("EPRT family 1 with a non-IPv4 address: %q", arg)
		}
	})
}

func FuzzSplitQuoted(f *testing.F) {
	for _, s := range []string{`a b`, `"a b" c`, `"unterminated`, `  `, `"" x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parts, err := splitQuoted(s)
		if err != nil {
			return
		}
		for _, p := range parts {
			if strings.Contains(p, `"`) {
				t.Fatalf("quote left in %q from %q", p, s)
			}
		}
	})
}

// FuzzControlCommands sends arbitrary command lines to a logged-in
// session: the server must answer or close, never hang or crash, and keep
// serving new connections.
func FuzzControlCommands(f *testing.F) {
	seeds := []string{"NOOP", "AVLB", "AVBL /", "PORT 1,2,3,4,5,6", "EPRT |2|::1|70000|", "PASV", "EPSV ALL",
		"LIST *", "NLST [", "NLST a[b-", "STAT *", "SITE CHMOD", "SITE SYMLINK \"a", "COMB", `COMB "a`,
		"HASH", "OPTS HASH MD5", "XSHA256 x 5 1", "MFMT 1 x", "REST -5", "ALLO -1", "TYPE L 7", "MODE Z",
		"AUTH", "PBSZ x", "PROT Z", "CWD ../../..", "\xff\xf4\xffABOR", "SIZE", "MLST", "RNTO x", "STRU F", strings.Repeat("A", 5000),
		// data channel and restart arguments
		"PORT 127,0,0,1,0,0", "PORT 127,0,0,1,4,1", "PORT 127,0,0,1,256,0", "PORT ,,,,,", "PORT 1,2,3,4,5,6,7",
		"EPRT |1|127.0.0.1|1025|", "EPRT |2|::1|0|", "EPRT ||||", "EPRT |1|127.0.0.1|1025", "EPRT \x00", "EPRT |3|x|1|",
		"PASV", "PASV x", "EPSV", "EPSV 1", "EPSV 2", "EPSV ALL", "EPSV 99",
		"REST 0", "REST 99999999999999999999", "REST abc", "REST 1", "REST",
		"SITE", "SITE X", "SITE CHMOD 777 f", "SITE CHMOD 99999999999 f", "SITE CHMOD -1 f", "SITE SYMLINK a b",
		`SITE SYMLINK "a b" "c`, "SITE SYMLINK / /", "SITE MKDIR x", "SITE CHOWN 0 x"}
	for _, s := range seeds {
		f.Add(s)
	}
	e := newEnv(f, envOpts{ftpd: func(c *config.FTPDConfig) { c.CertificateFile, c.CertificateKeyFile = "", "" }})
	e.addUser(f, "fuzz", nil)
	f.Fuzz(func(t *testing.T, line string) {
		line = strings.NewReplacer("\r", "", "\n", "").Replace(line)
		c, err := net.DialTimeout("tcp", e.addrs[0], 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		br := bufio.NewReader(c)
		r := &raw{t: t, conn: c, r: br}
		r.want(220)
		r.login("fuzz")
		if _, err := c.Write([]byte(line + "\r\nNOOP\r\n")); err != nil {
			return
		}
		// read until the NOOP reply or the end of the connection
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				break
			}
			if strings.HasPrefix(l, "200 OK") {
				break
			}
		}
		// the server still serves others
		c2, err := net.DialTimeout("tcp", e.addrs[0], 5*time.Second)
		if err != nil {
			t.Fatalf("server gone after %q: %v", line, err)
		}
		defer c2.Close()
		c2.SetDeadline(time.Now().Add(10 * time.Second))
		if l, err := bufio.NewReader(c2).ReadString('\n'); err != nil || !strings.HasPrefix(l, "220") {
			t.Fatalf("no banner after %q: %q %v", line, l, err)
		}
	})
}
