package ftpd

import (
	"bufio"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The front sits between a client's control connection and ftpserverlib,
// which reads its commands from the other end of an in-memory pipe.
// It terminates TLS with the client itself (so the handshake sees the
// binding's real certificate and client CAs, and the driver sees the
// client's certificate), while the library runs TLS on the pipe as if it
// were the client's, keeping its notion of a protected control
// connection. In between, command lines pass through where the library
// has no hook: AVLB is an alias of AVBL, PORT/EPRT can be rewritten to
// the control connection's address or refused, and disabled commands are
// answered here. Replies are counted so a reply written here never
// overtakes the library's reply to an earlier command.

// maxCommandLine is the longest command line accepted, as the library's.
const maxCommandLine = 4096

// frontConn is one control connection.
type frontConn struct {
	b      *binding
	tag    []byte   // names this connection's TLS sessions (session reuse)
	raw    net.Conn // the accepted connection (PROXY header applied)
	remote net.Addr
	local  net.Addr

	// command pump only
	cr       *bufio.Reader
	libPlain net.Conn // our end of the pipe
	libW     net.Conn // libPlain, or TLS over it once upgraded

	sess atomic.Pointer[session] // set when the library greets the client

	verdict  chan bool     // response pump → command pump: AUTH accepted?
	upgraded chan net.Conn // command pump → response pump: the new library reader
	done     chan struct{}

	mu          sync.Mutex
	cond        *sync.Cond
	client      net.Conn // raw, or TLS once upgraded; writes under mu
	outstanding int      // final replies the library still owes
	// authPending counts the final replies still to come up to and
	// including the one to AUTH (0: no AUTH pending)
	authPending int
	tlsState    *tls.ConnectionState
	closed      bool
	closeOnce   sync.Once
}

func newFrontConn(b *binding, c net.Conn) *frontConn {
	fc := &frontConn{
		b:        b,
		raw:      c,
		remote:   c.RemoteAddr(),
		local:    c.LocalAddr(),
		client:   c,
		verdict:  make(chan bool, 1),
		upgraded: make(chan net.Conn, 1),
		done:     make(chan struct{}),
		// the banner is owed before any command is answered
		outstanding: 1,
	}
	fc.cond = sync.NewCond(&fc.mu)
	id := make([]byte, 16)
	rand.Read(id)
	fc.tag = append([]byte(sessionTagPrefix), id...)
	return fc
}

// clientAddr is the client address the library sees; it leads the driver
// back to the front of the connection.
type clientAddr struct {
	net.Addr
	fc *frontConn
}

// pipeConn is the library's end of the pipe, reporting the client's real
// addresses.
type pipeConn struct {
	net.Conn
	remote, local net.Addr
}

func (p *pipeConn) RemoteAddr() net.Addr { return p.remote }
func (p *pipeConn) LocalAddr() net.Addr  { return p.local }

// frontClient answers the questions of the passive address resolution
// from the front, before the library opens a listener.
type frontClient struct{ fc *frontConn }

func (f frontClient) RemoteAddr() net.Addr   { return f.fc.remote }
func (f frontClient) LocalAddr() net.Addr    { return f.fc.local }
func (f frontClient) HasTLSForControl() bool { return f.fc.TLSState() != nil }

// frontOf returns the front of the control connection whose library-side
// remote address is a.
func frontOf(a net.Addr) *frontConn {
	if ca, ok := a.(*clientAddr); ok {
		return ca.fc
	}
	return nil
}

// TLSState returns the client's TLS state on the control connection, nil
// without TLS.
func (fc *frontConn) TLSState() *tls.ConnectionState {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return fc.tlsState
}

func (fc *frontConn) close() {
	fc.closeOnce.Do(func() {
		fc.mu.Lock()
		fc.closed = true
		client := fc.client
		fc.cond.Broadcast()
		fc.mu.Unlock()
		close(fc.done)
		fc.b.dropOwner(fc)
		client.SetWriteDeadline(time.Now().Add(time.Second))
		client.Close()
		fc.raw.Close()
		if fc.libPlain != nil {
			fc.libPlain.Close()
		}
	})
}

func (fc *frontConn) handshakeClient() (*tls.Conn, error) {
	cfg := fc.b.controlConfigFor(fc)
	if cfg == nil {
		return nil, errors.New("TLS is not configured")
	}
	tc := tls.Server(&readerConn{Conn: fc.raw, r: fc.cr}, cfg)
	tc.SetDeadline(time.Now().Add(tlsHandshakeTimeout))
	if err := tc.Handshake(); err != nil {
		return nil, err
	}
	tc.SetDeadline(time.Time{})
	st := tc.ConnectionState()
	fc.mu.Lock()
	fc.client = tc
	fc.tlsState = &st
	fc.mu.Unlock()
	fc.cr = bufio.NewReaderSize(tc, maxCommandLine)
	return tc, nil
}

func (fc *frontConn) serve() {
	defer fc.close()
	loginTimer := time.AfterFunc(fc.b.s.limits.loginTimeout, fc.loginTimedOut)
	defer loginTimer.Stop()
	libEnd, ourEnd := net.Pipe()
	fc.libPlain, fc.libW = ourEnd, ourEnd
	var libConn net.Conn = &pipeConn{Conn: libEnd, remote: &clientAddr{Addr: fc.remote, fc: fc}, local: fc.local}
	fc.cr = bufio.NewReaderSize(fc.raw, maxCommandLine)
	var libR io.Reader = ourEnd
	if fc.b.cfg.TLSMode == tlsModeImplicit {
		if _, err := fc.handshakeClient(); err != nil {
			fc.b.log.Debug("TLS handshake failed", "remote", fc.remote.String(), "error", err)
			libEnd.Close()
			return
		}
		// the library's first write (the banner) drives the inner handshake
		libConn = tls.Server(libConn, fc.b.s.inner.server)
		inner := tls.Client(ourEnd, fc.b.s.inner.client)
		fc.libW, libR = inner, inner
	}
	if !fc.b.pipes.deliver(libConn) {
		libEnd.Close()
		return
	}
	respDone := make(chan struct{})
	go func() {
		defer close(respDone)
		fc.responses(libR)
	}()
	fc.commands()
	fc.close()
	<-respDone
}

// commands copies command lines from the client to the library.
func (fc *frontConn) commands() {
	for {
		line, err := readLine(fc.cr)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				fc.b.log.Debug("control connection read", "remote", fc.remote.String(), "error", err)
			}
			return
		}
		if sess := fc.sess.Load(); sess != nil {
			if conn := sess.conn.Load(); conn != nil {
				// any command counts against common.idle_timeout
				conn.UpdateLastActivity()
			}
		}
		verb, arg := splitCommand(line)
		if fc.b.cfg.Debug {
			logged := line
			if verb == "PASS" {
				logged = "PASS ********"
			}
			fc.b.log.Debug("command", "remote", fc.remote.String(), "line", logged)
		}
		switch verb {
		case "AUTH":
			if fc.TLSState() != nil {
				fc.reply(503, "TLS is already active")
				continue
			}
			if !fc.b.hasTLS {
				break // the library refuses it
			}
			if !fc.forward(line, true) || !fc.awaitUpgrade() {
				return
			}
			continue
		case "AVLB":
			line = "AVBL" + strings.TrimPrefix(line, line[:4])
		case "PASV", "EPSV":
			// the library would leave the passive listener it opened
			// behind when the address cannot be told
			if verb == "PASV" {
				if _, err := fc.b.resolvePassiveIP(frontClient{fc}); err != nil {
					fc.reply(425, "Cannot enter passive mode: "+err.Error())
					continue
				}
			}
			if verb == "PASV" || !strings.EqualFold(strings.TrimSpace(arg), "ALL") {
				if n := fc.b.passiveHeldBy(addrIP(fc.remote), fc); n >= fc.b.s.limits.maxPassivePerIP {
					fc.b.log.Info("passive mode refused: too many passive listeners for this client IP",
						"remote", fc.remote.String(), "held", n)
					fc.reply(425, "Too many passive connections open from your address, try again later")
					continue
				}
			}
		case "PORT", "EPRT":
			if fc.b.s.disabled[verb] {
				fc.reply(502, verb+" is disabled")
				continue
			}
			if _, ok := parseActive(verb, arg); !ok {
				fc.reply(501, "Invalid "+verb+" argument: a host address and a port between 1 and 65535 are required")
				continue
			}
			if fc.b.cfg.ActiveUseControlIP {
				if rewritten, ok := fc.rewriteActive(verb, arg); ok {
					line = rewritten
					verb, arg = splitCommand(line)
				}
			}
			if addr, ok := parseActive(verb, arg); ok {
				fc.b.setOwner("a:"+addr.String(), fc)
			}
		case "XCRC", "MD5", "XMD5", "XSHA", "XSHA1", "XSHA256", "XSHA512":
			if fc.b.s.disabled["HASH"] {
				fc.reply(502, verb+" is disabled")
				continue
			}
		default:
			if fc.b.s.disabled[verb] {
				fc.reply(502, verb+" is disabled")
				continue
			}
		}
		if !fc.forward(line, false) {
			return
		}
	}
}

// forward sends a command line to the library; auth marks AUTH, whose
// reply decides the TLS upgrade.
func (fc *frontConn) forward(line string, auth bool) bool {
	fc.mu.Lock()
	fc.outstanding++
	if auth {
		fc.authPending = fc.outstanding
	}
	fc.mu.Unlock()
	_, err := io.WriteString(fc.libW, line+"\r\n")
	return err == nil
}

// awaitUpgrade waits for the library's reply to AUTH and, when it accepts,
// runs the inner handshake with the library and then the client's.
func (fc *frontConn) awaitUpgrade() bool {
	var ok bool
	select {
	case ok = <-fc.verdict:
	case <-fc.done:
		return false
	}
	if !ok {
		return true
	}
	inner := tls.Client(fc.libPlain, fc.b.s.inner.client)
	inner.SetDeadline(time.Now().Add(tlsHandshakeTimeout))
	if err := inner.Handshake(); err != nil {
		fc.b.log.Warn("inner TLS handshake failed", "error", err)
		fc.upgraded <- nil
		return false
	}
	inner.SetDeadline(time.Time{})
	if _, err := fc.handshakeClient(); err != nil {
		fc.b.log.Debug("TLS handshake failed", "remote", fc.remote.String(), "error", err)
		fc.upgraded <- nil
		return false
	}
	fc.libW = inner
	fc.upgraded <- inner
	return true
}

// responses copies replies from the library to the client, counting
// final replies.
func (fc *frontConn) responses(libR io.Reader) {
	defer fc.close()
	r := bufio.NewReader(libR)
	multi := ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			if line != "" {
				fc.writeClient(line)
			}
			return
		}
		final := false
		switch {
		case multi != "":
			if strings.HasPrefix(line, multi+" ") {
				final, multi = true, ""
			}
		case len(line) >= 4 && isDigits(line[:3]):
			switch line[3] {
			case '-':
				multi = line[:3]
			case ' ', '\r', '\n':
				final = line[0] != '1' // 1xx: preliminary
			}
		}
		if fc.b.cfg.Debug {
			fc.b.log.Debug("reply", "remote", fc.remote.String(), "line", strings.TrimRight(line, "\r\n"))
		}
		if final && (strings.HasPrefix(line, "227 ") || strings.HasPrefix(line, "229 ")) {
			// before the client learns the port, so before it connects
			if port, ok := passivePort(line); ok {
				fc.b.setOwner("p:"+strconv.Itoa(port), fc)
			}
		}
		if final && strings.HasPrefix(line, "552 ") && strings.Contains(line, insufficientStorage) {
			// the library answers 552 for every storage error; a full
			// disk is the transient 452 of RFC 959
			line = "452" + line[3:]
		}
		fc.mu.Lock()
		_, werr := io.WriteString(fc.client, line)
		authDone := false
		if final {
			fc.outstanding--
			if fc.authPending > 0 {
				fc.authPending--
				authDone = fc.authPending == 0
			}
			fc.cond.Broadcast()
		}
		fc.mu.Unlock()
		if werr != nil {
			return
		}
		if !authDone {
			continue
		}
		accepted := strings.HasPrefix(line, "234")
		fc.verdict <- accepted
		if !accepted {
			continue
		}
		select {
		case inner := <-fc.upgraded:
			if inner == nil {
				return
			}
			r = bufio.NewReader(inner)
		case <-fc.done:
			return
		}
	}
}

// loggedIn reports whether a user has logged in on this connection.
func (fc *frontConn) loggedIn() bool {
	sess := fc.sess.Load()
	return sess != nil && sess.conn.Load() != nil
}

// loginTimedOut closes a connection still without a successful login
// when the login timeout expires.
func (fc *frontConn) loginTimedOut() {
	if fc.loggedIn() {
		return
	}
	fc.b.log.Info("login timeout: closing control connection", "remote", fc.remote.String())
	fc.mu.Lock()
	if !fc.closed {
		fc.client.SetWriteDeadline(time.Now().Add(time.Second))
		io.WriteString(fc.client, "421 Login timeout: closing control connection\r\n")
	}
	fc.mu.Unlock()
	fc.close()
}

func (fc *frontConn) writeClient(s string) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	io.WriteString(fc.client, s)
}

// reply answers a command here, after every earlier command's reply.
func (fc *frontConn) reply(code int, msg string) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	for fc.outstanding > 0 && !fc.closed {
		fc.cond.Wait()
	}
	if fc.closed {
		return
	}
	fmt.Fprintf(fc.client, "%d %s\r\n", code, msg)
}

// parseActive returns the address of a PORT or EPRT argument; it refuses
// anything but a well-formed address with a port from 1 to 65535.
func parseActive(verb, arg string) (*net.TCPAddr, bool) {
	arg = strings.TrimSpace(arg)
	var ip net.IP
	var port int
	switch verb {
	case "PORT":
		parts := strings.Split(arg, ",")
		if len(parts) != 6 {
			return nil, false
		}
		var b [6]int
		for i, p := range parts {
			n, ok := decimal(p, 3)
			if !ok || n > 255 {
				return nil, false
			}
			b[i] = n
		}
		ip = net.IPv4(byte(b[0]), byte(b[1]), byte(b[2]), byte(b[3]))
		port = b[4]<<8 | b[5]
	case "EPRT":
		// RFC 2428: <d><net-prt><d><net-addr><d><tcp-port><d>, d in 33-126
		if len(arg) < 2 || arg[0] < 33 || arg[0] > 126 {
			return nil, false
		}
		parts := strings.Split(arg, arg[:1])
		if len(parts) != 5 || parts[0] != "" || parts[4] != "" {
			return nil, false
		}
		if ip = net.ParseIP(parts[2]); ip == nil {
			return nil, false
		}
		isV4 := !strings.Contains(parts[2], ":")
		if (parts[1] == "1") != isV4 || (parts[1] != "1" && parts[1] != "2") {
			return nil, false
		}
		p, ok := decimal(parts[3], 5)
		if !ok {
			return nil, false
		}
		port = p
	default:
		return nil, false
	}
	if port <= 0 || port > 65535 {
		return nil, false
	}
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	return &net.TCPAddr{IP: ip, Port: port}, true
}

// decimal parses 1 to maxDigits ASCII digits (no sign, no spaces).
func decimal(s string, maxDigits int) (int, bool) {
	if s == "" || len(s) > maxDigits || !isDigits(s) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// rewriteActive replaces the address of PORT/EPRT with the client
// address of the control connection, keeping the port.
func (fc *frontConn) rewriteActive(verb, arg string) (string, bool) {
	ip := addrIP(fc.remote)
	if ip == nil {
		return "", false
	}
	addr, ok := parseActive(verb, arg)
	if !ok {
		return "", false
	}
	port := addr.Port
	if v4 := ip.To4(); v4 != nil {
		if verb == "PORT" {
			return fmt.Sprintf("PORT %d,%d,%d,%d,%d,%d", v4[0], v4[1], v4[2], v4[3], port>>8, port&0xff), true
		}
		return fmt.Sprintf("EPRT |1|%s|%d|", v4, port), true
	}
	return fmt.Sprintf("EPRT |2|%s|%d|", ip, port), true
}

// passivePort returns the port of a 227 (PASV) or 229 (EPSV) reply.
func passivePort(line string) (int, bool) {
	start, end := strings.Index(line, "("), strings.LastIndex(line, ")")
	if start < 0 || end <= start {
		return 0, false
	}
	inner := line[start+1 : end]
	if strings.HasPrefix(line, "229") {
		parts := strings.Split(inner, "|")
		if len(parts) != 5 {
			return 0, false
		}
		p, err := strconv.Atoi(parts[3])
		return p, err == nil && p > 0 && p <= 65535
	}
	parts := strings.Split(inner, ",")
	if len(parts) != 6 {
		return 0, false
	}
	hi, err1 := strconv.Atoi(parts[4])
	lo, err2 := strconv.Atoi(parts[5])
	if err1 != nil || err2 != nil || hi < 0 || hi > 255 || lo < 0 || lo > 255 {
		return 0, false
	}
	return hi<<8 | lo, true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

var errLineTooLong = errors.New("command line too long")

// readLine reads one command line without its line ending.
func readLine(r *bufio.Reader) (string, error) {
	line, isPrefix, err := r.ReadLine()
	if err != nil {
		return "", err
	}
	if isPrefix {
		return "", errLineTooLong
	}
	return string(line), nil
}

// splitCommand returns the upper-case verb and the argument of a line.
func splitCommand(line string) (string, string) {
	verb, arg, _ := strings.Cut(line, " ")
	return strings.ToUpper(verb), arg
}

// readerConn reads through a buffered reader that may already hold bytes
// of the connection (a client that sends its TLS hello right after AUTH).
type readerConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *readerConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// pipeListener hands the library's ends of the fronts' pipes to
// ftpserverlib as accepted connections.
type pipeListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newPipeListener(addr net.Addr) *pipeListener {
	return &pipeListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (p *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-p.ch:
		return c, nil
	case <-p.done:
		// the library stops quietly on exactly this error text
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: p.addr, Err: net.ErrClosed}
	}
}

func (p *pipeListener) deliver(c net.Conn) bool {
	select {
	case p.ch <- c:
		return true
	case <-p.done:
		return false
	}
}

func (p *pipeListener) Close() error {
	p.once.Do(func() { close(p.done) })
	return nil
}

func (p *pipeListener) Addr() net.Addr { return p.addr }
