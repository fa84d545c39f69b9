// Package sftpd is the SSH server: host keys, authentication (password,
// public key, keyboard-interactive, certificates, multi-step), and the
// SFTP subsystem served by pkg/sftp over internal/common.
package sftpd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/edge"
	"github.com/sftpgo-ng/sftpgo/internal/hooks"
	"github.com/sftpgo-ng/sftpgo/internal/secretfile"
	"github.com/sftpgo-ng/sftpgo/internal/version"
)

// Store is what the SSH server needs from the data provider;
// *dataprovider.Store satisfies it.
type Store interface {
	CheckUserPassword(ctx context.Context, username, password string) (dataprovider.User, error)
	CheckUserPublicKey(ctx context.Context, username string, pubKey []byte) (dataprovider.User, error)
	GetEffectiveUser(ctx context.Context, username string) (dataprovider.User, error)
}

const (
	protocolSSH = dataprovider.ProtocolSSH
	// the protocol names of SFTPGo's transfer log lines
	logProtocolSFTP = "SFTP"
	logProtocolSCP  = "SCP"
	// the login_type SFTPGo logs for a client that tried no login method
	loginMethodNoAuthTried = "no_auth_tried"
	handshakeTimeout       = 2 * time.Minute
)

// Server is the SSH/SFTP server.
type Server struct {
	cfg       config.SFTPDConfig
	common    *common.Server
	store     Store
	configDir string
	log       *slog.Logger
	sshConfig *ssh.ServerConfig
	certs     *certAuth
	hostKeys  []string
	hooks     *hooks.Runner // keyboard_interactive_auth_hook, opkssh; see SetHookRunner
	opk       *opkssh       // sftpd.opkssh_path, nil when unset

	mu        sync.Mutex
	listeners []net.Listener
	conns     map[*ssh.ServerConn]struct{}
	// handshaking: accepted connections not yet authenticated, closed by
	// Shutdown so a client stalled in the handshake cannot hold it up.
	handshaking map[net.Conn]struct{}
	closing     bool
	wg          sync.WaitGroup
}

// New validates the configuration, loads or generates the host keys and
// prepares the SSH configuration. configDir resolves relative paths
// (host keys, CA keys, banner, revoked certificates).
func New(cfg config.SFTPDConfig, srv *common.Server, store Store, configDir string, logger *slog.Logger) (*Server, error) {
	if srv == nil || store == nil {
		return nil, errors.New("sftpd: common server and store are required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:         cfg,
		common:      srv,
		store:       store,
		configDir:   configDir,
		log:         logger.With("component", "sftpd"),
		conns:       make(map[*ssh.ServerConn]struct{}),
		handshaking: make(map[net.Conn]struct{}),
	}
	signers, paths, err := loadHostKeys(configDir, cfg.HostKeys)
	if err != nil {
		return nil, err
	}
	s.hostKeys = paths
	secretfile.Warn(s.log, "the SSH host private keys are", paths...)
	if err := s.loadHostCertificates(&signers); err != nil {
		return nil, err
	}
	if h := cfg.KeyboardInteractiveAuthHook; h != "" && !strings.HasPrefix(h, "http://") && !strings.HasPrefix(h, "https://") && !filepath.IsAbs(h) {
		return nil, fmt.Errorf("sftpd: keyboard_interactive_auth_hook must be an absolute path or an HTTP URL: %q", h)
	}
	s.certs, err = newCertAuth(configDir, cfg.TrustedUserCAKeys, cfg.RevokedUserCertsFile)
	if err != nil {
		return nil, err
	}
	if s.opk, err = newOPKSSH(cfg.OPKSSHPath, cfg.OPKSSHChecksum, s.hookRunner); err != nil {
		return nil, err
	}
	sc := &ssh.ServerConfig{
		MaxAuthTries:  cfg.MaxAuthTries,
		ServerVersion: serverVersion(srv.Config().ServerVersion),
	}
	if err := applyAlgorithms(sc, signers, cfg.KexAlgorithms, cfg.Ciphers, cfg.MACs, cfg.PublicKeyAlgorithms, cfg.HostKeyAlgorithms); err != nil {
		return nil, err
	}
	if cfg.LoginBannerFile != "" {
		banner, err := os.ReadFile(config.ResolvePath(configDir, cfg.LoginBannerFile))
		if err != nil {
			return nil, fmt.Errorf("sftpd: login banner: %w", err)
		}
		text := string(banner)
		sc.BannerCallback = func(ssh.ConnMetadata) string { return text }
	}
	s.setupAuth(sc)
	s.sshConfig = sc
	return s, nil
}

// HostKeyPaths returns the files the host keys were read from.
func (s *Server) HostKeyPaths() []string { return s.hostKeys }

func (s *Server) loadHostCertificates(signers *[]ssh.Signer) error {
	for _, name := range s.cfg.HostCertificates {
		data, err := os.ReadFile(config.ResolvePath(s.configDir, name))
		if err != nil {
			return fmt.Errorf("sftpd: host certificate: %w", err)
		}
		pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
		if err != nil {
			return fmt.Errorf("sftpd: parse host certificate %q: %w", name, err)
		}
		cert, ok := pub.(*ssh.Certificate)
		if !ok || cert.CertType != ssh.HostCert {
			return fmt.Errorf("sftpd: %q is not a host certificate", name)
		}
		matched := false
		for _, sg := range *signers {
			if string(sg.PublicKey().Marshal()) == string(cert.Key.Marshal()) {
				cs, err := ssh.NewCertSigner(cert, sg)
				if err != nil {
					return fmt.Errorf("sftpd: host certificate %q: %w", name, err)
				}
				*signers = append(*signers, cs)
				matched = true
				break
			}
		}
		if !matched {
			return fmt.Errorf("sftpd: host certificate %q matches no host key", name)
		}
	}
	return nil
}

// serverVersion builds the SSH identification string from
// common.server_version ("short"/"" → SFTPGo, "long" or another value →
// SFTPGo_<value>).
func serverVersion(v string) string {
	switch v {
	case "", "short":
		return "SSH-2.0-SFTPGo"
	case "long":
		return "SSH-2.0-SFTPGo_" + version.Get().Version
	default:
		return "SSH-2.0-SFTPGo_" + v
	}
}

// Start listens on every binding with a port > 0 and serves in the
// background until Shutdown. Bindings with apply_proxy_config read a PROXY protocol header as
// common.proxy_protocol says; a connection that breaks that policy is
// closed before the SSH banner is sent.
func (s *Server) Start(ctx context.Context) error {
	proxy, err := common.NewProxyPolicy(s.common.Config())
	if err != nil {
		return fmt.Errorf("sftpd: %w", err)
	}
	var lc net.ListenConfig
	for _, b := range s.cfg.Bindings {
		if b.Port <= 0 {
			continue
		}
		addr := net.JoinHostPort(b.Address, strconv.Itoa(b.Port))
		l, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			s.Shutdown(context.Background())
			return fmt.Errorf("sftpd: listen on %s: %w", addr, err)
		}
		if b.ApplyProxyConfig && proxy.Enabled() {
			l = edge.NewCheckingListener(proxy.Wrap(l, 0), func(a net.Addr, err error) {
				s.log.Info("connection refused", "remote", a.String(), "error", err)
			})
		}
		s.Serve(l)
	}
	return nil
}

// Serve accepts SSH connections from l in the background; Shutdown closes
// it. Tests inject listeners on 127.0.0.1:0 this way.
func (s *Server) Serve(l net.Listener) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		l.Close()
		return
	}
	s.listeners = append(s.listeners, l)
	s.wg.Add(1)
	s.mu.Unlock()
	s.log.Info("listening", "address", l.Addr().String())
	go func() {
		defer s.wg.Done()
		var delay time.Duration
		for {
			conn, err := l.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				// EMFILE, ENFILE, ECONNABORTED and the like pass: back
				// off and keep accepting while the server runs.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				if delay == time.Second || delay == 5*time.Millisecond {
					s.log.Error("accept failed; retrying", "error", err, "retry_in", delay)
				}
				time.Sleep(delay)
				continue
			}
			delay = 0
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.handleConn(conn)
			}()
		}
	}()
}

// Addrs returns the addresses being listened on.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]net.Addr, 0, len(s.listeners))
	for _, l := range s.listeners {
		out = append(out, l.Addr())
	}
	return out
}

// Shutdown stops listening, closes every SSH connection and waits for
// their goroutines or ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for _, l := range s.listeners {
		l.Close()
	}
	s.listeners = nil
	for c := range s.handshaking {
		c.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func newConnID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Server) handleConn(nc net.Conn) {
	defer nc.Close()
	remote := nc.RemoteAddr().String()
	release, err := s.common.AcceptClient(remote)
	if err != nil {
		s.log.Info("connection refused", "remote", remote, "error", err)
		return
	}
	defer release()
	if err := s.common.CheckConnection(context.Background(), dataprovider.ProtocolSSH, remote); err != nil {
		return
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	s.handshaking[nc] = struct{}{}
	s.mu.Unlock()
	nc.SetDeadline(time.Now().Add(handshakeTimeout))
	sconn, chans, reqs, err := ssh.NewServerConn(nc, s.sshConfig)
	s.mu.Lock()
	delete(s.handshaking, nc)
	s.mu.Unlock()
	if err != nil {
		s.log.Debug("handshake failed", "remote", remote, "error", err)
		// A client that left before trying any login method (a scanner,
		// a probe) gets SFTPGo's no_auth_tried line and the defender's
		// score_no_auth; failed methods were logged as they failed.
		var authErr *ssh.ServerAuthError
		if !errors.As(err, &authErr) {
			s.common.LoginFailed(remote, "", loginMethodNoAuthTried, protocolSSH, err)
			s.common.NoAuthAttempt(protocolSSH, remote)
			s.common.Metrics().NoAuth()
		}
		return
	}
	nc.SetDeadline(time.Time{})
	defer sconn.Close()
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	s.conns[sconn] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, sconn)
		s.mu.Unlock()
	}()
	go ssh.DiscardRequests(reqs)

	auth, _ := sconn.Permissions.ExtraData[authKey{}].(*authResult)
	if auth == nil || auth.login == nil {
		s.log.Error("authenticated connection without a user", "remote", remote)
		return
	}
	conn, err := s.common.OpenSession(auth.login, newConnID(), string(sconn.ClientVersion()), sconn.Close)
	if err != nil {
		return
	}
	defer conn.Close()
	conn.SetLocalAddr(sconn.LocalAddr().String())

	var wg sync.WaitGroup
	for nch := range chans {
		if nch.ChannelType() != "session" {
			nch.Reject(ssh.UnknownChannelType, "unsupported channel type")
			continue
		}
		ch, chReqs, err := nch.Accept()
		if err != nil {
			conn.Logger().Debug("accept channel", "error", err)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.handleSession(conn, ch, chReqs)
		}()
	}
	wg.Wait()
}

var _ Store = (*dataprovider.Store)(nil)
