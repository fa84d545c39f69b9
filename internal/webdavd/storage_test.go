package webdavd

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

func TestUploadAbortedAtomic(t *testing.T) {
	e := newEnv(t, envOpts{common: configCommon{UploadMode: 1}})
	e.addUser(t, "alice", nil)
	if code, _ := e.status(t, "PUT", "/f.txt", "alice", []byte("old content"), nil); code != http.StatusCreated {
		t.Fatalf("PUT: %d", code)
	}
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequest("PUT", e.url+"f.txt", pr)
		req.ContentLength = 10 << 20
		req.SetBasicAuth("alice", testPassword)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
	}()
	pw.Write(randomBytes(t, 1<<20))
	pw.CloseWithError(io.ErrUnexpectedEOF)
	<-done
	home := filepath.Join(e.base, "homes", "alice")
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && len(e.common.Connections()) > 0 {
		time.Sleep(10 * time.Millisecond)
	}
	got, _ := os.ReadFile(filepath.Join(home, "f.txt"))
	if string(got) != "old content" {
		t.Fatalf("content after aborted upload: %d bytes", len(got))
	}
	entries, _ := os.ReadDir(home)
	if len(entries) != 1 {
		t.Fatalf("leftovers: %v", entries)
	}
}

func TestQuota(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "small", func(u *dataprovider.User) { u.QuotaSize = 100 << 10 })
	if code, _ := e.status(t, "PUT", "/ok.bin", "small", randomBytes(t, 10<<10), nil); code != http.StatusCreated {
		t.Fatalf("small PUT: %d", code)
	}
	if code, _ := e.status(t, "PUT", "/big.bin", "small", randomBytes(t, 1<<20), nil); code != http.StatusInsufficientStorage {
		t.Fatalf("over quota PUT: %d", code)
	}
	// unknown length: stopped while streaming
	resp := e.do(t, nil, "PUT", "/big2.bin", "small", io.MultiReader(bytes.NewReader(randomBytes(t, 1<<20))), nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInsufficientStorage {
		t.Fatalf("over quota chunked PUT: %d", resp.StatusCode)
	}
	for _, n := range []string{"big.bin", "big2.bin"} {
		if _, err := os.Stat(filepath.Join(e.base, "homes", "small", n)); !os.IsNotExist(err) {
			t.Fatalf("%s left behind: %v", n, err)
		}
	}
	u, _ := e.store.GetUser(context.Background(), "small")
	if u.UsedQuotaSize != 10<<10 || u.UsedQuotaFiles != 1 {
		t.Fatalf("used quota %d/%d", u.UsedQuotaSize, u.UsedQuotaFiles)
	}
}

func TestDeleteRefusesTreeWithMount(t *testing.T) {
	e := newEnv(t, envOpts{})
	folderDir := filepath.Join(e.base, "folder")
	os.MkdirAll(folderDir, 0o755)
	os.WriteFile(filepath.Join(folderDir, "keep.txt"), []byte("keep"), 0o644)
	if err := e.store.AddFolder(context.Background(), &dataprovider.BaseVirtualFolder{Name: "shared", MappedPath: folderDir}); err != nil {
		t.Fatal(err)
	}
	e.addUser(t, "alice", func(u *dataprovider.User) {
		u.VirtualFolders = []dataprovider.VirtualFolder{{BaseVirtualFolder: dataprovider.BaseVirtualFolder{Name: "shared"}, VirtualPath: "/top/mnt", QuotaSize: -1, QuotaFiles: -1}}
	})
	// /top exists only as the parent of the mount point until created
	if code, _ := e.status(t, "MKCOL", "/top", "alice", nil, nil); code != http.StatusMethodNotAllowed {
		t.Fatalf("MKCOL over a virtual directory: %d", code)
	}
	os.MkdirAll(filepath.Join(e.base, "homes", "alice", "top"), 0o755)
	if code, _ := e.status(t, "DELETE", "/top", "alice", nil, nil); code != http.StatusForbidden {
		t.Fatalf("DELETE: %d", code)
	}
	if _, err := os.Stat(filepath.Join(folderDir, "keep.txt")); err != nil {
		t.Fatalf("folder content removed: %v", err)
	}
	// moving a file between the home and the folder copies and deletes
	if code, _ := e.status(t, "PUT", "/top/f.txt", "alice", []byte("cross"), nil); code != http.StatusCreated {
		t.Fatalf("PUT: %d", code)
	}
	if code, body := e.status(t, "MOVE", "/top/f.txt", "alice", nil, map[string]string{"Destination": e.url + "top/mnt/f.txt"}); code != http.StatusCreated {
		t.Fatalf("cross-storage MOVE: %d %s", code, body)
	}
	got, _ := os.ReadFile(filepath.Join(folderDir, "f.txt"))
	if string(got) != "cross" {
		t.Fatalf("moved content %q", got)
	}
	if _, err := os.Stat(filepath.Join(e.base, "homes", "alice", "top", "f.txt")); !os.IsNotExist(err) {
		t.Fatalf("source left: %v", err)
	}
}

func TestEncryptedStorage(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "enc", func(u *dataprovider.User) {
		u.FsConfig = dataprovider.Filesystem{
			Provider:    dataprovider.CryptedFilesystemProvider,
			CryptConfig: dataprovider.CryptConfig{Passphrase: kms.NewPlainSecret("a long test passphrase")},
		}
	})
	data := randomBytes(t, 3<<20+77)
	if code, body := e.status(t, "PUT", "/secret.bin", "enc", data, nil); code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", code, body)
	}
	raw, err := os.ReadFile(filepath.Join(e.base, "homes", "enc", "secret.bin"))
	if err != nil || bytes.Contains(raw, data[:64]) {
		t.Fatalf("stored in clear or missing: %v", err)
	}
	code, body := e.status(t, "GET", "/secret.bin", "enc", nil, nil)
	if code != http.StatusOK || sha([]byte(body)) != sha(data) {
		t.Fatalf("GET: %d", code)
	}
	code, body = e.status(t, "GET", "/secret.bin", "enc", nil, map[string]string{"Range": "bytes=2000000-2000099"})
	if code != http.StatusPartialContent || body != string(data[2000000:2000100]) {
		t.Fatalf("Range: %d", code)
	}
	code, body = e.status(t, "PROPFIND", "/secret.bin", "enc", nil, map[string]string{"Depth": "0"})
	if code != http.StatusMultiStatus || !strings.Contains(body, fmt.Sprintf(">%d<", len(data))) {
		t.Fatalf("PROPFIND size: %d %s", code, body)
	}
	if code, _ := e.status(t, "COPY", "/secret.bin", "enc", nil, map[string]string{"Destination": e.url + "copy.bin"}); code != http.StatusCreated {
		t.Fatalf("COPY: %d", code)
	}
	if code, body := e.status(t, "GET", "/copy.bin", "enc", nil, nil); code != http.StatusOK || sha([]byte(body)) != sha(data) {
		t.Fatalf("GET copy: %d", code)
	}
}

func TestPropfindSymlinks(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	e.status(t, "MKCOL", "/real", "alice", nil, nil)
	home := filepath.Join(e.base, "homes", "alice")
	if err := os.Symlink("real", filepath.Join(home, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("nowhere", filepath.Join(home, "dangling")); err != nil {
		t.Fatal(err)
	}
	code, body := e.status(t, "PROPFIND", "/", "alice", nil, map[string]string{"Depth": "1"})
	if code != http.StatusMultiStatus {
		t.Fatalf("PROPFIND: %d %s", code, body)
	}
	ms := parseMultistatus(t, body)
	found := map[string]bool{}
	for _, r := range ms.Responses {
		found[r.Href] = true
	}
	if !found["/link/"] || !found["/real/"] || !found["/"] || !found["/dangling"] {
		t.Fatalf("hrefs %v", found)
	}
}

func TestStalledUpload(t *testing.T) {
	e := newEnv(t, envOpts{common: configCommon{UploadMode: 1}})
	e.srv.transferIdle = 300 * time.Millisecond
	e.addUser(t, "alice", nil)
	pr, pw := io.Pipe()
	defer pw.Close()
	go func() {
		req, _ := http.NewRequest("PUT", e.url+"stalled.bin", pr)
		req.ContentLength = 1 << 20
		req.SetBasicAuth("alice", testPassword)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	pw.Write([]byte("a few bytes and then nothing"))
	deadline := time.Now().Add(30 * time.Second)
	for {
		seen := false
		for _, c := range e.common.Connections() {
			seen = seen || len(c.ActiveTransfers) > 0
		}
		if !seen && e.common.ActiveSessions("alice") == 0 && strings.Contains(e.logs.String(), "upload failed") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("stalled upload still running")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if entries, _ := os.ReadDir(filepath.Join(e.base, "homes", "alice")); len(entries) != 0 {
		t.Fatalf("leftovers: %v", entries)
	}
}

func TestWin32LastModifiedTime(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	e.status(t, "PUT", "/w.txt", "alice", []byte("x"), nil)
	body := `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>` +
		`<Z:Win32LastModifiedTime>Thu, 01 Jan 2015 10:00:00 GMT</Z:Win32LastModifiedTime></D:prop></D:set></D:propertyupdate>`
	if code, resp := e.status(t, "PROPPATCH", "/w.txt", "alice", []byte(body), nil); code != http.StatusMultiStatus || !strings.Contains(resp, "200 OK") {
		t.Fatalf("PROPPATCH: %d %s", code, resp)
	}
	fi, err := os.Stat(filepath.Join(e.base, "homes", "alice", "w.txt"))
	want := time.Date(2015, 1, 1, 10, 0, 0, 0, time.UTC)
	if err != nil || !fi.ModTime().Equal(want) {
		t.Fatalf("mtime %v, want %v (%v)", fi.ModTime(), want, err)
	}
}
