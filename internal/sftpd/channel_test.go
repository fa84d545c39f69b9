package sftpd

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// rawClient speaks SFTP packets by hand, to see what a client sees.
type rawClient struct {
	t *testing.T
	r io.Reader
	w io.Writer
}

func (c *rawClient) send(typ byte, body []byte) {
	c.t.Helper()
	hdr := binary.BigEndian.AppendUint32(nil, uint32(len(body)+1))
	if _, err := c.w.Write(append(append(hdr, typ), body...)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawClient) recv() (byte, []byte) {
	c.t.Helper()
	var hdr [5]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		c.t.Fatal(err)
	}
	body := make([]byte, binary.BigEndian.Uint32(hdr[:4])-1)
	if _, err := io.ReadFull(c.r, body); err != nil {
		c.t.Fatal(err)
	}
	return hdr[4], body
}

// str appends an SFTP string.
func str(b []byte, s string) []byte { return appendString(b, s) }

func TestSFTPVersionAndLimits(t *testing.T) {
	e := newEnv(t, envOpts{})
	home := t.TempDir()
	e.addUser(t, "u", userKey{}, func(u *dataprovider.User) { u.HomeDir = home })
	content := randomBytes(t, 300<<10)
	if err := os.WriteFile(filepath.Join(home, "f"), content, 0o644); err != nil {
		t.Fatal(err)
	}
	r, w := rawPipeSession(t, e, "u")
	c := &rawClient{t: t, r: r, w: w}

	c.send(1, binary.BigEndian.AppendUint32(nil, 3)) // INIT v3
	typ, body := c.recv()
	if typ != 2 || binary.BigEndian.Uint32(body) != 3 {
		t.Fatalf("VERSION: type %d body %x", typ, body)
	}
	exts := map[string]string{}
	for rest := body[4:]; len(rest) > 0; {
		var name, data string
		name, rest = readString(t, rest)
		data, rest = readString(t, rest)
		exts[name] = data
	}
	for name, v := range map[string]string{"limits@openssh.com": "1", "posix-rename@openssh.com": "1",
		"statvfs@openssh.com": "2", "hardlink@openssh.com": "1"} {
		if exts[name] != v {
			t.Errorf("extension %s: %q, want %q (all: %v)", name, exts[name], v, exts)
		}
	}

	c.send(200, str(binary.BigEndian.AppendUint32(nil, 7), "limits@openssh.com"))
	typ, body = c.recv()
	if typ != 201 || len(body) != 4+32 || binary.BigEndian.Uint32(body) != 7 {
		t.Fatalf("limits reply: type %d body %x", typ, body)
	}
	var limits [4]uint64
	for i := range limits {
		limits[i] = binary.BigEndian.Uint64(body[4+8*i:])
	}
	if limits != [4]uint64{256 << 10, 255 << 10, 255 << 10, 0} {
		t.Fatalf("limits %v", limits)
	}

	// an unknown extension still reaches pkg/sftp, which refuses it
	c.send(200, str(binary.BigEndian.AppendUint32(nil, 8), "nope@example.com"))
	typ, body = c.recv()
	if typ != 101 || binary.BigEndian.Uint32(body) != 8 || binary.BigEndian.Uint32(body[4:]) != 8 {
		t.Fatalf("unknown extension: type %d body %x, want status OP_UNSUPPORTED", typ, body)
	}

	// READ as large as announced is answered in full
	open := str(binary.BigEndian.AppendUint32(nil, 9), "/f")
	open = binary.BigEndian.AppendUint32(open, 1) // READ
	open = binary.BigEndian.AppendUint32(open, 0) // no attrs
	c.send(3, open)
	typ, body = c.recv()
	if typ != 102 {
		t.Fatalf("OPEN: type %d body %x", typ, body)
	}
	handle, _ := readString(t, body[4:])
	read := str(binary.BigEndian.AppendUint32(nil, 10), handle)
	read = binary.BigEndian.AppendUint64(read, 1000)
	read = binary.BigEndian.AppendUint32(read, 255<<10)
	c.send(5, read)
	typ, body = c.recv()
	if typ != 103 || binary.BigEndian.Uint32(body) != 10 {
		t.Fatalf("READ: type %d", typ)
	}
	data, _ := readString(t, body[4:])
	if !bytes.Equal([]byte(data), content[1000:1000+255<<10]) {
		t.Fatalf("READ returned %d bytes, not the file's", len(data))
	}
}

func readString(t *testing.T, b []byte) (string, []byte) {
	t.Helper()
	if len(b) < 4 || uint64(binary.BigEndian.Uint32(b)) > uint64(len(b)-4) {
		t.Fatalf("bad string in %x", b)
	}
	n := binary.BigEndian.Uint32(b)
	return string(b[4 : 4+n]), b[4+n:]
}

// TestSFTPLargePackets moves files with 255 KiB requests (what OpenSSH's
// client uses once limits@openssh.com is announced) and checks the bytes.
func TestSFTPLargePackets(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "u", userKey{}, func(u *dataprovider.User) { u.HomeDir = t.TempDir() })
	c := pipeSession(t, e, "u", sftp.MaxPacketUnchecked(255<<10), sftp.UseConcurrentWrites(true),
		sftp.UseConcurrentReads(true))
	data := randomBytes(t, 8<<20+12345)
	if err := put(c, "/big", data); err != nil {
		t.Fatal(err)
	}
	got, err := get(c, "/big")
	if err != nil {
		t.Fatal(err)
	}
	if sha(got) != sha(data) {
		t.Fatalf("downloaded %d bytes differ from the %d uploaded", len(got), len(data))
	}
}

// memChannel records what is written to it.
type memChannel struct {
	mu  sync.Mutex
	out bytes.Buffer
	n   int // Write calls
}

func (m *memChannel) Read([]byte) (int, error) { return 0, io.EOF }
func (m *memChannel) Close() error             { return nil }
func (m *memChannel) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n++
	return m.out.Write(p)
}

func TestSFTPChannelWrites(t *testing.T) {
	m := &memChannel{}
	c := newSFTPChannel(m)
	payload := bytes.Repeat([]byte{0xab}, 100<<10)
	header := binary.BigEndian.AppendUint32(nil, uint32(9+len(payload)))
	header = append(header, 103)
	header = binary.BigEndian.AppendUint32(header, 1)
	header = binary.BigEndian.AppendUint32(header, uint32(len(payload)))
	if _, err := c.Write(header); err != nil {
		t.Fatal(err)
	}
	// a packet of ours waits until the half-written one is complete
	sent := make(chan error, 1)
	go func() { sent <- c.send(limitsPacket(5)) }()
	select {
	case err := <-sent:
		t.Fatalf("own packet written inside a data reply (err %v)", err)
	case <-time.After(50 * time.Millisecond):
	}
	if n, err := c.Write(payload); err != nil || n != len(payload) {
		t.Fatalf("write payload: %d %v", n, err)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	small := append(binary.BigEndian.AppendUint32(nil, 5), 101, 0, 0, 0, 2)
	if _, err := c.Write(small); err != nil {
		t.Fatal(err)
	}
	want := append(append(append(append([]byte{}, header...), payload...), limitsPacket(5)...), small...)
	if !bytes.Equal(m.out.Bytes(), want) {
		t.Fatalf("stream differs: %d bytes, want %d", m.out.Len(), len(want))
	}
	// header joined with the first data bytes, the rest of the data in one
	// write, then our packet and the small one
	if m.n != 4 {
		t.Fatalf("%d channel writes, want 4", m.n)
	}
}

// queueChannel serves queued client bytes to Read and records writes.
type queueChannel struct {
	memChannel
	in *bytes.Reader
}

func (q *queueChannel) Read(p []byte) (int, error) { return q.in.Read(p) }

// TestSFTPChannelBoundsDataRequests: once maxDataRequests READs are in
// pkg/sftp unanswered, the next is not handed over until a reply goes out.
func TestSFTPChannelBoundsDataRequests(t *testing.T) {
	var in bytes.Buffer
	for id := range uint32(maxDataRequests + 3) {
		body := str(binary.BigEndian.AppendUint32(nil, id), "1")
		body = binary.BigEndian.AppendUint64(body, 0)
		body = binary.BigEndian.AppendUint32(body, 1024)
		in.Write(binary.BigEndian.AppendUint32(nil, uint32(len(body)+1)))
		in.WriteByte(fxpRead)
		in.Write(body)
	}
	q := &queueChannel{in: bytes.NewReader(in.Bytes())}
	c := newSFTPChannel(q)
	got := make(chan uint32, 64)
	go func() {
		for {
			var hdr [9]byte
			if _, err := io.ReadFull(c, hdr[:]); err != nil {
				close(got)
				return
			}
			rest := make([]byte, binary.BigEndian.Uint32(hdr[:4])-5)
			if _, err := io.ReadFull(c, rest); err != nil {
				close(got)
				return
			}
			got <- binary.BigEndian.Uint32(hdr[5:9])
		}
	}()
	recvN := func(n int) {
		t.Helper()
		for range n {
			select {
			case <-got:
			case <-time.After(5 * time.Second):
				t.Fatal("request not handed over")
			}
		}
	}
	noMore := func() {
		t.Helper()
		select {
		case id, ok := <-got:
			t.Fatalf("request %d handed over (open %v) with %d unanswered", id, ok, maxDataRequests)
		case <-time.After(50 * time.Millisecond):
		}
	}
	recvN(maxDataRequests)
	noMore()
	// a DATA reply to request 3 frees one place, a STATUS to 5 another
	data := binary.BigEndian.AppendUint32(nil, 13)
	data = append(data, fxpData)
	data = binary.BigEndian.AppendUint32(data, 3)
	data = binary.BigEndian.AppendUint32(data, 4)
	data = append(data, "abcd"...)
	if _, err := c.Write(data); err != nil {
		t.Fatal(err)
	}
	recvN(1)
	noMore()
	status := binary.BigEndian.AppendUint32(nil, 13)
	status = append(status, fxpStatus)
	status = binary.BigEndian.AppendUint32(status, 5)
	status = binary.BigEndian.AppendUint32(status, 1)
	status = binary.BigEndian.AppendUint32(status, 0)
	if _, err := c.Write(status); err != nil {
		t.Fatal(err)
	}
	recvN(1)
	noMore()
	// closing releases the reader, which then sees the last request and EOF
	c.Close()
	recvN(1)
	if _, ok := <-got; ok {
		t.Fatal("more requests than were sent")
	}
}
