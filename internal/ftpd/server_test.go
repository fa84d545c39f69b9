package ftpd

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func TestBanners(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) {
		c.Banner = "Welcome to the test site"
		c.LoginGreeting = "Hello, you are in"
		c.LoginFailureMessage = "Nope, try again"
		c.LogoutMessage = "See you soon"
	}})
	e.addUser(t, "alice", nil)
	c, err := net.Dial("tcp", e.addrs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := &raw{t: t, conn: c, r: bufio.NewReader(c)}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if msg := r.want(220); msg != "Welcome to the test site" {
		t.Errorf("banner %q", msg)
	}
	r.expect(331, "USER alice")
	if msg := r.expect(230, "PASS %s", testPassword); msg != "Hello, you are in" {
		t.Errorf("login greeting %q", msg)
	}
	if msg := r.expect(221, "QUIT"); msg != "See you soon" {
		t.Errorf("logout message %q", msg)
	}
	r2 := dialRaw(t, e.addrs[0])
	r2.expect(331, "USER alice")
	if msg := r2.expect(530, "PASS bad"); msg != "Nope, try again" {
		t.Errorf("failure message %q", msg)
	}
}

func TestBannerFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "banner.txt"), []byte("Line one\nLine two\n"), 0o644)
	e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) {
		c.Banner = "ignored when a file is set"
		c.BannerFile = filepath.Join(dir, "banner.txt")
	}})
	c, err := net.Dial("tcp", e.addrs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := &raw{t: t, conn: c, r: bufio.NewReader(c)}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if msg := r.want(220); msg != "Line one\nLine two" {
		t.Errorf("banner %q", msg)
	}
	// commands sent right behind the multi-line banner are answered in order
	if msg := r.expect(211, "FEAT"); !strings.Contains(msg, "UTF8") {
		t.Errorf("FEAT after banner: %q", msg)
	}
}

func TestConnectionRegistry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", func(u *dataprovider.User) { u.MaxSessions = 1 })
	r := dialRaw(t, e.addrs[0])
	r.login("alice")
	conns := e.common.Connections()
	if len(conns) != 1 || conns[0].Username != "alice" || conns[0].Protocol != "FTP" {
		t.Fatalf("connections: %+v", conns)
	}
	// max_sessions: a second session is refused
	r2 := dialRaw(t, e.addrs[0])
	r2.expect(331, "USER alice")
	if msg := r2.expect(530, "PASS %s", testPassword); !strings.Contains(msg, "too many open sessions") {
		t.Errorf("second session: %q", msg)
	}
	// closing the connection from the registry disconnects the client
	if !e.common.CloseConnection(conns[0].ConnectionID) {
		t.Fatal("connection not found")
	}
	r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.r.ReadString('\n'); err == nil {
		t.Fatal("the client was not disconnected")
	}
	waitFor(t, "unregistration", func() bool { return len(e.common.Connections()) == 0 })
	// QUIT unregisters too
	r3 := dialRaw(t, e.addrs[0])
	r3.login("alice")
	r3.expect(221, "QUIT")
	waitFor(t, "unregistration after QUIT", func() bool { return len(e.common.Connections()) == 0 })
}

func TestConnectionLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{common: config.CommonConfig{MaxPerHostConnections: 1}})
	dialRaw(t, e.addrs[0])
	c, err := net.Dial("tcp", e.addrs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	if !strings.HasPrefix(line, "421 ") {
		t.Fatalf("second connection from the host: %q", line)
	}
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "ro", func(u *dataprovider.User) {
		u.Permissions["/"] = []string{dataprovider.PermListItems, dataprovider.PermDownload}
		u.Permissions["/up"] = []string{dataprovider.PermListItems, dataprovider.PermUpload}
	})
	writeHome(t, e, "ro", "f.txt", []byte("x"))
	writeHome(t, e, "ro", "up/secret.txt", []byte("s"))
	c := e.login(t, 0, "ro")
	if err := c.Stor("new.txt", strings.NewReader("x")); err == nil {
		t.Error("upload without permission succeeded")
	}
	if err := c.Delete("f.txt"); err == nil {
		t.Error("delete without permission succeeded")
	}
	if err := c.MakeDir("d"); err == nil {
		t.Error("mkdir without permission succeeded")
	}
	if err := c.Rename("f.txt", "g.txt"); err == nil {
		t.Error("rename without permission succeeded")
	}
	if _, err := retr(c, "up/secret.txt"); err == nil {
		t.Error("download without permission succeeded")
	}
	if err := c.Stor("up/new.txt", strings.NewReader("ok")); err != nil {
		t.Errorf("upload where allowed: %v", err)
	}
	if _, err := retr(c, "f.txt"); err != nil {
		t.Errorf("download where allowed: %v", err)
	}
}

func TestDirectoryOperations(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", func(u *dataprovider.User) { u.Filters.StartDirectory = "/start" })
	os.MkdirAll(filepath.Join(e.home("alice"), "start"), 0o755)
	c := e.login(t, 0, "alice")
	if dir, err := c.CurrentDir(); err != nil || dir != "/start" {
		t.Fatalf("start directory %q, %v", dir, err)
	}
	if err := c.MakeDir("/a"); err != nil {
		t.Fatal(err)
	}
	if err := c.ChangeDir("/a"); err != nil {
		t.Fatal(err)
	}
	if err := c.Stor("f.txt", strings.NewReader("hi")); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename("f.txt", "/g.txt"); err != nil {
		t.Fatal(err)
	}
	if err := c.ChangeDirToParent(); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveDir("a"); err != nil {
		t.Fatalf("RMD: %v", err)
	}
	if err := c.RemoveDir("g.txt"); err == nil {
		t.Fatal("RMD removed a file")
	}
	if err := c.Delete("g.txt"); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(e.home("alice"))
	if err != nil || len(entries) != 1 || entries[0].Name() != "start" {
		t.Fatalf("home after operations: %v %v", entries, err)
	}
	if err := c.ChangeDir("/../.."); err != nil {
		t.Fatal(err)
	}
	if dir, _ := c.CurrentDir(); dir != "/" {
		t.Fatalf("escaped the root: %q", dir)
	}
}

func TestAbortedUpload(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{common: config.CommonConfig{UploadMode: 1}})
	e.addUser(t, "alice", nil)
	writeHome(t, e, "alice", "f.bin", []byte("previous content"))
	r := dialRaw(t, e.addrs[0])
	r.login("alice")
	dc, _ := r.pasv()
	r.expect(150, "STOR f.bin")
	dc.Write(bytes.Repeat([]byte("n"), 100000))
	// ABOR while the data connection is open
	code, _ := r.cmd("ABOR")
	if code != 426 && code != 226 {
		t.Fatalf("ABOR: %d", code)
	}
	dc.Close()
	for code == 426 {
		code, _ = r.read()
	}
	r.expect(200, "NOOP")
	got, _ := os.ReadFile(filepath.Join(e.home("alice"), "f.bin"))
	if string(got) != "previous content" {
		t.Fatalf("an aborted atomic upload replaced the file: %d bytes", len(got))
	}
	entries, _ := os.ReadDir(e.home("alice"))
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

func TestStartAndShutdown(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) { c.Bindings = nil }})
	e.addUser(t, "alice", nil)
	cfg := testFTPDConfig()
	cfg.Bindings[0].Port = port
	unused := testBinding(0)
	unused.Port = 0
	cfg.Bindings = append(cfg.Bindings, unused)
	srv, err := New(cfg, e.common, e.store, e.base, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	addrs := srv.Addrs()
	if len(addrs) != 1 || addrs[0].(*net.TCPAddr).Port != port {
		t.Fatalf("Addrs = %v", addrs)
	}
	r := dialRaw(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	r.login("alice")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.r.ReadString('\n'); err == nil {
		t.Fatal("client still connected after Shutdown")
	}
	if _, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second); err == nil {
		t.Fatal("still listening after Shutdown")
	}
	if err := srv.Serve(0, mustListen(t)); err == nil {
		t.Fatal("Serve after Shutdown succeeded")
	}
}

func mustListen(t *testing.T) net.Listener {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestPipelinedCommandsKeepOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) { c.DisabledCommands = []string{"SYST"} }})
	e.addUser(t, "alice", nil)
	r := dialRaw(t, e.addrs[0])
	r.login("alice")
	// a reply written by the front (502 for SYST) must not overtake the
	// library's replies to the commands before it
	r.conn.Write([]byte("NOOP\r\nPWD\r\nSYST\r\nAVLB\r\nNOOP\r\n"))
	for _, want := range []int{200, 257, 502, 213, 200} {
		r.want(want)
	}
}

func TestIdleTimeoutCountsEveryCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{common: config.CommonConfig{IdleTimeout: 1}})
	e.addUser(t, "alice", nil)
	r := dialRaw(t, e.addrs[0])
	r.login("alice")
	before := e.common.Connections()[0].LastActivity
	time.Sleep(20 * time.Millisecond)
	r.expect(200, "NOOP")
	if after := e.common.Connections()[0].LastActivity; after <= before {
		t.Fatalf("NOOP did not count as activity (%d <= %d)", after, before)
	}
	if n := e.common.CloseIdle(time.Now().Add(30 * time.Second)); n != 0 {
		t.Fatalf("an active connection was closed as idle")
	}
	if n := e.common.CloseIdle(time.Now().Add(2 * time.Minute)); n != 1 {
		t.Fatalf("CloseIdle closed %d connections, want 1", n)
	}
	r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.r.ReadString('\n'); err == nil {
		t.Fatal("the idle client was not disconnected")
	}
}
