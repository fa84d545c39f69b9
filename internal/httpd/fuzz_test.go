package httpd

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// FuzzDecodeJSON feeds untrusted bodies to the strict object decoder and
// the lenient backup decoder: they must never panic and must either
// succeed or return an error a client can read.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"username":"a","permissions":{"/":["*"]}}`,
		`{"username":"a","filesystem":{"provider":1,"s3config":{"access_secret":{"status":"Plain","payload":"x"}}}}`,
		`{"users":[{"username":"u"}],"version":16,"configs":{"x":1}}`,
		`{"a":`, `[]`, `null`, `{"quota_size":"1"}`, `{} {}`, "\xff",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, strict := range []bool{true, false} {
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			rec := httptest.NewRecorder()
			var u dataprovider.User
			if err := decodeJSON(rec, req, &u, maxObjectBodySize, strict); err != nil && err.Error() == "" {
				t.Fatal("empty error message")
			}
			req = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			var b dataprovider.BackupData
			if err := decodeJSON(rec, req, &b, maxRestoreSize, strict); err != nil && err.Error() == "" {
				t.Fatal("empty error message")
			}
		}
	})
}

// fuzzServer is a server over a memory store (naming_rules 1: any
// printable name) with one superuser admin and a bearer token for it.
type fuzzServer struct {
	h     http.Handler
	store *dataprovider.Store
	auth  string
}

func newFuzzServer(tb testing.TB) *fuzzServer {
	tb.Helper()
	ctx := context.Background()
	st, err := dataprovider.Open(ctx, dataprovider.Options{
		Config: config.DataProviderConfig{Driver: "memory", NamingRules: dataprovider.NamingRuleAllowUTF8,
			PasswordHashing: config.PasswordHashing{Algo: "bcrypt", BcryptOptions: config.BcryptOptions{Cost: 4}}},
		ConfigDir: tb.TempDir(),
		Secrets:   testSecrets{},
		Logger:    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	fs := &fuzzServer{store: st}
	fs.ensureAdmin(tb)
	srv, err := New(Options{Store: st, Logger: slog.New(slog.DiscardHandler), BackupsPath: tb.TempDir(),
		DataProviderDriver: "memory", Connections: &fakeConns{}})
	if err != nil {
		tb.Fatal(err)
	}
	fs.h = srv.router(config.HTTPDBinding{EnableRESTAPI: true, EnableWebAdmin: true, EnableWebClient: true})
	req := httptest.NewRequest(http.MethodGet, "/api/v2/token", nil)
	req.SetBasicAuth(testAdmin, testPassword)
	rec := httptest.NewRecorder()
	fs.h.ServeHTTP(rec, req)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
		tb.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	fs.auth = "Bearer " + tok.AccessToken
	return fs
}

// ensureAdmin (re)creates the admin the fuzzer authenticates as, should
// an input have deleted or changed it.
func (fs *fuzzServer) ensureAdmin(tb testing.TB) {
	ctx := context.Background()
	a, err := fs.store.GetAdmin(ctx, testAdmin)
	if err == nil && a.Status == dataprovider.StatusEnabled && len(a.Permissions) == 1 &&
		a.Permissions[0] == dataprovider.AdminPermAny && a.Role == "" && len(a.Filters.AllowList) == 0 {
		return
	}
	_ = fs.store.DeleteAdmin(ctx, testAdmin)
	a = dataprovider.Admin{Username: testAdmin, Password: testPassword, Status: dataprovider.StatusEnabled,
		Permissions: []string{dataprovider.AdminPermAny}}
	if err := fs.store.AddAdmin(ctx, &a); err != nil {
		tb.Fatalf("add admin: %v", err)
	}
}

func (fs *fuzzServer) serve(method string, u *url.URL, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/", strings.NewReader(body))
	req.URL = u
	req.RequestURI = u.RequestURI()
	req.Header.Set("Authorization", fs.auth)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	fs.h.ServeHTTP(rec, req)
	return rec
}

var fuzzMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete}

// FuzzRESTPaths sends untrusted paths, methods and JSON bodies to the
// REST API and web routes: no request may panic or end in a 500 (the
// memory store never fails on its own), and nothing locks the fuzzer out
// but the requests it skips (logout, its own admin's changes).
func FuzzRESTPaths(f *testing.F) {
	for _, s := range []struct {
		m          uint8
		path, body string
	}{
		{0, "/api/v2/users", ""},
		{1, "/api/v2/users", `{"username":"%61b","status":1,"password":"p","home_dir":"/h","permissions":{"/":["*"]}}`},
		{0, "/api/v2/users/%2561b", ""},
		{2, "/api/v2/users/%2561b", `{"username":"%61b","status":1,"home_dir":"/h","permissions":{"/":["*"]},"uid":4294967296}`},
		{3, "/api/v2/users/a%2Fb", ""},
		{1, "/api/v2/folders", `{"name":"f","mapped_path":"/srv/f\u0000"}`},
		{2, "/api/v2/quotas/users/%61b/usage?mode=add", `{"used_quota_size":9223372036854775807}`},
		{2, "/api/v2/quotas/folders/f/usage", `{"used_quota_size":4611686018427387903}`},
		{1, "/api/v2/groups", `{"name":"g","user_settings":{"quota_size":-1}}`},
		{0, "/api/v2/apikeys/%zz", ""},
		{0, "/api/v2/dumpdata?output-data=1", ""},
		{1, "/api/v2/loaddata", `{"users":[{"username":"x"}],"version":16}`},
		{0, "/web/admin/user/%2561b", ""},
		{0, "/static/..%2F..%2Fetc%2Fpasswd", ""},
		{0, "/api/v2/user%73/%61b", ""},
	} {
		f.Add(s.m, s.path, s.body)
	}
	fs := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, m uint8, target, body string) {
		method := fuzzMethods[int(m)%len(fuzzMethods)]
		u, err := url.ParseRequestURI(target)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(u.Path, "/") {
			return
		}
		rp := strings.ToLower(routePath(u))
		if strings.Contains(rp, "logout") || (method != http.MethodGet && strings.Contains(rp, "admin")) {
			return
		}
		rec := fs.serve(method, u, body)
		if rec.Code == http.StatusInternalServerError {
			t.Fatalf("%s %q %q: 500 %s", method, target, body, rec.Body)
		}
		fs.ensureAdmin(t)
	})
}

// FuzzPathParamName: whatever a name holds, the REST API reaches the
// object of that name by escaping it once (url.PathEscape, or every byte
// escaped), and no other object.
func FuzzPathParamName(f *testing.F) {
	for _, s := range []string{"ab", "%61b", "a%2Fb", "a b", "%25", "a+b", "é%", "%", "a%", "~x.y_z-"} {
		f.Add(s)
	}
	fs := newFuzzServer(f)
	ctx := context.Background()
	for _, n := range []string{"ab", "a", "b", "x"} {
		u := dataprovider.User{Username: n, Status: 1, HomeDir: "/h/" + n, Permissions: map[string][]string{"/": {"*"}}}
		if err := fs.store.AddUser(ctx, &u); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, name string) {
		u := dataprovider.User{Username: name, Status: 1, HomeDir: "/h/n", Permissions: map[string][]string{"/": {"*"}}}
		added := fs.store.AddUser(ctx, &u) == nil
		if added {
			defer func() { _ = fs.store.DeleteUser(ctx, name) }()
		}
		var all strings.Builder
		for i := 0; i < len(name); i++ {
			fmt.Fprintf(&all, "%%%02X", name[i])
		}
		if name == "" {
			return // "/api/v2/users/" is the list
		}
		for _, esc := range []string{url.PathEscape(name), all.String()} {
			u, err := url.ParseRequestURI("/api/v2/users/" + esc)
			if err != nil {
				t.Fatalf("escaped name %q does not parse: %v", esc, err)
			}
			rec := fs.serve(http.MethodGet, u, "")
			switch {
			case rec.Code == http.StatusOK:
				var got dataprovider.User
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
					t.Fatal(err)
				}
				if got.Username != name {
					t.Fatalf("GET /users/%s for %q returned the user %q", esc, name, got.Username)
				}
			case added && name != "" && rec.Code != http.StatusMovedPermanently:
				t.Fatalf("GET /users/%s for the existing user %q: %d %s", esc, name, rec.Code, rec.Body)
			case rec.Code >= 500:
				t.Fatalf("GET /users/%s: %d %s", esc, rec.Code, rec.Body)
			}
		}
	})
}
