package cli

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/smtp/smtptest"
)

func runSMTPTest(t *testing.T, smtpJSON string, args ...string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sftpgo.json"), []byte(`{"smtp": `+smtpJSON+`}`), 0o600); err != nil {
		t.Fatal(err)
	}
	root := NewRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"smtptest", "-c", dir, "--log-level", "error"}, args...))
	err := root.Execute()
	return out.String(), err
}

// smtptest sends one message with the configured section and says so.
func TestSMTPTestCommandSends(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Security: smtptest.Plain, Users: map[string]string{"mailer": "pw"}})
	out, err := runSMTPTest(t, fmt.Sprintf(`{"host": %q, "port": %d, "from": "sftpgo@example.com",
		"user": "mailer", "password": "pw", "auth_type": 1, "encryption": 0, "domain": "node1.example.com"}`,
		srv.Host(), srv.Port()), "--recipient", "admin@example.com")
	if err != nil {
		t.Fatalf("smtptest: %v\n%s", err, out)
	}
	if !strings.Contains(out, "test e-mail sent to admin@example.com") {
		t.Errorf("output %q", out)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	p, err := m.Parse()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(m.Rcpt, ",") != "admin@example.com" || m.AuthMech != "LOGIN" || m.Helo != "node1.example.com" ||
		p.Subject != "SFTPGo test e-mail" || !strings.Contains(p.Text, "smtptest") {
		t.Errorf("message: rcpt %v auth %s helo %s subject %q text %q", m.Rcpt, m.AuthMech, m.Helo, p.Subject, p.Text)
	}
}

// smtptest fails (non-zero exit from main) when the server is down, when
// nothing is configured, and without a recipient.
func TestSMTPTestCommandFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cases := []struct {
		name, smtp string
		args       []string
		want       string
	}{
		{"down", fmt.Sprintf(`{"host": "127.0.0.1", "port": %d, "from": "f@example.com"}`, port),
			[]string{"--recipient", "a@example.com"}, "refused"},
		{"unconfigured", `{}`, []string{"--recipient", "a@example.com"}, "smtp.host is empty"},
		{"no recipient", `{"host": "127.0.0.1", "port": 25, "from": "f@example.com"}`, nil, "--recipient is required"},
	}
	for _, tc := range cases {
		out, err := runSMTPTest(t, tc.smtp, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q\n%s", tc.name, err, tc.want, out)
		}
	}
}
