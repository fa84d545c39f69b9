package ftpd

import (
	"bytes"
	"net"
	"testing"
	"time"
)

// recordConn records the writes that reach the network.
type recordConn struct {
	net.Conn // nil: only the methods below are used
	writes   [][]byte
	closed   bool
	deadline time.Time
}

func (r *recordConn) Write(p []byte) (int, error) {
	r.writes = append(r.writes, append([]byte(nil), p...))
	return len(p), nil
}
func (r *recordConn) Read([]byte) (int, error)           { return 0, nil }
func (r *recordConn) Close() error                       { r.closed = true; return nil }
func (r *recordConn) SetWriteDeadline(t time.Time) error { r.deadline = t; return nil }
func (r *recordConn) SetDeadline(t time.Time) error      { r.deadline = t; return nil }

func (r *recordConn) all() []byte { return bytes.Join(r.writes, nil) }

func TestPassiveConnGathersSmallWrites(t *testing.T) {
	rc := &recordConn{}
	c := &passiveConn{Conn: rc}
	var want []byte
	for i := range 1000 {
		line := []byte("Type=file;Size=4096;Modify=20260101000000; file-" + string(rune('a'+i%26)) + "\r\n")
		if _, err := c.Write(line); err != nil {
			t.Fatal(err)
		}
		want = append(want, line...)
	}
	big := bytes.Repeat([]byte{7}, dataBufSize*2)
	if _, err := c.Write(big); err != nil {
		t.Fatal(err)
	}
	want = append(want, big...)
	c.Write([]byte("tail"))
	want = append(want, "tail"...)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if !rc.closed || !bytes.Equal(rc.all(), want) {
		t.Fatalf("closed %v, %d bytes reached the network, want %d in order", rc.closed, len(rc.all()), len(want))
	}
	// ~50 KiB of lines: two buffers, the big write, the tail
	if len(rc.writes) > 5 {
		t.Fatalf("%d network writes for 1000 lines and one big write", len(rc.writes))
	}
	if _, err := c.Write([]byte("x")); err == nil {
		t.Fatal("write after close accepted")
	}
}

func TestPassiveConnFlushesBeforeDeadlineAndRead(t *testing.T) {
	rc := &recordConn{}
	c := &passiveConn{Conn: rc}
	c.Write([]byte("hello"))
	c.SetWriteDeadline(time.Now())
	if string(rc.all()) != "hello" {
		t.Fatalf("deadline change before the buffer was sent: %q", rc.all())
	}
	c.Write([]byte(" world"))
	c.Read(make([]byte, 1))
	if string(rc.all()) != "hello world" {
		t.Fatalf("read before the buffer was sent: %q", rc.all())
	}
}
