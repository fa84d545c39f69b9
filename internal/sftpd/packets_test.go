package sftpd

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// SFTP v3 packet types used by the raw tests.
const (
	rawFxpInit     = 1
	rawFxpOpen     = 3
	rawFxpClose    = 4
	rawFxpRead     = 5
	rawFxpWrite    = 6
	rawFxpLstat    = 7
	rawFxpFstat    = 8
	rawFxpSetstat  = 9
	rawFxpFsetstat = 10
	rawFxpOpendir  = 11
	rawFxpReaddir  = 12
	rawFxpRemove   = 13
	rawFxpMkdir    = 14
	rawFxpRmdir    = 15
	rawFxpRealpath = 16
	rawFxpStat     = 17
	rawFxpRename   = 18
	rawFxpReadlink = 19
	rawFxpSymlink  = 20
	rawFxpExtended = 200

	rawFxpStatus = 101
	rawFxpHandle = 102
	rawFxpAttrs  = 105
)

// pkt builds one framed SFTP packet: length, type, then the fields
// (uint32, uint64, string or []byte as raw bytes).
func pkt(typ byte, fields ...any) []byte {
	body := []byte{typ}
	for _, f := range fields {
		switch v := f.(type) {
		case uint32:
			body = binary.BigEndian.AppendUint32(body, v)
		case uint64:
			body = binary.BigEndian.AppendUint64(body, v)
		case string:
			body = appendString(body, v)
		case []byte:
			body = append(body, v...)
		default:
			panic("pkt: unsupported field type")
		}
	}
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

// rawSFTP is a minimal client that writes packets as given and reads
// replies, for requests pkg/sftp's client would never send.
type rawSFTP struct {
	t  *testing.T
	r  *bufio.Reader
	w  io.Writer
	id uint32
}

func newRawSFTP(t *testing.T, e *env, user string) *rawSFTP {
	t.Helper()
	r, w := rawPipeSession(t, e, user)
	c := &rawSFTP{t: t, r: bufio.NewReader(r), w: w}
	c.send(pkt(rawFxpInit, uint32(3)))
	if typ, _ := c.recv(); typ != 2 {
		t.Fatalf("expected SSH_FXP_VERSION, got type %d", typ)
	}
	return c
}

func (c *rawSFTP) send(p []byte) {
	c.t.Helper()
	if _, err := c.w.Write(p); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *rawSFTP) recv() (byte, []byte) {
	c.t.Helper()
	var hdr [4]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		c.t.Fatalf("recv: %v", err)
	}
	body := make([]byte, binary.BigEndian.Uint32(hdr[:]))
	if _, err := io.ReadFull(c.r, body); err != nil {
		c.t.Fatalf("recv body: %v", err)
	}
	return body[0], body[1:]
}

// call sends a request with a fresh id and returns the reply for it.
func (c *rawSFTP) call(typ byte, fields ...any) (byte, []byte) {
	c.t.Helper()
	c.id++
	c.send(pkt(typ, append([]any{c.id}, fields...)...))
	rt, rb := c.recv()
	if len(rb) < 4 || binary.BigEndian.Uint32(rb) != c.id {
		c.t.Fatalf("reply type %d does not answer request %d", rt, c.id)
	}
	return rt, rb[4:]
}

// status sends a request that must be answered with a status reply and
// returns its code.
func (c *rawSFTP) status(typ byte, fields ...any) uint32 {
	c.t.Helper()
	rt, rb := c.call(typ, fields...)
	return statusCode(c.t, rt, rb)
}

func statusCode(t *testing.T, typ byte, body []byte) uint32 {
	t.Helper()
	if typ != rawFxpStatus || len(body) < 4 {
		t.Fatalf("expected SSH_FXP_STATUS, got type %d", typ)
	}
	return binary.BigEndian.Uint32(body)
}

// TestSetstatWithoutAttributeData is the regression test for a SETSTAT or
// FSETSTAT whose flags announce attributes the packet does not carry:
// it used to dereference a nil attribute set and end the process.
func TestSetstatWithoutAttributeData(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "raw", userKey{}, nil)
	c := newRawSFTP(t, e, "raw")

	typ, hb := c.call(rawFxpOpen, "/f.txt", uint32(0x1a), uint32(0))
	if typ != rawFxpHandle {
		t.Fatalf("open: reply type %d", typ)
	}
	handle := string(hb[4 : 4+binary.BigEndian.Uint32(hb)])

	for _, flags := range []uint32{0x1, 0x2, 0x4, 0x8, 0x80000000, 0xFFFFFFFF} {
		for _, withHandle := range []bool{false, true} {
			typ, body := byte(0), []byte(nil)
			if withHandle {
				typ, body = c.call(rawFxpFsetstat, handle, flags)
			} else {
				typ, body = c.call(rawFxpSetstat, "/f.txt", flags)
			}
			if code := statusCode(t, typ, body); code == 0 {
				t.Errorf("flags %#x (fsetstat %v): accepted without attribute data", flags, withHandle)
			}
		}
	}
	if code := c.status(rawFxpClose, handle); code != 0 {
		t.Fatalf("close: status %d", code)
	}
	// full attribute data is still applied
	mtime := uint32(time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC).Unix())
	if code := c.status(rawFxpSetstat, "/f.txt", uint32(0x8), mtime, mtime); code != 0 {
		t.Fatalf("setstat times: status %d", code)
	}
	fi, err := os.Stat(filepath.Join(e.base, "homes", "raw", "f.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.ModTime().Unix() != int64(mtime) {
		t.Errorf("mtime %v, want %v", fi.ModTime().Unix(), mtime)
	}
	// and the session still answers
	if typ, _ := c.call(rawFxpStat, "/f.txt"); typ != rawFxpAttrs {
		t.Fatalf("stat after the bad requests: reply type %d", typ)
	}
}

// TestSetstatOverSSH sends the crashing packet through the real SSH
// server and checks another user's session goes on.
func TestSetstatOverSSH(t *testing.T) {
	e := newEnv(t, envOpts{})
	key := newUserKey(t)
	e.addUser(t, "victim", key, nil)
	e.addUser(t, "attacker", key, nil)
	victim := e.sftpClient(t, "victim", sshPublicKeys(key))
	if err := put(victim, "/before", []byte("x")); err != nil {
		t.Fatal(err)
	}

	conn, err := e.dial(t, "attacker", sshPublicKeys(key))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	w, _ := sess.StdinPipe()
	r, _ := sess.StdoutPipe()
	if err := sess.RequestSubsystem("sftp"); err != nil {
		t.Fatal(err)
	}
	c := &rawSFTP{t: t, r: bufio.NewReader(r), w: w}
	c.send(pkt(rawFxpInit, uint32(3)))
	c.recv()
	for _, flags := range []uint32{0x1, 0x2, 0x4, 0x8, 0xFFFFFFFF} {
		c.status(rawFxpSetstat, "/", flags)
	}

	if err := put(victim, "/after", []byte("y")); err != nil {
		t.Fatalf("the other session stopped working: %v", err)
	}
}

// panicky panics in every request, standing in for a bug in a handler.
type panicky struct{ requestHandler }

func (panicky) Filecmd(*sftp.Request) error { panic("handler bug") }
func (panicky) Filelist(*sftp.Request) (sftp.ListerAt, error) {
	panic("handler bug")
}

// TestGuardRecoversPanic: a panic in a request handler fails that request
// and closes that session only.
func TestGuardRecoversPanic(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "p", userKey{}, nil)
	u, err := e.store.GetUser(t.Context(), "p")
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	var once sync.Once
	conn := e.common.NewConnection(newConnID(), protocolSSH, "127.0.0.1:1", "test", u, func() error {
		once.Do(func() { close(closed) })
		return nil
	})
	g := &guard{h: panicky{}, conn: conn}
	req := sftp.NewRequest("Mkdir", "/d")
	if err := g.Filecmd(req); !errors.Is(err, sftp.ErrSSHFxFailure) {
		t.Fatalf("Filecmd: %v, want SSH_FX_FAILURE", err)
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the session was not closed after the panic")
	}
	if _, err := g.Filelist(sftp.NewRequest("List", "/")); !errors.Is(err, sftp.ErrSSHFxFailure) {
		t.Fatalf("Filelist: %v", err)
	}
	if !strings.Contains(e.logs.String(), "handler bug") {
		t.Error("the panic is not in the log")
	}
}

// FuzzSFTPPackets feeds raw bytes after the version exchange to a whole
// SFTP session (pkg/sftp, our handler, common, local storage). Whatever
// the client sends, the server must neither panic nor hang.
func FuzzSFTPPackets(f *testing.F) {
	const h = "\x00\x00\x00\x00" // the first handle pkg/sftp hands out is "0"… any bytes do
	for _, flags := range []uint32{0, 0x1, 0x2, 0x4, 0x8, 0x80000000, 0xFFFFFFFF} {
		f.Add(pkt(rawFxpSetstat, uint32(1), "/", flags))
		f.Add(append(pkt(rawFxpOpen, uint32(1), "/a", uint32(0x1a), uint32(0)), pkt(rawFxpFsetstat, uint32(2), "1", flags)...))
		f.Add(pkt(rawFxpOpen, uint32(1), "/a", uint32(0x1a), flags, uint64(1), uint32(0)))
		f.Add(pkt(rawFxpMkdir, uint32(1), "/d", flags))
	}
	f.Add(append(append(append(
		pkt(rawFxpOpen, uint32(1), "/b", uint32(0x1a), uint32(0)),
		pkt(rawFxpWrite, uint32(2), "1", uint64(0), "hello")...),
		pkt(rawFxpRead, uint32(3), "1", uint64(0), uint32(1<<30))...),
		pkt(rawFxpClose, uint32(4), "1")...))
	f.Add(append(pkt(rawFxpOpendir, uint32(1), "/"), pkt(rawFxpReaddir, uint32(2), "1")...))
	for _, typ := range []byte{rawFxpLstat, rawFxpFstat, rawFxpRemove, rawFxpRmdir, rawFxpRealpath, rawFxpStat, rawFxpReadlink} {
		f.Add(pkt(typ, uint32(1), "/../../etc/passwd"))
		f.Add(pkt(typ, uint32(1), h))
	}
	f.Add(pkt(rawFxpRename, uint32(1), "/a", "/c"))
	f.Add(pkt(rawFxpSymlink, uint32(1), "/a", "/l"))
	for _, ext := range []string{"posix-rename@openssh.com", "statvfs@openssh.com", "hardlink@openssh.com", "limits@openssh.com", "fsync@openssh.com", "nope"} {
		f.Add(pkt(rawFxpExtended, uint32(1), ext, "/a", "/z"))
		f.Add(pkt(rawFxpExtended, uint32(1), ext))
	}
	f.Add([]byte{0, 0, 0, 1, 255})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})

	e := newEnv(f, envOpts{})
	e.addUser(f, "fuzz", userKey{}, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzSession(t, e, data)
	})
}

func fuzzSession(t *testing.T, e *env, data []byte) {
	r, w := rawPipeSession(t, e, "fuzz")
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, r)
		done <- err
	}()
	w.Write(pkt(rawFxpInit, uint32(3)))
	w.Write(data)
	w.Close()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the SFTP session did not end after the client closed its side")
	}
}

func sshPublicKeys(k userKey) ssh.AuthMethod { return ssh.PublicKeys(k.signer) }

// flakyListener fails its first Accepts as a process out of file
// descriptors does.
type flakyListener struct {
	net.Listener
	fails atomic.Int32
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if l.fails.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// TestAcceptSurvivesEMFILE: running out of descriptors once must not stop
// the server accepting for good.
func TestAcceptSurvivesEMFILE(t *testing.T) {
	e := newEnv(t, envOpts{})
	key := newUserKey(t)
	e.addUser(t, "u", key, nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl := &flakyListener{Listener: l}
	fl.fails.Store(5)
	e.sftpd.Serve(fl)
	e.addr = l.Addr().String()
	c := e.sftpClient(t, "u", sshPublicKeys(key))
	if _, err := c.Getwd(); err != nil {
		t.Fatal(err)
	}
}

// TestShutdownClosesHandshakes: a client that connects and never starts
// the SSH handshake must not hold Shutdown until its timeout.
func TestShutdownClosesHandshakes(t *testing.T) {
	e := newEnv(t, envOpts{})
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(100 * time.Millisecond) // let the server accept it
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.sftpd.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with a stalled handshake: %v", err)
	}
}
