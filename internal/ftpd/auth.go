package ftpd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"sync/atomic"

	ftpserver "github.com/fclairamb/ftpserverlib"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// session is the per-control-connection state, kept as the library
// client's Extra.
type session struct {
	fc *frontConn
	cc ftpserver.ClientContext
	// conn is set once logged in; the front reads it to mark activity.
	conn atomic.Pointer[common.BaseConnection]
}

func sessionOf(cc ftpserver.ClientContext) *session {
	if s, ok := cc.Extra().(*session); ok {
		return s
	}
	return nil
}

// ClientConnected implements ftpserver.MainDriver: the banner.
func (b *binding) ClientConnected(cc ftpserver.ClientContext) (string, error) {
	fc := frontOf(cc.RemoteAddr())
	if fc == nil {
		return "internal error", errors.New("control connection without a front")
	}
	sess := &session{fc: fc, cc: cc}
	fc.sess.Store(sess)
	cc.SetExtra(sess)
	return b.s.banner, nil
}

// ClientDisconnected implements ftpserver.MainDriver.
func (b *binding) ClientDisconnected(cc ftpserver.ClientContext) {
	if sess := sessionOf(cc); sess != nil {
		if conn := sess.conn.Load(); conn != nil {
			conn.Close()
			conn.Logger().Info("logout")
		}
	}
}

// PreAuthUser implements ftpserver.MainDriverExtensionUserVerifier. It
// runs on USER, before the library's own TLS checks.
func (b *binding) PreAuthUser(cc ftpserver.ClientContext, username string) error {
	if b.controlTLSRequired && !cc.HasTLSForControl() {
		err := errors.New("TLS is required on the control connection: use AUTH TLS first")
		b.s.common.LoginFailed(cc.RemoteAddr().String(), username, dataprovider.LoginMethodPassword, protocolFTP, err)
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), authTimeout)
	defer cancel()
	if u, err := b.s.store.GetEffectiveUser(ctx, username); err == nil && u.Filters.FTPSecurity == 1 {
		// the library then refuses USER without TLS, and data
		// connections without PROT P
		if err := cc.SetTLSRequirement(ftpserver.MandatoryEncryption); err != nil {
			return err
		}
		if !cc.HasTLSForControl() {
			b.s.common.LoginFailed(cc.RemoteAddr().String(), username, dataprovider.LoginMethodPassword, protocolFTP,
				errors.New("TLS is required for this user"))
		}
	}
	return nil
}

// VerifyConnection implements ftpserver.MainDriverExtensionTLSVerifier:
// on USER over TLS, a client certificate that names the user (see
// common.UsesCertificate) logs in without a password when the user
// allows TLSCertificate, or is checked now and a password asked for
// TLSCertificate+password.
func (b *binding) VerifyConnection(cc ftpserver.ClientContext, username string, _ *tls.Conn) (ftpserver.ClientDriver, error) {
	sess := sessionOf(cc)
	if sess == nil {
		return nil, errors.New("internal error")
	}
	leaf := sess.certificate()
	if leaf == nil {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), authTimeout)
	defer cancel()
	user, err := b.s.store.GetEffectiveUser(ctx, username)
	if err != nil || !common.UsesCertificate(&user) {
		// the certificate does not name users: password login
		return nil, nil
	}
	req := b.loginRequest(sess, username, dataprovider.LoginMethodTLSCertificate)
	req.Certificate = leaf
	switch {
	case user.IsLoginMethodAllowed(dataprovider.LoginMethodTLSCertificate):
		return b.finishLogin(ctx, sess, req)
	case user.IsLoginMethodAllowed(dataprovider.LoginMethodTLSCertificateAndPwd):
		req.Probe = true
		if _, err := b.s.common.Login(ctx, req); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// certificate returns the verified TLS client certificate of the control
// connection, if any.
func (sess *session) certificate() *x509.Certificate {
	st := sess.fc.TLSState()
	if st == nil || len(st.PeerCertificates) == 0 || len(st.VerifiedChains) == 0 {
		return nil
	}
	return st.PeerCertificates[0]
}

func (b *binding) loginRequest(sess *session, username, method string) common.LoginRequest {
	cc := sess.cc
	return common.LoginRequest{
		Protocol: protocolFTP, Method: method, Username: username, RemoteAddr: cc.RemoteAddr().String(),
		CodeInPassword: true,
		AccountCheck: func(u *dataprovider.User) error {
			if u.Filters.FTPSecurity == 1 && !cc.HasTLSForControl() {
				return common.NewLoginDenied("TLS is required for this user")
			}
			return nil
		},
	}
}

// AuthUser implements ftpserver.MainDriver: the password step (with the
// TLS client certificate, when one was presented).
func (b *binding) AuthUser(cc ftpserver.ClientContext, username, password string) (ftpserver.ClientDriver, error) {
	sess := sessionOf(cc)
	if sess == nil {
		return nil, errors.New("internal error")
	}
	ctx, cancel := context.WithTimeout(context.Background(), authTimeout)
	defer cancel()
	req := b.loginRequest(sess, username, dataprovider.LoginMethodPassword)
	req.Password = password
	req.Certificate = sess.certificate()
	return b.finishLogin(ctx, sess, req)
}

// finishLogin runs the shared login path and registers the connection.
func (b *binding) finishLogin(ctx context.Context, sess *session, req common.LoginRequest) (ftpserver.ClientDriver, error) {
	cc := sess.cc
	res, err := b.s.common.Login(ctx, req)
	if err != nil {
		return nil, err
	}
	conn, err := b.s.common.OpenSession(res, "FTP_"+newConnID(), cc.GetClientVersion(), func() error {
		sess.fc.close()
		return nil
	})
	if err != nil {
		return nil, err
	}
	conn.SetLocalAddr(cc.LocalAddr().String())
	sess.conn.Store(conn)
	start := "/"
	if sd := res.User.Filters.StartDirectory; sd != "" {
		start = dataprovider.CleanVirtualPath(sd)
		if fi, err := conn.Stat(conn.Context(), start); err != nil || !fi.IsDir() {
			start = "/"
		}
	}
	cc.SetPath(start)
	return newDriver(b, sess), nil
}

// PostAuthMessage implements ftpserver.MainDriverExtensionPostAuthMessage:
// the login greeting or failure message. Errors from the account checks
// are safe to show; credential mismatches say only that login failed.
func (b *binding) PostAuthMessage(_ ftpserver.ClientContext, _ string, authErr error) string {
	if authErr == nil {
		if b.s.cfg.LoginGreeting != "" {
			return b.s.cfg.LoginGreeting
		}
		return "Login successful"
	}
	if b.s.cfg.LoginFailureMessage != "" {
		return b.s.cfg.LoginFailureMessage
	}
	var ce *common.Error
	if errors.As(authErr, &ce) {
		return "Login failed: " + ce.Error()
	}
	return "Login failed: " + authErr.Error()
}

// QuitMessage implements ftpserver.MainDriverExtensionQuitMessage.
func (b *binding) QuitMessage() string {
	if b.s.cfg.LogoutMessage != "" {
		return b.s.cfg.LogoutMessage
	}
	return "Goodbye"
}

var (
	_ ftpserver.MainDriverExtensionUserVerifier    = (*binding)(nil)
	_ ftpserver.MainDriverExtensionTLSVerifier     = (*binding)(nil)
	_ ftpserver.MainDriverExtensionPostAuthMessage = (*binding)(nil)
	_ ftpserver.MainDriverExtensionQuitMessage     = (*binding)(nil)
	_ ftpserver.MainDriverExtensionPassiveWrapper  = (*binding)(nil)
	_ ftpserver.MainDriverExtensionUserVerifier    = (*binding)(nil)
)
