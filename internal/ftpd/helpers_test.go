package ftpd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// pki is a throw-away CA with a server certificate for 127.0.0.1 and
// localhost, generated once per test binary.
var pki *testPKI

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ftpd-test-")
	if err != nil {
		panic(err)
	}
	pki, err = newTestPKI(dir)
	if err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type testPKI struct {
	dir      string
	caCert   *x509.Certificate
	caKey    *ecdsa.PrivateKey
	caFile   string
	certFile string // server
	keyFile  string
	mu       sync.Mutex
	serial   int64
}

func writePEM(path, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}

func newTestPKI(dir string) (*testPKI, error) {
	p := &testPKI{dir: dir, serial: 1}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ftpd test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	p.caCert, _ = x509.ParseCertificate(der)
	p.caKey = key
	p.caFile = filepath.Join(dir, "ca.pem")
	if err := writePEM(p.caFile, "CERTIFICATE", der); err != nil {
		return nil, err
	}
	p.certFile, p.keyFile, _, err = p.issue("server", true)
	return p, err
}

// issue creates a certificate signed by the CA: a server certificate for
// 127.0.0.1/::1/localhost, or a client one with CN cn. It returns the
// files and the serial.
func (p *testPKI) issue(cn string, server bool) (certFile, keyFile string, serial *big.Int, err error) {
	p.mu.Lock()
	p.serial++
	serial = big.NewInt(p.serial)
	p.mu.Unlock()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.DNSNames = []string{"localhost"}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		return "", "", nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", nil, err
	}
	base := filepath.Join(p.dir, fmt.Sprintf("%s-%d", cn, serial))
	certFile, keyFile = base+".pem", base+".key"
	if err := writePEM(certFile, "CERTIFICATE", der); err != nil {
		return "", "", nil, err
	}
	if err := writePEM(keyFile, "PRIVATE KEY", keyDER); err != nil {
		return "", "", nil, err
	}
	return certFile, keyFile, serial, nil
}

// crl writes a revocation list of the CA listing serials.
func (p *testPKI) crl(t testing.TB, path string, serials ...*big.Int) {
	t.Helper()
	var entries []x509.RevocationListEntry
	for _, s := range serials {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: time.Now().Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(time.Now().UnixNano()),
		ThisUpdate:                time.Now().Add(-time.Hour),
		NextUpdate:                time.Now().Add(time.Hour),
		RevokedCertificateEntries: entries,
	}, p.caCert, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := writePEM(path, "X509 CRL", der); err != nil {
		t.Fatal(err)
	}
}

func (p *testPKI) rootPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.caCert)
	return pool
}

// clientTLS is a client configuration trusting the test CA, with a
// session cache so data connections can resume the control session.
func (p *testPKI) clientTLS() *tls.Config {
	return &tls.Config{
		RootCAs:            p.rootPool(),
		ServerName:         "127.0.0.1",
		ClientSessionCache: tls.NewLRUClientSessionCache(16),
	}
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
	t      testing.TB
	store  *dataprovider.Store
	common *common.Server
	srv    *Server
	logs   *syncBuffer
	base   string
	addrs  []string // per binding, "" when not served
}

type envOpts struct {
	common config.CommonConfig
	// ftpd changes the default test configuration: one cleartext binding
	// (AUTH TLS allowed) with the test certificate.
	ftpd func(*config.FTPDConfig)
	// listen is the address of every binding (default 127.0.0.1:0).
	listen string
	// quiet logs warnings only, and nowhere (benchmarks).
	quiet bool
	// tune changes the server's limits before it serves.
	tune func(*limits)
	// wrap wraps every binding's listener.
	wrap func(net.Listener) net.Listener
}

func testFTPDConfig() config.FTPDConfig {
	cfg := config.Default().FTPD
	cfg.Bindings = []config.FTPDBinding{testBinding(0)}
	cfg.PassivePortRange = config.PortRange{}
	cfg.CertificateFile = pki.certFile
	cfg.CertificateKeyFile = pki.keyFile
	cfg.HASHSupport = 1
	cfg.CombineSupport = 1
	cfg.EnableSite = true
	return cfg
}

func testBinding(tlsMode int) config.FTPDBinding {
	b := config.Default().FTPD.Bindings[0]
	b.Address = "127.0.0.1"
	b.TLSMode = tlsMode
	return b
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	base := t.TempDir()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if o.quiet {
		logger = slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
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
	cfg := testFTPDConfig()
	if o.ftpd != nil {
		o.ftpd(&cfg)
	}
	srv, err := New(cfg, cs, store, base, logger)
	if err != nil {
		t.Fatalf("ftpd.New: %v", err)
	}
	if o.tune != nil {
		o.tune(&srv.limits)
	}
	e := &env{t: t, store: store, common: cs, srv: srv, logs: logs, base: base}
	listen := o.listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	for i := range cfg.Bindings {
		l, err := net.Listen("tcp", listen)
		if err != nil {
			t.Fatal(err)
		}
		e.addrs = append(e.addrs, l.Addr().String())
		if o.wrap != nil {
			l = o.wrap(l)
		}
		if err := srv.Serve(i, l); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", tail(logs.String(), 60))
		}
	})
	return e
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

const testPassword = "Pa55w0rd!x"

// addUser stores a user with full permissions and testPassword.
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

func (e *env) home(name string) string { return filepath.Join(e.base, "homes", name) }

// dial connects the jlaffaye client to binding i.
func (e *env) dial(t testing.TB, i int, opts ...ftp.DialOption) (*ftp.ServerConn, error) {
	t.Helper()
	opts = append([]ftp.DialOption{ftp.DialWithTimeout(10 * time.Second)}, opts...)
	return ftp.Dial(e.addrs[i], opts...)
}

// login dials binding i and logs in, failing the test on error.
func (e *env) login(t testing.TB, i int, user string, opts ...ftp.DialOption) *ftp.ServerConn {
	t.Helper()
	c, err := e.dial(t, i, opts...)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if err := c.Login(user, testPassword); err != nil {
		c.Quit()
		t.Fatalf("login %s: %v", user, err)
	}
	t.Cleanup(func() { c.Quit() })
	return c
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func sum(b []byte) [32]byte { return sha256.Sum256(b) }

func retr(c *ftp.ServerConn, p string) ([]byte, error) {
	r, err := c.Retr(p)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return data, err
}

// raw is a minimal control connection for commands the clients do not
// expose (FEAT, HASH, AVBL, SITE, PORT...).
type raw struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *raw {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := &raw{t: t, conn: c, r: bufio.NewReader(c)}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if code, msg := r.read(); code != 220 {
		t.Fatalf("banner: %d %s", code, msg)
	}
	return r
}

// read returns one reply: its code and its text (lines joined by \n).
func (r *raw) read() (int, string) {
	r.t.Helper()
	var lines []string
	first := ""
	for {
		line, err := r.r.ReadString('\n')
		if err != nil {
			if len(lines) == 0 {
				return 0, err.Error()
			}
			r.t.Fatalf("read reply: %v (so far %q)", err, lines)
		}
		line = strings.TrimRight(line, "\r\n")
		lines = append(lines, line)
		if first == "" {
			if len(line) < 4 {
				r.t.Fatalf("bad reply line %q", line)
			}
			first = line[:3]
			if line[3] != '-' {
				break
			}
			continue
		}
		if strings.HasPrefix(line, first+" ") {
			break
		}
	}
	code, _ := strconv.Atoi(first)
	for i, l := range lines {
		if len(l) >= 4 && strings.HasPrefix(l, first) && (l[3] == '-' || l[3] == ' ') {
			lines[i] = l[4:]
		}
	}
	return code, strings.Join(lines, "\n")
}

// cmd sends a command and returns its reply.
func (r *raw) cmd(format string, args ...any) (int, string) {
	r.t.Helper()
	if _, err := fmt.Fprintf(r.conn, format+"\r\n", args...); err != nil {
		r.t.Fatalf("send: %v", err)
	}
	return r.read()
}

// expect sends a command and fails unless the reply has code want.
func (r *raw) expect(want int, format string, args ...any) string {
	r.t.Helper()
	code, msg := r.cmd(format, args...)
	if code != want {
		r.t.Fatalf("%s: got %d %q, want %d", fmt.Sprintf(format, args...), code, msg, want)
	}
	return msg
}

// want reads a reply and fails unless it has code want.
func (r *raw) want(code int) string {
	r.t.Helper()
	got, msg := r.read()
	if got != code {
		r.t.Fatalf("got reply %d %q, want %d", got, msg, code)
	}
	return msg
}

func (r *raw) login(user string) {
	r.t.Helper()
	r.expect(331, "USER %s", user)
	r.expect(230, "PASS %s", testPassword)
}

// startTLS upgrades with AUTH TLS.
func (r *raw) startTLS(cfg *tls.Config) {
	r.t.Helper()
	r.expect(234, "AUTH TLS")
	tc := tls.Client(r.conn, cfg)
	if err := tc.Handshake(); err != nil {
		r.t.Fatalf("TLS handshake: %v", err)
	}
	r.conn = tc
	r.r = bufio.NewReader(tc)
}

// pasv opens a passive data connection and returns it with the address
// the server advertised.
func (r *raw) pasv() (net.Conn, string) {
	r.t.Helper()
	msg := r.expect(227, "PASV")
	start, end := strings.Index(msg, "("), strings.LastIndex(msg, ")")
	parts := strings.Split(msg[start+1:end], ",")
	if len(parts) != 6 {
		r.t.Fatalf("bad PASV reply %q", msg)
	}
	hi, _ := strconv.Atoi(parts[4])
	lo, _ := strconv.Atoi(parts[5])
	addr := net.JoinHostPort(strings.Join(parts[:4], "."), strconv.Itoa(hi<<8|lo))
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		r.t.Fatalf("dial data %s: %v", addr, err)
	}
	r.t.Cleanup(func() { c.Close() })
	return c, addr
}

// needTool returns the path of a system tool; a missing tool skips the
// test outside CI and fails it in CI.
func needTool(t testing.TB, name string) string {
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

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }
