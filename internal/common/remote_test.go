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
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/ftpd"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
	"github.com/sftpgo-ng/sftpgo/internal/sftpd"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/remotetest"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
	"github.com/sftpgo-ng/sftpgo/internal/webdavd"
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

// remoteEnv is our SFTP, FTP and WebDAV servers in process on one
// common.Server, their listeners registered as the service does it.
type remoteEnv struct {
	addr    string // SFTP
	ftpAddr string
	davURL  string
	store   *dataprovider.Store
	base    string
	logs    *lockedBuffer
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

	fcfg := config.Default().FTPD
	fb := fcfg.Bindings[0]
	fb.Address = "127.0.0.1"
	fcfg.Bindings = []config.FTPDBinding{fb}
	fcfg.PassivePortRange = config.PortRange{}
	fcfg.EnableSite = true
	fsrv, err := ftpd.New(fcfg, cs, store, base, logger)
	if err != nil {
		t.Fatal(err)
	}
	fl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unregisterFTP := cs.RegisterListener(fl.Addr())
	if err := fsrv.Serve(0, fl); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unregisterFTP()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		fsrv.Shutdown(ctx)
	})

	dcfg := config.Default().WebDAVD
	db := dcfg.Bindings[0]
	dcfg.Bindings = []config.WebDAVDBinding{db}
	davDir := filepath.Join(base, "webdav")
	os.MkdirAll(davDir, 0o700)
	dsrv, err := webdavd.New(dcfg, cs, store, davDir, logger)
	if err != nil {
		t.Fatal(err)
	}
	dl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unregisterDAV := cs.RegisterListener(dl.Addr())
	if err := dsrv.Serve(dl, db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unregisterDAV()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		dsrv.Shutdown(ctx)
	})
	return &remoteEnv{addr: l.Addr().String(), ftpAddr: fl.Addr().String(), davURL: "http://" + dl.Addr().String(),
		store: store, base: base, logs: logs}
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

// backendUsers adds one user per remote backend and returns, for each,
// where its files land on the remote.
func backendUsers(t *testing.T, env *remoteEnv) map[string]string {
	t.Helper()
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
	env.addUser(t, "via-self-sftp", dataprovider.Filesystem{
		Provider: dataprovider.SFTPFilesystemProvider,
		SFTPConfig: dataprovider.SFTPConfig{
			Endpoint: env.addr, Username: "target", Password: kms.NewPlainSecret(userPassword), Prefix: "/looped-sftp",
		},
	})
	env.addUser(t, "via-vsftpd", dataprovider.Filesystem{
		Provider: dataprovider.FTPFilesystemProvider,
		FTPConfig: dataprovider.FTPConfig{
			Endpoint: ftpSrv.Addr, Username: remotetest.FTPUser, Password: kms.NewPlainSecret(remotetest.FTPPassword),
			TLSMode: remotetest.TLSExplicit, SkipTLSVerify: true, Prefix: filepath.Join(ftpSrv.Dir, "ftp-prefix"),
		},
	})
	env.addUser(t, "via-self-ftp", dataprovider.Filesystem{
		Provider: dataprovider.FTPFilesystemProvider,
		FTPConfig: dataprovider.FTPConfig{
			Endpoint: env.ftpAddr, Username: "target", Password: kms.NewPlainSecret(userPassword), Prefix: "/looped-ftp",
		},
	})
	// The secrets are stored encrypted.
	for _, name := range []string{"via-sshd", "via-self-sftp", "via-vsftpd", "via-self-ftp"} {
		u, err := env.store.GetUser(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []*kms.Secret{u.FsConfig.SFTPConfig.PrivateKey, u.FsConfig.SFTPConfig.Password, u.FsConfig.FTPConfig.Password} {
			if !s.IsEmpty() && (s.Status != kms.StatusSecretBox || strings.Contains(s.Payload, "Pa55") || strings.Contains(s.Payload, "PRIVATE")) {
				t.Fatalf("%s: secret stored as %s %q", name, s.Status, s.Payload)
			}
		}
	}
	return map[string]string{
		"via-sshd":      sshPrefix,
		"via-self-sftp": filepath.Join(target.HomeDir, "looped-sftp"),
		"via-vsftpd":    filepath.Join(ftpSrv.Dir, "ftp-prefix"),
		"via-self-ftp":  filepath.Join(target.HomeDir, "looped-ftp"),
	}
}

// TestRemoteStorageOverProtocols: for a user on each remote backend, a
// multi-megabyte file round-trips over SFTP, FTP and WebDAV and lands on
// the remote under the prefix; on FTP storage chmod fails cleanly over
// SFTP and FTP and the sessions go on.
func TestRemoteStorageOverProtocols(t *testing.T) {
	env := newRemoteEnv(t, 1)
	users := backendUsers(t, env)
	for user, remoteDir := range users {
		t.Run(user, func(t *testing.T) {
			c := env.client(t, user)
			data := roundTrip(t, c, "/sftp.bin")
			assertOnDisk(t, filepath.Join(remoteDir, "sftp.bin"), data)

			data = vfstest.RandomData(t, 5<<20+77)
			ftpRoundTrip(t, env.ftpAddr, user, "/ftp.bin", data)
			assertOnDisk(t, filepath.Join(remoteDir, "ftp.bin"), data)

			data = vfstest.RandomData(t, 5<<20+99)
			davRoundTrip(t, env.davURL, user, "/dav file.bin", data)
			assertOnDisk(t, filepath.Join(remoteDir, "dav file.bin"), data)

			onFTP := user == "via-vsftpd" || user == "via-self-ftp"
			err := c.Chmod("/sftp.bin", 0o600)
			if onFTP {
				var se *sftp.StatusError
				if !errors.As(err, &se) || se.FxCode() != sftp.ErrSSHFxOpUnsupported {
					t.Fatalf("SFTP chmod on FTP storage: %v, want SSH_FX_OP_UNSUPPORTED", err)
				}
				code, msg := ftpSiteChmod(t, env.ftpAddr, user, "/ftp.bin")
				if code != 504 {
					t.Fatalf("FTP SITE CHMOD on FTP storage: %d %s, want 504 (not supported)", code, msg)
				}
				// Reading a file while writing it is refused too.
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
			} else if err != nil {
				t.Fatalf("SFTP chmod on SFTP storage: %v", err)
			}
			// The session goes on.
			if fi, err := c.Stat("/ftp.bin"); err != nil || fi.Size() != 5<<20+77 {
				t.Fatalf("Stat after the chmod: %v %v", fi, err)
			}
			if entries, err := c.ReadDir("/"); err != nil || len(entries) < 3 {
				t.Fatalf("listing after the chmod: %d entries, %v", len(entries), err)
			}
		})
	}
}

func ftpRoundTrip(t *testing.T, addr, user, name string, data []byte) {
	t.Helper()
	c, err := ftp.Dial(addr, ftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Quit()
	if err := c.Login(user, userPassword); err != nil {
		t.Fatal(err)
	}
	if err := c.Stor(name, bytes.NewReader(data)); err != nil {
		t.Fatalf("FTP STOR: %v", err)
	}
	r, err := c.Retr(name)
	if err != nil {
		t.Fatalf("FTP RETR: %v", err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("FTP download: %d bytes, %v; want the %d uploaded", len(got), err, len(data))
	}
}

// ftpSiteChmod sends SITE CHMOD on a plain control connection and then
// checks the session still answers.
func ftpSiteChmod(t *testing.T, addr, user, name string) (int, string) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	tp := textproto.NewConn(nc)
	expect := func(want int, format string, args ...any) (int, string) {
		t.Helper()
		if format != "" {
			if _, err := tp.Cmd(format, args...); err != nil {
				t.Fatal(err)
			}
		}
		code, msg, err := tp.ReadResponse(want)
		if want > 0 && err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		return code, msg
	}
	expect(220, "")
	expect(331, "USER %s", user)
	expect(230, "PASS %s", userPassword)
	code, msg := expect(0, "SITE CHMOD 600 %s", name)
	expect(213, "SIZE %s", name)
	return code, msg
}

func davRoundTrip(t *testing.T, base, user, name string, data []byte) {
	t.Helper()
	u := base + (&url.URL{Path: name}).EscapedPath()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut, u, bytes.NewReader(data))
	req.SetBasicAuth(user, userPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusNoContent {
		t.Fatalf("WebDAV PUT: %s", resp.Status)
	}
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	req.SetBasicAuth(user, userPassword)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil || !bytes.Equal(got, data) {
		t.Fatalf("WebDAV GET: %s, %d bytes, %v; want the %d uploaded", resp.Status, len(got), err, len(data))
	}
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
		{"loop-ftp", dataprovider.Filesystem{ // by host name
			Provider: dataprovider.FTPFilesystemProvider,
			FTPConfig: dataprovider.FTPConfig{Endpoint: strings.Replace(env.ftpAddr, "127.0.0.1", "localhost", 1),
				Username: "target", Password: kms.NewPlainSecret(userPassword)},
		}},
		{"loop-webdav-port", dataprovider.Filesystem{ // any listener of ours, whatever the protocol
			Provider: dataprovider.FTPFilesystemProvider,
			FTPConfig: dataprovider.FTPConfig{Endpoint: strings.TrimPrefix(env.davURL, "http://"),
				Username: "target", Password: kms.NewPlainSecret(userPassword)},
		}},
	} {
		t.Run(c.user, func(t *testing.T) {
			env.addUser(t, c.user, c.fs)
			before := len(env.logs.String())
			// the login is refused, with the reason, over SFTP (banner),
			// FTP and WebDAV, rather than showing an empty home
			var banner string
			conn, err := ssh.Dial("tcp", env.addr, &ssh.ClientConfig{
				User: c.user, Auth: []ssh.AuthMethod{ssh.Password(userPassword)},
				HostKeyCallback: ssh.InsecureIgnoreHostKey(), //nolint:gosec // test server
				BannerCallback:  func(m string) error { banner += m; return nil },
				Timeout:         10 * time.Second,
			})
			if err == nil {
				conn.Close()
				t.Fatal("SFTP login allowed with a storage pointing at this server")
			}
			if !strings.Contains(banner, "allow_self_connections") {
				t.Fatalf("SFTP banner does not say why: %q", banner)
			}
			fc, err := ftp.Dial(env.ftpAddr, ftp.DialWithTimeout(10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			err = fc.Login(c.user, userPassword)
			fc.Quit()
			if err == nil || !strings.Contains(err.Error(), "allow_self_connections") {
				t.Fatalf("FTP login: %v", err)
			}
			req, _ := http.NewRequest("PROPFIND", env.davURL+"/", nil)
			req.SetBasicAuth(c.user, userPassword)
			req.Header.Set("Depth", "0")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "allow_self_connections") {
				t.Fatalf("WebDAV: %d %s", resp.StatusCode, body)
			}
			if !strings.Contains(env.logs.String()[before:], "allow_self_connections") {
				t.Fatal("the log does not say why the storage was refused")
			}
		})
	}
}

// TestRemoteFTPServerKilled: the remote FTP server dies while clients of
// this server download from it over SFTP and FTP, then comes back. The
// clients get an error, not a short file, and their next requests, in
// the same sessions, work on fresh connections.
func TestRemoteFTPServerKilled(t *testing.T) {
	env := newRemoteEnv(t, 0)
	ftpSrv := remotetest.StartVsftpd(t, remotetest.VsftpdOptions{})
	prefix := filepath.Join(ftpSrv.Dir, "killed")
	env.addUser(t, "on-ftp", dataprovider.Filesystem{
		Provider: dataprovider.FTPFilesystemProvider,
		FTPConfig: dataprovider.FTPConfig{Endpoint: ftpSrv.Addr, Username: remotetest.FTPUser,
			Password: kms.NewPlainSecret(remotetest.FTPPassword), Prefix: prefix},
	})
	c := env.client(t, "on-ftp")
	data := roundTrip(t, c, "/big.bin") // 6 MiB
	big := vfstest.RandomData(t, 48<<20)
	f, err := c.Create("/huge.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadFrom(bytes.NewReader(big)); err != nil {
		t.Fatal(err)
	}
	f.Close()

	fc, err := ftp.Dial(env.ftpAddr, ftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer fc.Quit()
	if err := fc.Login("on-ftp", userPassword); err != nil {
		t.Fatal(err)
	}
	sr, err := c.Open("/huge.bin")
	if err != nil {
		t.Fatal(err)
	}
	fr, err := fc.Retr("/huge.bin")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	if _, err := io.ReadFull(sr, buf); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(fr, buf); err != nil {
		t.Fatal(err)
	}

	ftpSrv.Kill()

	got, err := io.ReadAll(sr)
	sr.Close()
	if err == nil {
		t.Fatalf("SFTP download ended without error after %d more bytes of %d", len(got), len(big)-len(buf))
	}
	t.Logf("SFTP client error: %v", err)
	got, err = io.ReadAll(fr)
	if cerr := fr.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		t.Fatalf("FTP download ended without error after %d more bytes of %d", len(got), len(big)-len(buf))
	}
	t.Logf("FTP client error: %v", err)

	ftpSrv.Start()

	// Same sessions, next requests.
	if fi, err := c.Stat("/big.bin"); err != nil || fi.Size() != int64(len(data)) {
		t.Fatalf("SFTP Stat after the restart: %v %v", fi, err)
	}
	r, err := c.Open("/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := r.WriteTo(&out); err != nil || !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("SFTP download after the restart: %d bytes, %v", out.Len(), err)
	}
	r.Close()
	if size, err := fc.FileSize("/big.bin"); err != nil || size != int64(len(data)) {
		t.Fatalf("FTP SIZE after the restart: %d %v", size, err)
	}
	rr, err := fc.Retr("/big.bin")
	if err != nil {
		t.Fatalf("FTP RETR after the restart: %v", err)
	}
	got, err = io.ReadAll(rr)
	rr.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("FTP download after the restart: %d bytes, %v", len(got), err)
	}
}
