package httpd

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/smtp"
	"github.com/sftpgo-ng/sftpgo/internal/smtp/smtptest"
)

// withMailer wires a real SMTP client to a test SMTP server (STARTTLS,
// AUTH LOGIN).
func withMailer(t *testing.T, mailSrv *smtptest.Server) envOption {
	c, err := smtp.New(smtp.Config{Host: mailSrv.Host(), Port: mailSrv.Port(), From: "SFTPGo <noreply@example.com>",
		User: "mailer", Password: "mail-pw", AuthType: smtp.AuthLogin, Encryption: smtp.EncryptionStartTLS},
		smtp.WithRootCAs(mailSrv.CertPool()))
	if err != nil {
		t.Fatal(err)
	}
	return func(o *Options) { o.Mailer = c }
}

func startMailServer(t *testing.T) *smtptest.Server {
	return smtptest.Start(t, smtptest.Options{Security: smtptest.StartTLS, Users: map[string]string{"mailer": "mail-pw"}})
}

var resetCodeRe = regexp.MustCompile(`[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{5}`)

// codeFromMail waits for the n-th message, checks it went to rcpt and
// returns the code it carries.
func codeFromMail(t *testing.T, srv *smtptest.Server, n int, rcpt string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := srv.WaitMessages(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[n-1]
	if len(m.Rcpt) != 1 || m.Rcpt[0] != rcpt {
		t.Fatalf("mail to %v, want %s", m.Rcpt, rcpt)
	}
	p, err := m.Parse()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Subject, "Password reset code") {
		t.Errorf("subject %q", p.Subject)
	}
	code := resetCodeRe.FindString(p.HTML)
	if code == "" {
		t.Fatalf("no code in %q", p.HTML)
	}
	return code
}

// An admin asks for a code, reads it from the mail the SMTP server got,
// resets the password and gets a token with the new one; the code does
// not work a second time, and the old password no longer works.
func TestAdminForgotResetPassword(t *testing.T) {
	mailSrv := startMailServer(t)
	e := newTestEnv(t, withMailer(t, mailSrv))
	a := dataprovider.Admin{Username: "alice", Password: testPassword, Email: "alice@example.com",
		Status: dataprovider.StatusEnabled, Permissions: []string{dataprovider.AdminPermAny}}
	if err := e.store.AddAdmin(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	r := e.expect(http.StatusOK, http.MethodPost, "/api/v2/admins/alice/forgot-password", nil, nil)
	var msg apiResponse
	r.json(t, &msg)
	if msg.Message == "" {
		t.Errorf("no message: %s", r.body)
	}
	code := codeFromMail(t, mailSrv, 1, "alice@example.com")

	// wrong code, then the right one in lower case without dashes
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/admins/alice/reset-password", nil,
		map[string]string{"code": "AAAAA-AAAAA-AAAAA-AAAAA", "password": "N3w-admin-pass!"})
	e.expect(http.StatusOK, http.MethodPost, "/api/v2/admins/alice/reset-password", nil,
		map[string]string{"code": strings.ToLower(strings.ReplaceAll(code, "-", "")), "password": "N3w-admin-pass!"})
	e.token("alice", "N3w-admin-pass!")
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/token", basic("alice", testPassword), nil)
	// single use
	r = e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/admins/alice/reset-password", nil,
		map[string]string{"code": code, "password": "An0ther-pass!"})
	errContains(t, r, "invalid, expired or already used")
	e.token("alice", "N3w-admin-pass!")

	// a user's code is not an admin's: same name, other kind
	e.expect(http.StatusOK, http.MethodPost, "/api/v2/admins/alice/forgot-password", nil, nil)
	code = codeFromMail(t, mailSrv, 2, "alice@example.com")
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/users/alice/reset-password", nil,
		map[string]string{"code": code, "password": "An0ther-pass!"})
}

// A code expires: past its validity it is refused, just before it works.
func TestResetCodeExpires(t *testing.T) {
	mailSrv := startMailServer(t)
	e := newUserEnv(t, withMailer(t, mailSrv))
	e.addUser("bob", func(u *dataprovider.User) { u.Email = "bob@example.com" })
	now := time.Now()
	e.srv.now = func() time.Time { return now }
	e.expect(http.StatusOK, http.MethodPost, "/api/v2/users/bob/forgot-password", nil, nil)
	code := codeFromMail(t, mailSrv, 1, "bob@example.com")

	now = now.Add(resetCodeValidity + time.Minute)
	r := e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/users/bob/reset-password", nil,
		map[string]string{"code": code, "password": "N3w-user-pass!"})
	errContains(t, r, "expired")
	now = now.Add(-2 * time.Minute)
	e.expect(http.StatusOK, http.MethodPost, "/api/v2/users/bob/reset-password", nil,
		map[string]string{"code": code, "password": "N3w-user-pass!"})
	e.srv.now = time.Now
	e.userToken("bob", "N3w-user-pass!")
}

// Unknown accounts, accounts without an e-mail address and disabled ones
// get the same answer and no mail; without an SMTP client the endpoints
// say reset is unavailable.
func TestForgotPasswordDisclosesNothing(t *testing.T) {
	mailSrv := startMailServer(t)
	e := newUserEnv(t, withMailer(t, mailSrv))
	e.addUser("noemail")
	e.addUser("disabled", func(u *dataprovider.User) { u.Email = "d@example.com"; u.Status = 0 })
	e.addUser("optout", func(u *dataprovider.User) {
		u.Email = "o@example.com"
		u.Filters.WebClient = []string{webClientPasswordResetDisabled}
	})
	e.addUser("carol", func(u *dataprovider.User) { u.Email = "carol@example.com" })
	want := e.expect(http.StatusOK, http.MethodPost, "/api/v2/users/carol/forgot-password", nil, nil)
	for _, name := range []string{"nobody", "noemail", "disabled", "optout"} {
		r := e.expect(http.StatusOK, http.MethodPost, "/api/v2/users/"+name+"/forgot-password", nil, nil)
		if string(r.body) != string(want.body) {
			t.Errorf("%s: %s, want the same answer as for an account that got mail: %s", name, r.body, want.body)
		}
	}
	e.expect(http.StatusOK, http.MethodPost, "/api/v2/admins/nobody/forgot-password", nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, _ := mailSrv.WaitMessages(ctx, 1)
	// the only mail is carol's; a second one would have been sent before
	// the last answer above
	if len(msgs) != 1 || msgs[0].Rcpt[0] != "carol@example.com" {
		t.Errorf("mails: %+v", msgs)
	}
	// the disabled account cannot reset even with a forged code format
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/users/disabled/reset-password", nil,
		map[string]string{"code": "AAAAA-AAAAA-AAAAA-AAAAA", "password": "x-Pass-1234"})

	off := newTestEnv(t)
	r := off.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/admins/admin/forgot-password", nil, nil)
	errContains(t, r, "no SMTP configuration")
}

// SMTP down: the answer says the mail could not be sent.
func TestForgotPasswordSMTPDown(t *testing.T) {
	mailSrv := startMailServer(t)
	opt := withMailer(t, mailSrv)
	e := newTestEnv(t, opt)
	e.addAdmin("dave", dataprovider.AdminPermAny)
	a, _ := e.store.GetAdmin(context.Background(), "dave")
	a.Email = "dave@example.com"
	a.Password = ""
	if err := e.store.UpdateAdmin(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	c, err := smtp.New(smtp.Config{Host: "127.0.0.1", Port: 1, From: "f@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.mailer = c
	r := e.expect(http.StatusInternalServerError, http.MethodPost, "/api/v2/admins/dave/forgot-password", nil, nil)
	errContains(t, r, "unable to send")
}

// Wrong codes are rate limited like wrong passwords.
func TestResetPasswordRateLimited(t *testing.T) {
	mailSrv := startMailServer(t)
	e := newTestEnv(t, withMailer(t, mailSrv))
	limited := false
	for range 50 {
		r := e.do(http.MethodPost, "/api/v2/admins/admin/reset-password", nil,
			map[string]string{"code": "AAAAA-AAAAA-AAAAA-AAAAA", "password": "x-Pass-1234"})
		if r.status == http.StatusTooManyRequests {
			limited = true
			break
		}
		if r.status != http.StatusBadRequest {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	}
	if !limited {
		t.Fatal("50 wrong codes were never rate limited")
	}
}

// The web pages: "Forgot password?" on both login pages, the form sends
// the code, the reset form sets the new password, the login works.
func TestWebForgotResetPassword(t *testing.T) {
	mailSrv := startMailServer(t)
	e := newUserEnv(t, withMailer(t, mailSrv))
	e.addUser("erin", func(u *dataprovider.User) { u.Email = "erin@example.com" })
	a, _ := e.store.GetAdmin(context.Background(), testAdmin)
	a.Email = "root@example.com"
	a.Password = ""
	if err := e.store.UpdateAdmin(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		ui, user, rcpt, newPwd, home string
	}{
		{"client", "erin", "erin@example.com", "N3w-erin-pass!", "Sign out"},
		{"admin", testAdmin, "root@example.com", "N3w-root-pass!", "Add user"},
	}
	for i, tc := range cases {
		b := e.browser()
		_, body := b.get("/web/" + tc.ui + "/login")
		mustContain(t, body, `href="/web/`+tc.ui+`/forgot-password"`, "Forgot password?")
		_, body = b.get("/web/" + tc.ui + "/forgot-password")
		mustContain(t, body, `data-testid="forgot-form"`)
		code, body := b.post("/web/"+tc.ui+"/forgot-password", url.Values{"username": {tc.user}})
		if code != http.StatusOK {
			t.Fatalf("%s forgot: %d %s", tc.ui, code, excerpt(body))
		}
		mustContain(t, body, `data-testid="reset-form"`, "a code is on its way", `value="`+tc.user+`"`)
		mailCode := codeFromMail(t, mailSrv, i+1, tc.rcpt)

		// mismatched confirmation, then a wrong code: both say why
		_, body = b.post("/web/"+tc.ui+"/reset-password", url.Values{"username": {tc.user}, "code": {mailCode},
			"password": {tc.newPwd}, "confirm_password": {"other"}})
		mustContain(t, body, "the passwords do not match")
		_, body = b.post("/web/"+tc.ui+"/reset-password", url.Values{"username": {tc.user}, "code": {"AAAAA-AAAAA-AAAAA-AAAAA"},
			"password": {tc.newPwd}, "confirm_password": {tc.newPwd}})
		mustContain(t, body, "the code is invalid, expired or already used")

		code, body = b.post("/web/"+tc.ui+"/reset-password", url.Values{"username": {tc.user}, "code": {mailCode},
			"password": {tc.newPwd}, "confirm_password": {tc.newPwd}})
		if code != http.StatusOK {
			t.Fatalf("%s reset: %d %s", tc.ui, code, excerpt(body))
		}
		mustContain(t, body, "Password reset: sign in with the new one.", `data-testid="login-form"`)
		code, body = b.post("/web/"+tc.ui+"/login", url.Values{"username": {tc.user}, "password": {tc.newPwd}})
		if code != http.StatusOK {
			t.Fatalf("%s login with the new password: %d %s", tc.ui, code, excerpt(body))
		}
		mustContain(t, body, tc.home)
	}
}

// Without SMTP the login pages have no "Forgot password?" link and the
// reset pages say reset is unavailable instead of showing a form.
func TestWebForgotPasswordUnavailable(t *testing.T) {
	e := newUserEnv(t)
	b := e.browser()
	for _, ui := range []string{"admin", "client"} {
		_, body := b.get("/web/" + ui + "/login")
		if strings.Contains(body, "forgot-password") {
			t.Errorf("%s login page links the reset without SMTP", ui)
		}
		for _, p := range []string{"/forgot-password", "/reset-password"} {
			_, body := b.get("/web/" + ui + p)
			mustContain(t, body, `data-testid="reset-unavailable"`)
		}
	}
}

// Two nodes over one data provider: a code mailed by one works on the
// other when they share httpd.signing_passphrase, and not otherwise.
func TestResetCodeWorksOnAnotherNode(t *testing.T) {
	mailSrv := startMailServer(t)
	withPass := func(p string) envOption { return func(o *Options) { o.Config.SigningPassphrase = p } }
	a := newTestEnv(t, withMailer(t, mailSrv), withPass("cluster-secret"))
	adm, _ := a.store.GetAdmin(context.Background(), testAdmin)
	adm.Email = "root@example.com"
	adm.Password = ""
	if err := a.store.UpdateAdmin(context.Background(), &adm); err != nil {
		t.Fatal(err)
	}
	node := func(pass string) *testEnv {
		o := Options{Store: a.store, Config: a.srv.cfg, Logger: a.srv.log, Mailer: a.srv.mailer}
		o.Config.SigningPassphrase = pass
		srv, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(ts.Close)
		return &testEnv{t: t, srv: srv, store: a.store, ts: ts}
	}
	b, other := node("cluster-secret"), node("another-secret")

	a.expect(http.StatusOK, http.MethodPost, "/api/v2/admins/admin/forgot-password", nil, nil)
	code := codeFromMail(t, mailSrv, 1, "root@example.com")
	other.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/admins/admin/reset-password", nil,
		map[string]string{"code": code, "password": "N3w-cluster-pass!"})
	b.expect(http.StatusOK, http.MethodPost, "/api/v2/admins/admin/reset-password", nil,
		map[string]string{"code": code, "password": "N3w-cluster-pass!"})
	// used on b: refused on a too, because the password changed
	a.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/admins/admin/reset-password", nil,
		map[string]string{"code": code, "password": "Y3t-another-pass!"})
	a.token(testAdmin, "N3w-cluster-pass!")
}

// FuzzResetCode: whatever a client sends as a code, the check neither
// panics nor accepts something that is not a code issued for the account.
func FuzzResetCode(f *testing.F) {
	srv, err := New(Options{Store: &dataprovider.Store{}})
	if err != nil {
		f.Fatal(err)
	}
	valid := srv.newResetCode(true, "admin", "hash")
	for _, s := range []string{valid, strings.ToLower(valid), "", "-", "AAAAA-AAAAA-AAAAA-AAAAA", "====", "\x00\xff", valid + "A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		_, _, ok := srv.checkResetCode(true, "admin", "hash", code)
		norm := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
		if ok && norm != strings.ReplaceAll(valid, "-", "") {
			t.Fatalf("accepted %q", code)
		}
		if _, _, ok := srv.checkResetCode(false, "admin", "hash", code); ok {
			t.Fatalf("an admin's code %q accepted for a user", code)
		}
	})
}
