package httpd

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a log sink tests can read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// withLogBuffer sends the server's log to buf.
func withLogBuffer(buf *syncBuffer) envOption {
	return func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})) }
}

// TestBadPublicKeyMessage: a pasted key that does not parse is refused in
// the user's words on the API and in the web form; the library's message
// goes to the log only.
func TestBadPublicKeyMessage(t *testing.T) {
	var logs syncBuffer
	e := newUserEnv(t, withLogBuffer(&logs))
	adm := e.adminAuth()
	raw := []string{"ssh: no key found", "illegal base64", "last parsing error"}
	cases := []struct{ key, want string }{
		{"hello", "not an SSH public key"},
		{"ssh-ed25519 !!!notbase64!!! me@host", "not a valid SSH public key"},
		{"-----BEGIN OPENSSH PRIVATE KEY-----", "private key"},
	}
	for _, c := range cases {
		u := testUser("keyuser")
		u["home_dir"] = t.TempDir()
		u["public_keys"] = []string{c.key}
		r := e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/users", adm, u)
		msg := r.apiErr(t).Error
		if !strings.Contains(msg, "public_keys[0]") || !strings.Contains(msg, c.want) || !strings.Contains(msg, "ssh-ed25519 AAAA") {
			t.Errorf("key %q: message %q", c.key, msg)
		}
		for _, s := range raw {
			if strings.Contains(msg, s) {
				t.Errorf("key %q: raw library text %q reached the client: %q", c.key, s, msg)
			}
		}
	}
	if !strings.Contains(logs.String(), "ssh: no key found") {
		t.Errorf("the library detail is not in the log:\n%s", logs.String())
	}

	b := e.browser()
	b.get("/web/admin/login")
	b.post("/web/admin/login", url.Values{"username": {testAdmin}, "password": {testPassword}})
	b.get("/web/admin/user")
	code, body := b.post("/web/admin/user", url.Values{
		"username": {"keyuser"}, "status": {"1"}, "home_dir": {t.TempDir()}, "permissions./": {"*"},
		"filesystem.provider": {"0"}, "public_keys": {"hello"},
	})
	if code != http.StatusBadRequest {
		t.Fatalf("web form with a bad key: %d", code)
	}
	mustContain(t, body, "not an SSH public key")
	for _, s := range raw {
		if strings.Contains(body, s) {
			t.Errorf("raw library text %q on the page", s)
		}
	}
}
