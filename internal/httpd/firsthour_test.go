package httpd

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
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
	return func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
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

// TestWebClientVirtualFolders: a mount point (and a directory leading to
// one) offers no rename, move or delete in the web client, and the API
// says why it refuses.
func TestWebClientVirtualFolders(t *testing.T) {
	e := newUserEnv(t)
	for _, name := range []string{"vf1", "vf2"} {
		f := dataprovider.BaseVirtualFolder{Name: name, MappedPath: t.TempDir()}
		if err := e.store.AddFolder(t.Context(), &f); err != nil {
			t.Fatal(err)
		}
	}
	e.addUser("vfuser", func(u *dataprovider.User) {
		u.VirtualFolders = []dataprovider.VirtualFolder{
			{BaseVirtualFolder: dataprovider.BaseVirtualFolder{Name: "vf1"}, VirtualPath: "/mounted", QuotaSize: -1, QuotaFiles: -1},
			{BaseVirtualFolder: dataprovider.BaseVirtualFolder{Name: "vf2"}, VirtualPath: "/deep/inner", QuotaSize: -1, QuotaFiles: -1},
		}
	})
	tok := bearer(e.userToken("vfuser", testUserPassword))
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/user/dirs?path=%2Fplain", tok, nil)

	for _, c := range []struct{ method, path, want string }{
		{http.MethodPatch, "/api/v2/user/dirs?path=%2Fmounted&target=%2Fother", "a virtual folder cannot be renamed"},
		{http.MethodPost, "/api/v2/user/file-actions/move?path=%2Fmounted&target=%2Fplain%2Fmounted", "a virtual folder cannot be renamed"},
		{http.MethodDelete, "/api/v2/user/dirs?path=%2Fmounted", "a virtual folder cannot be deleted"},
		{http.MethodPatch, "/api/v2/user/dirs?path=%2Fdeep&target=%2Fdeeper", "containing a virtual folder cannot be renamed"},
	} {
		r := e.do(c.method, c.path, tok, nil)
		if r.status != http.StatusForbidden || !strings.Contains(string(r.body), c.want) {
			t.Errorf("%s %s: %d %s, want 403 %q", c.method, c.path, r.status, r.body, c.want)
		}
	}

	b := e.browser()
	b.get("/web/client/login")
	b.post("/web/client/login", url.Values{"username": {"vfuser"}, "password": {testUserPassword}})
	code, body := b.get("/web/client/files?path=%2F")
	if code != http.StatusOK {
		t.Fatalf("files: %d", code)
	}
	row := func(name string) string {
		i := strings.Index(body, `<tr data-name="`+name+`">`)
		if i < 0 {
			t.Fatalf("no row for %s:\n%s", name, excerpt(body))
		}
		j := strings.Index(body[i:], "</tr>")
		return body[i : i+j]
	}
	for _, name := range []string{"mounted", "deep"} {
		r := row(name)
		for _, action := range []string{`aria-label="Rename `, `aria-label="Move `, `aria-label="Delete `, `data-file value=`} {
			if strings.Contains(r, action) {
				t.Errorf("virtual folder row %s offers %s", name, action)
			}
		}
		if !strings.Contains(r, `data-testid="virtual"`) {
			t.Errorf("row %s is not marked as a virtual folder", name)
		}
	}
	r := row("plain")
	for _, action := range []string{`aria-label="Rename plain"`, `aria-label="Move plain"`, `aria-label="Delete plain"`} {
		if !strings.Contains(r, action) {
			t.Errorf("plain directory lacks %s", action)
		}
	}
}

// withQuotaTracking wires file access with data_provider.track_quota t.
func withQuotaTracking(t common.QuotaTracking) envOption {
	return func(o *Options) {
		if o.Store == nil {
			return
		}
		c, err := common.New(config.CommonConfig{UploadMode: common.UploadModeAtomic},
			common.Deps{Store: o.Store, KMS: testSecrets{}, Logger: slog.New(slog.DiscardHandler), TrackQuota: t})
		if err != nil {
			panic(err)
		}
		o.Common = c
		o.Connections = c
	}
}

// TestWebAdminFirstHour: the web admin pages a new administrator met.
func TestWebAdminFirstHour(t *testing.T) {
	e := newUserEnv(t, withQuotaTracking(common.TrackQuotaDisabled))
	b := e.browser()
	b.get("/web/admin/login")
	b.post("/web/admin/login", url.Values{"username": {testAdmin}, "password": {testPassword}})

	// An S3 user needs no home directory (no users_base_dir here); the
	// field is marked as for local storage only.
	code, body := b.get("/web/admin/user")
	if code != http.StatusOK {
		t.Fatal(code)
	}
	mustContain(t, body, `data-fs-only="0 4"`)
	s3 := url.Values{
		"username": {"clouduser"}, "password": {"Cl0ud-pass!"}, "status": {"1"}, "permissions./": {"*"},
		"filesystem.provider": {"1"}, "filesystem.s3config.bucket": {"bkt"}, "filesystem.s3config.region": {"us-east-1"},
		"filesystem.s3config.access_key": {"AKID"}, "filesystem.s3config.access_secret": {"typed-secret"},
		"description": {"kept text"}, "quota_files": {"many"},
	}
	// A failed save keeps what was typed, except the secret, and says so.
	code, body = b.post("/web/admin/user", s3)
	if code != http.StatusBadRequest {
		t.Fatalf("bad quota_files: %d", code)
	}
	mustContain(t, body, `value="kept text"`, `value="bkt"`, `value="AKID"`, `data-testid="retype"`, "type them again")
	if strings.Contains(body, "typed-secret") || strings.Contains(body, "Cl0ud-pass!") {
		t.Fatal("a typed secret was sent back to the browser")
	}
	s3.Set("quota_files", "0")
	code, body = b.post("/web/admin/user", s3)
	if code != http.StatusOK || !strings.Contains(body, "User clouduser created.") {
		t.Fatalf("S3 user without home dir: %d %s", code, excerpt(body))
	}
	u, err := e.store.GetUser(t.Context(), "clouduser")
	if err != nil || u.HomeDir != "" || u.FsConfig.S3Config.Bucket != "bkt" {
		t.Fatalf("stored %+v %v", u, err)
	}
	// a local user still needs one
	code, body = b.post("/web/admin/user", url.Values{"username": {"localuser"}, "password": {"L0cal-pass!"}, "status": {"1"},
		"permissions./": {"*"}, "filesystem.provider": {"0"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "home_dir is required") {
		t.Fatalf("local user without home: %d", code)
	}

	// Quota tracking is off: the list says so instead of "0 B".
	code, body = b.get("/web/admin/users")
	if code != http.StatusOK {
		t.Fatal(code)
	}
	mustContain(t, body, "not tracked", "S3 bkt")
	if _, body = b.get("/web/admin/user/clouduser"); !strings.Contains(body, "Quota usage not tracked") {
		t.Fatalf("edit form does not say the quota is not tracked:\n%s", excerpt(body))
	}

	// A folder used only through a group is not shown as unused.
	f := dataprovider.BaseVirtualFolder{Name: "teamdocs", MappedPath: t.TempDir()}
	if err := e.store.AddFolder(t.Context(), &f); err != nil {
		t.Fatal(err)
	}
	g := dataprovider.Group{Name: "team", VirtualFolders: []dataprovider.VirtualFolder{
		{BaseVirtualFolder: dataprovider.BaseVirtualFolder{Name: "teamdocs"}, VirtualPath: "/team", QuotaSize: -1, QuotaFiles: -1}}}
	if err := e.store.AddGroup(t.Context(), &g); err != nil {
		t.Fatal(err)
	}
	_, body = b.get("/web/admin/folders")
	i := strings.Index(body, `data-testid="used-by"`)
	if i < 0 {
		t.Fatalf("no used-by column:\n%s", excerpt(body))
	}
	if cell := body[i:min(len(body), i+200)]; !strings.Contains(cell, "1 group") || !strings.Contains(cell, "group team") {
		t.Fatalf("folder used by a group: %s", cell)
	}
}

// TestWebClientNoEpochDates: an entry without a modification time (as an
// object store's directories) shows a dash, not 1970-01-01.
func TestWebClientNoEpochDates(t *testing.T) {
	e := newUserEnv(t)
	u := e.addUser("epoch")
	dir := filepath.Join(u.HomeDir, "prefix")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(dir, time.Unix(0, 0), time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.get("/web/client/login")
	b.post("/web/client/login", url.Values{"username": {"epoch"}, "password": {testUserPassword}})
	_, body := b.get("/web/client/files?path=%2F")
	mustContain(t, body, `<tr data-name="prefix">`, "not recorded by this storage")
	if strings.Contains(body, "1970-01-01") {
		t.Fatal("the page shows 1970-01-01")
	}
}

// TestWebFormKeepsAPIOnlyFields: saving a user in the web admin keeps the
// SFTPGo fields the form has no input for.
func TestWebFormKeepsAPIOnlyFields(t *testing.T) {
	e := newUserEnv(t)
	adm := e.adminAuth()
	home := t.TempDir()
	u := testUser("apionly")
	u["home_dir"] = home
	u["filters"] = map[string]any{"external_auth_cache_time": 60}
	u["filesystem"] = map[string]any{"provider": 0, "osconfig": map[string]any{"read_buffer_size": 4, "write_buffer_size": 5}}
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/users", adm, u)
	b := e.browser()
	b.get("/web/admin/login")
	b.post("/web/admin/login", url.Values{"username": {testAdmin}, "password": {testPassword}})
	b.get("/web/admin/user/apionly")
	code, body := b.post("/web/admin/user/apionly", url.Values{"status": {"1"}, "home_dir": {home}, "permissions./": {"*"},
		"filesystem.provider": {"0"}, "description": {"edited in the browser"}})
	if code != http.StatusOK {
		t.Fatalf("save: %d %s", code, excerpt(body))
	}
	got, err := e.store.GetUser(t.Context(), "apionly")
	if err != nil {
		t.Fatal(err)
	}
	if got.Description != "edited in the browser" || got.Filters.ExternalAuthCacheTime != 60 ||
		got.FsConfig.OSConfig.ReadBufferSize != 4 || got.FsConfig.OSConfig.WriteBufferSize != 5 {
		t.Fatalf("web save dropped API-only fields: %+v %+v", got.Filters, got.FsConfig.OSConfig)
	}
}
