package ftpfs_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/vfs/ftpfs"
)

// The vsftpd tests log in as a local system user, created when missing.
const (
	ftpUser     = "sftpgongftp"
	ftpPassword = "Ftp-Pa55-word"
)

var (
	userOnce sync.Once
	userErr  error
	userIDs  [2]int
)

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

// ensureFTPUser creates the system user vsftpd authenticates (through
// PAM, so it needs a password and a shell from /etc/shells).
func ensureFTPUser(t *testing.T) (uid, gid int) {
	t.Helper()
	userOnce.Do(func() {
		if os.Geteuid() != 0 {
			userErr = fmt.Errorf("vsftpd tests need root to create the user %s", ftpUser)
			return
		}
		if _, err := user.Lookup(ftpUser); err != nil {
			if out, err := exec.Command("useradd", "-M", "-d", "/", "-s", "/bin/sh", ftpUser).CombinedOutput(); err != nil {
				userErr = fmt.Errorf("useradd: %v %s", err, out)
				return
			}
		}
		// vsftpd enters the home directory before local_root.
		if out, err := exec.Command("usermod", "-d", "/", ftpUser).CombinedOutput(); err != nil {
			userErr = fmt.Errorf("usermod: %v %s", err, out)
			return
		}
		cmd := exec.Command("chpasswd")
		cmd.Stdin = strings.NewReader(ftpUser + ":" + ftpPassword + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			userErr = fmt.Errorf("chpasswd: %v %s", err, out)
			return
		}
		u, err := user.Lookup(ftpUser)
		if err != nil {
			userErr = err
			return
		}
		userIDs[0], _ = strconv.Atoi(u.Uid)
		userIDs[1], _ = strconv.Atoi(u.Gid)
	})
	if userErr != nil {
		if os.Getenv("CI") == "" {
			t.Skip(userErr)
		}
		t.Fatal(userErr)
	}
	return userIDs[0], userIDs[1]
}

// vsftpd is a Debian vsftpd on loopback.
type vsftpd struct {
	t       *testing.T
	bin     string
	conf    string
	addr    string
	dir     string // a directory the FTP user owns, for prefixes
	roots   *x509.CertPool
	tlsMode int
	logPath string

	mu  sync.Mutex
	cmd *exec.Cmd
}

type vsftpdOpts struct {
	tlsMode  int
	sslReuse bool     // require_ssl_reuse (TLS session resumption on data connections)
	extra    []string // more config lines
}

func startVsftpd(t *testing.T, o vsftpdOpts) *vsftpd {
	t.Helper()
	bin := requireTool(t, "/usr/sbin/vsftpd")
	uid, gid := ensureFTPUser(t)
	// Not t.TempDir(): the FTP user must be able to reach it.
	dir, err := os.MkdirTemp("", "ftpfs-vsftpd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	empty := filepath.Join(dir, "empty")
	for _, d := range []string{data, empty} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(data, uid, gid); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	pasv := freePortRange(t)
	lines := []string{
		"listen=YES", "listen_ipv6=NO", "listen_address=127.0.0.1", fmt.Sprintf("listen_port=%d", port),
		"background=NO", "anonymous_enable=NO", "local_enable=YES", "write_enable=YES", "local_umask=022",
		"pasv_enable=YES", fmt.Sprintf("pasv_min_port=%d", pasv), fmt.Sprintf("pasv_max_port=%d", pasv+40),
		"seccomp_sandbox=NO", "secure_chroot_dir=" + empty, "pam_service_name=vsftpd", "utf8_filesystem=YES",
		"xferlog_enable=NO", "dual_log_enable=NO", "syslog_enable=NO", "log_ftp_protocol=YES",
		"vsftpd_log_file=" + filepath.Join(dir, "vsftpd.log"), "max_per_ip=0", "max_clients=0",
		"connect_from_port_20=NO", "idle_session_timeout=300", "local_root=" + data,
	}
	v := &vsftpd{t: t, bin: bin, addr: fmt.Sprintf("127.0.0.1:%d", port), dir: data, tlsMode: o.tlsMode,
		logPath: filepath.Join(dir, "vsftpd.log")}
	if o.tlsMode != ftpfs.TLSDisabled {
		certFile, keyFile, roots := writeCert(t, dir)
		v.roots = roots
		lines = append(lines, "ssl_enable=YES", "rsa_cert_file="+certFile, "rsa_private_key_file="+keyFile,
			"allow_anon_ssl=NO", "force_local_data_ssl=YES", "force_local_logins_ssl=YES",
			"ssl_tlsv1=YES", "ssl_sslv2=NO", "ssl_sslv3=NO", "ssl_ciphers=HIGH")
		lines = append(lines, "require_ssl_reuse="+yesNo(o.sslReuse))
		if o.tlsMode == ftpfs.TLSImplicit {
			lines = append(lines, "implicit_ssl=YES")
		}
	}
	lines = append(lines, o.extra...)
	v.conf = filepath.Join(dir, "vsftpd.conf")
	if err := os.WriteFile(v.conf, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	v.start()
	t.Cleanup(func() {
		v.kill()
		if t.Failed() {
			b, _ := os.ReadFile(v.logPath)
			if len(b) > 8000 {
				b = b[len(b)-8000:]
			}
			t.Logf("vsftpd log (tail):\n%s", b)
		}
	})
	return v
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

// start runs vsftpd (again, after kill, on the same ports).
func (v *vsftpd) start() {
	v.t.Helper()
	cmd := exec.Command(v.bin, v.conf)
	out, _ := os.OpenFile(filepath.Join(filepath.Dir(v.conf), "stderr"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		v.t.Fatal(err)
	}
	go cmd.Wait()
	v.mu.Lock()
	v.cmd = cmd
	v.mu.Unlock()
	v.waitReady()
}

func (v *vsftpd) waitReady() {
	v.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", v.addr, time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(3 * time.Second))
			if v.tlsMode == ftpfs.TLSImplicit {
				tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // readiness probe
				_, err = bufio.NewReader(tc).ReadString('\n')
			} else {
				_, err = bufio.NewReader(c).ReadString('\n')
			}
			c.Close()
			if err == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(filepath.Dir(v.conf), "stderr"))
			v.t.Fatalf("vsftpd on %s not ready: %v\n%s", v.addr, err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill stops vsftpd and every session process at once, like a crash.
// Sessions run in sessions of their own, so they are found through their
// parents.
func (v *vsftpd) kill() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.cmd == nil {
		return
	}
	for _, pid := range descendants(v.cmd.Process.Pid) {
		syscall.Kill(pid, syscall.SIGSTOP)
	}
	for _, pid := range descendants(v.cmd.Process.Pid) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	v.cmd = nil
}

// descendants returns pid and every process below it.
func descendants(pid int) []int {
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut after ')'.
		rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
		f := strings.Fields(rest)
		if len(f) > 1 {
			parent[p], _ = strconv.Atoi(f[1])
		}
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		for p, pp := range parent {
			if pp == out[i] {
				out = append(out, p)
			}
		}
	}
	return out
}

func (v *vsftpd) config(prefix string) ftpfs.Config {
	return ftpfs.Config{
		Endpoint: v.addr,
		Username: ftpUser,
		Password: ftpPassword,
		TLSMode:  v.tlsMode,
		RootCAs:  v.roots,
		Prefix:   prefix,
	}
}

func writeCert(t *testing.T, dir string) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return certFile, keyFile, roots
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

// freePortRange finds 41 consecutive free ports for passive mode, below
// the kernel's ephemeral range so client connections never take them.
func freePortRange(t *testing.T) int {
	t.Helper()
	for attempt := 0; attempt < 200; attempt++ {
		base := 20000 + mrand.IntN(12000)
		ok := true
		for p := base; p <= base+40 && ok; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				ok = false
				continue
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free passive port range")
	return 0
}

func shortName(t *testing.T) string {
	return strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
}

// proxy forwards TCP connections to a target and counts them.
type proxy struct {
	l        net.Listener
	accepted atomic.Int32
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l}
	var mu sync.Mutex
	var conns []net.Conn
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
			mu.Lock()
			conns = append(conns, c, up)
			mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return p
}

func (p *proxy) addr() string { return p.l.Addr().String() }
