package sftpd

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/pem"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// sharedConfigDir keeps the generated host keys across tests (RSA key
// generation is slow on a busy machine).
var sharedConfigDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sftpd-test-")
	if err != nil {
		panic(err)
	}
	sharedConfigDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type env struct {
	t      *testing.T
	addr   string
	store  *dataprovider.Store
	kms    *kms.Manager
	common *common.Server
	sftpd  *Server
	logs   *syncBuffer
	base   string
}

type envOpts struct {
	common config.CommonConfig
	sftpd  func(*config.SFTPDConfig)
}

func defaultSFTPDConfig() config.SFTPDConfig {
	return config.SFTPDConfig{
		MaxAuthTries:                      10,
		PasswordAuthentication:            true,
		KeyboardInteractiveAuthentication: true,
		EnabledSSHCommands:                []string{"md5sum", "sha1sum", "sha256sum", "sha512sum", "cd", "pwd", "scp"},
	}
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	base := t.TempDir()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	km, err := kms.NewManager(config.KMSConfig{}, base)
	if err != nil {
		t.Fatal(err)
	}
	pcfg := config.Default().DataProvider
	pcfg.Driver = "memory"
	pcfg.Name = ""
	pcfg.PasswordHashing.BcryptOptions.Cost = 4
	pcfg.PasswordCaching = false
	store, err := dataprovider.Open(context.Background(), dataprovider.Options{Config: pcfg, ConfigDir: base, KMS: km, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cs, err := common.New(o.common, common.Deps{Store: store, KMS: km, Logger: logger, UsersBaseDir: filepath.Join(base, "users")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	cfg := defaultSFTPDConfig()
	if o.sftpd != nil {
		o.sftpd(&cfg)
	}
	srv, err := New(cfg, cs, store, sharedConfigDir, logger)
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
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	e := &env{addr: l.Addr().String(), store: store, kms: km, common: cs, sftpd: srv, logs: logs, base: base}
	if tt, ok := t.(*testing.T); ok {
		e.t = tt
	}
	return e
}

type userKey struct {
	signer ssh.Signer
	authz  string // authorized_keys line
	path   string // private key file (OpenSSH format)
}

func newUserKey(t testing.TB) userKey {
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
	p := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(p, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return userKey{signer: signer, authz: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))), path: p}
}

const testPassword = "Pa55w0rd!x"

// addUser stores a user with full permissions, a password and key.
func (e *env) addUser(t testing.TB, name string, key userKey, mutate func(*dataprovider.User)) dataprovider.User {
	t.Helper()
	u := dataprovider.User{
		Username:    name,
		Status:      dataprovider.StatusEnabled,
		Password:    testPassword,
		HomeDir:     filepath.Join(e.base, "homes", name),
		Permissions: map[string][]string{"/": {dataprovider.PermAny}},
	}
	if key.authz != "" {
		u.PublicKeys = []string{key.authz}
	}
	if mutate != nil {
		mutate(&u)
	}
	if err := e.store.AddUser(context.Background(), &u); err != nil {
		t.Fatalf("add user: %v", err)
	}
	return u
}

func (e *env) dial(t testing.TB, user string, auth ...ssh.AuthMethod) (*ssh.Client, error) {
	t.Helper()
	return ssh.Dial("tcp", e.addr, &ssh.ClientConfig{
		User:            user,
		Auth:            auth,
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout:         10 * time.Second,
	})
}

func (e *env) sftpClient(t testing.TB, user string, auth ...ssh.AuthMethod) *sftp.Client {
	t.Helper()
	conn, err := e.dial(t, user, auth...)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c, err := sftp.NewClient(conn, sftp.UseConcurrentWrites(true), sftp.UseConcurrentReads(true))
	if err != nil {
		conn.Close()
		t.Fatalf("sftp: %v", err)
	}
	t.Cleanup(func() { c.Close(); conn.Close() })
	return c
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func sha(b []byte) [32]byte { return sha256.Sum256(b) }

func put(c *sftp.Client, p string, data []byte) error {
	f, err := c.Create(p)
	if err != nil {
		return err
	}
	if _, err := f.ReadFrom(bytes.NewReader(data)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func get(c *sftp.Client, p string) ([]byte, error) {
	f, err := c.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	_, err = f.WriteTo(&buf)
	return buf.Bytes(), err
}

var _ = io.EOF
