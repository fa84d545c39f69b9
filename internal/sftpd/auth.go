package sftpd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

type authKey struct{}

// authResult travels in ssh.Permissions.ExtraData from the callbacks to
// the connection handler: the probed user after the key query, the login
// once complete.
type authResult struct {
	user  dataprovider.User
	login *common.LoginResult
}

var errAuthFailed = errors.New("authentication failed")

const authTimeout = 30 * time.Second

func (s *Server) setupAuth(sc *ssh.ServerConfig) {
	if s.cfg.PasswordAuthentication {
		sc.PasswordCallback = func(conn ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
			return s.passwordLogin(conn, string(password), dataprovider.LoginMethodPassword, nil)
		}
	}
	if s.cfg.KeyboardInteractiveAuthentication {
		sc.KeyboardInteractiveCallback = func(conn ssh.ConnMetadata, client ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			return s.keyboardInteractiveLogin(conn, client, dataprovider.LoginMethodKeyboardInteractive, nil)
		}
	}
	sc.PublicKeyCallback = s.publicKeyCallback
	sc.VerifiedPublicKeyCallback = s.verifiedPublicKey
}

func (s *Server) loginRequest(conn ssh.ConnMetadata, method string, key *keyCredential) common.LoginRequest {
	req := common.LoginRequest{Protocol: protocolSSH, Method: method, Username: conn.User(), RemoteAddr: conn.RemoteAddr().String()}
	if key != nil {
		req.PublicKey, req.VerifyKey = key.wire, key.verify
	}
	return req
}

// login runs the shared login path; a refusal the client may know the
// reason of (not wrong credentials) goes back as a banner too.
func (s *Server) login(req common.LoginRequest) (*ssh.Permissions, error) {
	timeout := authTimeout
	if req.VerifyInteractive != nil {
		timeout += kbdHookTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res, err := s.common.Login(ctx, req)
	if err != nil {
		if msg := common.LoginFailureMessage(err); msg != "" {
			return nil, &ssh.BannerError{Err: errAuthFailed, Message: "Login refused: " + msg + "\r\n"}
		}
		return nil, errAuthFailed
	}
	return &ssh.Permissions{ExtraData: map[any]any{authKey{}: &authResult{user: res.User, login: res}}}, nil
}

// keyCredential is the public key (or certificate) of a two-step login.
type keyCredential struct {
	wire   []byte
	verify common.Verifier
}

func (s *Server) keyOf(conn ssh.ConnMetadata, key ssh.PublicKey) *keyCredential {
	k := &keyCredential{wire: key.Marshal()}
	if cert, ok := key.(*ssh.Certificate); ok {
		username := conn.User()
		if s.opk != nil {
			k.verify = func(ctx context.Context, _ *dataprovider.User) error {
				if s.certs.isRevoked(cert) {
					return errors.New("revoked certificate")
				}
				return s.opk.check(ctx, username, cert)
			}
		} else {
			k.verify = func(context.Context, *dataprovider.User) error { return s.certs.check(username, cert) }
		}
	}
	return k
}

// passwordLogin serves the password method (alone or as the second step
// after a public key). Users with a second factor for SSH must use
// keyboard-interactive, which asks for the one-time code too.
func (s *Server) passwordLogin(conn ssh.ConnMetadata, password, method string, key *keyCredential) (*ssh.Permissions, error) {
	req := s.loginRequest(conn, method, key)
	req.Password = password
	return s.login(req)
}

// keyboardInteractiveLogin runs the hook when configured, else asks for
// the password and, when the user has a second factor for SSH, for the
// one-time code.
func (s *Server) keyboardInteractiveLogin(conn ssh.ConnMetadata, client ssh.KeyboardInteractiveChallenge, method string, key *keyCredential) (*ssh.Permissions, error) {
	req := s.loginRequest(conn, method, key)
	if s.cfg.KeyboardInteractiveAuthHook != "" {
		req.VerifyInteractive = func(ctx context.Context, user *dataprovider.User) error {
			return s.hookLogin(ctx, conn, client, user)
		}
		return s.login(req)
	}
	// an empty name: OpenSSH prints a non-empty one as a line of its own
	answers, err := client("", "", []string{"Password: "}, []bool{false})
	if err != nil {
		return nil, err
	}
	if len(answers) != 1 {
		s.common.LoginFailed(conn.RemoteAddr().String(), conn.User(), method, protocolSSH, errors.New("unexpected number of answers"))
		return nil, errAuthFailed
	}
	req.Password = answers[0]
	req.SecondFactor = func(context.Context) (string, error) {
		codes, err := client("", "", []string{"Authentication code: "}, []bool{false})
		if err != nil {
			return "", err
		}
		if len(codes) != 1 {
			return "", errors.New("unexpected number of answers")
		}
		return codes[0], nil
	}
	return s.login(req)
}

// publicKeyCallback decides whether a key (or certificate) may be used;
// the client has not proven it holds the key yet, so the login path only
// probes the credential.
func (s *Server) publicKeyCallback(conn ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	var critical map[string]string
	if cert, ok := key.(*ssh.Certificate); ok {
		// the SSH library enforces source-address from here
		critical = cert.CriticalOptions
	}
	req := s.loginRequest(conn, dataprovider.LoginMethodPublicKey, s.keyOf(conn, key))
	req.Probe = true
	ctx, cancel := context.WithTimeout(context.Background(), authTimeout)
	defer cancel()
	res, err := s.common.Login(ctx, req)
	if err != nil {
		return nil, errAuthFailed
	}
	return &ssh.Permissions{CriticalOptions: critical, ExtraData: map[any]any{authKey{}: &authResult{user: res.User}}}, nil
}

// verifiedPublicKey completes a public key login, or asks for a second
// step when the user allows public key logins only together with a
// password (publickey+password) or keyboard-interactive
// (publickey+keyboard-interactive).
func (s *Server) verifiedPublicKey(conn ssh.ConnMetadata, key ssh.PublicKey, perms *ssh.Permissions, _ string) (*ssh.Permissions, error) {
	res, _ := perms.ExtraData[authKey{}].(*authResult)
	if res == nil {
		return nil, errAuthFailed
	}
	user := res.user
	cred := s.keyOf(conn, key)
	var next ssh.ServerAuthCallbacks
	if !user.IsLoginMethodAllowed(dataprovider.LoginMethodPublicKey) {
		if s.cfg.PasswordAuthentication && user.IsLoginMethodAllowed(dataprovider.LoginMethodKeyAndPassword) {
			next.PasswordCallback = func(conn ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
				if conn.User() != user.Username {
					return nil, errAuthFailed
				}
				return s.passwordLogin(conn, string(password), dataprovider.LoginMethodKeyAndPassword, cred)
			}
		}
		if s.cfg.KeyboardInteractiveAuthentication && user.IsLoginMethodAllowed(dataprovider.LoginMethodKeyAndKeyboardInt) {
			next.KeyboardInteractiveCallback = func(conn ssh.ConnMetadata, client ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
				if conn.User() != user.Username {
					return nil, errAuthFailed
				}
				return s.keyboardInteractiveLogin(conn, client, dataprovider.LoginMethodKeyAndKeyboardInt, cred)
			}
		}
	}
	if next.PasswordCallback == nil && next.KeyboardInteractiveCallback == nil {
		// a key alone, or refused with the reason logged
		p, err := s.login(s.loginRequest(conn, dataprovider.LoginMethodPublicKey, cred))
		if err != nil {
			return nil, err
		}
		p.CriticalOptions = perms.CriticalOptions
		return p, nil
	}
	return nil, &ssh.PartialSuccessError{Next: next}
}

// certAuth validates user certificates against trusted_user_ca_keys and
// the revoked certificates list.
type certAuth struct {
	cas     [][]byte
	revoked map[string]bool
}

func newCertAuth(configDir string, caFiles []string, revokedFile string) (*certAuth, error) {
	a := &certAuth{revoked: map[string]bool{}}
	for _, f := range caFiles {
		data, err := os.ReadFile(config.ResolvePath(configDir, f))
		if err != nil {
			return nil, fmt.Errorf("sftpd: trusted user CA keys: %w", err)
		}
		for len(data) > 0 {
			pub, _, _, rest, err := ssh.ParseAuthorizedKey(data)
			if err != nil {
				break
			}
			a.cas = append(a.cas, pub.Marshal())
			data = rest
		}
	}
	if revokedFile != "" {
		data, err := os.ReadFile(config.ResolvePath(configDir, revokedFile))
		if err != nil {
			return nil, fmt.Errorf("sftpd: revoked user certificates: %w", err)
		}
		var fps []string
		if err := json.Unmarshal(data, &fps); err != nil {
			return nil, fmt.Errorf("sftpd: revoked user certificates must be a JSON list of fingerprints: %w", err)
		}
		for _, fp := range fps {
			a.revoked[fp] = true
		}
	}
	return a, nil
}

// isRevoked reports whether the certificate or its key is listed in
// revoked_user_certs_file.
func (a *certAuth) isRevoked(c *ssh.Certificate) bool {
	return a.revoked[ssh.FingerprintSHA256(c)] || a.revoked[ssh.FingerprintSHA256(c.Key)]
}

func (a *certAuth) check(username string, cert *ssh.Certificate) error {
	if len(a.cas) == 0 {
		return errors.New("certificate login without trusted user CA keys")
	}
	if cert.CertType != ssh.UserCert {
		return errors.New("not a user certificate")
	}
	trusted := false
	for _, ca := range a.cas {
		if string(ca) == string(cert.SignatureKey.Marshal()) {
			trusted = true
			break
		}
	}
	if !trusted {
		return errors.New("certificate signed by an untrusted authority")
	}
	// a certificate without principals would be valid for every user
	if len(cert.ValidPrincipals) == 0 {
		return errors.New("certificate without principals")
	}
	checker := ssh.CertChecker{
		SupportedCriticalOptions: []string{"source-address"},
		IsRevoked:                a.isRevoked,
	}
	if err := checker.CheckCert(username, cert); err != nil {
		return err
	}
	return nil
}
