package sftpd

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func TestBannerVersionAndAuthTries(t *testing.T) {
	banner := filepath.Join(t.TempDir(), "banner.txt")
	os.WriteFile(banner, []byte("Authorized use only\n"), 0o644)
	e := newEnv(t, envOpts{
		common: config.CommonConfig{ServerVersion: "short"},
		sftpd: func(c *config.SFTPDConfig) {
			c.LoginBannerFile = banner
			c.MaxAuthTries = 2
		},
	})
	e.addUser(t, "tina", userKey{}, nil)
	var got string
	var serverVersion string
	conn, err := ssh.Dial("tcp", e.addr, &ssh.ClientConfig{
		User:            "tina",
		Auth:            []ssh.AuthMethod{ssh.Password(testPassword)},
		HostKeyCallback: func(string, net.Addr, ssh.PublicKey) error { return nil },
		BannerCallback:  func(m string) error { got = m; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	serverVersion = string(conn.ServerVersion())
	conn.Close()
	if got != "Authorized use only\n" {
		t.Fatalf("banner %q", got)
	}
	if serverVersion != "SSH-2.0-SFTPGo" {
		t.Fatalf("server version %q", serverVersion)
	}
	// three wrong passwords in one connection: the server gives up after two
	tries := 0
	_, err = ssh.Dial("tcp", e.addr, &ssh.ClientConfig{
		User: "tina",
		Auth: []ssh.AuthMethod{ssh.RetryableAuthMethod(ssh.PasswordCallback(func() (string, error) {
			tries++
			return "wrong", nil
		}), 5)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
	})
	if err == nil || tries < 1 || tries > 2 {
		t.Fatalf("max_auth_tries: %d tries, %v", tries, err)
	}
}

func TestStartBindingsAndShutdown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	e := newEnv(t, envOpts{})
	e.addUser(t, "ursula", userKey{}, nil)
	cfg := defaultSFTPDConfig()
	cfg.Bindings = []config.SFTPDBinding{{Address: "127.0.0.1", Port: port}, {Address: "127.0.0.1", Port: 0}}
	s, err := New(cfg, e.common, e.store, sharedConfigDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	addrs := s.Addrs()
	if len(addrs) != 1 || !strings.HasSuffix(addrs[0].String(), ":"+strconv.Itoa(port)) {
		t.Fatalf("addrs %v", addrs)
	}
	c, err := ssh.Dial("tcp", addrs[0].String(), &ssh.ClientConfig{User: "ursula",
		Auth: []ssh.AuthMethod{ssh.Password(testPassword)}, HostKeyCallback: ssh.InsecureIgnoreHostKey()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("client connection not closed by Shutdown")
	}
	if _, err := net.DialTimeout("tcp", addrs[0].String(), time.Second); err == nil {
		t.Fatal("still listening after Shutdown")
	}
}

func TestCloseConnectionFromRegistry(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "victor", userKey{}, nil)
	c := e.sftpClient(t, "victor", ssh.Password(testPassword))
	st := e.common.Connections()
	if len(st) != 1 {
		t.Fatalf("%d connections", len(st))
	}
	if !e.common.CloseConnection(st[0].ConnectionID) {
		t.Fatal("connection not found")
	}
	if _, err := c.ReadDir("/"); err == nil {
		t.Fatal("request succeeded on a closed connection")
	}
	if n := len(e.common.Connections()); n != 0 {
		t.Fatalf("%d connections left", n)
	}
}

func TestStartDirectory(t *testing.T) {
	e := newEnv(t, envOpts{})
	u := e.addUser(t, "wendy", userKey{}, func(u *dataprovider.User) { u.Filters.StartDirectory = "/start" })
	os.MkdirAll(filepath.Join(u.HomeDir, "start"), 0o755)
	c := e.sftpClient(t, "wendy", ssh.Password(testPassword))
	wd, err := c.Getwd()
	if err != nil || wd != "/start" {
		t.Fatalf("working directory %q %v", wd, err)
	}
	if err := put(c, "rel.txt", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(u.HomeDir, "start", "rel.txt")); err != nil {
		t.Fatalf("relative upload not in the start directory: %v", err)
	}
	if rp, _ := c.RealPath("../../.."); rp != "/" {
		t.Fatalf("realpath above the start directory: %q", rp)
	}
}

func TestPerHostLimitAndIdleClose(t *testing.T) {
	e := newEnv(t, envOpts{common: config.CommonConfig{MaxPerHostConnections: 1, IdleTimeout: 1}})
	e.addUser(t, "xena", userKey{}, nil)
	first, err := e.dial(t, "xena", ssh.Password(testPassword))
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if c, err := e.dial(t, "xena", ssh.Password(testPassword)); err == nil {
		c.Close()
		t.Fatal("second connection from the same host accepted")
	}
	done := make(chan struct{})
	go func() { first.Wait(); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for len(e.common.Connections()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := e.common.CloseIdle(time.Now().Add(2 * time.Minute)); n != 1 {
		t.Fatalf("closed %d idle connections", n)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("idle SSH connection still open")
	}
	// the slot is free again
	deadline = time.Now().Add(5 * time.Second)
	for {
		c, err := e.dial(t, "xena", ssh.Password(testPassword))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("connection refused after the idle one closed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFolderPrefix(t *testing.T) {
	e := newEnv(t, envOpts{common: config.CommonConfig{SymlinkMode: 1}, sftpd: func(c *config.SFTPDConfig) { c.FolderPrefix = "/files" }})
	u := e.addUser(t, "yara", userKey{}, func(u *dataprovider.User) {
		u.Permissions["/ro"] = []string{dataprovider.PermListItems, dataprovider.PermDownload}
	})
	os.MkdirAll(filepath.Join(u.HomeDir, "ro"), 0o755)
	c := e.sftpClient(t, "yara", ssh.Password(testPassword))
	if wd, err := c.Getwd(); err != nil || wd != "/files" {
		t.Fatalf("working directory %q %v", wd, err)
	}
	root, err := c.ReadDir("/")
	if err != nil || len(root) != 1 || root[0].Name() != "files" || !root[0].IsDir() {
		t.Fatalf("root listing %v %v", root, err)
	}
	if err := put(c, "/files/a.txt", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := put(c, "rel.txt", []byte("r")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.txt", "rel.txt"} {
		if _, err := os.Stat(filepath.Join(u.HomeDir, name)); err != nil {
			t.Fatalf("%s not stored in the home: %v", name, err)
		}
	}
	if b, err := get(c, "/files/a.txt"); err != nil || string(b) != "a" {
		t.Fatalf("download under the prefix: %q %v", b, err)
	}
	if err := c.PosixRename("/files/a.txt", "/files/b.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StatVFS("/"); err != nil {
		t.Fatalf("statvfs above the prefix: %v", err)
	}
	if fi, err := c.Lstat("/"); err != nil || !fi.IsDir() {
		t.Fatalf("lstat of the root: %v %v", fi, err)
	}
	if err := c.Symlink("/files/b.txt", "/files/link"); err != nil {
		t.Fatal(err)
	}
	if target, err := c.ReadLink("/files/link"); err != nil || (target != "/files/b.txt" && target != "b.txt") {
		t.Fatalf("readlink %q %v", target, err)
	}
	if _, err := c.Stat("/other"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("outside the prefix: %v", err)
	}
	if err := c.Mkdir("/x"); !errors.Is(err, os.ErrPermission) {
		t.Fatalf("mkdir above the prefix: %v", err)
	}
	if err := put(c, "/files/ro/f", []byte("x")); !errors.Is(err, os.ErrPermission) {
		t.Fatalf("permissions without the prefix: %v", err)
	}
	conn, _ := e.dial(t, "yara", ssh.Password(testPassword))
	defer conn.Close()
	if _, err := runCommand(t, conn, "sha256sum b.txt", nil); err == nil {
		t.Fatal("SSH commands enabled with a folder prefix")
	}
}

func TestHostCertificate(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, envOpts{})
	// generate the host keys in dir, then certify the ed25519 one
	if _, _, err := loadHostKeys(dir, nil); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "id_ed25519"))
	hostSigner, err := ssh.ParsePrivateKey(data)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := newCA(t)
	cert := &ssh.Certificate{Key: hostSigner.PublicKey(), CertType: ssh.HostCert, KeyId: "host",
		ValidPrincipals: []string{"127.0.0.1"}, ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "id_ed25519-cert.pub"), ssh.MarshalAuthorizedKey(cert), 0o644)
	cfg := defaultSFTPDConfig()
	cfg.HostCertificates = []string{"id_ed25519-cert.pub"}
	s, err := New(cfg, e.common, e.store, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	s.Serve(l)
	defer s.Shutdown(context.Background())
	e.addUser(t, "yves", userKey{}, nil)
	checker := &ssh.CertChecker{IsHostAuthority: func(auth ssh.PublicKey, _ string) bool {
		return string(auth.Marshal()) == string(ca.PublicKey().Marshal())
	}}
	conn, err := ssh.Dial("tcp", l.Addr().String(), &ssh.ClientConfig{
		User: "yves", Auth: []ssh.AuthMethod{ssh.Password(testPassword)},
		HostKeyCallback:   checker.CheckHostKey,
		HostKeyAlgorithms: []string{ssh.CertAlgoED25519v01},
	})
	if err != nil {
		t.Fatalf("host certificate not offered or invalid: %v", err)
	}
	conn.Close()
	cfg.HostCertificates = []string{"missing-cert.pub"}
	if _, err := New(cfg, e.common, e.store, dir, nil); err == nil {
		t.Fatal("missing host certificate accepted")
	}
}
