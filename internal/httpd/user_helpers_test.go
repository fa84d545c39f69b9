package httpd

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

const testUserPassword = "Us3r-password!"

// withCommon wires file access (a common.Server over the env's store).
func withCommon(cfg config.CommonConfig) envOption {
	return func(o *Options) {
		if o.Store == nil {
			return
		}
		c, err := common.New(cfg, common.Deps{Store: o.Store, KMS: testSecrets{}, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			panic(err)
		}
		o.Common = c
		o.Connections = c
	}
}

// newUserEnv is a test env with file access and web UIs enabled.
func newUserEnv(t *testing.T, opts ...envOption) *testEnv {
	t.Helper()
	e := newTestEnv(t, append([]envOption{withCommon(config.CommonConfig{UploadMode: common.UploadModeAtomic})}, opts...)...)
	// serve the web UIs too
	e.ts.Close()
	e.ts = httptest.NewServer(e.srv.router(config.HTTPDBinding{EnableRESTAPI: true, EnableWebAdmin: true, EnableWebClient: true}))
	t.Cleanup(e.ts.Close)
	t.Cleanup(func() {
		if e.srv.common != nil {
			e.srv.common.Close()
		}
	})
	return e
}

// addUser creates a local user with a home in a temp dir; mod may change
// it before it is stored.
func (e *testEnv) addUser(name string, mod ...func(*dataprovider.User)) dataprovider.User {
	e.t.Helper()
	u := dataprovider.User{
		Username:    name,
		Password:    testUserPassword,
		Status:      dataprovider.StatusEnabled,
		HomeDir:     e.t.TempDir(),
		Permissions: map[string][]string{"/": {dataprovider.PermAny}},
	}
	for _, m := range mod {
		m(&u)
	}
	if err := e.store.AddUser(context.Background(), &u); err != nil {
		e.t.Fatalf("add user %s: %v", name, err)
	}
	return u
}

func (e *testEnv) userToken(name, pass string) string {
	e.t.Helper()
	r := e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/token", basic(name, pass), nil)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	r.json(e.t, &tok)
	if tok.AccessToken == "" {
		e.t.Fatalf("no token in %s", r.body)
	}
	return tok.AccessToken
}

// multipartBody builds a "filenames" upload of name -> content.
func multipartBody(t *testing.T, files map[string][]byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for name, data := range files {
		w, err := mw.CreateFormFile("filenames", name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(data)
	}
	_ = mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// raw sends a request with an explicit body and content type.
func (e *testEnv) raw(method, path string, a auth, contentType string, body io.Reader, hdr map[string]string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if a != nil {
		a(req)
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

func (e *testEnv) upload(path string, a auth, files map[string][]byte) response {
	e.t.Helper()
	ct, body := multipartBody(e.t, files)
	return e.raw(http.MethodPost, path, a, ct, bytes.NewReader(body), nil)
}

func dirNames(t *testing.T, r response) map[string]dirEntry {
	t.Helper()
	var list []dirEntry
	if err := json.Unmarshal(r.body, &list); err != nil {
		t.Fatalf("listing %q: %v", r.body, err)
	}
	out := map[string]dirEntry{}
	for _, d := range list {
		out[d.Name] = d
	}
	return out
}

func errContains(t *testing.T, r response, sub string) {
	t.Helper()
	if !strings.Contains(string(r.body), sub) {
		t.Fatalf("body %s does not mention %q", r.body, sub)
	}
}
