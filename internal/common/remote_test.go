package common_test

// Remote SFTP and FTP storage seen through our SFTP server: users whose
// storage is OpenSSH sshd, vsftpd, or this very server.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
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
	"github.com/sftpgo-ng/sftpgo/internal/sftpd"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/remotetest"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// remoteEnv is our SFTP server in process, its listener registered as
// the service does it.
type remoteEnv struct {
	addr  string
	store *dataprovider.Store
	base  string
	logs  *lockedBuffer
}

const userPassword = "User-Pa55word"

func newRemoteEnv(t *testing.T, allowSelf int) *remoteEnv {
	t.Helper()
	base := t.TempDir()
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
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
	cs, err := common.New(config.CommonConfig{AllowSelfConnections: allowSelf},
		common.Deps{Store: store, KMS: km, Logger: logger, UsersBaseDir: filepath.Join(base, "users")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	srv, err := sftpd.New(config.SFTPDConfig{MaxAuthTries: 10, PasswordAuthentication: true}, cs, store, sharedHostKeys(t), logger)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unregister := cs.RegisterListener(l.Addr())
	srv.Serve(l)
	t.Cleanup(func() {
		unregister()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return &remoteEnv{addr: l.Addr().String(), store: store, base: base, logs: logs}
}

var (
	hostKeysOnce sync.Once
	hostKeysDir  string
)

// sharedHostKeys keeps our server's host keys across tests (RSA
// generation is slow).
func sharedHostKeys(t *testing.T) string {
	hostKeysOnce.Do(func() {
		dir, err := os.MkdirTemp("", "common-remote-hostkeys-")
		if err != nil {
			t.Fatal(err)
		}
		hostKeysDir = dir
	})
	return hostKeysDir
}

func (e *remoteEnv) addUser(t *testing.T, name string, fsConfig dataprovider.Filesystem) dataprovider.User {
	t.Helper()
	u := dataprovider.User{
		Username:    name,
		Status:      dataprovider.StatusEnabled,
		Password:    userPassword,
		HomeDir:     filepath.Join(e.base, "homes", name),
		Permissions: map[string][]string{"/": {dataprovider.PermAny}},
		FsConfig:    fsConfig,
	}
	if err := e.store.AddUser(context.Background(), &u); err != nil {
		t.Fatalf("add user %s: %v", name, err)
	}
	return u
}

func (e *remoteEnv) client(t *testing.T, user string) *sftp.Client {
	t.Helper()
	conn, err := ssh.Dial("tcp", e.addr, &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.Password(userPassword)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), //nolint:gosec // test server
		Timeout:         10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); conn.Close() })
	return c
}

// roundTrip uploads and downloads a multi-megabyte file over SFTP and
// returns its content.
func roundTrip(t *testing.T, c *sftp.Client, name string) []byte {
	t.Helper()
	data := vfstest.RandomData(t, 6<<20+123)
	f, err := c.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadFrom(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := c.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := r.WriteTo(&got); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if sha256.Sum256(got.Bytes()) != sha256.Sum256(data) {
		t.Fatalf("%s: downloaded %d bytes that differ from the %d uploaded", name, got.Len(), len(data))
	}
	return data
}

func assertOnDisk(t *testing.T, path string, data []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("not on the remote: %v", err)
	}
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("%s holds %d bytes that differ from the %d uploaded", path, len(got), len(data))
	}
}

func TestRemoteStorageOverSFTP(t *testing.T) {
	env := newRemoteEnv(t, 1)
	sshd := remotetest.StartSSHD(t)
	ftpSrv := remotetest.StartVsftpd(t, remotetest.VsftpdOptions{TLSMode: remotetest.TLSExplicit, SSLReuse: true})
	target := env.addUser(t, "target", dataprovider.Filesystem{})
	sshPrefix := filepath.Join(t.TempDir(), "ssh-prefix")

	env.addUser(t, "via-sshd", dataprovider.Filesystem{
		Provider: dataprovider.SFTPFilesystemProvider,
		SFTPConfig: dataprovider.SFTPConfig{
			Endpoint: sshd.Addr, Username: sshd.User, PrivateKey: kms.NewPlainSecret(sshd.Key.PEM),
			Fingerprints: []string{sshd.Fingerprint()}, Prefix: sshPrefix,
		},
	})
	env.addUser(t, "via-self", dataprovider.Filesystem{
		Provider: dataprovider.SFTPFilesystemProvider,
		SFTPConfig: dataprovider.SFTPConfig{
			Endpoint: env.addr, Username: "target", Password: kms.NewPlainSecret(userPassword), Prefix: "/looped",
		},
	})
	env.addUser(t, "via-ftp", dataprovider.Filesystem{
		Provider: dataprovider.FTPFilesystemProvider,
		FTPConfig: dataprovider.FTPConfig{
			Endpoint: ftpSrv.Addr, Username: remotetest.FTPUser, Password: kms.NewPlainSecret(remotetest.FTPPassword),
			TLSMode: remotetest.TLSExplicit, SkipTLSVerify: true, Prefix: filepath.Join(ftpSrv.Dir, "ftp-prefix"),
		},
	})
	// The secrets are stored encrypted.
	for _, name := range []string{"via-sshd", "via-self", "via-ftp"} {
		u, err := env.store.GetUser(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []*kms.Secret{u.FsConfig.SFTPConfig.PrivateKey, u.FsConfig.SFTPConfig.Password, u.FsConfig.FTPConfig.Password} {
			if !s.IsEmpty() && (s.Status != kms.StatusAES256GCM || strings.Contains(s.Payload, "Pa55") || strings.Contains(s.Payload, "PRIVATE")) {
				t.Fatalf("%s: secret stored as %s %q", name, s.Status, s.Payload)
			}
		}
	}

	t.Run("sshd", func(t *testing.T) {
		c := env.client(t, "via-sshd")
		data := roundTrip(t, c, "/big.bin")
		assertOnDisk(t, filepath.Join(sshPrefix, "big.bin"), data)
		if err := c.Chmod("/big.bin", 0o600); err != nil {
			t.Fatalf("chmod on remote SFTP: %v", err)
		}
		if fi, err := os.Stat(filepath.Join(sshPrefix, "big.bin")); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("remote mode after chmod: %v %v", fi.Mode(), err)
		}
	})
	t.Run("self", func(t *testing.T) {
		c := env.client(t, "via-self")
		data := roundTrip(t, c, "/big.bin")
		assertOnDisk(t, filepath.Join(target.HomeDir, "looped", "big.bin"), data)
	})
	t.Run("ftp", func(t *testing.T) {
		c := env.client(t, "via-ftp")
		data := roundTrip(t, c, "/big.bin")
		assertOnDisk(t, filepath.Join(ftpSrv.Dir, "ftp-prefix", "big.bin"), data)
		// chmod is not supported on FTP: a clean error, and the session
		// goes on.
		err := c.Chmod("/big.bin", 0o600)
		var se *sftp.StatusError
		if !errors.As(err, &se) || se.FxCode() != sftp.ErrSSHFxOpUnsupported {
			t.Fatalf("chmod on FTP storage: %v, want SSH_FX_OP_UNSUPPORTED", err)
		}
		// So is reading a file opened for writing.
		f, err := c.OpenFile("/rw.bin", os.O_RDWR|os.O_CREATE|os.O_TRUNC)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		if _, err := f.ReadAt(make([]byte, 5), 0); err == nil || errors.Is(err, io.EOF) {
			t.Fatalf("read of a file open for writing on FTP storage: %v, want an error", err)
		}
		f.Close()
		if fi, err := c.Stat("/big.bin"); err != nil || fi.Size() != int64(len(data)) {
			t.Fatalf("the session did not go on after the refusals: %v %v", fi, err)
		}
		entries, err := c.ReadDir("/")
		if err != nil || len(entries) == 0 {
			t.Fatalf("listing after the refusals: %v %v", entries, err)
		}
	})
}

// TestSelfConnectionRefused: with common.allow_self_connections 0 a
// backend pointing at this server's own listener is refused; the user
// sees a failure and the session stays usable.
func TestSelfConnectionRefused(t *testing.T) {
	env := newRemoteEnv(t, 0)
	env.addUser(t, "target", dataprovider.Filesystem{})
	for _, c := range []struct {
		user string
		fs   dataprovider.Filesystem
	}{
		{"loop-sftp", dataprovider.Filesystem{
			Provider: dataprovider.SFTPFilesystemProvider,
			SFTPConfig: dataprovider.SFTPConfig{Endpoint: env.addr, Username: "target",
				Password: kms.NewPlainSecret(userPassword)},
		}},
		{"loop-ftp", dataprovider.Filesystem{ // the port of our SFTP listener: refused before any FTP talk
			Provider: dataprovider.FTPFilesystemProvider,
			FTPConfig: dataprovider.FTPConfig{Endpoint: strings.Replace(env.addr, "127.0.0.1", "localhost", 1),
				Username: "target", Password: kms.NewPlainSecret(userPassword)},
		}},
	} {
		t.Run(c.user, func(t *testing.T) {
			env.addUser(t, c.user, c.fs)
			before := len(env.logs.String())
			cl := env.client(t, c.user)
			for range 2 {
				if _, err := cl.Stat("/"); err == nil {
					t.Fatal("storage pointing at this server was used")
				} else if errors.Is(err, sftp.ErrSSHFxConnectionLost) {
					t.Fatalf("the session ended: %v", err)
				}
			}
			if !strings.Contains(env.logs.String()[before:], "allow_self_connections") {
				t.Fatal("the log does not say why the storage was refused")
			}
		})
	}
}
