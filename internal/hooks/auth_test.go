//go:build unix

package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func memStore(t *testing.T) *dataprovider.Store {
	t.Helper()
	cfg := config.Default().DataProvider
	cfg.Driver, cfg.Name = "memory", ""
	cfg.PasswordHashing.BcryptOptions.Cost = 4
	s, err := dataprovider.Open(context.Background(), dataprovider.Options{Config: cfg, ConfigDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

type recorded struct {
	method, query string
	body          []byte
}

// receiver answers with answer(request body) and records every request.
func receiver(t *testing.T, answer func(r *http.Request, body []byte) (int, string)) (string, func() []recorded) {
	t.Helper()
	var mu sync.Mutex
	var got []recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, recorded{r.Method, r.URL.RawQuery, body})
		mu.Unlock()
		code, out := answer(r, body)
		w.WriteHeader(code)
		io.WriteString(w, out)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/hook", func() []recorded {
		mu.Lock()
		defer mu.Unlock()
		return append([]recorded(nil), got...)
	}
}

func defaultRunner(t *testing.T) *Runner {
	hc := config.Default().HTTP
	hc.RetryMax = 0
	return newRunner(t, config.Default().Command, hc)
}

// The HTTP external auth hook gets the login as JSON; a user answer
// creates the user with the login password, 200 with an empty body keeps
// the stored user whose password must match, another status refuses.
func TestExternalAuthHTTP(t *testing.T) {
	store := memStore(t)
	home := t.TempDir()
	url, calls := receiver(t, func(_ *http.Request, body []byte) (int, string) {
		var req map[string]any
		json.Unmarshal(body, &req)
		switch req["password"] {
		case "create-me":
			return 200, `{"status":1,"username":"` + req["username"].(string) + `","home_dir":"` + home + `","permissions":{"/":["*"]},"quota_files":5}`
		case "keep-me":
			return 200, ""
		}
		return 401, ""
	})
	a := &ExternalAuth{Runner: defaultRunner(t), Store: store, Hook: url}
	ctx := context.Background()
	info := LoginInfo{Username: "ext1", IP: "10.1.2.3", Protocol: dataprovider.ProtocolFTP,
		Method: dataprovider.LoginMethodPassword, Password: "create-me"}
	u, handled, err := a.Authenticate(ctx, info, nil)
	if err != nil || !handled || u == nil || u.QuotaFiles != 5 {
		t.Fatalf("create: %v %v %+v", handled, err, u)
	}
	if _, err := store.CheckUserPassword(ctx, "ext1", "create-me"); err != nil {
		t.Fatalf("the login password was not stored: %v", err)
	}
	var req map[string]any
	if err := json.Unmarshal(calls()[0].body, &req); err != nil || req["username"] != "ext1" || req["ip"] != "10.1.2.3" ||
		req["protocol"] != "FTP" || req["user"] != nil {
		t.Fatalf("request: %v %s", err, calls()[0].body)
	}
	// the stored user is sent along now
	info.Password = "keep-me"
	if _, _, err := a.Authenticate(ctx, info, nil); err == nil {
		t.Fatal("empty answer with a password the stored user does not have accepted")
	}
	json.Unmarshal(calls()[1].body, &req)
	if user, _ := req["user"].(map[string]any); user["username"] != "ext1" {
		t.Fatalf("the stored user is not sent: %s", calls()[1].body)
	}
	if _, err := store.CheckUserPassword(ctx, "ext1", "create-me"); err != nil {
		t.Fatal("an empty answer changed the stored password")
	}
	info.Password = "wrong"
	if _, handled, err := a.Authenticate(ctx, info, nil); !handled || !errors.Is(err, ErrDenied) {
		t.Fatalf("refusal: %v %v", handled, err)
	}
	// out of scope: public keys only
	a.Scope = 2
	if _, handled, _ := a.Authenticate(ctx, info, nil); handled {
		t.Fatal("a password login was handled by a public-key-only hook")
	}
}

// filters.external_auth_cache_time: within the time the hook's user
// gave, a login with the credentials it saved does not ask the hook
// again; other credentials do, and without a cache time every login asks.
func TestExternalAuthCacheTime(t *testing.T) {
	store := memStore(t)
	home := t.TempDir()
	cache := 0
	url, calls := receiver(t, func(_ *http.Request, body []byte) (int, string) {
		var req map[string]any
		json.Unmarshal(body, &req)
		if req["password"] != "good" {
			return 401, ""
		}
		return 200, `{"status":1,"username":"` + req["username"].(string) + `","home_dir":"` + home +
			`","permissions":{"/":["*"]},"filters":{"external_auth_cache_time":` + strconv.Itoa(cache) + `}}`
	})
	a := &ExternalAuth{Runner: defaultRunner(t), Store: store, Hook: url}
	ctx := context.Background()
	login := func(user, password string) error {
		_, _, err := a.Authenticate(ctx, LoginInfo{Username: user, IP: "10.1.2.3", Protocol: dataprovider.ProtocolSSH,
			Method: dataprovider.LoginMethodPassword, Password: password}, nil)
		return err
	}
	// no cache time: the hook is asked every time
	for range 2 {
		if err := login("nocache", "good"); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(calls()); n != 2 {
		t.Fatalf("without a cache time the hook ran %d times for 2 logins", n)
	}
	cache = 60
	for range 3 {
		if err := login("cached", "good"); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(calls()); n != 3 {
		t.Fatalf("with a cache time the hook ran %d times for 3 logins, want 1", n-2)
	}
	// another password is not taken from the cache: the hook decides
	if err := login("cached", "bad"); err == nil {
		t.Fatal("a wrong password passed on the cache")
	}
	if n := len(calls()); n != 4 {
		t.Fatal("a password the cache does not know did not reach the hook")
	}
}

// The HTTP pre-login hook: 204 keeps the user, 200 replaces it (fresh,
// usage kept), another status refuses.
func TestPreLoginHTTP(t *testing.T) {
	store := memStore(t)
	ctx := context.Background()
	u := dataprovider.User{Username: "pl", Status: 1, Password: "pl-pass", HomeDir: t.TempDir(), QuotaFiles: 9, Description: "old",
		Permissions: map[string][]string{"/": {"*"}}}
	if err := store.AddUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	if err := store.UpdateUserQuota(ctx, "pl", 100, 2, false); err != nil {
		t.Fatal(err)
	}
	mode := "keep"
	url, calls := receiver(t, func(r *http.Request, body []byte) (int, string) {
		switch mode {
		case "keep":
			return 204, ""
		case "replace":
			return 200, `{"status":1,"username":"pl","home_dir":"` + u.HomeDir + `","permissions":{"/":["list"]}}`
		}
		return 500, ""
	})
	p := &PreLogin{Runner: defaultRunner(t), Store: store, Hook: url}
	info := LoginInfo{Username: "pl", IP: "10.0.0.9", Protocol: "SSH", Method: "publickey"}
	if got, err := p.Run(ctx, info); err != nil || got != nil {
		t.Fatalf("204: %+v %v", got, err)
	}
	c := calls()[0]
	if c.method != http.MethodPost || !strings.Contains(c.query, "login_method=publickey") || !strings.Contains(c.query, "ip=10.0.0.9") ||
		!strings.Contains(c.query, "protocol=SSH") || !strings.Contains(string(c.body), `"description":"old"`) {
		t.Fatalf("request: %+v %s", c, c.body)
	}
	mode = "replace"
	got, err := p.Run(ctx, info)
	if err != nil || got == nil {
		t.Fatalf("200: %v", err)
	}
	stored, _ := store.GetUser(ctx, "pl")
	if stored.QuotaFiles != 0 || stored.Description != "" || stored.UsedQuotaFiles != 2 || stored.UsedQuotaSize != 100 {
		t.Fatalf("replaced user: quota_files %d description %q used %d/%d", stored.QuotaFiles, stored.Description,
			stored.UsedQuotaFiles, stored.UsedQuotaSize)
	}
	if _, err := store.CheckUserPassword(ctx, "pl", "pl-pass"); err != nil {
		t.Fatal("a user without password lost the stored one")
	}
	mode = "fail"
	if _, err := p.Run(ctx, info); err == nil {
		t.Fatal("a failing pre-login hook did not refuse")
	}
}

func TestCheckPasswordHTTPAndScope(t *testing.T) {
	store := memStore(t)
	url, _ := receiver(t, func(_ *http.Request, body []byte) (int, string) {
		var req map[string]string
		json.Unmarshal(body, &req)
		if req["password"] == "otp123" && req["protocol"] == "DAV" {
			return 200, `{"status":2,"to_verify":"otp"}`
		}
		return 200, `{"status":0}`
	})
	c := &CheckPassword{Runner: defaultRunner(t), Store: store, Hook: url, Scope: 4}
	ans, handled, err := c.Check(context.Background(), LoginInfo{Username: "x", Protocol: "DAV"}, "otp123")
	if err != nil || !handled || ans.Status != 2 || ans.ToVerify != "otp" {
		t.Fatalf("DAV: %+v %v %v", ans, handled, err)
	}
	if _, handled, _ := c.Check(context.Background(), LoginInfo{Username: "x", Protocol: "SSH"}, "otp123"); handled {
		t.Fatal("SSH is out of scope 4")
	}
}

func TestPostConnectHTTP(t *testing.T) {
	url, calls := receiver(t, func(r *http.Request, _ []byte) (int, string) {
		if r.URL.Query().Get("ip") == "192.0.2.1" {
			return 403, ""
		}
		return 200, ""
	})
	p := &PostConnect{Runner: defaultRunner(t), Hook: url}
	if err := p.Check(context.Background(), "FTP", "192.0.2.2"); err != nil {
		t.Fatal(err)
	}
	if err := p.Check(context.Background(), "FTP", "192.0.2.1"); err == nil {
		t.Fatal("refused address admitted")
	}
	if c := calls()[0]; c.method != http.MethodGet || !strings.Contains(c.query, "protocol=FTP") {
		t.Fatalf("request %+v", c)
	}
}

// The provider action program gets the object without secrets.
func TestProviderActionProgram(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	p := script(t, `printf '%s|%s|%s|%s|%s\n' "$SFTPGO_PROVIDER_ACTION" "$SFTPGO_PROVIDER_OBJECT_TYPE" "$SFTPGO_PROVIDER_OBJECT_NAME" "$SFTPGO_PROVIDER_USERNAME" "$SFTPGO_PROVIDER_OBJECT" > `+out+"\n")
	bg := NewBackground()
	pa := &ProviderActions{Runner: defaultRunner(t), BG: bg, Hook: p, ExecuteOn: []string{"update"}, ExecuteFor: []string{"user"}}
	u := dataprovider.User{Username: "obj", Password: "$2a$10$hash"}
	pa.Notify(dataprovider.ObjectChange{Action: "add", ObjectType: "user", ObjectName: "obj", Object: u})
	pa.Notify(dataprovider.ObjectChange{Action: "update", ObjectType: "admin", ObjectName: "obj", Object: u})
	pa.Notify(dataprovider.ObjectChange{Action: "update", ObjectType: "user", ObjectName: "obj", Object: u,
		Actor: dataprovider.Actor{Username: "root"}})
	if err := bg.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(data))
	if !strings.HasPrefix(line, "update|user|obj|root|{") || strings.Contains(line, "hash") || !strings.Contains(line, `"has_password":true`) {
		t.Fatalf("got %q", line)
	}
}
