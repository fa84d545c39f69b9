package remotetest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The vsftpd tests log in as a local system user, created when missing
// (PAM checks its password and that its shell is in /etc/shells).
const (
	FTPUser     = "sftpgongftp"
	FTPPassword = "Ftp-Pa55-word"
)

// TLS modes, as ftpconfig.tls_mode.
const (
	TLSDisabled = 0
	TLSExplicit = 1
	TLSImplicit = 2
)

var (
	userOnce sync.Once
	userErr  error
	userIDs  [2]int
)

func ensureFTPUser(t testing.TB) (uid, gid int) {
	t.Helper()
	userOnce.Do(func() {
		if os.Geteuid() != 0 {
			userErr = fmt.Errorf("vsftpd tests need root to create the user %s", FTPUser)
			return
		}
		if _, err := user.Lookup(FTPUser); err != nil {
			if out, err := exec.Command("useradd", "-M", "-d", "/", "-s", "/bin/sh", FTPUser).CombinedOutput(); err != nil {
				userErr = fmt.Errorf("useradd: %v %s", err, out)
				return
			}
		}
		// vsftpd enters the home directory before local_root.
		if out, err := exec.Command("usermod", "-d", "/", FTPUser).CombinedOutput(); err != nil {
			userErr = fmt.Errorf("usermod: %v %s", err, out)
			return
		}
		cmd := exec.Command("chpasswd")
		cmd.Stdin = strings.NewReader(FTPUser + ":" + FTPPassword + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			userErr = fmt.Errorf("chpasswd: %v %s", err, out)
			return
		}
		u, err := user.Lookup(FTPUser)
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

// VsftpdOptions configure StartVsftpd.
type VsftpdOptions struct {
	TLSMode int
	// SSLReuse sets require_ssl_reuse: data connections must resume the
	// control connection's TLS session.
	SSLReuse bool
	// Extra config lines.
	Extra []string
}

// Vsftpd is a Debian vsftpd on loopback.
type Vsftpd struct {
	Addr    string
	Dir     string // owned by FTPUser and the login directory: put prefixes here
	Roots   *x509.CertPool
	TLSMode int

	t       testing.TB
	bin     string
	conf    string
	logPath string
	mu      sync.Mutex
	cmd     *exec.Cmd
}

// StartVsftpd runs vsftpd until the test ends.
func StartVsftpd(t testing.TB, o VsftpdOptions) *Vsftpd {
	t.Helper()
	bin := RequireTool(t, "/usr/sbin/vsftpd")
	uid, gid := ensureFTPUser(t)
	// Not t.TempDir(): the FTP user must be able to reach it.
	dir, err := os.MkdirTemp("", "vsftpd-")
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
	port := FreePort(t)
	pasv := freePortRange(t, 41)
	lines := []string{
		"listen=YES", "listen_ipv6=NO", "listen_address=127.0.0.1", fmt.Sprintf("listen_port=%d", port),
		"background=NO", "anonymous_enable=NO", "local_enable=YES", "write_enable=YES", "local_umask=022",
		"local_root=" + data,
		"pasv_enable=YES", fmt.Sprintf("pasv_min_port=%d", pasv), fmt.Sprintf("pasv_max_port=%d", pasv+40),
		"seccomp_sandbox=NO", "secure_chroot_dir=" + empty, "pam_service_name=vsftpd", "utf8_filesystem=YES",
		"xferlog_enable=NO", "dual_log_enable=NO", "syslog_enable=NO", "log_ftp_protocol=YES",
		"vsftpd_log_file=" + filepath.Join(dir, "vsftpd.log"), "max_per_ip=0", "max_clients=0",
		"connect_from_port_20=NO", "idle_session_timeout=300",
	}
	v := &Vsftpd{t: t, bin: bin, Addr: fmt.Sprintf("127.0.0.1:%d", port), Dir: data, TLSMode: o.TLSMode,
		logPath: filepath.Join(dir, "vsftpd.log")}
	if o.TLSMode != TLSDisabled {
		certFile, keyFile, roots := WriteCert(t, dir)
		v.Roots = roots
		lines = append(lines, "ssl_enable=YES", "rsa_cert_file="+certFile, "rsa_private_key_file="+keyFile,
			"allow_anon_ssl=NO", "force_local_data_ssl=YES", "force_local_logins_ssl=YES",
			"ssl_tlsv1=YES", "ssl_sslv2=NO", "ssl_sslv3=NO", "ssl_ciphers=HIGH",
			"require_ssl_reuse="+yesNo(o.SSLReuse))
		if o.TLSMode == TLSImplicit {
			lines = append(lines, "implicit_ssl=YES")
		}
	}
	lines = append(lines, o.Extra...)
	v.conf = filepath.Join(dir, "vsftpd.conf")
	if err := os.WriteFile(v.conf, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	v.Start()
	t.Cleanup(func() {
		v.Kill()
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

// Start runs vsftpd (again, after Kill, on the same ports).
func (v *Vsftpd) Start() {
	v.t.Helper()
	cmd := exec.Command(v.bin, v.conf)
	errPath := filepath.Join(filepath.Dir(v.conf), "stderr")
	out, err := os.OpenFile(errPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		v.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		v.t.Fatal(err)
	}
	go func() { cmd.Wait(); out.Close() }()
	v.mu.Lock()
	v.cmd = cmd
	v.mu.Unlock()
	waitBanner(v.t, v.Addr, v.TLSMode == TLSImplicit, func() string {
		b, _ := os.ReadFile(errPath)
		return string(b)
	})
}

// Kill stops vsftpd and every session process at once, like a crash.
// Sessions run in sessions of their own, so they are found through their
// parents.
func (v *Vsftpd) Kill() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.cmd == nil {
		return
	}
	killTree(v.cmd.Process.Pid)
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
		// "pid (comm) state ppid ...": comm may hold spaces, cut after ')'.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
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

// WriteCert writes a self-signed certificate for 127.0.0.1 and localhost
// (cert.pem, key.pem in dir) and returns the files and a pool trusting it.
func WriteCert(t testing.TB, dir string) (certFile, keyFile string, roots *x509.CertPool) {
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
