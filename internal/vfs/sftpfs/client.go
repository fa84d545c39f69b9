package sftpfs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// ErrHostKeyMismatch: the server presented a host key whose fingerprint
// is not among Config.Fingerprints.
var ErrHostKeyMismatch = errors.New("sftpfs: host key does not match the pinned fingerprints")

const (
	keepaliveInterval = 30 * time.Second
	keepaliveTimeout  = 15 * time.Second
	probeTimeout      = 5 * time.Second
)

// client is the shared value behind every Fs with the same endpoint and
// credentials: one SSH connection carrying one SFTP session, redialled
// when it dies. sftp.Client is safe for concurrent use, so sessions of one
// user multiplex their requests over it.
type client struct {
	cfg    Config
	auth   []ssh.AuthMethod
	log    *slog.Logger
	warned sync.Once

	mu     sync.Mutex
	cur    *session
	closed bool
}

// session is one live SSH connection and its SFTP client.
type session struct {
	ssh  *ssh.Client
	sftp *sftp.Client
	done chan struct{} // closed when the SSH connection is gone
	stop chan struct{} // stops the keepalive loop
	once sync.Once

	posixRename bool
	hardlink    bool
	statvfs     bool
}

// alive reports whether the session can take requests: neither closed
// by us (stop, closed synchronously by close) nor ended by the server
// (done, closed by the goroutine that watches the connection). Checking
// stop too means a session dropped after an error is never handed out
// again while that goroutine has not yet noticed.
func (s *session) alive() bool {
	select {
	case <-s.done:
		return false
	case <-s.stop:
		return false
	default:
		return true
	}
}

func (s *session) close() {
	s.once.Do(func() {
		close(s.stop)
		s.sftp.Close()
		s.ssh.Close()
	})
}

// cacheKey identifies a connection: the same endpoint, credentials and
// client options share one. It is a hash so secrets are not kept as map
// keys in clear.
func (cfg *Config) cacheKey() string {
	h := sha256.New()
	for _, s := range []string{"sftpfs", cfg.Endpoint, cfg.Username, cfg.Password, cfg.PrivateKey, cfg.KeyPassphrase,
		strings.Join(cfg.Fingerprints, ","), fmt.Sprint(cfg.DisableConcurrentReads, cfg.BufferSize, cfg.DialTimeout)} {
		fmt.Fprintf(h, "%d:%s;", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func newClient(cfg Config, auth []ssh.AuthMethod) *client {
	return &client{cfg: cfg, auth: auth, log: cfg.Logger}
}

// get returns the live session, dialling a new one when there is none or
// the last one died.
func (c *client) get(ctx context.Context) (*session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errors.New("sftpfs: connection closed")
	}
	if c.cur != nil && c.cur.alive() {
		return c.cur, nil
	}
	if c.cur != nil {
		c.cur.close()
		c.cur = nil
	}
	s, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	c.cur = s
	return s, nil
}

// checkAfterError drops the session when err shows the connection is
// gone, so the next request dials a fresh one. Status replies from the
// server leave the connection alone; anything else is confirmed with a
// keepalive round trip.
func (c *client) checkAfterError(s *session, err error) {
	if err == nil || !s.alive() || isServerReply(err) {
		return
	}
	res := make(chan error, 1)
	go func() {
		_, _, err := s.ssh.SendRequest("keepalive@openssh.com", true, nil)
		res <- err
	}()
	select {
	case perr := <-res:
		if perr == nil {
			return
		}
	case <-time.After(probeTimeout):
	}
	c.log.Warn("remote sftp connection lost", "endpoint", c.cfg.Endpoint, "error", err)
	s.close()
}

// isServerReply reports errors that come from a status reply of a live
// server (or from our own context), not from a broken connection.
func isServerReply(err error) bool {
	var se *sftp.StatusError
	return errors.As(err, &se) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func (c *client) dial(ctx context.Context) (*session, error) {
	timeout := c.cfg.DialTimeout
	d := net.Dialer{Timeout: timeout, Control: c.cfg.DialControl}
	nc, err := d.DialContext(ctx, "tcp", c.cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("sftpfs: connect to %s: %w", c.cfg.Endpoint, err)
	}
	// The handshake is bounded by the dial timeout and by ctx.
	nc.SetDeadline(time.Now().Add(timeout))
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Now()) })
	sshCfg := &ssh.ClientConfig{
		User:            c.cfg.Username,
		Auth:            c.auth,
		HostKeyCallback: c.hostKeyCallback(),
		ClientVersion:   "SSH-2.0-SFTPGo-NG",
	}
	conn, chans, reqs, err := ssh.NewClientConn(nc, c.cfg.Endpoint, sshCfg)
	if !stop() || err != nil {
		nc.Close()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("sftpfs: ssh handshake with %s: %w", c.cfg.Endpoint, err)
	}
	nc.SetDeadline(time.Time{})
	sc := ssh.NewClient(conn, chans, reqs)
	opts := []sftp.ClientOption{
		sftp.UseConcurrentWrites(true),
		sftp.UseConcurrentReads(!c.cfg.DisableConcurrentReads),
		sftp.UseFstat(true),
	}
	if c.cfg.BufferSize > 0 {
		// buffer_size is the data in flight per transfer, in MiB, split
		// in 32 KiB requests.
		opts = append(opts, sftp.MaxConcurrentRequestsPerFile(int(c.cfg.BufferSize<<20/(32<<10))))
	}
	fc, err := sftp.NewClient(sc, opts...)
	if err != nil {
		sc.Close()
		return nil, fmt.Errorf("sftpfs: start the sftp subsystem on %s: %w", c.cfg.Endpoint, err)
	}
	s := &session{ssh: sc, sftp: fc, done: make(chan struct{}), stop: make(chan struct{})}
	_, s.posixRename = fc.HasExtension("posix-rename@openssh.com")
	_, s.hardlink = fc.HasExtension("hardlink@openssh.com")
	_, s.statvfs = fc.HasExtension("statvfs@openssh.com")
	go func() {
		sc.Wait()
		close(s.done)
	}()
	go s.keepalive()
	c.log.Debug("remote sftp connected", "endpoint", c.cfg.Endpoint, "user", c.cfg.Username)
	return s, nil
}

// keepalive notices a connection that died silently (a half-open TCP
// connection) so the next request dials again instead of hanging.
func (s *session) keepalive() {
	t := time.NewTicker(keepaliveInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-s.done:
			return
		case <-t.C:
		}
		res := make(chan error, 1)
		go func() {
			_, _, err := s.ssh.SendRequest("keepalive@openssh.com", true, nil)
			res <- err
		}()
		select {
		case err := <-res:
			if err != nil {
				s.close()
				return
			}
		case <-time.After(keepaliveTimeout):
			s.close()
			return
		case <-s.stop:
			return
		}
	}
}

func (c *client) hostKeyCallback() ssh.HostKeyCallback {
	pins := normalizeFingerprints(c.cfg.Fingerprints)
	return func(_ string, _ net.Addr, key ssh.PublicKey) error {
		sha := ssh.FingerprintSHA256(key)
		if len(pins) == 0 {
			c.warned.Do(func() {
				c.log.Warn("remote sftp host key not verified: no fingerprints configured",
					"endpoint", c.cfg.Endpoint, "fingerprint", sha)
			})
			return nil
		}
		md5 := "MD5:" + ssh.FingerprintLegacyMD5(key)
		for _, p := range pins {
			if p == sha || strings.EqualFold(p, md5) {
				return nil
			}
		}
		return fmt.Errorf("%w: the server presented %s (%s)", ErrHostKeyMismatch, sha, key.Type())
	}
}

// normalizeFingerprints accepts fingerprints as `ssh-keygen -l` prints
// them ("256 SHA256:abc... comment (ED25519)"), bare ("SHA256:abc..."),
// or MD5 ("MD5:aa:bb:..."), and returns the "SHA256:"/"MD5:" tokens.
func normalizeFingerprints(in []string) []string {
	var out []string
	for _, f := range in {
		for _, tok := range strings.Fields(f) {
			switch {
			case strings.HasPrefix(tok, "SHA256:"):
				out = append(out, strings.TrimRight(tok, "="))
			case strings.HasPrefix(strings.ToUpper(tok), "MD5:"):
				out = append(out, "MD5:"+tok[4:])
			}
		}
	}
	return out
}

// Close closes the connection; it is called when the last Fs using it
// has been closed (and the linger time has passed).
func (c *client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.cur != nil {
		c.cur.close()
		c.cur = nil
	}
	return nil
}

// authMethods builds the SSH authentication methods: the key first, then
// the password (also answering keyboard-interactive prompts).
func authMethods(cfg Config) ([]ssh.AuthMethod, error) {
	var auth []ssh.AuthMethod
	if cfg.PrivateKey != "" {
		var signer ssh.Signer
		var err error
		if cfg.KeyPassphrase != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(cfg.PrivateKey), []byte(cfg.KeyPassphrase))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(cfg.PrivateKey))
		}
		if err != nil {
			return nil, fmt.Errorf("sftpfs: private key: %w", err)
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	if cfg.Password != "" {
		pw := cfg.Password
		auth = append(auth, ssh.Password(pw), ssh.KeyboardInteractive(
			func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	if len(auth) == 0 {
		return nil, errors.New("sftpfs: a password or a private key is required")
	}
	return auth, nil
}
