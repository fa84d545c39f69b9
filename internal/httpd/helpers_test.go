package httpd

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

const (
	testAdmin    = "admin"
	testPassword = "Adm1n-password!"
)

// testSecrets stands in for the KMS: a reversible scrambling that never
// leaves the clear text visible.
type testSecrets struct{}

func (testSecrets) Encrypt(s *kms.Secret, ad string) error {
	if !s.IsPlain() {
		return nil
	}
	b := []byte(s.Payload)
	for i := range b {
		b[i] ^= 0x5a
	}
	s.Status = kms.StatusAES256GCM
	s.Payload = base64.StdEncoding.EncodeToString(b)
	s.AdditionalData = ad
	return nil
}

func (testSecrets) Decrypt(s *kms.Secret) (string, error) {
	if s.IsPlain() {
		return s.Payload, nil
	}
	b, err := base64.StdEncoding.DecodeString(s.Payload)
	if err != nil {
		return "", err
	}
	for i := range b {
		b[i] ^= 0x5a
	}
	return string(b), nil
}

// openTestStore opens a real store: memory, or sqlite in a temp dir.
func openTestStore(t *testing.T, driver string) *dataprovider.Store {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	cfg := config.DataProviderConfig{
		Driver:          driver,
		PasswordHashing: config.PasswordHashing{Algo: "bcrypt", BcryptOptions: config.BcryptOptions{Cost: 4}},
	}
	if driver == "sqlite" {
		cfg.Name = "sftpgo.db"
	}
	st, err := dataprovider.Open(ctx, dataprovider.Options{
		Config:    cfg,
		ConfigDir: dir,
		Secrets:   testSecrets{},
		Logger:    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return st
}

// testEnv is a server over a real store with one superuser admin.
type testEnv struct {
	t     *testing.T
	srv   *Server
	store *dataprovider.Store
	ts    *httptest.Server
	conns *fakeConns
}

type envOption func(*Options)

// driverEnv selects the store driver of a test env (default memory).
var driverEnv = func(d string) envOption { return func(o *Options) { o.DataProviderDriver = d } }

func newTestEnv(t *testing.T, opts ...envOption) *testEnv {
	t.Helper()
	o := Options{DataProviderDriver: "memory"}
	for _, f := range opts {
		f(&o)
	}
	st := openTestStore(t, o.DataProviderDriver)
	admin := dataprovider.Admin{
		Username:    testAdmin,
		Password:    testPassword,
		Status:      dataprovider.StatusEnabled,
		Permissions: []string{dataprovider.AdminPermAny},
	}
	if err := st.AddAdmin(context.Background(), &admin); err != nil {
		t.Fatalf("add admin: %v", err)
	}
	conns := &fakeConns{}
	o = Options{
		Store:              st,
		Logger:             slog.New(slog.DiscardHandler),
		BackupsPath:        t.TempDir(),
		DataProviderDriver: o.DataProviderDriver,
		Version:            VersionInfo{Version: "9.9.9", BuildDate: "2026-01-01", CommitHash: "abc", Features: []string{"+sftp"}},
		Connections:        conns,
	}
	o.Config.OpenAPIPath = "openapi"
	for _, f := range opts {
		f(&o)
	}
	srv, err := New(o)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &testEnv{t: t, srv: srv, store: st, ts: ts, conns: conns}
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

// apiErr decodes an error body and checks both members are present.
func (r response) apiErr(t *testing.T) apiResponse {
	t.Helper()
	var e apiResponse
	r.json(t, &e)
	if e.Error == "" || e.Message == "" {
		t.Fatalf("error body lacks error/message: %s", r.body)
	}
	return e
}

// auth describes how a request authenticates.
type auth func(*http.Request)

func bearer(tok string) auth {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func apiKey(k string) auth {
	return func(r *http.Request) { r.Header.Set(apiKeyHeader, k) }
}

func basic(u, p string) auth {
	return func(r *http.Request) { r.SetBasicAuth(u, p) }
}

// do sends a request; body may be nil, a string/[]byte (raw) or a value
// to JSON-encode.
func (e *testEnv) do(method, path string, a auth, body any) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a != nil {
		a(req)
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// expect sends a request and fails unless the status matches.
func (e *testEnv) expect(status int, method, path string, a auth, body any) response {
	e.t.Helper()
	r := e.do(method, path, a, body)
	if r.status != status {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, status, r.body)
	}
	return r
}

func (e *testEnv) token(user, pass string) string {
	e.t.Helper()
	r := e.expect(http.StatusOK, http.MethodGet, "/api/v2/token", basic(user, pass), nil)
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresAt   string `json:"expires_at"`
	}
	r.json(e.t, &tok)
	if tok.AccessToken == "" {
		e.t.Fatalf("no token in %s", r.body)
	}
	return tok.AccessToken
}

func (e *testEnv) adminAuth() auth { return bearer(e.token(testAdmin, testPassword)) }

// addAdmin creates an admin with perms through the store.
func (e *testEnv) addAdmin(name string, perms ...string) {
	e.t.Helper()
	a := dataprovider.Admin{Username: name, Password: testPassword, Status: dataprovider.StatusEnabled, Permissions: perms}
	if err := e.store.AddAdmin(context.Background(), &a); err != nil {
		e.t.Fatalf("add admin %s: %v", name, err)
	}
}

// fakeConns is a ConnectionsProvider with a fixed list.
type fakeConns struct {
	mu     sync.Mutex
	list   []ConnectionStatus
	closed []string
}

func (f *fakeConns) Connections() []ConnectionStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ConnectionStatus(nil), f.list...)
}

func (f *fakeConns) CloseConnection(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, c := range f.list {
		if c.ConnectionID == id {
			f.list = append(f.list[:i], f.list[i+1:]...)
			f.closed = append(f.closed, id)
			return true
		}
	}
	return false
}

func testUser(name string) map[string]any {
	return map[string]any{
		"username":    name,
		"status":      1,
		"password":    "Us3r-password!",
		"home_dir":    "/srv/sftpgo/" + name,
		"permissions": map[string][]string{"/": {"*"}},
	}
}
