package httpd

import (
	"bytes"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// browser is a cookie-keeping client that follows the web UIs like a
// user would: it reads CSRF tokens from the pages it gets.
type browser struct {
	t    *testing.T
	e    *testEnv
	c    *http.Client
	last string // body of the last page
	csrf string
}

func (e *testEnv) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: e.ts.Client().Transport}
	return &browser{t: e.t, e: e, c: c}
}

var csrfRe = regexp.MustCompile(`name="_form_token" value="([^"]+)"|name="csrf-token" content="([^"]*)"`)

func (b *browser) keep(resp *http.Response) (int, string) {
	b.t.Helper()
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	b.last = string(body)
	for _, m := range csrfRe.FindAllStringSubmatch(b.last, -1) {
		if v := m[1] + m[2]; v != "" {
			b.csrf = v
			break
		}
	}
	return resp.StatusCode, b.last
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.e.ts.URL + path)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.keep(resp)
}

// post submits a form with the current CSRF token (unless the form sets
// its own _form_token).
func (b *browser) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	if _, ok := form["_form_token"]; !ok {
		form.Set("_form_token", b.csrf)
	}
	resp, err := b.c.PostForm(b.e.ts.URL+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.keep(resp)
}

func mustContain(t *testing.T, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(body, s) {
			t.Fatalf("page does not contain %q:\n%s", s, excerpt(body))
		}
	}
}

func excerpt(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "…"
	}
	return s
}

func TestWebAdminSetupLoginAndNavigation(t *testing.T) {
	e := newUserEnv(t)
	// the env has an admin: setup is closed
	b := e.browser()
	if code, body := b.get("/web/admin/setup"); code != http.StatusOK || !strings.Contains(body, "Sign in") {
		t.Fatalf("setup with an admin: %d", code)
	}
	// wrong password, field kept, no session
	b.get("/web/admin/login")
	code, body := b.post("/web/admin/login", url.Values{"username": {testAdmin}, "password": {"nope"}})
	if code != http.StatusUnauthorized {
		t.Fatalf("bad login: %d", code)
	}
	mustContain(t, body, "Invalid credentials", `value="admin"`)
	code, body = b.post("/web/admin/login", url.Values{"username": {testAdmin}, "password": {testPassword}})
	if code != http.StatusOK {
		t.Fatalf("login: %d %s", code, excerpt(body))
	}
	mustContain(t, body, "Users", "Add user")
	// every admin page answers and is linked from the navigation
	for _, p := range []string{"/web/admin/users", "/web/admin/groups", "/web/admin/folders", "/web/admin/admins",
		"/web/admin/apikeys", "/web/admin/connections", "/web/admin/status", "/web/admin/maintenance", "/web/admin/profile",
		"/web/admin/user", "/web/admin/group", "/web/admin/folder", "/web/admin/admin", "/web/admin/apikey"} {
		code, body := b.get(p)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", p, code, excerpt(body))
		}
		for _, nav := range []string{"/web/admin/users", "/web/admin/groups", "/web/admin/folders", "/web/admin/admins",
			"/web/admin/apikeys", "/web/admin/connections", "/web/admin/status", "/web/admin/maintenance", "/web/admin/profile"} {
			mustContain(t, body, `href="`+nav+`"`)
		}
	}
	// a post without the CSRF token is refused
	code, _ = b.post("/web/admin/user", url.Values{"_form_token": {"forged"}, "username": {"x"}})
	if code != http.StatusForbidden {
		t.Fatalf("forged CSRF: %d", code)
	}
	b.post("/web/admin/logout", url.Values{})
	if code, body := b.get("/web/admin/users"); code != http.StatusOK || !strings.Contains(body, "Sign in") {
		t.Fatalf("after logout: %d", code)
	}
}

func TestWebAdminFirstRunSetup(t *testing.T) {
	e := newUserEnv(t)
	if err := e.store.DeleteAdmin(t.Context(), testAdmin); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	code, body := b.get("/web/admin/login")
	if code != http.StatusOK || !strings.Contains(body, "No administrator exists yet") {
		t.Fatalf("login without admins should show setup: %d", code)
	}
	code, body = b.post("/web/admin/setup", url.Values{"username": {"root"}, "password": {"R00t-pass!"}, "confirm_password": {"other"}})
	if code != http.StatusBadRequest {
		t.Fatalf("mismatched passwords: %d", code)
	}
	mustContain(t, body, "the passwords do not match", `value="root"`)
	code, body = b.post("/web/admin/setup", url.Values{"username": {"root"}, "password": {"R00t-pass!"}, "confirm_password": {"R00t-pass!"}})
	if code != http.StatusOK || !strings.Contains(body, "Welcome! Your admin account is ready.") {
		t.Fatalf("setup: %d %s", code, excerpt(body))
	}
	if code, _ := b.get("/web/admin/setup"); code != http.StatusOK || !strings.Contains(b.last, "Users") {
		t.Fatal("setup page still open")
	}
}

func TestWebAdminUserFormValidation(t *testing.T) {
	e := newUserEnv(t)
	b := e.browser()
	b.get("/web/admin/login")
	b.post("/web/admin/login", url.Values{"username": {testAdmin}, "password": {testPassword}})
	b.get("/web/admin/user")
	home := t.TempDir()
	form := url.Values{
		"username": {"webuser"}, "password": {"W3b-pass!"}, "status": {"1"}, "home_dir": {home},
		"permissions./": {"*"}, "quota_size": {"lots"}, "filesystem.provider": {"0"}, "description": {"typed text"},
	}
	code, body := b.post("/web/admin/user", form)
	if code != http.StatusBadRequest {
		t.Fatalf("bad quota: %d", code)
	}
	mustContain(t, body, "not a valid size", `value="typed text"`, `value="lots"`)
	// a store validation error lands next to its field
	form.Set("quota_size", "10M")
	form.Set("filters.allowed_ip", "not-a-network")
	code, body = b.post("/web/admin/user", form)
	if code != http.StatusBadRequest {
		t.Fatalf("bad network: %d", code)
	}
	mustContain(t, body, "not a valid network", "not-a-network", `has-error`)
	form.Del("filters.allowed_ip")
	form["filters.file_patterns.path"] = []string{"/", ""}
	form["filters.file_patterns.denied_patterns"] = []string{"*.exe", ""}
	form["filters.file_patterns.allowed_patterns"] = []string{"", ""}
	form["filters.file_patterns.deny_policy"] = []string{"1", "0"}
	form["filters.denied_protocols"] = []string{"FTP"}
	code, body = b.post("/web/admin/user", form)
	if code != http.StatusOK {
		t.Fatalf("create: %d %s", code, excerpt(body))
	}
	mustContain(t, body, "User webuser created.")
	u, err := e.store.GetUser(t.Context(), "webuser")
	if err != nil {
		t.Fatal(err)
	}
	if u.QuotaSize != 10<<20 || u.HomeDir != home || len(u.Filters.FilePatterns) != 1 || u.Filters.FilePatterns[0].DenyPolicy != 1 ||
		len(u.Filters.DeniedProtocols) != 1 || u.Description != "typed text" {
		t.Fatalf("stored user: %+v", u)
	}
	// the edit form shows the values back and saving it unchanged keeps them
	code, body = b.get("/web/admin/user/webuser")
	if code != http.StatusOK {
		t.Fatal(code)
	}
	mustContain(t, body, `value="10M"`, `value="*.exe"`)
	edit := url.Values{"status": {"1"}, "home_dir": {home}, "permissions./": {"list", "download"}, "quota_size": {"10M"},
		"filesystem.provider": {"4"}, "filesystem.cryptconfig.passphrase": {"secret-phrase"}}
	if code, body := b.post("/web/admin/user/webuser", edit); code != http.StatusOK {
		t.Fatalf("edit: %d %s", code, excerpt(body))
	}
	u, _ = e.store.GetUser(t.Context(), "webuser")
	if u.FsConfig.Provider != 4 || u.FsConfig.CryptConfig.Passphrase == nil || u.FsConfig.CryptConfig.Passphrase.Payload == "secret-phrase" {
		t.Fatalf("crypt config not stored encrypted: %+v", u.FsConfig.CryptConfig.Passphrase)
	}
	if !u.HasPerm("download", "/") || u.HasPerm("upload", "/") {
		t.Fatalf("permissions %v", u.Permissions)
	}
	// saving again without typing the passphrase keeps it
	before := *u.FsConfig.CryptConfig.Passphrase
	edit.Del("filesystem.cryptconfig.passphrase")
	if code, _ := b.post("/web/admin/user/webuser", edit); code != http.StatusOK {
		t.Fatal(code)
	}
	u, _ = e.store.GetUser(t.Context(), "webuser")
	if u.FsConfig.CryptConfig.Passphrase == nil || u.FsConfig.CryptConfig.Passphrase.Payload != before.Payload {
		t.Fatal("stored secret lost on edit")
	}
	// password kept: the user can still log in
	e.userToken("webuser", "W3b-pass!")
	// delete
	if code, _ := b.post("/web/admin/user/webuser/delete", url.Values{}); code != http.StatusOK {
		t.Fatal(code)
	}
	if _, err := e.store.GetUser(t.Context(), "webuser"); err == nil {
		t.Fatal("user not deleted")
	}
}

func TestWebClientFilesAndShares(t *testing.T) {
	e := newUserEnv(t)
	u := e.addUser("wendy")
	b := e.browser()
	b.get("/web/client/login")
	code, body := b.post("/web/client/login", url.Values{"username": {"wendy"}, "password": {testUserPassword}})
	if code != http.StatusOK {
		t.Fatalf("client login: %d %s", code, excerpt(body))
	}
	mustContain(t, body, "This folder is empty")

	// upload through the page's endpoint (header token, multipart)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreateFormFile("filenames", "hello.txt")
	_, _ = w.Write([]byte("hello web"))
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/web/client/upload?path=/", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set(csrfHeader, b.csrf)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := b.keep(resp); code != http.StatusCreated {
		t.Fatalf("upload: %d %s", code, body)
	}
	// without the header the upload is refused
	req, _ = http.NewRequest(http.MethodPost, e.ts.URL+"/web/client/upload?path=/", strings.NewReader("--x--"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	resp, _ = b.c.Do(req)
	if code, _ := b.keep(resp); code != http.StatusForbidden {
		t.Fatalf("upload without CSRF: %d", code)
	}

	_, body = b.get("/web/client/files")
	mustContain(t, body, "hello.txt")
	// the page's own download link works (query escaped once)
	m := regexp.MustCompile(`href="(/web/client/download\?path=[^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no download link")
	}
	if code, got := b.get(html.UnescapeString(m[1])); code != http.StatusOK || got != "hello web" {
		t.Fatalf("download link %s: %d", m[1], code)
	}
	if code, body := b.get("/web/client/download?path=%2Fhello.txt"); code != http.StatusOK || body != "hello web" {
		t.Fatalf("download: %d %q", code, body)
	}
	if _, body := b.get("/web/client/preview?path=%2Fhello.txt"); !strings.Contains(body, "hello web") {
		t.Fatal("preview")
	}
	b.get("/web/client/files")
	b.post("/web/client/mkdir", url.Values{"dir": {"/"}, "name": {"docs"}})
	_, body = b.post("/web/client/rename", url.Values{"dir": {"/"}, "path": {"/hello.txt"}, "target": {"/docs"}})
	mustContain(t, body, "is now /docs/hello.txt")
	if _, err := os.Stat(filepath.Join(u.HomeDir, "docs", "hello.txt")); err != nil {
		t.Fatal(err)
	}

	// share the folder, then open the link with a fresh client
	b.get("/web/client/share?path=%2Fdocs")
	_, body = b.post("/web/client/share", url.Values{"name": {"docs"}, "scope": {"1"}, "paths": {"/docs"}, "password": {"Sh4re!"}})
	mustContain(t, body, "/web/client/pubshares/")
	link := regexp.MustCompile(`/web/client/pubshares/([A-Za-z0-9_-]+)`).FindString(body)
	anon := e.browser()
	_, body = anon.get(link)
	mustContain(t, body, "protected by a password")
	code, _ = anon.post(link+"/login", url.Values{"password": {"wrong"}})
	if code != http.StatusUnauthorized {
		t.Fatalf("wrong share password: %d", code)
	}
	_, body = anon.post(link+"/login", url.Values{"password": {"Sh4re!"}})
	mustContain(t, body, "hello.txt")
	if code, body := anon.get(link + "/getfile?path=hello.txt"); code != http.StatusOK || body != "hello web" {
		t.Fatalf("share download: %d %q", code, body)
	}

	// the share password form keeps errors next to the field
	_, body = b.post("/web/client/share", url.Values{"name": {""}, "scope": {"1"}, "paths": {"/docs"}})
	mustContain(t, body, "is required")

	b.post("/web/client/delete", url.Values{"dir": {"/"}, "path": {"/docs"}})
	if _, err := os.Stat(filepath.Join(u.HomeDir, "docs")); !os.IsNotExist(err) {
		t.Fatal("delete from the web client failed")
	}
}
