package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/smtp/smtptest"
)

var e2eResetCodeRe = regexp.MustCompile(`[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{5}`)

// smtpEnv is the smtp section, from the environment, for a test server
// with STARTTLS and AUTH PLAIN; SSL_CERT_FILE makes the binary trust its
// certificate.
func smtpEnv(t *testing.T, srv *smtptest.Server) []string {
	return []string{
		"SFTPGO_SMTP__HOST=" + srv.Host(),
		"SFTPGO_SMTP__PORT=" + strconv.Itoa(srv.Port()),
		"SFTPGO_SMTP__FROM=SFTPGo <sftpgo@example.com>",
		"SFTPGO_SMTP__USER=mailer",
		"SFTPGO_SMTP__PASSWORD=mail-secret",
		"SFTPGO_SMTP__AUTH_TYPE=0",
		"SFTPGO_SMTP__ENCRYPTION=2",
		"SFTPGO_SMTP__DOMAIN=e2e.example.com",
		"SSL_CERT_FILE=" + srv.CAFile(t, t.TempDir()),
	}
}

// lastCode waits for the n-th mail and returns the reset code in it.
func lastCode(t *testing.T, srv *smtptest.Server, n int, rcpt string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := srv.WaitMessages(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[n-1]
	if strings.Join(m.Rcpt, ",") != rcpt || !m.TLS || m.AuthMech != "PLAIN" || m.Helo != "e2e.example.com" {
		t.Fatalf("mail %d: rcpt %v tls %v auth %s helo %s", n, m.Rcpt, m.TLS, m.AuthMech, m.Helo)
	}
	p, err := m.Parse()
	if err != nil {
		t.Fatal(err)
	}
	code := e2eResetCodeRe.FindString(p.HTML)
	if code == "" {
		t.Fatalf("no code in mail %d: %q", n, p.HTML)
	}
	return code
}

// The binary with an smtp section from the environment: smtptest
// delivers over STARTTLS with AUTH, fails when the server is down, and
// serve mails a reset code that resets a user's password.
func TestSMTPSectionDrivesTheBinary(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Security: smtptest.StartTLS, Users: map[string]string{"mailer": "mail-secret"}})
	dir := t.TempDir()
	in := newInstance(t, dir, smtpEnv(t, srv)...)

	out, err := in.run("smtptest", "--config-dir", dir, "--recipient", "ops@example.com", "--log-file-path", "-")
	if err != nil {
		t.Fatalf("smtptest: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := srv.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := msgs[0].Parse(); err != nil || p.Subject != "SFTPGo test e-mail" || !msgs[0].TLS || msgs[0].AuthMech != "PLAIN" {
		t.Fatalf("test mail: %+v %v", msgs[0], err)
	}

	down := newInstance(t, dir, append(smtpEnv(t, srv), "SFTPGO_SMTP__PORT=1")...)
	if out, err := down.run("smtptest", "--config-dir", dir, "--recipient", "ops@example.com", "--log-file-path", "-"); err == nil ||
		!strings.Contains(out, "127.0.0.1:1") {
		t.Fatalf("smtptest with the server down: err %v\n%s", err, out)
	}

	in.start()
	tok := in.token("admin", "admin-pass")
	in.addUser(tok, "frank", "Old-pass-1234", map[string]any{"email": "frank@example.com"})
	if s, b := in.api("", http.MethodPost, "/api/v2/users/frank/forgot-password", nil); s != http.StatusOK {
		t.Fatalf("forgot-password: %d %s", s, b)
	}
	code := lastCode(t, srv, 2, "frank@example.com")
	body := map[string]string{"code": code, "password": "N3w-frank-pass!"}
	if s, b := in.api("", http.MethodPost, "/api/v2/users/frank/reset-password", body); s != http.StatusOK {
		t.Fatalf("reset-password: %d %s", s, b)
	}
	if s, b := in.api("", http.MethodPost, "/api/v2/users/frank/reset-password", body); s != http.StatusBadRequest {
		t.Fatalf("second use of the code: %d %s", s, b)
	}
	req, _ := http.NewRequest(http.MethodGet, in.baseURL()+"/api/v2/user/token", nil)
	req.SetBasicAuth("frank", "N3w-frank-pass!")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("user token with the new password: %d", resp.StatusCode)
	}
	if !strings.Contains(in.log.String(), "e-mail enabled") {
		t.Errorf("serve did not log the e-mail setup")
	}
}

// TestPasswordResetInBrowser runs test/browser/password_reset.test.js:
// Chromium follows "Forgot password?" on both login pages, the code comes
// from the mail the test SMTP server received (served to the script on a
// loopback URL), and the new password signs in.
func TestPasswordResetInBrowser(t *testing.T) {
	br := requireBrowser(t)

	srv := smtptest.Start(t, smtptest.Options{Security: smtptest.StartTLS, Users: map[string]string{"mailer": "mail-secret"}})
	dir := t.TempDir()
	in := newInstance(t, dir, append(smtpEnv(t, srv),
		"SFTPGO_HTTPD__BINDINGS__0__ENABLE_WEB_ADMIN=true",
		"SFTPGO_HTTPD__BINDINGS__0__ENABLE_WEB_CLIENT=true")...)
	in.start()
	tok := in.token("admin", "admin-pass")
	in.addUser(tok, "grace", "Old-pass-1234", map[string]any{"email": "grace@example.com"})
	if s, b := in.api(tok, http.MethodPut, "/api/v2/admin/profile", map[string]any{"email": "root@example.com"}); s != http.StatusOK {
		t.Fatalf("admin profile: %d %s", s, b)
	}

	// GET /code?n=N&to=ADDR answers the code of the N-th mail.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	codes := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
		defer cancel()
		msgs, err := srv.WaitMessages(ctx, n)
		if err != nil || n < 1 {
			http.Error(w, fmt.Sprint("no mail: ", err), http.StatusNotFound)
			return
		}
		m := msgs[n-1]
		p, err := m.Parse()
		if err != nil || strings.Join(m.Rcpt, ",") != r.URL.Query().Get("to") {
			http.Error(w, fmt.Sprintf("mail %d went to %v (%v)", n, m.Rcpt, err), http.StatusConflict)
			return
		}
		_, _ = w.Write([]byte(e2eResetCodeRe.FindString(p.HTML)))
	})}
	go func() { _ = codes.Serve(ln) }()
	t.Cleanup(func() { _ = codes.Close() })

	br.run(t, in, "password_reset.test.js",
		"SFTPGO_CODES_URL=http://"+ln.Addr().String(),
	)
	if n := len(srv.Messages()); n != 2 {
		t.Errorf("%d mails, want one per UI", n)
	}
}
