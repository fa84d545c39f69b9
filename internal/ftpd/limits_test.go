package ftpd

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// failingListener fails its first n Accepts the way accept(2) does when
// the process is out of file descriptors.
type failingListener struct {
	net.Listener
	mu    sync.Mutex
	left  int
	fails int
}

func (l *failingListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.left > 0 {
		l.left--
		l.fails++
		l.mu.Unlock()
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	l.mu.Unlock()
	return l.Listener.Accept()
}

func TestAcceptSurvivesEMFILE(t *testing.T) {
	t.Parallel()
	var fl *failingListener
	e := newEnv(t, envOpts{wrap: func(l net.Listener) net.Listener {
		fl = &failingListener{Listener: l, left: 4}
		return fl
	}})
	e.addUser(t, "emfile", nil)
	// dialRaw fails on a missing banner after its read deadline
	r := dialRaw(t, e.addrs[0])
	r.login("emfile")
	r.expect(200, "NOOP")
	fl.mu.Lock()
	fails := fl.fails
	fl.mu.Unlock()
	if fails != 4 {
		t.Fatalf("accept failed %d times, want 4", fails)
	}
	if !strings.Contains(e.logs.String(), "too many open files") {
		t.Error("the accept error is not logged")
	}
}

// freePortRange finds n consecutive ports free on every address.
func freePortRange(t *testing.T, n int) config.PortRange {
	t.Helper()
	for range 200 {
		// below the kernel's ephemeral range (32768 and up by default),
		// so the outgoing connections and ":0" listeners of tests running
		// in parallel cannot take a port of the range once it is chosen
		start := 20000 + rand.IntN(12000)
		var ls []net.Listener
		ok := true
		for p := start; p < start+n; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf("0.0.0.0:%d", p))
			if err != nil {
				ok = false
				break
			}
			ls = append(ls, l)
		}
		for _, l := range ls {
			l.Close()
		}
		if ok {
			return config.PortRange{Start: start, End: start + n - 1}
		}
	}
	t.Fatal("no free port range")
	return config.PortRange{}
}

// dialFrom makes a client whose control and data connections come from
// the local address ip.
func dialFrom(ip string) ftp.DialOption {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	return ftp.DialWithDialFunc(func(network, address string) (net.Conn, error) {
		return d.Dial(network, address)
	})
}

// roundTrip uploads and downloads a file through passive connections.
func roundTrip(c *ftp.ServerConn, name string) error {
	data := bytes.Repeat([]byte("passive "), 4096)
	if err := c.Stor(name, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("STOR: %w", err)
	}
	got, err := retr(c, name)
	if err != nil {
		return fmt.Errorf("RETR: %w", err)
	}
	if !bytes.Equal(got, data) {
		return errors.New("downloaded bytes differ")
	}
	return nil
}

// hoard logs in from 127.0.0.1 and sends PASV without ever connecting.
func hoard(t *testing.T, e *env, user string) (*raw, int) {
	t.Helper()
	r := dialRaw(t, e.addrs[0])
	r.login(user)
	code, _ := r.cmd("PASV")
	return r, code
}

func TestPassivePortsCappedPerIP(t *testing.T) {
	t.Parallel()
	ports := freePortRange(t, 8)
	e := newEnv(t, envOpts{
		ftpd: func(c *config.FTPDConfig) { c.PassivePortRange = ports },
		tune: func(l *limits) { l.maxPassivePerIP = 4; l.passiveIdle = time.Minute },
	})
	e.addUser(t, "hoarder", nil)
	e.addUser(t, "other", nil)
	var held, refused int
	var first *raw
	for i := range 20 {
		r, code := hoard(t, e, "hoarder")
		switch code {
		case 227:
			held++
		case 425:
			refused++
		default:
			t.Fatalf("PASV %d: reply %d", i, code)
		}
		if i == 0 {
			first = r
		}
	}
	if held != 4 || refused != 16 {
		t.Fatalf("PASV from one IP: %d held, %d refused; want 4 and 16", held, refused)
	}
	// a new PASV on a connection that holds one replaces it
	first.expect(227, "PASV")
	first.expect(229, "EPSV")

	c := e.login(t, 0, "other", dialFrom("127.0.0.2"))
	if err := roundTrip(c, "f.bin"); err != nil {
		t.Fatalf("transfer from another IP while one IP hoards passive ports: %v", err)
	}
}

func TestPassiveListenerExpires(t *testing.T) {
	t.Parallel()
	ports := freePortRange(t, 6)
	e := newEnv(t, envOpts{
		ftpd: func(c *config.FTPDConfig) { c.PassivePortRange = ports },
		tune: func(l *limits) { l.passiveIdle = 300 * time.Millisecond },
	})
	e.addUser(t, "hoarder", nil)
	e.addUser(t, "other", nil)
	var hoarders []*raw
	var addrs []string
	for range 6 {
		r := dialRaw(t, e.addrs[0])
		r.login("hoarder")
		msg := r.expect(227, "PASV")
		hoarders = append(hoarders, r)
		addrs = append(addrs, pasvAddr(t, msg))
	}
	// every port is taken: the listeners held must be given back
	waitFor(t, "the unused passive listeners to close", func() bool {
		for _, a := range addrs {
			if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
				c.Close()
				return false
			}
		}
		return true
	})
	c := e.login(t, 0, "other")
	if err := roundTrip(c, "f.bin"); err != nil {
		t.Fatalf("transfer after the passive listeners expired: %v", err)
	}
	// the hoarder's transfer on its expired listener fails cleanly
	code, msg := hoarders[0].cmd("LIST")
	if code < 400 {
		t.Fatalf("LIST on an expired passive listener: %d %s", code, msg)
	}
	hoarders[0].expect(200, "NOOP")
}

func pasvAddr(t *testing.T, msg string) string {
	t.Helper()
	port, ok := passivePort("227 " + msg)
	if !ok {
		t.Fatalf("bad PASV reply %q", msg)
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

func TestActiveAddressValidated(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "active", nil)
	r := dialRaw(t, e.addrs[0])
	r.login("active")
	for _, arg := range []string{
		"PORT 127,0,0,1,0,0",
		"PORT 127,0,0,1,256,1",
		"PORT 127,0,0,1,4",
		"PORT 127,0,0,1,+4,1",
		"PORT 127,0,0,1, 4,1",
		"PORT 300,0,0,1,4,1",
		"PORT",
		"EPRT |1|127.0.0.1|0|",
		"EPRT |1|127.0.0.1|65536|",
		"EPRT |1|127.0.0.1|-5|",
		"EPRT |1|::1|1025|",
		"EPRT |2|127.0.0.1|1025|",
		"EPRT |3|127.0.0.1|1025|",
		"EPRT |1|not-an-ip|1025|",
		"EPRT x|1|127.0.0.1|1025|",
		"EPRT |1|127.0.0.1|1025",
		"EPRT",
	} {
		code, msg := r.cmd("%s", arg)
		if code != 501 {
			t.Errorf("%s: %d %s, want 501", arg, code, msg)
		}
	}
	r.expect(200, "PORT 127,0,0,1,4,1")
	r.expect(200, "EPRT |1|127.0.0.1|1025|")
}

func TestLoginTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{tune: func(l *limits) { l.loginTimeout = 300 * time.Millisecond }})
	e.addUser(t, "slow", nil)
	idle := dialRaw(t, e.addrs[0])
	half := dialRaw(t, e.addrs[0])
	half.expect(331, "USER slow")
	for name, r := range map[string]*raw{"idle": idle, "after USER": half} {
		code, msg := r.read()
		if code != 421 {
			t.Fatalf("%s: got %d %q, want 421", name, code, msg)
		}
		if n, err := r.r.ReadByte(); err == nil {
			t.Fatalf("%s: connection still open after 421 (read %q)", name, n)
		}
	}
	// a logged-in connection is not affected
	c := e.login(t, 0, "slow")
	time.Sleep(600 * time.Millisecond)
	if err := c.NoOp(); err != nil {
		t.Fatalf("logged-in connection closed by the login timeout: %v", err)
	}
}

func TestFailedLoginDelay(t *testing.T) {
	t.Parallel()
	var cc config.CommonConfig
	cc.Defender.LoginDelay.PasswordFailed = 200
	e := newEnv(t, envOpts{common: cc})
	e.addUser(t, "brake", nil)
	r := dialRaw(t, e.addrs[0])
	r.expect(331, "USER brake")
	start := time.Now()
	r.expect(530, "PASS wrong")
	if elapsed := time.Since(start); elapsed < 200*time.Millisecond {
		t.Fatalf("failed login answered after %v, before the 200 ms login delay", elapsed)
	}
	// the delay only brakes failures
	e.login(t, 0, "brake")
}

func TestUploadDiskFull(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	u := e.addUser(t, "full", nil)
	if err := os.MkdirAll(u.HomeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", u.HomeDir).CombinedOutput()
	if err != nil {
		t.Fatalf("mount a 1 MiB tmpfs (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", u.HomeDir).CombinedOutput(); err != nil {
			t.Errorf("umount: %v: %s", err, out)
		}
	})
	c := e.login(t, 0, "full")
	err = c.Stor("big.bin", bytes.NewReader(make([]byte, 3<<20)))
	var pe *textproto.Error
	if !errors.As(err, &pe) || pe.Code != 452 {
		t.Fatalf("upload onto a full disk: %v, want 452", err)
	}
	if !strings.Contains(pe.Msg, "Insufficient storage space") {
		t.Errorf("452 message: %q", pe.Msg)
	}
	if err := c.NoOp(); err != nil {
		t.Fatalf("control connection after the failed upload: %v", err)
	}
}
