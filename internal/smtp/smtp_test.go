package smtp_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/smtp"
	"github.com/sftpgo-ng/sftpgo/internal/smtp/smtptest"
)

func waitOne(t *testing.T, srv *smtptest.Server) smtptest.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := srv.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	return msgs[0]
}

// Every encryption mode with every authentication mechanism delivers the
// message intact, over the security the configuration asked for.
func TestSendEveryMode(t *testing.T) {
	modes := []struct {
		name       string
		security   smtptest.Security
		encryption int
		wantTLS    bool
	}{
		{"none", smtptest.Plain, smtp.EncryptionNone, false},
		{"tls", smtptest.TLS, smtp.EncryptionTLS, true},
		{"starttls", smtptest.StartTLS, smtp.EncryptionStartTLS, true},
	}
	auths := []struct {
		name     string
		authType int
		mech     string
	}{
		{"plain", smtp.AuthPlain, "PLAIN"},
		{"login", smtp.AuthLogin, "LOGIN"},
		{"cram-md5", smtp.AuthCRAMMD5, "CRAM-MD5"},
	}
	attachment := bytes.Repeat([]byte("attachment data \x00\xff\n"), 5000)
	for _, m := range modes {
		for _, a := range auths {
			t.Run(m.name+"/"+a.name, func(t *testing.T) {
				t.Parallel()
				srv := smtptest.Start(t, smtptest.Options{Security: m.security,
					Users: map[string]string{"mailer@example.com": "s3cret pass"}})
				c, err := smtp.New(smtp.Config{
					Host: srv.Host(), Port: srv.Port(), From: "SFTPGo <noreply@example.com>",
					User: "mailer@example.com", Password: "s3cret pass",
					AuthType: a.authType, Encryption: m.encryption, Domain: "sftp.example.com",
				}, smtp.WithRootCAs(srv.CertPool()))
				if err != nil {
					t.Fatal(err)
				}
				err = c.Send(context.Background(), smtp.Mail{
					To: []string{"a@example.com"}, Cc: []string{"c@example.com"}, Bcc: []string{"hidden@example.com"},
					Subject: "Report é " + m.name, Body: "<p>Hello " + a.name + "</p>", HTML: true,
					Attachments: []smtp.Attachment{{Name: "report.bin", Data: attachment}},
				})
				if err != nil {
					t.Fatal(err)
				}
				got := waitOne(t, srv)
				if got.TLS != m.wantTLS {
					t.Errorf("TLS = %v, want %v", got.TLS, m.wantTLS)
				}
				if got.AuthMech != a.mech || got.AuthUser != "mailer@example.com" {
					t.Errorf("auth = %s %q, want %s", got.AuthMech, got.AuthUser, a.mech)
				}
				if got.Helo != "sftp.example.com" {
					t.Errorf("HELO %q, want smtp.domain", got.Helo)
				}
				if got.From != "noreply@example.com" {
					t.Errorf("MAIL FROM %q", got.From)
				}
				if strings.Join(got.Rcpt, ",") != "a@example.com,c@example.com,hidden@example.com" {
					t.Errorf("RCPT TO %v", got.Rcpt)
				}
				p, err := got.Parse()
				if err != nil {
					t.Fatal(err)
				}
				if p.Subject != "Report é "+m.name {
					t.Errorf("subject %q", p.Subject)
				}
				if p.HTML != "<p>Hello "+a.name+"</p>" {
					t.Errorf("html body %q", p.HTML)
				}
				if h := p.Header.Get("Bcc"); h != "" || bytes.Contains(got.Data, []byte("hidden@")) {
					t.Errorf("Bcc recipient visible in the message")
				}
				if !strings.Contains(p.Header.Get("Cc"), "c@example.com") {
					t.Errorf("Cc header %q", p.Header.Get("Cc"))
				}
				if sha256.Sum256(p.Attachments["report.bin"]) != sha256.Sum256(attachment) {
					t.Errorf("attachment changed: %d bytes, want %d", len(p.Attachments["report.bin"]), len(attachment))
				}
			})
		}
	}
}

// Without user and password no AUTH is sent; a plain text body stays
// plain text; from falls back to the user when empty.
func TestSendWithoutAuthAndFromFallback(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Security: smtptest.Plain})
	c, err := smtp.New(smtp.Config{Host: srv.Host(), Port: srv.Port(), From: "ops@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(context.Background(), smtp.Mail{To: []string{"x@example.com"}, Subject: "s", Body: "plain body"}); err != nil {
		t.Fatal(err)
	}
	got := waitOne(t, srv)
	p, err := got.Parse()
	if err != nil {
		t.Fatal(err)
	}
	if got.AuthMech != "" || strings.TrimSpace(p.Text) != "plain body" || p.HTML != "" {
		t.Errorf("auth %q text %q html %q", got.AuthMech, p.Text, p.HTML)
	}
	if got.Helo != "localhost" {
		t.Errorf("HELO %q without smtp.domain, want localhost", got.Helo)
	}

	c, err = smtp.New(smtp.Config{Host: "127.0.0.1", Port: 25, User: "me@example.com", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if c.From() != "me@example.com" {
		t.Errorf("from fallback %q", c.From())
	}
}

// A server that wants credentials refuses wrong ones, and the error says so.
func TestSendWrongPassword(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Security: smtptest.StartTLS, Users: map[string]string{"u": "right"}})
	c, err := smtp.New(smtp.Config{Host: srv.Host(), Port: srv.Port(), From: "f@example.com", User: "u", Password: "wrong",
		Encryption: smtp.EncryptionStartTLS}, smtp.WithRootCAs(srv.CertPool()))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Send(context.Background(), smtp.Mail{To: []string{"x@example.com"}, Subject: "s", Body: "b"})
	if err == nil || !strings.Contains(err.Error(), "AUTH failed") {
		t.Fatalf("err = %v, want an authentication error", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages accepted", n)
	}
}

// STARTTLS required but the server does not offer it: no message leaves
// in clear.
func TestStartTLSRequired(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Security: smtptest.Plain})
	c, err := smtp.New(smtp.Config{Host: srv.Host(), Port: srv.Port(), From: "f@example.com", Encryption: smtp.EncryptionStartTLS})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(context.Background(), smtp.Mail{To: []string{"x@example.com"}, Subject: "s", Body: "b"}); err == nil {
		t.Fatal("sent without the required STARTTLS")
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages accepted", n)
	}
}

// The server certificate is verified: a client that does not trust the
// test CA refuses it.
func TestUntrustedCertificate(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Security: smtptest.TLS})
	c, err := smtp.New(smtp.Config{Host: srv.Host(), Port: srv.Port(), From: "f@example.com", Encryption: smtp.EncryptionTLS})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Send(context.Background(), smtp.Mail{To: []string{"x@example.com"}, Subject: "s", Body: "b"})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err = %v, want a certificate error", err)
	}
}

// SMTP down: a port nobody listens on gives a clear error naming the server.
func TestServerDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c, err := smtp.New(smtp.Config{Host: "127.0.0.1", Port: port, From: "f@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Send(context.Background(), smtp.Mail{To: []string{"x@example.com"}, Subject: "s", Body: "b"})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:") || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v, want connection refused naming the server", err)
	}
}

// A server that accepts the connection but never greets is given up on
// after the timeout (the test uses a short one so it ends quickly; the
// assertion is on the error, not on the time).
func TestServerSilentTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	c, err := smtp.New(smtp.Config{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, From: "f@example.com"},
		smtp.WithTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Send(context.Background(), smtp.Mail{To: []string{"x@example.com"}, Subject: "s", Body: "b"})
	if err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("err = %v, want a timeout", err)
	}
}

// debug=1 logs the SMTP conversation; the password never appears.
func TestDebugLog(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Security: smtptest.Plain, Users: map[string]string{"u": "topsecretpw"}})
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	for _, debug := range []int{0, 1} {
		buf.Reset()
		c, err := smtp.New(smtp.Config{Host: srv.Host(), Port: srv.Port(), From: "f@example.com", User: "u",
			Password: "topsecretpw", Debug: debug}, smtp.WithLogger(log))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Send(context.Background(), smtp.Mail{To: []string{"x@example.com"}, Subject: "s", Body: "b"}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if debug == 1 && !strings.Contains(out, "EHLO") {
			t.Errorf("debug=1: no SMTP conversation logged: %q", out)
		}
		if debug == 0 && out != "" {
			t.Errorf("debug=0 logged %q", out)
		}
		if strings.Contains(out, "topsecretpw") {
			t.Errorf("password logged")
		}
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	cases := []struct {
		name string
		cfg  smtp.Config
		want string
	}{
		{"no host", smtp.Config{Port: 25, From: "f@example.com"}, "smtp.host is empty"},
		{"oauth2 without client", smtp.Config{Host: "h", Port: 25, From: "f@example.com", User: "u", AuthType: 3}, "needs oauth2.client_id"},
		{"oauth2 bad provider", smtp.Config{Host: "h", Port: 25, From: "f@example.com", User: "u", AuthType: 3,
			OAuth2: config.SMTPOAuth2{Provider: 7, ClientID: "c", ClientSecret: "s", RefreshToken: "r"}}, "oauth2.provider"},
		{"no from", smtp.Config{Host: "h", Port: 25}, "from is empty"},
		{"bad from", smtp.Config{Host: "h", Port: 25, From: "not an address"}, "invalid from"},
		{"bad encryption", smtp.Config{Host: "h", Port: 25, From: "f@example.com", Encryption: 5}, "encryption"},
	}
	for _, tc := range cases {
		_, err := smtp.New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// The password reset template renders the code; a file under
// <templates_path>/email replaces the embedded one.
func TestPasswordResetTemplate(t *testing.T) {
	cfg := smtp.Config{Host: "127.0.0.1", Port: 25, From: "f@example.com", TemplatesPath: "templates"}
	c, err := smtp.New(cfg, smtp.WithConfigDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	data := smtp.PasswordResetData{Username: "a&b", Code: "123456", Admin: true, ValidFor: 10 * time.Minute}
	subj, body, err := c.PasswordReset(data)
	if err != nil {
		t.Fatal(err)
	}
	if subj != "Password reset code for a&b" || !strings.Contains(body, "123456") ||
		!strings.Contains(body, "administrator") || !strings.Contains(body, "10 minutes") {
		t.Errorf("default template: %q / %q", subj, body)
	}

	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "custom", "email"), 0o755); err != nil {
		t.Fatal(err)
	}
	tpl := `{{define "subject"}}Your code{{end}}<b>code={{.Code}} user={{.Username}}</b>`
	if err := os.WriteFile(filepath.Join(dir, "custom", "email", "reset-password.html"), []byte(tpl), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.TemplatesPath = "custom"
	c, err = smtp.New(cfg, smtp.WithConfigDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	subj, body, err = c.PasswordReset(data)
	if err != nil {
		t.Fatal(err)
	}
	if subj != "Your code" || body != "<b>code=123456 user=a&amp;b</b>" {
		t.Errorf("override: %q / %q", subj, body)
	}

	if err := os.WriteFile(filepath.Join(dir, "custom", "email", "reset-password.html"), []byte("{{.Broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := smtp.New(cfg, smtp.WithConfigDir(dir)); err == nil || !strings.Contains(err.Error(), "reset-password.html") {
		t.Errorf("broken template: err = %v", err)
	}
}

// XOAUTH2: the refresh token buys an access token from the provider's
// token endpoint, which is sent as the bearer token and reused while it
// is valid; a refused refresh token is a clear error.
func TestSendXOAUTH2(t *testing.T) {
	for _, provider := range []int{smtp.OAuth2Google, smtp.OAuth2Microsoft} {
		var calls atomic.Int32
		var gotScope string
		tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			calls.Add(1)
			gotScope = r.PostForm.Get("scope")
			if r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("refresh_token") != "good-refresh" ||
				r.PostForm.Get("client_id") != "cid" || r.PostForm.Get("client_secret") != "csecret" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"access-123","token_type":"Bearer","expires_in":3600}`))
		}))
		srv := smtptest.Start(t, smtptest.Options{Security: smtptest.TLS, Users: map[string]string{"box@example.com": "access-123"}})
		cfg := smtp.Config{Host: srv.Host(), Port: srv.Port(), User: "box@example.com", AuthType: smtp.AuthXOAUTH2,
			Encryption: smtp.EncryptionTLS, OAuth2: config.SMTPOAuth2{Provider: provider, ClientID: "cid",
				ClientSecret: "csecret", RefreshToken: "good-refresh"}}
		c, err := smtp.New(cfg, smtp.WithRootCAs(srv.CertPool()), smtp.WithOAuth2TokenURL(tokenSrv.URL))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := c.Send(context.Background(), smtp.Mail{To: []string{"x@example.com"}, Subject: "s", Body: "b"}); err != nil {
				t.Fatalf("provider %d: %v", provider, err)
			}
		}
		msgs := srv.Messages()
		if len(msgs) != 2 || msgs[0].AuthMech != "XOAUTH2" || msgs[0].AuthUser != "box@example.com" {
			t.Fatalf("provider %d: messages %+v", provider, msgs)
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("provider %d: %d token requests for two mails, want 1 (the token is reused)", provider, n)
		}
		if provider == smtp.OAuth2Microsoft && !strings.Contains(gotScope, "SMTP.Send") ||
			provider == smtp.OAuth2Google && gotScope != "https://mail.google.com/" {
			t.Errorf("provider %d: scope %q", provider, gotScope)
		}

		cfg.OAuth2.RefreshToken = "revoked"
		c, err = smtp.New(cfg, smtp.WithRootCAs(srv.CertPool()), smtp.WithOAuth2TokenURL(tokenSrv.URL))
		if err != nil {
			t.Fatal(err)
		}
		err = c.Send(context.Background(), smtp.Mail{To: []string{"x@example.com"}, Subject: "s", Body: "b"})
		if err == nil || !strings.Contains(err.Error(), "oauth2") || !strings.Contains(err.Error(), "invalid_grant") {
			t.Errorf("provider %d: revoked refresh token: %v", provider, err)
		}
		tokenSrv.Close()
	}
}

// A refresh token the provider rotates is used for the next refresh; a
// token that lives under a minute is refreshed at the next send.
func TestXOAUTH2RefreshTokenRotation(t *testing.T) {
	var seen []string
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		seen = append(seen, r.PostForm.Get("refresh_token"))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"access-123","expires_in":30,"refresh_token":"rotated-%d"}`, len(seen))
	}))
	defer tokenSrv.Close()
	srv := smtptest.Start(t, smtptest.Options{Security: smtptest.StartTLS, Users: map[string]string{"box": "access-123"}})
	c, err := smtp.New(smtp.Config{Host: srv.Host(), Port: srv.Port(), From: "box@example.com", User: "box",
		AuthType: smtp.AuthXOAUTH2, Encryption: smtp.EncryptionStartTLS,
		OAuth2: config.SMTPOAuth2{Provider: smtp.OAuth2Microsoft, ClientID: "c", ClientSecret: "s", RefreshToken: "first"}},
		smtp.WithRootCAs(srv.CertPool()), smtp.WithOAuth2TokenURL(tokenSrv.URL))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := c.Send(context.Background(), smtp.Mail{To: []string{"x@example.com"}, Subject: "s", Body: "b"}); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(seen, ",") != "first,rotated-1" {
		t.Errorf("refresh tokens sent: %v", seen)
	}
}
