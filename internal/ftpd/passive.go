package ftpd

import (
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common"
)

// Passive listeners are a shared, small resource (the port range): a
// client that sends PASV and never connects would otherwise hold its
// port for as long as its control connection lives. So a passive
// listener nobody has started to use for passiveIdleTimeout is closed,
// and one client IP holds at most maxPassivePerIP of them at a time (a
// new PASV of the same control connection replaces its previous
// listener, as the library does).
const (
	// passiveIdleTimeout is how long a passive listener waits for the
	// transfer command (LIST, RETR, STOR...) that uses it.
	passiveIdleTimeout = 5 * time.Second
	// maxPassivePerIP caps the passive listeners held by one client IP.
	maxPassivePerIP = 16
)

// WrapPassiveListener implements ftpserver.MainDriverExtensionPassiveWrapper:
// passive data connections are marked as such (for the session reuse
// check) and honour the PROXY protocol too, and the listener is
// registered by port so it can expire and be counted per client IP.
func (b *binding) WrapPassiveListener(l net.Listener) (net.Listener, error) {
	port := 0
	if ta, ok := l.Addr().(*net.TCPAddr); ok {
		port = ta.Port
	}
	if b.useProxy {
		l = b.s.proxy.Wrap(l, 0)
	}
	pl := &passiveListener{Listener: l, checkHeader: b.useProxy, log: b.log, b: b, port: port}
	b.pasvMu.Lock()
	b.pasv[port] = pl
	b.pasvMu.Unlock()
	pl.mu.Lock()
	pl.timer = time.AfterFunc(b.s.limits.passiveIdle, pl.expire)
	pl.mu.Unlock()
	return pl, nil
}

// passiveHeldBy counts the passive listeners open for control
// connections from ip other than fc.
func (b *binding) passiveHeldBy(ip net.IP, fc *frontConn) int {
	if ip == nil {
		return 0
	}
	b.pasvMu.Lock()
	defer b.pasvMu.Unlock()
	b.ownersMu.Lock()
	defer b.ownersMu.Unlock()
	n := 0
	for port := range b.pasv {
		owner := b.owners["p:"+strconv.Itoa(port)]
		if owner != nil && owner != fc && addrIP(owner.remote).Equal(ip) {
			n++
		}
	}
	return n
}

// passiveListener wraps the library's passive listeners.
type passiveListener struct {
	net.Listener
	checkHeader bool
	log         *slog.Logger
	b           *binding
	port        int
	timer       *time.Timer

	mu        sync.Mutex
	used      bool // the library waits for the data connection
	expired   bool
	closeOnce sync.Once
}

// expire closes the listener unless a transfer has started to use it.
func (p *passiveListener) expire() {
	p.mu.Lock()
	if p.used {
		p.mu.Unlock()
		return
	}
	p.expired = true
	p.mu.Unlock()
	p.log.Debug("unused passive listener closed", "port", p.port)
	p.Close()
}

// Close closes the listener and frees its place in the port range.
func (p *passiveListener) Close() error {
	var err error
	p.closeOnce.Do(func() {
		p.mu.Lock()
		if p.timer != nil {
			p.timer.Stop()
		}
		p.mu.Unlock()
		p.b.pasvMu.Lock()
		if p.b.pasv[p.port] == p {
			delete(p.b.pasv, p.port)
		}
		p.b.pasvMu.Unlock()
		err = p.Listener.Close()
	})
	return err
}

func (p *passiveListener) Accept() (net.Conn, error) {
	p.mu.Lock()
	if p.expired {
		p.mu.Unlock()
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: p.Addr(), Err: net.ErrClosed}
	}
	p.used = true
	if p.timer != nil {
		p.timer.Stop()
	}
	p.mu.Unlock()
	for {
		c, err := p.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if p.checkHeader {
			// refuse a bad PROXY header before the library uses the connection
			if err := common.CheckProxyHeader(c); err != nil {
				p.log.Info("data connection refused", "remote", c.RemoteAddr().String(), "error", err)
				c.Close()
				continue
			}
		}
		return &passiveConn{Conn: c}, nil
	}
}

// passiveConn is a passive data connection. Small writes are gathered
// into one buffer: the library writes a listing one entry at a time,
// which cost a system call (and a TLS record) per line. Read, Close and
// deadline changes send what is buffered first.
type passiveConn struct {
	net.Conn
	mu     sync.Mutex
	buf    *[]byte // pooled, only while something is buffered
	n      int
	werr   error // a failed flush, reported by the next Write or Close
	closed bool
}

// dataBufSize is the most a passive connection gathers before sending;
// larger writes (file transfers) go straight through.
const dataBufSize = 32 << 10

var dataBufs = sync.Pool{New: func() any { b := make([]byte, dataBufSize); return &b }}

func (c *passiveConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	if c.werr != nil {
		return 0, c.werr
	}
	if c.buf != nil && c.n+len(p) > dataBufSize {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
	}
	if len(p) >= dataBufSize {
		return c.Conn.Write(p)
	}
	if c.buf == nil {
		c.buf = dataBufs.Get().(*[]byte)
	}
	c.n += copy((*c.buf)[c.n:], p)
	return len(p), nil
}

// Read sends what is buffered first: TLS handshakes write, then wait for
// the answer.
func (c *passiveConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	err := c.flushLocked()
	c.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

// SetDeadline and SetWriteDeadline send what is buffered under the
// previous deadline first: a TLS connection moves the deadline around its
// close_notify alert, then closes.
func (c *passiveConn) SetDeadline(t time.Time) error {
	c.flushBefore()
	return c.Conn.SetDeadline(t)
}

func (c *passiveConn) SetWriteDeadline(t time.Time) error {
	c.flushBefore()
	return c.Conn.SetWriteDeadline(t)
}

// flushBefore flushes unless a Write is under way (the deadline may be
// there to unblock it).
func (c *passiveConn) flushBefore() {
	if c.mu.TryLock() {
		c.flushLocked()
		c.mu.Unlock()
	}
}

// flushLocked sends the buffered bytes and returns the buffer to the pool.
func (c *passiveConn) flushLocked() error {
	if c.buf == nil {
		return nil
	}
	_, err := c.Conn.Write((*c.buf)[:c.n])
	dataBufs.Put(c.buf)
	c.buf, c.n = nil, 0
	if err != nil && c.werr == nil {
		c.werr = err
	}
	return err
}

// Close sends what is buffered, then closes. A Close racing a blocked
// Write (an abort) closes at once, unblocking it, and drops the buffer.
func (c *passiveConn) Close() error {
	var err error
	if c.mu.TryLock() {
		if !c.closed {
			c.flushLocked()
			err = c.werr
		}
		c.closed = true
		c.mu.Unlock()
	}
	if cerr := c.Conn.Close(); err == nil {
		err = cerr
	}
	return err
}
