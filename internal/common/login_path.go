package common

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// Sentinels of the login path, besides ErrLoginDenied,
// ErrConnectionLimit and ErrStorageUnavailable.
var (
	// ErrAuthFailed: the credentials are wrong or the user is unknown.
	// Its message never says which.
	ErrAuthFailed = errors.New("authentication failed")
	// ErrProviderUnavailable: the data provider failed; not the client's
	// fault.
	ErrProviderUnavailable = errors.New("the data provider is not available")
)

// LoginStore is what the login path needs from the data provider;
// *dataprovider.Store satisfies it. Server finds it on Deps.Store.
type LoginStore interface {
	GetEffectiveUser(ctx context.Context, username string) (dataprovider.User, error)
	// CheckUserPassword verifies a password (through the store's
	// password cache) and returns the effective user.
	CheckUserPassword(ctx context.Context, username, password string) (dataprovider.User, error)
	CheckUserPublicKey(ctx context.Context, username string, pubKey []byte) (dataprovider.User, error)
}

// Verifier checks a credential only the protocol understands for user.
type Verifier func(ctx context.Context, user *dataprovider.User) error

// LoginRequest is one authentication attempt of any protocol.
type LoginRequest struct {
	// Protocol is dataprovider.ProtocolSSH, ProtocolFTP, ProtocolWebDAV
	// or ProtocolHTTP.
	Protocol string
	// Method is what the client offered, a dataprovider.LoginMethod*
	// value. A password sent together with a TLS client certificate is
	// LoginMethodPassword: Login decides whether the certificate takes
	// part (LoginResult.Method is then TLSCertificate+password).
	Method   string
	Username string
	// Password for password, keyboard-interactive (the answer to the
	// password prompt) and the two-step methods.
	Password string
	// PublicKey is the SSH public key in wire format (publickey and
	// publickey+*), checked against the user's public_keys unless
	// VerifyKey is set.
	PublicKey []byte
	// VerifyKey replaces the public_keys check (SSH user certificates,
	// checked against sftpd's trusted CAs).
	VerifyKey Verifier
	// VerifyInteractive replaces the password check of
	// keyboard-interactive (the keyboard-interactive hook's dialogue);
	// the hook then also stands for the second factor.
	VerifyInteractive Verifier
	// Certificate is the TLS client certificate, already verified by the
	// handshake against the configured CAs; nil without one.
	Certificate *x509.Certificate
	// RemoteAddr is the client address ("ip:port" or "ip").
	RemoteAddr string
	// SecondFactor asks the client for its one-time code when the user
	// has TOTP enabled for Protocol. nil: the protocol cannot ask, and
	// such users are refused unless CodeInPassword.
	SecondFactor func(ctx context.Context) (string, error)
	// CodeInPassword: for users with TOTP, the one-time code is the last
	// six characters of Password (FTP clients have no other field).
	CodeInPassword bool
	// AccountCheck is a protocol's own account rule, run with the account
	// checks (FTP: ftp_security).
	AccountCheck func(user *dataprovider.User) error
	// IdentityVerified: for LoginMethodIDP, the identity provider has
	// authenticated Username (its ID token was verified); without it an
	// IDP login fails.
	IdentityVerified bool
	// IDPFields are the ID token claims named by oidc.custom_fields,
	// passed to the pre-login hook as "oidc_custom_fields".
	IDPFields map[string]any
	// Probe stops after the credential check: nothing is recorded on
	// success. SSH uses it when a client asks whether a key would do,
	// FTP when it sees a certificate at USER; failures are recorded as
	// usual.
	Probe bool
}

// LoginResult is a successful login.
type LoginResult struct {
	// User is the effective user, home_dir filled in.
	User dataprovider.User
	// Method is the method that succeeded (see LoginRequest.Method).
	Method     string
	Protocol   string
	RemoteAddr string
}

// usesPassword reports whether method includes a password (for the
// password_failed login delay and the second factor).
func usesPassword(method string) bool {
	switch method {
	case dataprovider.LoginMethodPassword, dataprovider.LoginMethodKeyboardInteractive,
		dataprovider.LoginMethodKeyAndPassword, dataprovider.LoginMethodKeyAndKeyboardInt,
		dataprovider.LoginMethodTLSCertificateAndPwd:
		return true
	}
	return false
}

// Login is the one login path of every protocol. In order:
//
//  1. the defender's ban list and the rate limiters (client IP only);
//  2. the stored user, and its allowed_ip/denied_ip filters;
//  3. the external auth hook, or else the pre-login hook;
//  4. the credentials: check-password hook, then the stored password
//     (through the password cache), public key, SSH certificate or TLS
//     client certificate (see certificateMethod);
//  5. the account: status, expiration, denied protocols and login
//     methods, IP filters again, the protocol's own rule;
//  6. the second factor (TOTP) for methods with a password;
//  7. the home storage, built once: a home that cannot be built refuses
//     the login;
//  8. max_sessions;
//  9. the outcome: the log line (with the method actually used), last
//     login, defender event, post-login hook, and the login delay
//     (common.defender.login_delay).
//
// The error is safe to show; its kind (errors.Is) is ErrAuthFailed,
// ErrLoginDenied, ErrConnectionLimit, ErrStorageUnavailable or
// ErrProviderUnavailable.
func (s *Server) Login(ctx context.Context, req LoginRequest) (*LoginResult, error) {
	st := &loginState{req: &req, method: req.Method}
	res, err := s.login(ctx, st)
	if err != nil {
		s.loginOutcome(ctx, st, err)
		return nil, err
	}
	if !req.Probe {
		s.loginOutcome(ctx, st, nil)
	}
	return res, nil
}

// loginState is what one Login learns on the way.
type loginState struct {
	req    *LoginRequest
	method string // the method used, once known
	user   *dataprovider.User
	detail error // the reason for the log, when it differs from the error shown
}

func (st *loginState) fail(public, detail error) error {
	st.detail = detail
	return public
}

func authFailed() error { return newErr(ErrAuthFailed, "authentication failed") }

func (s *Server) login(ctx context.Context, st *loginState) (*LoginResult, error) {
	req := st.req
	store, ok := s.deps.Store.(LoginStore)
	if !ok {
		return nil, st.fail(newErr(ErrProviderUnavailable, ErrProviderUnavailable.Error()),
			errors.New("the store cannot check credentials"))
	}
	h := s.deps.Login
	ip := hostOf(req.RemoteAddr)
	// 1. client IP
	if s.ipRefused(req.Protocol, ip) {
		return nil, newErr(ErrLoginDenied, "your IP address is blocked")
	}
	if h.RateLimiter != nil {
		if err := h.RateLimiter.Wait(ctx, req.Protocol, ip); err != nil {
			return nil, st.fail(newErr(ErrConnectionLimit, "too many login attempts, retry later"), err)
		}
	}
	// 2. stored user and its IP filters
	if req.Username == "" {
		return nil, st.fail(authFailed(), errors.New("no username"))
	}
	if u, err := store.GetEffectiveUser(ctx, req.Username); err == nil {
		st.user = &u
	} else if !errors.Is(err, dataprovider.ErrNotFound) {
		return nil, st.fail(newErr(ErrProviderUnavailable, ErrProviderUnavailable.Error()), err)
	}
	if st.user != nil && !st.user.IsLoginFromAddrAllowed(req.RemoteAddr) {
		return nil, newErr(ErrLoginDenied, "login from this address is not allowed")
	}
	// 3. hooks that may provide the user or authenticate
	external := false
	if h.ExternalAuth != nil && req.Method != dataprovider.LoginMethodIDP {
		u, handled, err := h.ExternalAuth.Authenticate(ctx, req, st.user)
		if handled {
			if err != nil || u == nil {
				return nil, st.fail(authFailed(), fmt.Errorf("external auth: %w", errOr(err, "no user")))
			}
			st.user, external = u, true
		}
	}
	if !external && h.PreLogin != nil {
		u, err := h.PreLogin.Run(ctx, req, st.user)
		if err != nil {
			return nil, st.fail(newErr(ErrLoginDenied, "login refused by the pre-login hook"), err)
		}
		if u != nil {
			st.user = u
		}
	}
	// 4. credentials
	password, code := req.Password, ""
	if req.CodeInPassword && st.user != nil && TOTPRequired(st.user, req.Protocol) && usesPassword(req.Method) {
		if len(password) > 6 {
			password, code = password[:len(password)-6], password[len(password)-6:]
		}
	}
	if !external {
		if err := s.checkCredentials(ctx, store, st, password); err != nil {
			return nil, err
		}
	} else {
		// the hook checked the secrets; a certificate still names the
		// method
		st.method = certificateMethodFor(req, st.user)
	}
	if st.user == nil {
		u, err := store.GetEffectiveUser(ctx, req.Username)
		if err != nil {
			return nil, st.fail(authFailed(), err)
		}
		st.user = &u
	}
	user := *st.user
	st.user = &user
	if req.Probe {
		return &LoginResult{User: user, Method: st.method, Protocol: req.Protocol, RemoteAddr: req.RemoteAddr}, nil
	}
	// 5. account
	if err := s.CheckLogin(&user, req.Protocol, st.method, req.RemoteAddr); err != nil {
		return nil, err
	}
	if req.AccountCheck != nil {
		if err := req.AccountCheck(&user); err != nil {
			return nil, err
		}
	}
	// 6. second factor
	if err := s.checkSecondFactor(ctx, st, code); err != nil {
		return nil, err
	}
	// 7. home storage
	if err := s.checkHomeStorage(&user); err != nil {
		return nil, err
	}
	// 8. sessions
	if user.MaxSessions > 0 {
		if n := s.ActiveSessions(user.Username); n >= user.MaxSessions {
			return nil, newErr(ErrConnectionLimit, fmt.Sprintf("too many open sessions: %d", n))
		}
	}
	return &LoginResult{User: user, Method: st.method, Protocol: req.Protocol, RemoteAddr: req.RemoteAddr}, nil
}

func errOr(err error, msg string) error {
	if err != nil {
		return err
	}
	return errors.New(msg)
}

// checkCredentials verifies what req carries for its method and sets
// st.method to the method actually used.
func (s *Server) checkCredentials(ctx context.Context, store LoginStore, st *loginState, password string) error {
	req := st.req
	switch req.Method {
	case dataprovider.LoginMethodPassword:
		if err := s.checkCertificate(st); err != nil {
			return err
		}
		return s.checkPassword(ctx, store, st, password)
	case dataprovider.LoginMethodTLSCertificateAndPwd:
		if req.Certificate == nil {
			return st.fail(authFailed(), errors.New("no TLS client certificate"))
		}
		if err := s.checkCertificate(st); err != nil {
			return err
		}
		if st.method != dataprovider.LoginMethodTLSCertificateAndPwd {
			return st.fail(authFailed(), errors.New("the user does not accept TLS certificate logins"))
		}
		return s.checkPassword(ctx, store, st, password)
	case dataprovider.LoginMethodTLSCertificate:
		if err := s.checkCertificate(st); err != nil {
			return err
		}
		if st.method != dataprovider.LoginMethodTLSCertificate {
			return st.fail(authFailed(), errors.New("the user does not accept TLS certificate logins"))
		}
		return nil
	case dataprovider.LoginMethodKeyboardInteractive:
		return s.checkInteractive(ctx, store, st, password)
	case dataprovider.LoginMethodPublicKey:
		return s.checkKey(ctx, store, st)
	case dataprovider.LoginMethodKeyAndPassword:
		if err := s.checkKey(ctx, store, st); err != nil {
			return err
		}
		return s.checkPassword(ctx, store, st, password)
	case dataprovider.LoginMethodKeyAndKeyboardInt:
		if err := s.checkKey(ctx, store, st); err != nil {
			return err
		}
		return s.checkInteractive(ctx, store, st, password)
	case dataprovider.LoginMethodIDP:
		if !req.IdentityVerified {
			return st.fail(authFailed(), errors.New("the identity provider did not verify the user"))
		}
		return nil
	}
	return st.fail(authFailed(), fmt.Errorf("unsupported login method %q", req.Method))
}

func credentialError(st *loginState, err error) error {
	if errors.Is(err, dataprovider.ErrInvalidCredentials) || errors.Is(err, dataprovider.ErrNotFound) {
		return st.fail(authFailed(), err)
	}
	return st.fail(newErr(ErrProviderUnavailable, ErrProviderUnavailable.Error()), err)
}

func (s *Server) checkPassword(ctx context.Context, store LoginStore, st *loginState, password string) error {
	req := st.req
	if h := s.deps.Login.CheckPassword; h != nil {
		res, handled, err := h.Check(ctx, req, password)
		if err != nil {
			return st.fail(authFailed(), fmt.Errorf("check password hook: %w", err))
		}
		if handled {
			switch res.Status {
			case 1:
				return nil
			case 2:
				password = res.ToVerify
			default:
				return st.fail(authFailed(), errors.New("refused by the check password hook"))
			}
		}
	}
	if _, err := store.CheckUserPassword(ctx, req.Username, password); err != nil {
		return credentialError(st, err)
	}
	return nil
}

func (s *Server) checkKey(ctx context.Context, store LoginStore, st *loginState) error {
	req := st.req
	if req.VerifyKey != nil {
		if st.user == nil {
			return st.fail(authFailed(), errors.New("unknown user"))
		}
		if err := req.VerifyKey(ctx, st.user); err != nil {
			return st.fail(authFailed(), err)
		}
		return nil
	}
	if len(req.PublicKey) == 0 {
		return st.fail(authFailed(), errors.New("no public key"))
	}
	if _, err := store.CheckUserPublicKey(ctx, req.Username, req.PublicKey); err != nil {
		return credentialError(st, err)
	}
	return nil
}

func (s *Server) checkInteractive(ctx context.Context, store LoginStore, st *loginState, password string) error {
	req := st.req
	if req.VerifyInteractive == nil {
		return s.checkPassword(ctx, store, st, password)
	}
	if st.user == nil {
		return st.fail(authFailed(), errors.New("unknown user"))
	}
	if err := req.VerifyInteractive(ctx, st.user); err != nil {
		return st.fail(authFailed(), err)
	}
	return nil
}

// UsesCertificate reports whether a TLS client certificate is an identity
// for user: filters.tls_username "CommonName". With "" or "None" a
// certificate plays no part in the login (the TLS handshake may still
// require one).
func UsesCertificate(user *dataprovider.User) bool {
	return user != nil && user.Filters.TLSUsername == "CommonName"
}

// checkCertificate applies the one rule for TLS client certificates (FTP,
// WebDAV, HTTP) and sets st.method:
//   - no certificate, or a user that does not use certificates (see
//     UsesCertificate): the certificate is ignored, the method is the one
//     requested (a certificate-only request then fails);
//   - otherwise the certificate's common name must be the username and,
//     when the user lists tls_certs, the certificate one of them, or the
//     login fails;
//   - a matching certificate alone logs in as TLSCertificate; with a
//     password as TLSCertificate+password when the user allows it, else as
//     password.
func (s *Server) checkCertificate(st *loginState) error {
	req := st.req
	st.method = req.Method
	if req.Certificate == nil || !UsesCertificate(st.user) {
		if req.Method == dataprovider.LoginMethodTLSCertificate {
			if req.Certificate == nil {
				return st.fail(authFailed(), errors.New("no TLS client certificate"))
			}
			return st.fail(authFailed(), errors.New("the user does not accept TLS certificate logins"))
		}
		if req.Method == dataprovider.LoginMethodTLSCertificateAndPwd {
			st.method = dataprovider.LoginMethodPassword
		}
		return nil
	}
	if cn := req.Certificate.Subject.CommonName; cn != st.user.Username {
		st.method = certificateMethodFor(req, st.user)
		return st.fail(authFailed(), fmt.Errorf("TLS certificate common name %q does not match the username", cn))
	}
	if len(st.user.Filters.TLSCerts) > 0 && !certificateListed(req.Certificate, st.user.Filters.TLSCerts) {
		st.method = certificateMethodFor(req, st.user)
		return st.fail(authFailed(), errors.New("the TLS certificate is not one of the user's certificates"))
	}
	st.method = certificateMethodFor(req, st.user)
	return nil
}

// certificateMethodFor is the method a request with a certificate that
// names user logs in with.
func certificateMethodFor(req *LoginRequest, user *dataprovider.User) string {
	if req.Certificate == nil || !UsesCertificate(user) {
		return req.Method
	}
	switch req.Method {
	case dataprovider.LoginMethodTLSCertificate:
		return dataprovider.LoginMethodTLSCertificate
	case dataprovider.LoginMethodPassword, dataprovider.LoginMethodTLSCertificateAndPwd:
		if user.IsLoginMethodAllowed(dataprovider.LoginMethodTLSCertificateAndPwd) {
			return dataprovider.LoginMethodTLSCertificateAndPwd
		}
		return dataprovider.LoginMethodPassword
	}
	return req.Method
}

// certificateListed reports whether cert is one of the PEM certificates.
func certificateListed(cert *x509.Certificate, pinned []string) bool {
	for _, p := range pinned {
		rest := []byte(strings.TrimSpace(p))
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			if bytes.Equal(block.Bytes, cert.Raw) {
				return true
			}
		}
	}
	return false
}

// checkSecondFactor asks for and checks the one-time code of users with
// TOTP for the protocol, on methods with a password. Public keys and
// certificates alone are not asked, nor is the keyboard-interactive hook,
// which runs its own dialogue.
func (s *Server) checkSecondFactor(ctx context.Context, st *loginState, code string) error {
	req := st.req
	if !TOTPRequired(st.user, req.Protocol) || !usesPassword(st.method) {
		return nil
	}
	if req.VerifyInteractive != nil && (st.method == dataprovider.LoginMethodKeyboardInteractive ||
		st.method == dataprovider.LoginMethodKeyAndKeyboardInt) {
		return nil
	}
	switch {
	case req.CodeInPassword:
		if code == "" {
			return st.fail(authFailed(), errors.New("no one-time code appended to the password"))
		}
	case req.SecondFactor != nil:
		var err error
		if code, err = req.SecondFactor(ctx); err != nil {
			return st.fail(authFailed(), fmt.Errorf("one-time code: %w", err))
		}
	default:
		msg := "two-factor authentication is required"
		if req.Protocol == dataprovider.ProtocolSSH {
			msg += ": use keyboard-interactive"
		}
		return newErr(ErrLoginDenied, msg)
	}
	if err := s.checkCode(ctx, st.user, code, !req.CodeInPassword); err != nil {
		return st.fail(authFailed(), err)
	}
	return nil
}

// loginOutcome records a finished attempt: the log line, the last login,
// the defender event and the post-login hook, then waits the configured
// login delay.
func (s *Server) loginOutcome(ctx context.Context, st *loginState, err error) {
	req := st.req
	h := s.deps.Login
	ip := hostOf(req.RemoteAddr)
	delay := time.Duration(s.cfg.Defender.LoginDelay.Success) * time.Millisecond
	s.deps.Metrics.LoginDone(st.method, req.Protocol, err == nil)
	if errors.Is(err, ErrProviderUnavailable) {
		s.deps.Metrics.ProviderQueryFailed()
	}
	if err != nil {
		detail := err
		if st.detail != nil {
			detail = st.detail
		}
		s.LoginFailed(req.RemoteAddr, req.Username, st.method, req.Protocol, detail)
		if h.Defender != nil {
			ev := DefenderLoginFailed
			switch {
			case errors.Is(err, ErrConnectionLimit):
				ev = DefenderLimitExceeded
			case st.user == nil:
				ev = DefenderUserNotFound
			}
			h.Defender.AddEvent(ip, req.Protocol, ev)
		}
		delay = 0
		if usesPassword(st.method) || usesPassword(req.Method) {
			delay = time.Duration(s.cfg.Defender.LoginDelay.PasswordFailed) * time.Millisecond
		}
	} else {
		s.LoginSucceeded(ctx, st.user, req.Protocol, st.method, req.RemoteAddr)
		if h.Defender != nil {
			h.Defender.AddEvent(ip, req.Protocol, DefenderLoginSucceeded)
		}
	}
	if h.PostLogin != nil {
		h.PostLogin.Notify(req, st.user, st.method, err)
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
}

// OpenSession creates and registers the connection of a successful login
// (max_sessions is enforced again here, where it cannot race). On error
// it has logged the failure with the login's method.
func (s *Server) OpenSession(res *LoginResult, id, clientVersion string, disconnect func() error) (*BaseConnection, error) {
	conn := s.NewConnection(id, res.Protocol, res.RemoteAddr, clientVersion, res.User, disconnect)
	if err := s.AddConnection(conn); err != nil {
		conn.Close()
		s.LoginFailed(res.RemoteAddr, res.User.Username, res.Method, res.Protocol, err)
		return nil, err
	}
	return conn, nil
}

// LoginFailureMessage is what a client may be told about a failed login:
// empty for wrong credentials, the reason otherwise.
func LoginFailureMessage(err error) string {
	var ce *Error
	if err == nil || errors.Is(err, ErrAuthFailed) || !errors.As(err, &ce) {
		return ""
	}
	return ce.Error()
}

// NewLoginDenied returns an ErrLoginDenied error with a message safe to
// show, for LoginRequest.AccountCheck.
func NewLoginDenied(msg string) error { return newErr(ErrLoginDenied, msg) }
