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
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

type authKey struct{}

// authResult travels in ssh.Permissions.ExtraData from the callbacks to
// the connection handler.
type authResult struct {
	user   dataprovider.User
	method string
}

var errAuthFailed = errors.New("authentication failed")

const authTimeout = 30 * time.Second

func (s *Server) setupAuth(sc *ssh.ServerConfig) {
	if s.cfg.PasswordAuthentication {
		sc.PasswordCallback = func(conn ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
			return s.passwordLogin(conn, string(password), dataprovider.LoginMethodPassword)
		}
	}
	if s.cfg.KeyboardInteractiveAuthentication {
		sc.KeyboardInteractiveCallback = func(conn ssh.ConnMetadata, client ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			return s.keyboardInteractiveLogin(conn, client, dataprovider.LoginMethodKeyboardInteractive)
		}
	}
	sc.PublicKeyCallback = s.publicKeyCallback
	sc.VerifiedPublicKeyCallback = s.verifiedPublicKey
}

func (s *Server) loginFailed(conn ssh.ConnMetadata, method string, err error) {
	s.common.LoginFailed(conn.RemoteAddr().String(), conn.User(), method, protocolSSH, err)
}

// finishLogin applies the account checks shared by every protocol.
func (s *Server) finishLogin(conn ssh.ConnMetadata, user *dataprovider.User, method string) (*ssh.Permissions, error) {
	if err := s.common.CheckLogin(user, protocolSSH, method, conn.RemoteAddr().String()); err != nil {
		s.loginFailed(conn, method, err)
		return nil, err
	}
	return &ssh.Permissions{ExtraData: map[any]any{authKey{}: &authResult{user: *user, method: method}}}, nil
}

// passwordLogin serves the password method (alone or as the second step
// after a public key). Users with a second factor for SSH must use
// keyboard-interactive, which asks for the one-time code too.
func (s *Server) passwordLogin(conn ssh.ConnMetadata, password, method string) (*ssh.Permissions, error) {
	ctx, cancel := context.WithTimeout(context.Background(), authTimeout)
	defer cancel()
	user, err := s.store.CheckUserPassword(ctx, conn.User(), password)
	if err != nil {
		s.loginFailed(conn, method, err)
		return nil, errAuthFailed
	}
	if common.TOTPRequired(&user, protocolSSH) {
		s.loginFailed(conn, method, errors.New("two-factor authentication required: use keyboard-interactive"))
		return nil, errAuthFailed
	}
	return s.finishLogin(conn, &user, method)
}

// keyboardInteractiveLogin runs the hook when configured, else asks for
// the password and, when the user has a second factor for SSH, for the
// one-time code.
func (s *Server) keyboardInteractiveLogin(conn ssh.ConnMetadata, client ssh.KeyboardInteractiveChallenge, method string) (*ssh.Permissions, error) {
	if s.cfg.KeyboardInteractiveAuthHook != "" {
		return s.hookLogin(conn, client, method)
	}
	answers, err := client(conn.User(), "", []string{"Password: "}, []bool{false})
	if err != nil {
		return nil, err
	}
	if len(answers) != 1 {
		s.loginFailed(conn, method, errors.New("unexpected number of answers"))
		return nil, errAuthFailed
	}
	ctx, cancel := context.WithTimeout(context.Background(), authTimeout)
	defer cancel()
	user, err := s.store.CheckUserPassword(ctx, conn.User(), answers[0])
	if err != nil {
		s.loginFailed(conn, method, err)
		return nil, errAuthFailed
	}
	if common.TOTPRequired(&user, protocolSSH) {
		codes, err := client(conn.User(), "", []string{"Authentication code: "}, []bool{false})
		if err != nil {
			return nil, err
		}
		if len(codes) != 1 {
			s.loginFailed(conn, method, errors.New("unexpected number of answers"))
			return nil, errAuthFailed
		}
		if err := s.common.CheckTOTP(&user, codes[0], "sha1"); err != nil {
			s.loginFailed(conn, method, err)
			return nil, errAuthFailed
		}
	}
	return s.finishLogin(conn, &user, method)
}

// publicKeyCallback decides whether a key (or certificate) may be used;
// the client has not proven it holds the key yet, so nothing is recorded.
func (s *Server) publicKeyCallback(conn ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	ctx, cancel := context.WithTimeout(context.Background(), authTimeout)
	defer cancel()
	var user dataprovider.User
	var err error
	var critical map[string]string
	if cert, ok := key.(*ssh.Certificate); ok {
		if err = s.certs.check(conn.User(), cert); err == nil {
			user, err = s.store.GetEffectiveUser(ctx, conn.User())
			// the SSH library enforces source-address from here
			critical = cert.CriticalOptions
		}
	} else {
		user, err = s.store.CheckUserPublicKey(ctx, conn.User(), key.Marshal())
	}
	if err != nil {
		s.loginFailed(conn, dataprovider.LoginMethodPublicKey, err)
		return nil, errAuthFailed
	}
	return &ssh.Permissions{CriticalOptions: critical, ExtraData: map[any]any{authKey{}: &authResult{user: user}}}, nil
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
	if user.IsLoginMethodAllowed(dataprovider.LoginMethodPublicKey) {
		return s.finishLogin(conn, &user, dataprovider.LoginMethodPublicKey)
	}
	var next ssh.ServerAuthCallbacks
	if s.cfg.PasswordAuthentication && user.IsLoginMethodAllowed(dataprovider.LoginMethodKeyAndPassword) {
		next.PasswordCallback = func(conn ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
			if conn.User() != user.Username {
				return nil, errAuthFailed
			}
			return s.passwordLogin(conn, string(password), dataprovider.LoginMethodKeyAndPassword)
		}
	}
	if s.cfg.KeyboardInteractiveAuthentication && user.IsLoginMethodAllowed(dataprovider.LoginMethodKeyAndKeyboardInt) {
		next.KeyboardInteractiveCallback = func(conn ssh.ConnMetadata, client ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			if conn.User() != user.Username {
				return nil, errAuthFailed
			}
			return s.keyboardInteractiveLogin(conn, client, dataprovider.LoginMethodKeyAndKeyboardInt)
		}
	}
	if next.PasswordCallback == nil && next.KeyboardInteractiveCallback == nil {
		err := fmt.Errorf("login method %s is not allowed", dataprovider.LoginMethodPublicKey)
		s.loginFailed(conn, dataprovider.LoginMethodPublicKey, err)
		return nil, err
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
		data, err := os.ReadFile(resolvePath(configDir, f))
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
		data, err := os.ReadFile(resolvePath(configDir, revokedFile))
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
		IsRevoked: func(c *ssh.Certificate) bool {
			return a.revoked[ssh.FingerprintSHA256(c)] || a.revoked[ssh.FingerprintSHA256(c.Key)]
		},
	}
	if err := checker.CheckCert(username, cert); err != nil {
		return err
	}
	return nil
}
