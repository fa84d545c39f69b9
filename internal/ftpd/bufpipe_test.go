package ftpd

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/net/nettest"
)

// TestBufPipeConn runs the net.Conn conformance suite of x/net/nettest
// (I/O, ping-pong, racing reads and writes, deadlines in the past and
// future, close during blocked calls, concurrent methods) on bufPipe.
func TestBufPipeConn(t *testing.T) {
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		a, b := newBufPipe()
		return a, b, func() { a.Close(); b.Close() }, nil
	})
}

// TestBufPipeBuffered: writes return before the other end reads, up to
// pipeBufLimit; past it a write waits for the reader (and its deadline
// applies); the reader gets every byte in order, then EOF once the
// writer has closed.
func TestBufPipeBuffered(t *testing.T) {
	a, b := newBufPipe()
	defer b.Close()
	small := []byte("200 ok\r\n")
	for range 3 {
		if n, err := a.Write(small); n != len(small) || err != nil {
			t.Fatalf("buffered write: %d %v", n, err)
		}
	}
	big := bytes.Repeat([]byte("x"), pipeBufLimit)
	a.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	n, err := a.Write(big)
	if !errors.Is(err, os.ErrDeadlineExceeded) || n != pipeBufLimit-3*len(small) {
		t.Fatalf("write past the limit: %d %v", n, err)
	}
	a.SetWriteDeadline(time.Time{})
	done := make(chan error, 1)
	go func() {
		_, err := a.Write(big[n:])
		a.Close()
		done <- err
	}()
	got, err := io.ReadAll(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := append(bytes.Repeat(small, 3), big...)
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, want %d in order", len(got), len(want))
	}
	if _, err := b.Write(small); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("write to a closed peer: %v", err)
	}
}
