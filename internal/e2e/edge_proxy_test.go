package e2e

import (
	"bufio"
	be "encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

func proxyV1(src string, dstPort int) []byte {
	return []byte(fmt.Sprintf("PROXY TCP4 %s 127.0.0.1 40000 %d\r\n", src, dstPort))
}

func proxyV2(src string, dstPort int) []byte {
	b := []byte("\r\n\r\n\x00\r\nQUIT\n")
	b = append(b, 0x21, 0x11, 0, 12) // v2 PROXY, TCP over IPv4, 12 address bytes
	b = append(b, net.ParseIP(src).To4()...)
	b = append(b, 127, 0, 0, 1)
	b = be.BigEndian.AppendUint16(b, 40000)
	b = be.BigEndian.AppendUint16(b, uint16(dstPort))
	return b
}

// dialWithHeader connects to port and sends header (if any) first.
func dialWithHeader(t *testing.T, port int, header []byte) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if len(header) > 0 {
		if _, err := c.Write(header); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// TestEdgeProxyProtocol: with common.proxy_protocol 2, a PROXY v1 or v2
// header on SFTP and on HTTP (proxy_mode 1) sets the client IP the server
// sees (connections list, allow lists, logs), and a connection without
// the header is refused.
func TestEdgeProxyProtocol(t *testing.T) {
	dir := t.TempDir()
	proxiedHTTP := freePort(t)
	in := newInstance(t, dir,
		"SFTPGO_COMMON__PROXY_PROTOCOL=2",
		"SFTPGO_COMMON__PROXY_ALLOWED=127.0.0.1",
		"SFTPGO_HTTPD__BINDINGS__1__ADDRESS=127.0.0.1",
		"SFTPGO_HTTPD__BINDINGS__1__PORT="+strconv.Itoa(proxiedHTTP),
		"SFTPGO_HTTPD__BINDINGS__1__PROXY_MODE=1",
	)
	in.start()
	tok := in.token("admin", "admin-pass")
	in.addUser(tok, "proxied", "proxied-pass", map[string]any{"filters": map[string]any{"allowed_ip": []string{"10.9.9.0/24"}}})
	in.addUser(tok, "plain", "plain-pass", nil)
	// An admin who may only come from the proxied network.
	if s, d := in.api(tok, http.MethodPost, "/api/v2/admins", map[string]any{"username": "behind", "password": "behind-pass",
		"status": 1, "permissions": []string{"*"}, "filters": map[string]any{"allow_list": []string{"10.9.9.0/24"}}}); s != http.StatusCreated {
		t.Fatalf("create admin: %d %s", s, d)
	}

	sshCfg := &ssh.ClientConfig{User: "proxied", Auth: []ssh.AuthMethod{ssh.Password("proxied-pass")},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), //nolint:gosec // test server with a fresh key
		Timeout:         10 * time.Second}
	for _, tc := range []struct {
		name   string
		header func(string, int) []byte
		src    string
	}{{"v1", proxyV1, "10.9.9.1"}, {"v2", proxyV2, "10.9.9.2"}} {
		t.Run("SFTP "+tc.name, func(t *testing.T) {
			c := dialWithHeader(t, in.sftpPort, tc.header(tc.src, in.sftpPort))
			sc, chans, reqs, err := ssh.NewClientConn(c, "127.0.0.1", sshCfg)
			if err != nil {
				t.Fatalf("ssh through the PROXY header: %v", err)
			}
			client := ssh.NewClient(sc, chans, reqs)
			defer client.Close()
			fc, err := sftp.NewClient(client)
			if err != nil {
				t.Fatal(err)
			}
			defer fc.Close()
			if _, err := fc.Getwd(); err != nil {
				t.Fatal(err)
			}
			s, body := in.api(tok, http.MethodGet, "/api/v2/connections", nil)
			if s != http.StatusOK {
				t.Fatalf("connections: %d %s", s, body)
			}
			var conns []struct {
				Username      string `json:"username"`
				RemoteAddress string `json:"remote_address"`
			}
			if err := json.Unmarshal(body, &conns); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			found := false
			for _, cn := range conns {
				if cn.Username == "proxied" && strings.HasPrefix(cn.RemoteAddress, tc.src+":") {
					found = true
				}
			}
			if !found {
				t.Fatalf("no connection from %s in %s", tc.src, body)
			}
			waitLog(t, in, "user=proxied proto=SSH method=password remote="+tc.src+":")
		})
		t.Run("HTTP "+tc.name, func(t *testing.T) {
			c := dialWithHeader(t, proxiedHTTP, tc.header(tc.src, proxiedHTTP))
			req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/api/v2/token", nil)
			req.SetBasicAuth("behind", "behind-pass")
			req.Close = true
			if err := req.Write(c); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("token for an admin allowed from %s: %d", tc.src, resp.StatusCode)
			}
			waitLog(t, in, "user=behind remote="+tc.src)
		})
	}
	t.Run("SFTP without header refused", func(t *testing.T) {
		c := dialWithHeader(t, in.sftpPort, nil)
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		// a user without IP limits: only the missing header can refuse it
		plain := &ssh.ClientConfig{User: "plain", Auth: []ssh.AuthMethod{ssh.Password("plain-pass")},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(), //nolint:gosec // test server with a fresh key
			Timeout:         10 * time.Second}
		if _, _, _, err := ssh.NewClientConn(c, "127.0.0.1", plain); err == nil {
			t.Fatal("SSH session without the required PROXY header")
		}
	})
	t.Run("HTTP without header refused", func(t *testing.T) {
		c := dialWithHeader(t, proxiedHTTP, nil)
		req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/healthz", nil)
		_ = req.Write(c)
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
		if resp, err := http.ReadResponse(bufio.NewReader(c), req); err == nil {
			resp.Body.Close()
			t.Fatalf("answer %d without the required PROXY header", resp.StatusCode)
		}
	})
	t.Run("admin refused from its real address", func(t *testing.T) {
		// The plain binding reads no header: the admin comes from 127.0.0.1.
		req, _ := http.NewRequest(http.MethodGet, in.baseURL()+"/api/v2/token", nil)
		req.SetBasicAuth("behind", "behind-pass")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("admin with allow_list 10.9.9.0/24 got a token from 127.0.0.1")
		}
	})
}

// waitLog waits for the server log to contain want.
func waitLog(t *testing.T, in *instance, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(in.log.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("log never has %q:\n%s", want, in.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
