// Package smtptest runs a real SMTP server on 127.0.0.1 for tests: it
// speaks plain SMTP, STARTTLS or implicit TLS, checks AUTH PLAIN, LOGIN
// and CRAM-MD5 against a user list, and records every message it accepts.
package smtptest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// Security is how clients reach the server.
type Security int

// Security modes.
const (
	Plain    Security = iota // no TLS; AUTH allowed in clear
	StartTLS                 // plain, STARTTLS offered; AUTH only after it
	TLS                      // implicit TLS from the first byte
)

// Options configure a Server.
type Options struct {
	Security Security
	// Users, when not empty, makes AUTH mandatory before MAIL FROM and
	// lists the accepted user names and passwords.
	Users map[string]string
}

// Message is one accepted message.
type Message struct {
	From     string   // envelope sender (MAIL FROM)
	Rcpt     []string // envelope recipients (RCPT TO)
	Data     []byte   // the message as received, headers and body
	Helo     string   // name the client gave in EHLO/HELO
	TLS      bool     // whether the session was encrypted
	AuthMech string   // SASL mechanism used, empty without AUTH
	AuthUser string
}

// Server is a running test SMTP server.
type Server struct {
	srv   *gosmtp.Server
	ln    net.Listener
	pool  *x509.CertPool
	cert  tls.Certificate
	users map[string]string

	mu       sync.Mutex
	messages []Message
	notify   chan struct{}
}

// Start starts a server on an ephemeral 127.0.0.1 port and stops it when
// the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	cert, pool, err := selfSigned()
	if err != nil {
		t.Fatalf("smtptest: certificate: %v", err)
	}
	s := &Server{pool: pool, cert: cert, users: opts.Users, notify: make(chan struct{}, 1)}
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(c *gosmtp.Conn) (gosmtp.Session, error) {
		return &session{s: s, c: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ErrorLog = quiet{}
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.MaxMessageBytes = 32 << 20
	srv.AllowInsecureAuth = opts.Security == Plain
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	switch opts.Security {
	case StartTLS:
		srv.TLSConfig = tlsCfg
	case TLS:
		srv.TLSConfig = tlsCfg
		ln = tls.NewListener(ln, tlsCfg)
	}
	s.srv, s.ln = srv, ln
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return s
}

// Host is the address clients dial, 127.0.0.1.
func (s *Server) Host() string { return "127.0.0.1" }

// Port is the listening port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host(), strconv.Itoa(s.Port())) }

// CertPool trusts the server's self-signed certificate.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// CAFile writes the server certificate in PEM to dir and returns its
// path, for a child process (SSL_CERT_FILE) that must trust the server.
func (s *Server) CAFile(t testing.TB, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "smtptest-ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.cert.Leaf.Raw})
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	return p
}

// Messages returns the accepted messages, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// WaitMessages waits until at least n messages were accepted or ctx ends.
func (s *Server) WaitMessages(ctx context.Context, n int) ([]Message, error) {
	for {
		if m := s.Messages(); len(m) >= n {
			return m, nil
		}
		select {
		case <-s.notify:
		case <-ctx.Done():
			return s.Messages(), fmt.Errorf("smtptest: %d of %d messages: %w", len(s.Messages()), n, ctx.Err())
		}
	}
}

func (s *Server) add(m Message) {
	s.mu.Lock()
	s.messages = append(s.messages, m)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

type session struct {
	s        *Server
	c        *gosmtp.Conn
	authMech string
	authUser string
	from     string
	rcpt     []string
}

var errAuthRequired = &gosmtp.SMTPError{Code: 530, EnhancedCode: gosmtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
var errBadCredentials = errors.New("invalid credentials")

func (ss *session) AuthMechanisms() []string {
	if len(ss.s.users) == 0 {
		return nil
	}
	return []string{sasl.Plain, sasl.Login, "CRAM-MD5", "XOAUTH2"}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	ok := func(m, u string) { ss.authMech, ss.authUser = m, u }
	switch strings.ToUpper(mech) {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if p, found := ss.s.users[user]; !found || p != pass {
				return errBadCredentials
			}
			ok(sasl.Plain, user)
			return nil
		}), nil
	case sasl.Login:
		return &loginServer{check: func(user, pass string) error {
			if p, found := ss.s.users[user]; !found || p != pass {
				return errBadCredentials
			}
			ok(sasl.Login, user)
			return nil
		}}, nil
	case "CRAM-MD5":
		return &cramServer{users: ss.s.users, done: func(u string) { ok("CRAM-MD5", u) }}, nil
	case "XOAUTH2":
		return &xoauth2Server{users: ss.s.users, done: func(u string) { ok("XOAUTH2", u) }}, nil
	}
	return nil, gosmtp.ErrAuthUnknownMechanism
}

func (ss *session) Mail(from string, _ *gosmtp.MailOptions) error {
	if len(ss.s.users) > 0 && ss.authUser == "" {
		return errAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	ss.rcpt = append(ss.rcpt, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := ss.c.TLSConnectionState()
	ss.s.add(Message{From: ss.from, Rcpt: append([]string(nil), ss.rcpt...), Data: b,
		Helo: ss.c.Hostname(), TLS: isTLS, AuthMech: ss.authMech, AuthUser: ss.authUser})
	return nil
}

func (ss *session) Reset()        { ss.from, ss.rcpt = "", nil }
func (ss *session) Logout() error { return nil }

// quiet drops the server's own error log (a client refusing the test
// certificate is an expected event, reported by the client).
type quiet struct{}

func (quiet) Printf(string, ...any) {}
func (quiet) Println(...any)        {}

// loginServer is the server side of AUTH LOGIN (draft-murchison-sasl-login):
// it asks for the user name, then the password.
type loginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if resp != nil { // initial response carries the user name
			l.user = string(resp)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.user = string(resp)
		l.step++
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(resp))
	}
}

// cramServer is the server side of CRAM-MD5 (RFC 2195).
type cramServer struct {
	challenge string
	users     map[string]string
	done      func(user string)
}

func (c *cramServer) Next(resp []byte) ([]byte, bool, error) {
	if c.challenge == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		c.challenge = fmt.Sprintf("<%x.%d@localhost>", b, time.Now().UnixNano())
		return []byte(c.challenge), false, nil
	}
	user, digest, found := strings.Cut(string(resp), " ")
	pass, known := c.users[user]
	if !found || !known {
		return nil, true, errBadCredentials
	}
	h := hmac.New(md5.New, []byte(pass))
	h.Write([]byte(c.challenge))
	if !hmac.Equal([]byte(hex.EncodeToString(h.Sum(nil))), []byte(strings.ToLower(digest))) {
		return nil, true, errBadCredentials
	}
	c.done(user)
	return nil, true, nil
}

// xoauth2Server checks "user=U\x01auth=Bearer TOKEN\x01\x01" (Google's
// and Microsoft's XOAUTH2): the token must be the user's password in
// Options.Users.
type xoauth2Server struct {
	users map[string]string
	done  func(user string)
}

func (x *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if resp == nil {
		return nil, false, nil // ask for the initial response
	}
	var user, token string
	for _, f := range strings.Split(string(resp), "\x01") {
		if v, ok := strings.CutPrefix(f, "user="); ok {
			user = v
		}
		if v, ok := strings.CutPrefix(f, "auth=Bearer "); ok {
			token = v
		}
	}
	if want, known := x.users[user]; !known || token == "" || token != want {
		return nil, true, errBadCredentials
	}
	x.done(user)
	return nil, true, nil
}

func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
