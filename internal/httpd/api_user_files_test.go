package httpd

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func q(p string) string { return url.QueryEscape(p) }

func TestUserTokenAndAccountRules(t *testing.T) {
	e := newUserEnv(t)
	e.addUser("alice")
	e.addUser("noweb", func(u *dataprovider.User) { u.Filters.DeniedProtocols = []string{"HTTP"} })
	e.addUser("off", func(u *dataprovider.User) { u.Status = dataprovider.StatusDisabled })

	tok := e.userToken("alice", testUserPassword)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/dirs", bearer(tok), nil)
	// a user token is not an admin token, and the reverse
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/users", bearer(tok), nil)
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/user/dirs", e.adminAuth(), nil)

	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/user/token", basic("alice", "wrong"), nil)
	r := e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/user/token", basic("noweb", testUserPassword), nil)
	errContains(t, r, "HTTP is not allowed")
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/user/token", basic("off", testUserPassword), nil)

	// denying HTTP later cuts an issued token off
	u, _ := e.store.GetUser(t.Context(), "alice")
	u.Filters.DeniedProtocols = []string{"HTTP"}
	u.Password = ""
	if err := e.store.UpdateUser(t.Context(), &u); err != nil {
		t.Fatal(err)
	}
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/user/dirs", bearer(tok), nil)
}

func TestUserLogoutRevokes(t *testing.T) {
	e := newUserEnv(t)
	e.addUser("bob")
	tok := e.userToken("bob", testUserPassword)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/logout", bearer(tok), nil)
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/user/dirs", bearer(tok), nil)
}

func TestUserLoginRateLimit(t *testing.T) {
	e := newUserEnv(t)
	e.addUser("carol")
	for i := 0; i < loginBurst; i++ {
		e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/user/token", basic("carol", "bad"), nil)
	}
	r := e.expect(http.StatusTooManyRequests, http.MethodGet, "/api/v2/user/token", basic("carol", testUserPassword), nil)
	if r.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	// time heals
	e.srv.now = func() time.Time { return time.Now().Add(loginRefill * 2) }
	e.userToken("carol", testUserPassword)
}

func TestUserFileOperations(t *testing.T) {
	e := newUserEnv(t)
	u := e.addUser("dave")
	a := bearer(e.userToken("dave", testUserPassword))

	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/user/dirs?path="+q("/docs/sub")+"&mkdir_parents=true", a, nil)
	e.expect(http.StatusConflict, http.MethodPost, "/api/v2/user/dirs?path="+q("/docs"), a, nil)

	big := make([]byte, 3<<20+17)
	_, _ = rand.Read(big)
	r := e.upload("/api/v2/user/files?path="+q("/docs"), a, map[string][]byte{"big.bin": big, "note.txt": []byte("hello")})
	if r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	onDisk, err := os.ReadFile(filepath.Join(u.HomeDir, "docs", "big.bin"))
	if err != nil || !bytes.Equal(onDisk, big) {
		t.Fatalf("uploaded file differs on disk (%v)", err)
	}
	entries, _ := os.ReadDir(filepath.Join(u.HomeDir, "docs"))
	for _, de := range entries {
		if strings.HasPrefix(de.Name(), ".sftpgo-upload") {
			t.Fatalf("temp file left behind: %s", de.Name())
		}
	}

	list := dirNames(t, e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/dirs?path="+q("/docs"), a, nil))
	if list["big.bin"].Size != int64(len(big)) || list["sub"].Mode&uint32(os.ModeDir) == 0 || list["note.txt"].LastModified == "" {
		t.Fatalf("listing: %+v", list)
	}

	// full download and a range
	dl := e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/files?path="+q("/docs/big.bin"), a, nil)
	if sha256.Sum256(dl.body) != sha256.Sum256(big) {
		t.Fatal("download is not byte-identical")
	}
	if !strings.HasPrefix(dl.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("Content-Disposition %q", dl.header.Get("Content-Disposition"))
	}
	rg := e.raw(http.MethodGet, "/api/v2/user/files?path="+q("/docs/big.bin"), a, "", nil, map[string]string{"Range": "bytes=100-199"})
	if rg.status != http.StatusPartialContent || !bytes.Equal(rg.body, big[100:200]) {
		t.Fatalf("range: %d, %d bytes", rg.status, len(rg.body))
	}
	// inline text is never served as HTML
	in := e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/files?inline=1&path="+q("/docs/note.txt"), a, nil)
	if !strings.HasPrefix(in.header.Get("Content-Type"), "text/plain") || !strings.Contains(in.header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("inline headers: %v", in.header)
	}

	// single-body upload with mtime
	mt := time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)
	r = e.raw(http.MethodPost, "/api/v2/user/files/upload?mkdir_parents=1&path="+q("/raw/one.txt"), a, "text/plain",
		strings.NewReader("raw body"), map[string]string{"X-SFTPGO-MTIME": "1588748889000"})
	if r.status != http.StatusCreated {
		t.Fatalf("single upload: %d %s", r.status, r.body)
	}
	fi, err := os.Stat(filepath.Join(u.HomeDir, "raw", "one.txt"))
	if err != nil || !fi.ModTime().Equal(mt) {
		t.Fatalf("mtime %v (%v)", fi, err)
	}

	// rename, move, copy
	e.expect(http.StatusOK, http.MethodPatch, "/api/v2/user/files?path="+q("/docs/note.txt")+"&target="+q("/docs/readme.txt"), a, nil)
	e.expect(http.StatusOK, http.MethodPost, "/api/v2/user/file-actions/move?path="+q("/raw")+"&target="+q("/moved"), a, nil)
	e.expect(http.StatusOK, http.MethodPost, "/api/v2/user/file-actions/copy?path="+q("/docs")+"&target="+q("/docs-copy"), a, nil)
	if b, _ := os.ReadFile(filepath.Join(u.HomeDir, "docs-copy", "big.bin")); !bytes.Equal(b, big) {
		t.Fatal("directory copy lost data")
	}
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/user/file-actions/copy?path="+q("/docs")+"&target="+q("/docs/in"), a, nil)

	// metadata
	e.expect(http.StatusOK, http.MethodPatch, "/api/v2/user/files/metadata?path="+q("/moved/one.txt"), a, map[string]int64{"modification_time": 1000})

	// zip of a file and a directory
	z := e.expect(http.StatusOK, http.MethodPost, "/api/v2/user/streamzip", a, []string{"/docs", "/moved/one.txt"})
	zr, err := zip.NewReader(bytes.NewReader(z.body), int64(len(z.body)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		got[f.Name] = b
	}
	if !bytes.Equal(got["docs/big.bin"], big) || string(got["one.txt"]) != "raw body" || string(got["docs/readme.txt"]) != "hello" {
		t.Fatalf("zip entries: %v", len(got))
	}

	// deletes
	e.expect(http.StatusBadRequest, http.MethodDelete, "/api/v2/user/files?path="+q("/docs"), a, nil)
	e.expect(http.StatusOK, http.MethodDelete, "/api/v2/user/files?path="+q("/moved/one.txt"), a, nil)
	e.expect(http.StatusOK, http.MethodDelete, "/api/v2/user/dirs?path="+q("/docs"), a, nil)
	if _, err := os.Stat(filepath.Join(u.HomeDir, "docs")); !os.IsNotExist(err) {
		t.Fatalf("recursive delete left %v", err)
	}
	e.expect(http.StatusNotFound, http.MethodGet, "/api/v2/user/files?path="+q("/docs/big.bin"), a, nil)
	e.expect(http.StatusBadRequest, http.MethodGet, "/api/v2/user/files", a, nil)
}

func TestUserPermissionsAndPatterns(t *testing.T) {
	e := newUserEnv(t)
	u := e.addUser("erin", func(u *dataprovider.User) {
		u.Permissions = map[string][]string{
			"/":       {dataprovider.PermListItems, dataprovider.PermDownload},
			"/upload": {dataprovider.PermListItems, dataprovider.PermUpload, dataprovider.PermCreateDirs},
		}
		u.Filters.FilePatterns = []dataprovider.PatternsFilter{{Path: "/", DeniedPatterns: []string{"*.exe"}}}
	})
	if err := os.MkdirAll(filepath.Join(u.HomeDir, "upload"), 0o755); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(u.HomeDir, "keep.txt"), []byte("x"), 0o644)
	a := bearer(e.userToken("erin", testUserPassword))

	r := e.upload("/api/v2/user/files?path=/", a, map[string][]byte{"a.txt": []byte("x")})
	if r.status != http.StatusForbidden {
		t.Fatalf("upload without permission: %d %s", r.status, r.body)
	}
	if r := e.upload("/api/v2/user/files?path=/upload", a, map[string][]byte{"a.txt": []byte("x")}); r.status != http.StatusCreated {
		t.Fatalf("upload with permission: %d %s", r.status, r.body)
	}
	if r := e.upload("/api/v2/user/files?path=/upload", a, map[string][]byte{"tool.exe": []byte("x")}); r.status != http.StatusForbidden {
		t.Fatalf("denied pattern: %d %s", r.status, r.body)
	}
	// overwrite needs its own permission
	if r := e.upload("/api/v2/user/files?path=/upload", a, map[string][]byte{"a.txt": []byte("y")}); r.status != http.StatusForbidden {
		t.Fatalf("overwrite without permission: %d", r.status)
	}
	e.expect(http.StatusForbidden, http.MethodDelete, "/api/v2/user/files?path=/keep.txt", a, nil)
	e.expect(http.StatusForbidden, http.MethodPost, "/api/v2/user/file-actions/move?path=/keep.txt&target=/k2.txt", a, nil)
	e.expect(http.StatusForbidden, http.MethodPost, "/api/v2/user/dirs?path=/newdir", a, nil)
	if _, err := os.Stat(filepath.Join(u.HomeDir, "upload", "tool.exe")); !os.IsNotExist(err) {
		t.Fatal("denied file was written")
	}
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/files?path=/keep.txt", a, nil)

	// read-only web client option
	e.addUser("ro", func(u *dataprovider.User) { u.Filters.WebClient = []string{webClientWriteDisabled} })
	ro := bearer(e.userToken("ro", testUserPassword))
	e.expect(http.StatusForbidden, http.MethodPost, "/api/v2/user/dirs?path=/x", ro, nil)
}

func TestUserQuotaOnUpload(t *testing.T) {
	e := newUserEnv(t)
	u := e.addUser("fay", func(u *dataprovider.User) { u.QuotaSize = 1000 })
	a := bearer(e.userToken("fay", testUserPassword))
	r := e.upload("/api/v2/user/files", a, map[string][]byte{"big.bin": make([]byte, 5000)})
	if r.status != http.StatusInsufficientStorage {
		t.Fatalf("over quota: %d %s", r.status, r.body)
	}
	if _, err := os.Stat(filepath.Join(u.HomeDir, "big.bin")); !os.IsNotExist(err) {
		t.Fatal("upload over quota left a file")
	}
}

// TestUploadIsAConnection checks an upload in progress is listed as an
// HTTP connection with its transfer, and closing it aborts the upload.
func TestUploadIsAConnection(t *testing.T) {
	e := newUserEnv(t)
	u := e.addUser("gus")
	a := bearer(e.userToken("gus", testUserPassword))

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	result := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/api/v2/user/files", pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		a(req)
		resp, err := e.ts.Client().Do(req)
		if err != nil {
			result <- -1
			return
		}
		resp.Body.Close()
		result <- resp.StatusCode
	}()
	fw, _ := mw.CreateFormFile("filenames", "slow.bin")
	_, _ = fw.Write(make([]byte, 64<<10))

	var id string
	deadline := time.Now().Add(5 * time.Second)
	for id == "" && time.Now().Before(deadline) {
		for _, c := range e.srv.common.Connections() {
			if c.Username == "gus" && c.Protocol == "HTTP" && len(c.ActiveTransfers) == 1 && c.ActiveTransfers[0].OperationType == "upload" {
				id = c.ConnectionID
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if id == "" {
		t.Fatalf("upload not listed: %+v", e.srv.common.Connections())
	}
	// also visible through the admin API
	r := e.expect(http.StatusOK, http.MethodGet, "/api/v2/connections", e.adminAuth(), nil)
	errContains(t, r, id)
	e.expect(http.StatusOK, http.MethodDelete, "/api/v2/connections/"+id, e.adminAuth(), nil)
	go func() { _, _ = io.Copy(pw, neverEnding{}) }()
	select {
	case code := <-result:
		if code == http.StatusCreated {
			t.Fatal("closed upload reported success")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("closing the connection did not stop the upload")
	}
	pw.CloseWithError(io.ErrClosedPipe)
	time.Sleep(50 * time.Millisecond)
	if _, err := os.Stat(filepath.Join(u.HomeDir, "slow.bin")); !os.IsNotExist(err) {
		t.Fatal("aborted upload left a file")
	}
	for _, c := range e.srv.common.Connections() {
		if c.Username == "gus" {
			t.Fatalf("connection still listed: %+v", c)
		}
	}
}

type neverEnding struct{}

func (neverEnding) Read(p []byte) (int, error) {
	time.Sleep(time.Millisecond)
	return len(p), nil
}

func TestUserProfileAndPassword(t *testing.T) {
	e := newUserEnv(t)
	e.addUser("hal")
	tok := e.userToken("hal", testUserPassword)
	a := bearer(tok)
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/user/profile", a, map[string]any{
		"email": "hal@example.com", "description": "me", "allow_api_key_auth": true, "public_keys": []string{}})
	var p userProfile
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/profile", a, nil).json(t, &p)
	if p.Email != "hal@example.com" || !p.AllowAPIKeyAuth {
		t.Fatalf("profile %+v", p)
	}
	e.expect(http.StatusBadRequest, http.MethodPut, "/api/v2/user/changepwd", a, pwdChange{CurrentPassword: "nope", NewPassword: "N3w-password!"})
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/user/changepwd", a, pwdChange{CurrentPassword: testUserPassword, NewPassword: "N3w-password!"})
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/user/dirs", a, nil)
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/user/token", basic("hal", testUserPassword), nil)
	e.userToken("hal", "N3w-password!")
}

func TestUserAPIKey(t *testing.T) {
	e := newUserEnv(t)
	e.addUser("ivy", func(u *dataprovider.User) { u.Filters.AllowAPIKeyAuth = true })
	k := dataprovider.APIKey{Name: "k", Scope: dataprovider.APIKeyScopeUser, User: "ivy"}
	if err := e.store.AddAPIKey(t.Context(), &k); err != nil {
		t.Fatal(err)
	}
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/dirs", apiKey(k.Key), nil)
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/users", apiKey(k.Key), nil)
}
