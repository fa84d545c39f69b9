package webdavd

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/common/commontest"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

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
	t         testing.TB
	url       string // base URL with the prefix and a trailing slash
	addr      string
	store     *dataprovider.Store
	kms       *kms.Manager
	common    *common.Server
	srv       *Server
	logs      *syncBuffer
	base      string
	configDir string
	binding   config.WebDAVDBinding
	cfg       config.WebDAVDConfig
}

type envOpts struct {
	common    config.CommonConfig
	webdavd   func(*config.WebDAVDConfig)
	binding   func(*config.WebDAVDBinding)
	configDir string // reuse (restart tests)
	store     *dataprovider.Store
	base      string
	newFs     common.FsFactory // storage override (streaming backends)
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	base := o.base
	if base == "" {
		base = t.TempDir()
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	km, err := kms.NewManager(config.KMSConfig{}, base)
	if err != nil {
		t.Fatal(err)
	}
	store := o.store
	if store == nil {
		pcfg := config.Default().DataProvider
		pcfg.Driver = "memory"
		pcfg.Name = ""
		pcfg.PasswordHashing.BcryptOptions.Cost = 4
		store, err = dataprovider.Open(context.Background(), dataprovider.Options{Config: pcfg, ConfigDir: base, KMS: km, Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
	}
	cs, err := common.New(o.common, common.Deps{Store: store, KMS: km, Logger: logger, UsersBaseDir: filepath.Join(base, "users"), NewFs: o.newFs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	cfg := config.Default().WebDAVD
	b := cfg.Bindings[0]
	if o.binding != nil {
		o.binding(&b)
	}
	cfg.Bindings = []config.WebDAVDBinding{b}
	if o.webdavd != nil {
		o.webdavd(&cfg)
	}
	configDir := o.configDir
	if configDir == "" {
		configDir = filepath.Join(base, "config")
		os.MkdirAll(configDir, 0o700)
	}
	srv, err := New(cfg, cs, store, configDir, logger)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(l, b); err != nil {
		t.Fatal(err)
	}
	stopped := false
	e := &env{t: t, addr: l.Addr().String(), store: store, kms: km, common: cs, srv: srv, logs: logs, base: base,
		configDir: configDir, binding: b, cfg: cfg}
	scheme := "http"
	if b.EnableHTTPS {
		scheme = "https"
	}
	prefix, _ := cleanPrefix(b.Prefix)
	e.url = scheme + "://" + e.addr + prefix + "/"
	t.Cleanup(func() {
		if stopped {
			return
		}
		e.stop()
	})
	return e
}

// stop shuts the server down (restart tests call it early).
func (e *env) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		e.t.Errorf("shutdown: %v", err)
	}
}

const testPassword = "Pa55w0rd!x"

// addUser stores a user with full permissions and a password.
func (e *env) addUser(t testing.TB, name string, mutate func(*dataprovider.User)) dataprovider.User {
	t.Helper()
	u := dataprovider.User{
		Username:    name,
		Status:      dataprovider.StatusEnabled,
		Password:    testPassword,
		HomeDir:     filepath.Join(e.base, "homes", name),
		Permissions: map[string][]string{"/": {dataprovider.PermAny}},
	}
	if mutate != nil {
		mutate(&u)
	}
	if err := e.store.AddUser(context.Background(), &u); err != nil {
		t.Fatalf("add user: %v", err)
	}
	return u
}

// do sends a request with Basic credentials; body may be nil.
func (e *env) do(t testing.TB, c *http.Client, method, p, user string, body io.Reader, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, e.url+strings.TrimPrefix(p, "/"), body)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, testPassword)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, p, err)
	}
	return resp
}

// status sends a request and returns the status and body.
func (e *env) status(t testing.TB, method, p, user string, body []byte, hdr map[string]string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	resp := e.do(t, nil, method, p, user, r, hdr)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func sha(b []byte) [32]byte { return sha256.Sum256(b) }

// requireTool skips when an external client is missing, except in CI
// where a missing tool is a failure.
func requireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

type (
	configBinding    = config.WebDAVDBinding
	configCommon     = config.CommonConfig
	configUsersCache = config.UsersCacheConfig
)

type configWebDAVD = config.WebDAVDConfig

// streamingFs builds local storage seen through the core vfs.Fs only:
// stream reads and writes, no random access, no server-side copy.
func streamingFs(_ dataprovider.Filesystem, root string, _ common.Decrypter) (vfs.Fs, error) {
	return commontest.StreamFs{Fs: commontest.NewLocalFs(root)}, nil
}
