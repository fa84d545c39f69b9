package ftpd

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// session is the per-control-connection state, kept as the library
// client's Extra.
type session struct {
	fc *frontConn
	cc ftpserver.ClientContext
	// certUser is the user whose certificate was accepted at USER and
	// who must still send a password (TLSCertificate+password).
	certUser string
	// conn is set once logged in; the front reads it to mark activity.
	conn atomic.Pointer[common.BaseConnection]
}

func sessionOf(cc ftpserver.ClientContext) *session {
	if s, ok := cc.Extra().(*session); ok {
		return s
	}
	return nil
}

var errAuthFailed = errors.New("authentication failed")

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
// on USER over TLS, a client certificate whose common name is the user
// (tls_username CommonName) logs in without a password when the user
// allows TLSCertificate, or is remembered for TLSCertificate+password.
func (b *binding) VerifyConnection(cc ftpserver.ClientContext, username string, _ *tls.Conn) (ftpserver.ClientDriver, error) {
	sess := sessionOf(cc)
	if sess == nil {
		return nil, errors.New("internal error")
	}
	st := sess.fc.TLSState()
	if st == nil || len(st.PeerCertificates) == 0 || len(st.VerifiedChains) == 0 {
		return nil, nil
	}
	leaf := st.PeerCertificates[0]
	remote := cc.RemoteAddr().String()
	ctx, cancel := context.WithTimeout(context.Background(), authTimeout)
	defer cancel()
	user, err := b.s.store.GetEffectiveUser(ctx, username)
	if err != nil || user.Filters.TLSUsername != "CommonName" {
		// the certificate does not name users: password login
		return nil, nil
	}
	if leaf.Subject.CommonName != username {
		err := fmt.Errorf("certificate common name %q does not match user", leaf.Subject.CommonName)
		b.s.common.LoginFailed(remote, username, dataprovider.LoginMethodTLSCertificate, protocolFTP, err)
		return nil, errAuthFailed
	}
	if len(user.Filters.TLSCerts) > 0 && !certPinned(leaf, user.Filters.TLSCerts) {
		err := errors.New("certificate is not one of the user's certificates")
		b.s.common.LoginFailed(remote, username, dataprovider.LoginMethodTLSCertificate, protocolFTP, err)
		return nil, errAuthFailed
	}
	switch {
	case user.IsLoginMethodAllowed(dataprovider.LoginMethodTLSCertificate):
		return b.finishLogin(sess, &user, dataprovider.LoginMethodTLSCertificate)
	case user.IsLoginMethodAllowed(dataprovider.LoginMethodTLSCertificateAndPwd):
		sess.certUser = username
	}
	return nil, nil
}

// certPinned reports whether leaf is one of the PEM certificates listed.
func certPinned(leaf *x509.Certificate, pinned []string) bool {
	for _, p := range pinned {
		block, _ := pem.Decode([]byte(strings.TrimSpace(p)))
		if block == nil {
			continue
		}
		if bytes.Equal(block.Bytes, leaf.Raw) {
			return true
		}
	}
	return false
}

// AuthUser implements ftpserver.MainDriver: the password step.
func (b *binding) AuthUser(cc ftpserver.ClientContext, username, password string) (ftpserver.ClientDriver, error) {
	sess := sessionOf(cc)
	if sess == nil {
		return nil, errors.New("internal error")
	}
	method := dataprovider.LoginMethodPassword
	if sess.certUser != "" && sess.certUser == username {
		method = dataprovider.LoginMethodTLSCertificateAndPwd
	}
	ctx, cancel := context.WithTimeout(context.Background(), authTimeout)
	defer cancel()
	user, err := b.s.store.CheckUserPassword(ctx, username, password)
	if err != nil {
		b.s.common.LoginFailed(cc.RemoteAddr().String(), username, method, protocolFTP, err)
		b.loginDelay(sess.fc, b.s.common.Config().Defender.LoginDelay.PasswordFailed)
		return nil, errAuthFailed
	}
	d, err := b.finishLogin(sess, &user, method)
	if err == nil {
		b.loginDelay(sess.fc, b.s.common.Config().Defender.LoginDelay.Success)
	}
	return d, err
}

// loginDelay holds the reply to a password login for
// common.defender.login_delay (milliseconds), a brake on password
// guessing; a closed control connection ends the wait. (common's login
// path has no delay of its own yet, so it is applied here.)
func (b *binding) loginDelay(fc *frontConn, ms int) {
	if ms <= 0 {
		return
	}
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
	case <-fc.done:
	}
}

// finishLogin applies the account checks shared by every protocol and
// registers the connection.
func (b *binding) finishLogin(sess *session, user *dataprovider.User, method string) (ftpserver.ClientDriver, error) {
	cc := sess.cc
	remote := cc.RemoteAddr().String()
	if user.Filters.FTPSecurity == 1 && !cc.HasTLSForControl() {
		err := errors.New("TLS is required for this user")
		b.s.common.LoginFailed(remote, user.Username, method, protocolFTP, err)
		return nil, err
	}
	if err := b.s.common.CheckLogin(user, protocolFTP, method, remote); err != nil {
		b.s.common.LoginFailed(remote, user.Username, method, protocolFTP, err)
		return nil, err
	}
	conn := b.s.common.NewConnection("FTP_"+newConnID(), protocolFTP, remote, cc.GetClientVersion(), *user, func() error {
		sess.fc.close()
		return nil
	})
	if err := b.s.common.AddConnection(conn); err != nil {
		b.s.common.LoginFailed(remote, user.Username, method, protocolFTP, err)
		return nil, err
	}
	sess.conn.Store(conn)
	b.s.common.LoginSucceeded(context.Background(), user, protocolFTP, method, remote)
	start := "/"
	if sd := user.Filters.StartDirectory; sd != "" {
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
