package ftpfs

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/sftpgo-ng/sftpgo/internal/vfs/connpool"
)

const (
	// cmdTimeout bounds a command on the control connection (not a
	// transfer, which the context bounds).
	cmdTimeout = 60 * time.Second
	// checkTimeout bounds the NOOP that validates an idle connection.
	checkTimeout = 10 * time.Second
	// quitTimeout bounds the polite QUIT when a connection is dropped.
	quitTimeout = 2 * time.Second
)

// features are what the server offers, learned from the first login.
type features struct {
	mlst      bool // MLST/MLSD: exact listings and one-command stat
	mdtm      bool // MDTM: file modification time
	mfmt      bool // MFMT: set the modification time
	siteMtime bool // SITE MTIME: set the modification time (no MFMT)
}

// conn is one logged-in FTP control connection. It serves one caller at
// a time (the pool makes sure of it).
type conn struct {
	sc   *ftp.ServerConn
	raw  net.Conn // the TCP control connection
	ctrl net.Conn // what the FTP client talks to: raw or TLS over raw

	mu     sync.Mutex
	data   net.Conn // the current data connection
	broken bool     // aborted or failed mid-command: never reuse
}

// abort breaks every blocked read or write on the connection; used when
// a context ends. The connection is not reused afterwards.
func (c *conn) abort() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.broken = true
	past := time.Unix(1, 0)
	c.raw.SetDeadline(past)
	if c.data != nil {
		c.data.SetDeadline(past)
	}
}

func (c *conn) isBroken() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.broken
}

func (c *conn) setData(d net.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.data = d
	if c.broken {
		d.SetDeadline(time.Unix(1, 0))
	}
}

// deadline bounds the next control-connection exchange (zero: none).
func (c *conn) deadline(d time.Duration) {
	if d == 0 {
		c.raw.SetDeadline(time.Time{})
		return
	}
	c.raw.SetDeadline(time.Now().Add(d))
}

// quit closes the connection, politely when the server still listens.
func (c *conn) quit() {
	c.raw.SetDeadline(time.Now().Add(quitTimeout))
	c.sc.Quit()
	c.raw.Close()
}

// raw sends a command the FTP client library has no method for (SITE
// MTIME, SITE HELP) and reads the reply. The library reads each reply in
// full before the next command and the server sends nothing unasked, so
// nothing is buffered on its side when this runs.
func (c *conn) rawCmd(cmd string) (int, string, error) {
	if strings.ContainsAny(cmd, "\r\n") {
		return 0, "", ftp.ErrInvalidCommand
	}
	// The deadline stays: every use of a connection sets its own first.
	c.deadline(cmdTimeout)
	if _, err := io.WriteString(c.ctrl, cmd+"\r\n"); err != nil {
		c.markBroken()
		return 0, "", err
	}
	code, msg, err := textproto.NewReader(bufio.NewReaderSize(c.ctrl, 16)).ReadResponse(0)
	if err != nil {
		var te *textproto.Error
		if !errors.As(err, &te) {
			c.markBroken()
		}
	}
	return code, msg, err
}

func (c *conn) markBroken() {
	c.mu.Lock()
	c.broken = true
	c.mu.Unlock()
}

// replayConn hands the FTP client a greeting that was already read while
// this package negotiated explicit TLS itself.
type replayConn struct {
	net.Conn
	pending []byte
}

func (r *replayConn) Read(p []byte) (int, error) {
	if len(r.pending) > 0 {
		n := copy(p, r.pending)
		r.pending = r.pending[n:]
		return n, nil
	}
	return r.Conn.Read(p)
}

// pool is the shared value behind every Fs with the same endpoint and
// credentials: a bounded set of logged-in connections.
type pool struct {
	cfg    Config
	tlsCfg *tls.Config
	log    *slog.Logger
	p      *connpool.Pool[*conn]

	mu     sync.Mutex
	feat   *features
	hidden bool // list with "LIST -a" (servers without MLSD)
}

func (cfg *Config) cacheKey() string {
	h := sha256.New()
	for _, s := range []string{"ftpfs", cfg.Endpoint, cfg.Username, cfg.Password, fmt.Sprint(cfg.TLSMode, cfg.SkipTLSVerify,
		cfg.RootCAs != nil, cfg.PoolSize, cfg.DialTimeout, cfg.noDirRename)} {
		fmt.Fprintf(h, "%d:%s;", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func newPool(cfg Config) *pool {
	p := &pool{cfg: cfg, log: cfg.Logger}
	if cfg.TLSMode != TLSDisabled {
		host, _, _ := net.SplitHostPort(cfg.Endpoint)
		p.tlsCfg = &tls.Config{
			ServerName:         host,
			InsecureSkipVerify: cfg.SkipTLSVerify, //nolint:gosec // the administrator's choice, per backend
			RootCAs:            cfg.RootCAs,
			MinVersion:         tls.VersionTLS12,
			// Data connections resume the control connection's session:
			// many servers (vsftpd's require_ssl_reuse) insist on it.
			ClientSessionCache: tls.NewLRUClientSessionCache(64),
		}
	}
	p.p = connpool.New(connpool.Options[*conn]{
		Max:     cfg.PoolSize,
		Dial:    p.dial,
		Check:   p.check,
		Close:   func(c *conn) { c.quit() },
		MaxIdle: cfg.MaxIdle,
		Wait:    cfg.PoolWait,
	})
	return p
}

// Close closes the idle connections; it runs when no Fs uses the pool
// any more.
func (p *pool) Close() error { return p.p.Close() }

// check validates an idle connection with NOOP before it is lent again.
func (p *pool) check(c *conn) error {
	if c.isBroken() {
		return errors.New("broken")
	}
	c.deadline(checkTimeout)
	defer c.deadline(0)
	return c.sc.NoOp()
}

// get lends a connection; put gives it back, reusable only when err says
// the server answered (the control connection is in step).
func (p *pool) get(ctx context.Context) (*conn, error) {
	c, err := p.p.Get(ctx)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, err
	}
	return c, nil
}

func (p *pool) put(c *conn, err error) {
	p.p.Put(c, !c.isBroken() && inStep(err))
}

func (p *pool) features() features {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.feat == nil {
		return features{}
	}
	return *p.feat
}

// dial opens and logs in a connection. The first one also learns the
// server's features; a server without MLSD is then listed with
// "LIST -a", so hidden files show, which needs a fresh login.
func (p *pool) dial(ctx context.Context) (*conn, error) {
	p.mu.Lock()
	known, hidden := p.feat != nil, p.hidden
	p.mu.Unlock()
	c, err := p.login(ctx, hidden)
	if err != nil || known {
		return c, err
	}
	f := &features{mlst: c.sc.IsTimePreciseInList(), mdtm: c.sc.IsGetTimeSupported(), mfmt: c.sc.IsSetTimeSupported()}
	if !f.mfmt {
		if code, msg, err := c.rawCmd("SITE HELP"); err == nil && code/100 == 2 {
			f.siteMtime = containsWord(msg, "MTIME")
		} else if !inStep(err) {
			c.quit()
			return nil, fmt.Errorf("ftpfs: %s: SITE HELP: %w", p.cfg.Endpoint, err)
		}
	}
	p.mu.Lock()
	if p.feat == nil {
		p.feat = f
		p.hidden = !f.mlst
	}
	hidden = p.hidden
	p.mu.Unlock()
	p.log.Debug("remote ftp features", "endpoint", p.cfg.Endpoint, "mlst", f.mlst, "mdtm", f.mdtm, "mfmt", f.mfmt, "site_mtime", f.siteMtime)
	if hidden {
		c.quit()
		return p.login(ctx, true)
	}
	return c, nil
}

func containsWord(s, word string) bool {
	for _, w := range strings.FieldsFunc(strings.ToUpper(s), func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		if w == word {
			return true
		}
	}
	return false
}

func (p *pool) login(ctx context.Context, listHidden bool) (*conn, error) {
	cfg := p.cfg
	d := net.Dialer{Timeout: cfg.DialTimeout, Control: cfg.DialControl}
	raw, err := d.DialContext(ctx, "tcp", cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("ftpfs: connect to %s: %w", cfg.Endpoint, err)
	}
	c := &conn{raw: raw, ctrl: raw}
	// Connecting, TLS and login are bounded by the dial timeout and ctx.
	raw.SetDeadline(time.Now().Add(cfg.DialTimeout))
	stop := context.AfterFunc(ctx, c.abort)
	fail := func(step string, err error) (*conn, error) {
		stop()
		raw.Close()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("ftpfs: %s: %s: %w", cfg.Endpoint, step, err)
	}
	switch cfg.TLSMode {
	case TLSImplicit:
		tc := tls.Client(raw, p.tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail("TLS handshake", err)
		}
		c.ctrl = tc
	case TLSExplicit:
		tp := textproto.NewReader(bufio.NewReaderSize(raw, 16))
		if _, _, err := tp.ReadResponse(ftp.StatusReady); err != nil {
			return fail("greeting", err)
		}
		if _, err := io.WriteString(raw, "AUTH TLS\r\n"); err != nil {
			return fail("AUTH TLS", err)
		}
		if _, _, err := tp.ReadResponse(ftp.StatusAuthOK); err != nil {
			return fail("AUTH TLS", err)
		}
		tc := tls.Client(raw, p.tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail("TLS handshake", err)
		}
		c.ctrl = &replayConn{Conn: tc, pending: []byte("220 TLS ready\r\n")}
	}
	first := true
	opts := []ftp.DialOption{
		ftp.DialWithDialFunc(func(network, addr string) (net.Conn, error) {
			if first {
				first = false
				return c.ctrl, nil
			}
			return p.dialData(c, network, addr)
		}),
		ftp.DialWithShutTimeout(cmdTimeout),
		ftp.DialWithForceListHidden(listHidden),
	}
	if p.tlsCfg != nil {
		// With our own dial function the library leaves TLS to us; this
		// makes it send PBSZ 0 / PROT P so data connections are protected.
		opts = append(opts, ftp.DialWithTLS(p.tlsCfg))
	}
	sc, err := ftp.Dial(cfg.Endpoint, opts...)
	if err != nil {
		return fail("greeting", err)
	}
	c.sc = sc
	if err := sc.Login(cfg.Username, cfg.Password); err != nil {
		return fail("login", err)
	}
	if !stop() {
		raw.Close()
		return nil, ctx.Err()
	}
	raw.SetDeadline(time.Time{})
	return c, nil
}

// dialData opens a data connection (to the control connection's host:
// the address in a PASV reply is not trusted), with TLS when the control
// connection has it.
func (p *pool) dialData(c *conn, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: p.cfg.DialTimeout}
	nc, err := d.Dial(network, addr)
	if err != nil {
		return nil, err
	}
	c.setData(nc)
	if p.tlsCfg != nil {
		// The handshake happens on first use, after the server has
		// answered the transfer command (some servers hang otherwise).
		return &tlsDataConn{tls.Client(nc, p.tlsCfg)}, nil
	}
	return nc, nil
}

// drainTimeout bounds the orderly end of a TLS data connection.
const drainTimeout = 5 * time.Second

// tlsDataConn ends a TLS data connection in order: close_notify, then
// read what the server still sends (TLS 1.3 session tickets) until it
// closes too. Closing with unread data would reset the connection, and
// the server would report the upload failed.
type tlsDataConn struct {
	*tls.Conn
}

func (d *tlsDataConn) Close() error {
	if err := d.Conn.CloseWrite(); err == nil {
		d.Conn.SetReadDeadline(time.Now().Add(drainTimeout))
		io.Copy(io.Discard, io.LimitReader(d.Conn, 1<<20))
	}
	return d.Conn.Close()
}
