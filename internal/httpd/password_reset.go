package httpd

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/smtp"
)

// Forgot / reset password by e-mail, for admins and users.
//
// A reset code is not stored anywhere: it is the code's expiry time and a
// MAC, keyed by the token signing key, over the account kind, the
// username, the account's current password hash and that expiry. So a
// code
//   - expires (the expiry is part of what the MAC covers),
//   - works once: the reset changes the password hash, which every code
//     issued before no longer matches (a per-node set of used codes also
//     stops two concurrent uses of one code),
//   - works on every node of a shared data provider that has the same
//     httpd.signing_passphrase, since there is no per-node state to find.
// Without a signing passphrase the key is random per process, so codes
// die with a restart, like the sessions.

// Mailer sends the reset codes: *smtp.Client.
type Mailer interface {
	Send(ctx context.Context, m smtp.Mail) error
	PasswordReset(d smtp.PasswordResetData) (subject, body string, err error)
}

// resetCodeValidity is how long a reset code works.
const resetCodeValidity = 10 * time.Minute

const webClientPasswordResetDisabled = "password-reset-disabled"

var (
	errResetUnavailable = errors.New("password reset by e-mail is not available: the server has no SMTP configuration")
	errResetCode        = &dataprovider.ValidationError{Field: "code", Msg: "the code is invalid, expired or already used"}
)

var resetEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// resetCodes remembers the codes used on this node until they expire.
// The zero value is ready to use.
type resetCodes struct {
	mu   sync.Mutex
	used map[string]time.Time
}

// use marks code used and reports whether it was unused.
func (rc *resetCodes) use(code string, exp, now time.Time) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.used == nil {
		rc.used = map[string]time.Time{}
	}
	for c, e := range rc.used {
		if now.After(e) {
			delete(rc.used, c)
		}
	}
	if _, ok := rc.used[code]; ok {
		return false
	}
	rc.used[code] = exp
	return true
}

func resetKind(admin bool) string {
	if admin {
		return "admin"
	}
	return "user"
}

// resetMAC is the MAC part of a code.
func (s *Server) resetMAC(admin bool, username, pwdHash string, expMinute uint32) []byte {
	m := hmac.New(sha256.New, s.tokens.key)
	fmt.Fprintf(m, "password-reset\x00%s\x00%s\x00%s\x00%d", resetKind(admin), username, pwdHash, expMinute)
	return m.Sum(nil)[:8]
}

// newResetCode returns a code for the account, grouped for reading:
// XXXXX-XXXXX-XXXXX-XXXXX.
func (s *Server) newResetCode(admin bool, username, pwdHash string) string {
	// Rounded up to the minute, so a code never works for less than
	// resetCodeValidity.
	exp := uint32((s.now().Add(resetCodeValidity).Unix() + 59) / 60)
	b := make([]byte, 4, 12)
	binary.BigEndian.PutUint32(b, exp)
	b = append(b, s.resetMAC(admin, username, pwdHash, exp)...)
	c := resetEncoding.EncodeToString(b)
	return c[0:5] + "-" + c[5:10] + "-" + c[10:15] + "-" + c[15:]
}

// checkResetCode verifies code for the account and returns its normal
// form and expiry.
func (s *Server) checkResetCode(admin bool, username, pwdHash, code string) (string, time.Time, bool) {
	norm := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	b, err := resetEncoding.DecodeString(norm)
	if err != nil || len(b) != 12 {
		return "", time.Time{}, false
	}
	expMinute := binary.BigEndian.Uint32(b)
	exp := time.Unix(int64(expMinute)*60, 0)
	if !s.now().Before(exp) {
		return "", time.Time{}, false
	}
	if !hmac.Equal(b[4:], s.resetMAC(admin, username, pwdHash, expMinute)) {
		return "", time.Time{}, false
	}
	return norm, exp, true
}

// resetAccount is what a reset needs to know of an admin or a user.
type resetAccount struct {
	username string
	email    string
	pwdHash  string
	usable   bool // enabled, and the reset is not disabled for it
}

func (s *Server) lookupResetAccount(ctx context.Context, admin bool, username string) (*resetAccount, error) {
	if admin {
		a, err := s.store.GetAdmin(ctx, username)
		if err != nil {
			return nil, err
		}
		return &resetAccount{username: a.Username, email: a.Email, pwdHash: a.Password,
			usable: a.Status == dataprovider.StatusEnabled}, nil
	}
	u, err := s.store.GetUser(ctx, username)
	if err != nil {
		return nil, err
	}
	acc := &resetAccount{username: u.Username, email: u.Email, pwdHash: u.Password,
		usable: u.Status == dataprovider.StatusEnabled}
	// The option may come from a group.
	if eff, err := s.store.GetEffectiveUser(ctx, username); err == nil && hasWebClientOption(&eff, webClientPasswordResetDisabled) {
		acc.usable = false
	} else if err != nil {
		return nil, err
	}
	return acc, nil
}

// forgotPassword mails a reset code to the account's address. An unknown,
// disabled or address-less account is not an error (the answer must not
// tell whether an account exists): it is only logged.
func (s *Server) forgotPassword(ctx context.Context, admin bool, username, ip string) error {
	if s.mailer == nil {
		return errResetUnavailable
	}
	username = strings.TrimSpace(username)
	log := s.log.With("kind", resetKind(admin), "user", username, "remote", ip)
	acc, err := s.lookupResetAccount(ctx, admin, username)
	switch {
	case errors.Is(err, dataprovider.ErrNotFound):
		log.Info("password reset asked for an unknown account")
		return nil
	case err != nil:
		return err
	case !acc.usable:
		log.Info("password reset asked for a disabled account, or one that may not reset")
		return nil
	case acc.email == "":
		log.Warn("password reset asked for an account without an e-mail address")
		return nil
	}
	code := s.newResetCode(admin, acc.username, acc.pwdHash)
	subject, body, err := s.mailer.PasswordReset(smtp.PasswordResetData{Username: acc.username, Code: code,
		Admin: admin, ValidFor: resetCodeValidity})
	if err != nil {
		return err
	}
	if err := s.mailer.Send(ctx, smtp.Mail{To: []string{acc.email}, Subject: subject, Body: body, HTML: true}); err != nil {
		log.Error("unable to send the password reset e-mail", "error", err)
		return errors.New("unable to send the password reset e-mail, try again later")
	}
	log.Info("password reset code sent")
	return nil
}

// resetPassword sets a new password if code is a valid code for the
// account. The caller has checked the rate limit.
func (s *Server) resetPassword(ctx context.Context, admin bool, username, code, password, ip string) error {
	if s.mailer == nil {
		return errResetUnavailable
	}
	if strings.TrimSpace(code) == "" {
		return &dataprovider.ValidationError{Field: "code", Msg: "is required"}
	}
	if password == "" {
		return &dataprovider.ValidationError{Field: "password", Msg: "is required"}
	}
	acc, err := s.lookupResetAccount(ctx, admin, strings.TrimSpace(username))
	if errors.Is(err, dataprovider.ErrNotFound) {
		s.loginLimiter.failed(ip)
		return errResetCode
	}
	if err != nil {
		return err
	}
	norm, exp, ok := s.checkResetCode(admin, acc.username, acc.pwdHash, code)
	if !ok || !acc.usable {
		s.loginLimiter.failed(ip)
		return errResetCode
	}
	if !s.pwdResets.use(norm, exp, s.now()) {
		s.loginLimiter.failed(ip)
		return errResetCode
	}
	if admin {
		a, err := s.store.GetAdmin(ctx, acc.username)
		if err != nil {
			return err
		}
		a.Password = password
		a.Filters.RequirePasswordChange = false
		err = s.store.UpdateAdmin(ctx, &a)
		if err != nil {
			return err
		}
	} else {
		u, err := s.store.GetUser(ctx, acc.username)
		if err != nil {
			return err
		}
		u.Password = password
		u.Filters.RequirePasswordChange = false
		if err := s.store.UpdateUser(ctx, &u); err != nil {
			return err
		}
	}
	s.log.Info("password reset with an e-mailed code", "kind", resetKind(admin), "user", acc.username, "remote", ip)
	return nil
}

// ---- REST API

// passwordResetRoutes are the unauthenticated API endpoints.
func (s *Server) passwordResetRoutes(r chi.Router) {
	r.Post("/admins/{username}/forgot-password", s.apiForgotPassword(true))
	r.Post("/admins/{username}/reset-password", s.apiResetPassword(true))
	r.Post("/users/{username}/forgot-password", s.apiForgotPassword(false))
	r.Post("/users/{username}/reset-password", s.apiResetPassword(false))
}

func (s *Server) apiForgotPassword(admin bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := s.forgotPassword(r.Context(), admin, urlParam(r, "username"), clientIP(r))
		switch {
		case errors.Is(err, errResetUnavailable):
			sendAPIError(w, r, http.StatusBadRequest, err)
		case err != nil:
			s.log.Error("forgot password", "error", err)
			sendAPIError(w, r, http.StatusInternalServerError, err)
		default:
			sendMessage(w, http.StatusOK, "Check your e-mail for the confirmation code")
		}
	}
}

// resetRequest is the body of POST .../reset-password.
type resetRequest struct {
	Code     string `json:"code"`
	Password string `json:"password"`
}

func (s *Server) apiResetPassword(admin bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ip := clientIP(r)
		if !s.checkLoginRate(w, r, ip) {
			sendAPIError(w, r, http.StatusTooManyRequests, errors.New("too many failed attempts: wait a little and try again"))
			return
		}
		var req resetRequest
		if !decodeBody(w, r, &req) {
			return
		}
		err := s.resetPassword(r.Context(), admin, urlParam(r, "username"), req.Code, req.Password, ip)
		switch {
		case errors.Is(err, errResetUnavailable):
			sendAPIError(w, r, http.StatusBadRequest, err)
		case err != nil:
			s.sendStoreError(w, r, err)
		default:
			sendMessage(w, http.StatusOK, "Password reset successful")
		}
	}
}

// ---- web admin and web client pages

// webPasswordResetRoutes adds the forgot and reset pages to the web admin
// (admin true) or the web client routes.
func (s *Server) webPasswordResetRoutes(r chi.Router, admin bool) {
	r.Get("/forgot-password", s.webForgotGet(admin))
	r.Post("/forgot-password", s.webForgotPost(admin))
	r.Get("/reset-password", s.webResetGet(admin))
	r.Post("/reset-password", s.webResetPost(admin))
}

func resetPages(admin bool) (prefix, forgot, reset string) {
	if admin {
		return webAdminPrefix, "admin/forgot_password", "admin/reset_password"
	}
	return webClientPrefix, "client/forgot_password", "client/reset_password"
}

func (s *Server) resetPage(w http.ResponseWriter, r *http.Request, title string) *page {
	return &page{Title: title, CSRF: s.anonCSRF(w, r), Form: url.Values{}, Errors: map[string]string{},
		Data: map[string]any{"Available": s.mailer != nil}}
}

func (s *Server) webForgotGet(admin bool) http.HandlerFunc {
	_, forgot, _ := resetPages(admin)
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.resetPage(w, r, "Forgot password")
		p.Form.Set("username", r.URL.Query().Get("username"))
		s.render(w, r, http.StatusOK, forgot, p)
	}
}

func (s *Server) webForgotPost(admin bool) http.HandlerFunc {
	prefix, forgot, _ := resetPages(admin)
	return func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		username := strings.TrimSpace(r.PostFormValue("username"))
		p := s.resetPage(w, r, "Forgot password")
		p.Form.Set("username", username)
		fail := func(status int, msg string) {
			p.Error = msg
			s.render(w, r, status, forgot, p)
		}
		if !s.checkAnonCSRF(r, r.PostFormValue(csrfField)) {
			fail(http.StatusForbidden, "The form has expired: please try again.")
			return
		}
		if username == "" {
			p.Errors["username"] = "is required"
			fail(http.StatusBadRequest, "")
			return
		}
		if err := s.forgotPassword(r.Context(), admin, username, clientIP(r)); err != nil {
			if errors.Is(err, errResetUnavailable) {
				fail(http.StatusBadRequest, "Password reset by e-mail is not available on this server.")
				return
			}
			s.log.Error("forgot password", "error", err)
			fail(http.StatusInternalServerError, "Unable to send the e-mail: try again later.")
			return
		}
		s.redirectFlash(w, r, prefix+"/reset-password?username="+url.QueryEscape(username), "ok",
			"If the account exists and has an e-mail address, a code is on its way: enter it below with your new password.")
	}
}

func (s *Server) webResetGet(admin bool) http.HandlerFunc {
	_, _, reset := resetPages(admin)
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.resetPage(w, r, "Reset password")
		p.Form.Set("username", r.URL.Query().Get("username"))
		s.render(w, r, http.StatusOK, reset, p)
	}
}

func (s *Server) webResetPost(admin bool) http.HandlerFunc {
	prefix, _, reset := resetPages(admin)
	return func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		ip := clientIP(r)
		username := strings.TrimSpace(r.PostFormValue("username"))
		p := s.resetPage(w, r, "Reset password")
		p.Form.Set("username", username)
		p.Form.Set("code", r.PostFormValue("code"))
		fail := func(status int, msg string) {
			p.Error = msg
			s.render(w, r, status, reset, p)
		}
		if !s.checkLoginRate(w, r, ip) {
			fail(http.StatusTooManyRequests, "Too many failed attempts: wait a little and try again.")
			return
		}
		if !s.checkAnonCSRF(r, r.PostFormValue(csrfField)) {
			fail(http.StatusForbidden, "The form has expired: please try again.")
			return
		}
		pwd := r.PostFormValue("password")
		switch {
		case username == "":
			p.Errors["username"] = "is required"
		case pwd != "" && pwd != r.PostFormValue("confirm_password"):
			p.Errors["confirm_password"] = "the passwords do not match"
		}
		if len(p.Errors) > 0 {
			fail(http.StatusBadRequest, "The password was not reset.")
			return
		}
		err := s.resetPassword(r.Context(), admin, username, r.PostFormValue("code"), pwd, ip)
		if err != nil {
			var ve *dataprovider.ValidationError
			switch {
			case errors.Is(err, errResetUnavailable):
				fail(http.StatusBadRequest, "Password reset by e-mail is not available on this server.")
			case errors.As(err, &ve):
				field := ve.Field
				if field != "code" {
					field = "password"
				}
				p.Errors[field] = ve.Msg
				fail(http.StatusBadRequest, "The password was not reset.")
			default:
				s.log.Error("reset password", "error", err)
				fail(http.StatusInternalServerError, "The data provider is not available.")
			}
			return
		}
		s.redirectFlash(w, r, prefix+"/login", "ok", "Password reset: sign in with the new one.")
	}
}
