package sftpd

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// answerer replies to the hook's questions by prompt text.
func answerer(replies map[string]string, seen *[]string) ssh.AuthMethod {
	return ssh.KeyboardInteractive(func(name, instruction string, questions []string, echos []bool) ([]string, error) {
		var out []string
		for _, q := range questions {
			*seen = append(*seen, q)
			out = append(out, replies[q])
		}
		return out, nil
	})
}

func TestKeyboardInteractiveProgramHook(t *testing.T) {
	script := filepath.Join(t.TempDir(), "kbd.sh")
	os.WriteFile(script, []byte(`#!/bin/sh
echo '{"questions":["Password: "],"echos":[false],"check_password":1}'
read ok
[ "$ok" = "OK" ] || exit 1
echo '{"instruction":"second factor","questions":["Code: "],"echos":[true]}'
read code
if [ "$code" = "123456" ] && [ "$SFTPGO_AUTHD_USERNAME" = "kira" ] && [ "$SFTPGO_AUTHD_IP" = "127.0.0.1" ]; then
  echo '{"auth_result":1}'
else
  echo '{"auth_result":-1}'
fi
`), 0o755)
	e := newEnv(t, envOpts{sftpd: func(c *config.SFTPDConfig) { c.KeyboardInteractiveAuthHook = script }})
	e.addUser(t, "kira", userKey{}, nil)
	var seen []string
	c, err := e.dial(t, "kira", answerer(map[string]string{"Password: ": testPassword, "Code: ": "123456"}, &seen))
	if err != nil {
		t.Fatalf("hook login: %v (questions %q)", err, seen)
	}
	c.Close()
	if len(seen) != 2 {
		t.Fatalf("questions %q", seen)
	}
	for name, replies := range map[string]map[string]string{
		"wrong code":     {"Password: ": testPassword, "Code: ": "000000"},
		"wrong password": {"Password: ": "nope", "Code: ": "123456"},
	} {
		var s []string
		if c, err := e.dial(t, "kira", answerer(replies, &s)); err == nil {
			c.Close()
			t.Fatalf("%s accepted", name)
		}
	}
}

func TestKeyboardInteractiveHTTPHook(t *testing.T) {
	var mu sync.Mutex
	var steps []kbdHookRequest
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req kbdHookRequest
		json.NewDecoder(r.Body).Decode(&req)
		mu.Lock()
		steps = append(steps, req)
		mu.Unlock()
		switch {
		case req.Step == 1:
			json.NewEncoder(w).Encode(kbdHookResponse{Questions: []string{"Token: "}, Echos: []bool{true}})
		case len(req.Answers) == 1 && req.Answers[0] == "tok-42":
			json.NewEncoder(w).Encode(kbdHookResponse{AuthResult: 1})
		default:
			json.NewEncoder(w).Encode(kbdHookResponse{AuthResult: -1})
		}
	}))
	defer hook.Close()
	e := newEnv(t, envOpts{sftpd: func(c *config.SFTPDConfig) { c.KeyboardInteractiveAuthHook = hook.URL }})
	e.addUser(t, "liv", userKey{}, nil)
	var seen []string
	c, err := e.dial(t, "liv", answerer(map[string]string{"Token: ": "tok-42"}, &seen))
	if err != nil {
		t.Fatalf("hook login: %v", err)
	}
	c.Close()
	mu.Lock()
	got := append([]kbdHookRequest(nil), steps...)
	mu.Unlock()
	if len(got) != 2 || got[0].Username != "liv" || got[0].IP != "127.0.0.1" || got[0].Password == "" || got[0].Password == testPassword {
		t.Fatalf("hook requests: %+v", got)
	}
	if _, err := e.dial(t, "liv", answerer(map[string]string{"Token: ": "bad"}, &seen)); err == nil {
		t.Fatal("bad token accepted")
	}
}

func TestKeyboardInteractiveHookMustBeAbsolute(t *testing.T) {
	e := newEnv(t, envOpts{})
	cfg := defaultSFTPDConfig()
	cfg.KeyboardInteractiveAuthHook = "relative/hook.sh"
	if _, err := New(cfg, e.common, e.store, sharedConfigDir, nil); err == nil {
		t.Fatal("relative hook path accepted")
	}
}
