package ftpd

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// bufPipe is the in-memory connection between the front and the library:
// like net.Pipe, but a Write returns as soon as its bytes are buffered
// instead of waiting for the other end to read them. With net.Pipe every
// command line and every reply cost two goroutine hand-offs (the writer
// parks until the reader has copied, then is woken again); small uploads
// (PASV, STOR, MFMT: four replies and three commands per file) spent a
// good part of their CPU waking threads for that. A Write blocks only
// when pipeBufLimit bytes are waiting, so a client that stops reading
// still stops the library.
const pipeBufLimit = 64 << 10

// newBufPipe returns the two ends of a buffered in-memory connection.
func newBufPipe() (net.Conn, net.Conn) {
	ab, ba := newPipeBuf(), newPipeBuf()
	a := &bufConn{in: ba, out: ab, done: make(chan struct{})}
	b := &bufConn{in: ab, out: ba, done: make(chan struct{})}
	a.rd.init()
	a.wd.init()
	b.rd.init()
	b.wd.init()
	return a, b
}

// pipeBuf carries one direction; it has one writing and one reading end.
type pipeBuf struct {
	mu     sync.Mutex
	buf    []byte
	closed bool          // one of the ends closed
	data   chan struct{} // cap 1: bytes or close for the reader
	space  chan struct{} // cap 1: room or close for the writer
}

func newPipeBuf() *pipeBuf {
	return &pipeBuf{data: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (p *pipeBuf) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	signal(p.data)
	signal(p.space)
}

// take copies buffered bytes into b; eof once closed and drained.
func (p *pipeBuf) take(b []byte) (n int, eof bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) == 0 {
		return 0, p.closed
	}
	n = copy(b, p.buf)
	rest := copy(p.buf, p.buf[n:])
	p.buf = p.buf[:rest]
	if rest == 0 && cap(p.buf) > 4*pipeBufLimit {
		p.buf = nil
	}
	signal(p.space)
	if rest > 0 {
		signal(p.data) // more for the next Read
	}
	return n, false
}

// put appends as much of b as fits; closed when the other end is gone.
func (p *pipeBuf) put(b []byte) (n int, closed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, true
	}
	n = min(pipeBufLimit-len(p.buf), len(b))
	if n <= 0 {
		return 0, false
	}
	p.buf = append(p.buf, b[:n]...)
	signal(p.data)
	return n, false
}

// pipeDeadline is a resettable deadline: wait returns a channel closed
// once the deadline has passed. One timer serves every deadline set (the
// library moves the control connection's deadline on every command), so
// moving it allocates nothing unless it had already expired.
type pipeDeadline struct {
	mu     sync.Mutex
	when   time.Time // zero: none
	timer  *time.Timer
	cancel chan struct{}
}

func (d *pipeDeadline) init() { d.cancel = make(chan struct{}) }

func isClosedChan(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// fire runs on the timer; a deadline moved later or cleared since the
// timer was armed is left alone (the timer has been re-armed for it).
func (d *pipeDeadline) fire() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.when.IsZero() && !time.Now().Before(d.when) && !isClosedChan(d.cancel) {
		close(d.cancel)
	}
}

func (d *pipeDeadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.when = t
	if d.timer != nil {
		d.timer.Stop()
	}
	expired := isClosedChan(d.cancel)
	if t.IsZero() {
		if expired {
			d.cancel = make(chan struct{})
		}
		return
	}
	dur := time.Until(t)
	if dur <= 0 {
		if !expired {
			close(d.cancel)
		}
		return
	}
	if expired {
		d.cancel = make(chan struct{})
	}
	if d.timer == nil {
		d.timer = time.AfterFunc(dur, d.fire)
	} else {
		d.timer.Reset(dur)
	}
}

func (d *pipeDeadline) wait() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cancel
}

// bufConn is one end of a bufPipe.
type bufConn struct {
	in, out   *pipeBuf
	rd, wd    pipeDeadline
	done      chan struct{} // closed by Close
	closeOnce sync.Once
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

func (c *bufConn) Read(b []byte) (int, error) {
	for {
		if isClosedChan(c.done) {
			return 0, io.ErrClosedPipe
		}
		dl := c.rd.wait()
		if isClosedChan(dl) {
			return 0, os.ErrDeadlineExceeded
		}
		if len(b) == 0 {
			return 0, nil
		}
		n, eof := c.in.take(b)
		if n > 0 {
			return n, nil
		}
		if eof {
			return 0, io.EOF
		}
		select {
		case <-c.in.data:
		case <-dl:
		case <-c.done:
		}
	}
}

func (c *bufConn) Write(b []byte) (int, error) {
	written := 0
	for {
		if isClosedChan(c.done) {
			return written, io.ErrClosedPipe
		}
		dl := c.wd.wait()
		if isClosedChan(dl) {
			return written, os.ErrDeadlineExceeded
		}
		n, closed := c.out.put(b[written:])
		written += n
		if closed {
			return written, io.ErrClosedPipe
		}
		if written == len(b) {
			return written, nil
		}
		select {
		case <-c.out.space:
		case <-dl:
		case <-c.done:
		}
	}
}

func (c *bufConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.done)
		c.in.close()
		c.out.close()
	})
	return nil
}

func (c *bufConn) LocalAddr() net.Addr  { return pipeAddr{} }
func (c *bufConn) RemoteAddr() net.Addr { return pipeAddr{} }

func (c *bufConn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

func (c *bufConn) SetReadDeadline(t time.Time) error {
	c.rd.set(t)
	return nil
}

func (c *bufConn) SetWriteDeadline(t time.Time) error {
	c.wd.set(t)
	return nil
}
