package sftpfs_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
	"github.com/sftpgo-ng/sftpgo/internal/sftpd"
)

// sharedConfigDir keeps our server's generated host keys across tests.
var sharedConfigDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sftpfs-test-")
	if err != nil {
		panic(err)
	}
	sharedConfigDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireTool returns the path of a system tool; a missing one skips the
// test locally and fails it in CI.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("%s not installed", name)
		}
		t.Fatalf("%s is required in CI: %v", name, err)
	}
	return p
}

type keyPair struct {
	signer  ssh.Signer
	pem     string // OpenSSH private key
	authz   string // authorized_keys line
	private ed25519.PrivateKey
}

func newKey(t *testing.T) keyPair {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	return keyPair{signer: signer, pem: string(pem.EncodeToMemory(block)),
		authz: string(ssh.MarshalAuthorizedKey(signer.PublicKey())), private: priv}
}

// sshd is an OpenSSH server with internal-sftp on loopback.
type sshd struct {
	addr     string
	user     string
	key      keyPair
	hostPub  string // host public key file
	hostKey  ssh.PublicKey
	dir      string
	logsPath string
}

func startSSHD(t *testing.T) *sshd {
	t.Helper()
	bin := requireTool(t, "/usr/sbin/sshd")
	keygen := requireTool(t, "ssh-keygen")
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil && os.Getenv("CI") == "" {
		t.Skipf("cannot create /run/sshd: %v", err)
	}
	dir := t.TempDir()
	hostKey := filepath.Join(dir, "host_key")
	if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", hostKey).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	pubData, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	hostPub, _, _, _, err := ssh.ParseAuthorizedKey(pubData)
	if err != nil {
		t.Fatal(err)
	}
	key := newKey(t)
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), []byte(key.authz), 0o600); err != nil {
		t.Fatal(err)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cfg := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile %s
Subsystem sftp internal-sftp
MaxSessions 100
MaxStartups 100
`, port, hostKey, filepath.Join(dir, "authorized_keys"), filepath.Join(dir, "sshd.pid"))
	cfgPath := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(dir, "sshd.log")
	lf, err := os.Create(logs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", cfgPath, "-D", "-e")
	cmd.Stderr = lf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		lf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logs)
			t.Logf("sshd log:\n%s", b)
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitPort(t, addr)
	return &sshd{addr: addr, user: u.Username, key: key, hostPub: hostKey + ".pub", hostKey: hostPub, dir: dir, logsPath: logs}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitPort(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			// Wait for the banner, so the server is really serving.
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = bufio.NewReader(c).ReadString('\n')
			c.Close()
			if err == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not listening: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ownServer is our own SFTP server, in process, with one user.
type ownServer struct {
	addr     string
	user     string
	password string
	home     string
	common   *common.Server
	listener net.Listener
}

const ownPassword = "remote-Pa55"

func startOwnServer(t *testing.T) *ownServer {
	t.Helper()
	base := t.TempDir()
	logger := slog.New(slog.DiscardHandler)
	km, err := kms.NewManager(config.KMSConfig{}, base)
	if err != nil {
		t.Fatal(err)
	}
	pcfg := config.Default().DataProvider
	pcfg.Driver = "memory"
	pcfg.Name = ""
	pcfg.PasswordHashing.BcryptOptions.Cost = 4
	store, err := dataprovider.Open(context.Background(), dataprovider.Options{Config: pcfg, ConfigDir: base, KMS: km, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cs, err := common.New(config.CommonConfig{}, common.Deps{Store: store, KMS: km, Logger: logger, UsersBaseDir: filepath.Join(base, "users")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	srv, err := sftpd.New(config.SFTPDConfig{MaxAuthTries: 10, PasswordAuthentication: true, KeyboardInteractiveAuthentication: true},
		cs, store, sharedConfigDir, logger)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Serve(l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	home := filepath.Join(base, "home")
	u := dataprovider.User{
		Username:    "remote",
		Status:      dataprovider.StatusEnabled,
		Password:    ownPassword,
		HomeDir:     home,
		Permissions: map[string][]string{"/": {dataprovider.PermAny}},
	}
	if err := store.AddUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	return &ownServer{addr: l.Addr().String(), user: "remote", password: ownPassword, home: home, common: cs, listener: l}
}

// proxy forwards TCP connections to a target, counts them and can cut
// them all, to watch connection reuse and to break connections.
type proxy struct {
	l        net.Listener
	target   string
	accepted atomic.Int32
	mu       sync.Mutex
	conns    []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l, target: target}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			p.accepted.Add(1)
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	t.Cleanup(func() { l.Close(); p.cut() })
	return p
}

func (p *proxy) addr() string { return p.l.Addr().String() }

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func shortName(t *testing.T) string {
	return strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
}
