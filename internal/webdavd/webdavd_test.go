package webdavd

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func TestAuthentication(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	e.addUser(t, "nodav", func(u *dataprovider.User) { u.Filters.DeniedProtocols = []string{dataprovider.ProtocolWebDAV} })
	e.addUser(t, "off", func(u *dataprovider.User) { u.Status = 0 })

	cases := []struct {
		name, user, pass string
		want             int
		wantAuthHeader   bool
	}{
		{"no credentials", "", "", http.StatusUnauthorized, true},
		{"wrong password", "alice", "nope", http.StatusUnauthorized, true},
		{"unknown user", "bob", testPassword, http.StatusUnauthorized, true},
		{"disabled user", "off", testPassword, http.StatusUnauthorized, true},
		{"DAV denied", "nodav", testPassword, http.StatusForbidden, false},
		{"good", "alice", testPassword, http.StatusMultiStatus, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("PROPFIND", e.url, nil)
			req.Header.Set("Depth", "0")
			if c.user != "" {
				req.SetBasicAuth(c.user, c.pass)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, c.want)
			}
			if got := resp.Header.Get("WWW-Authenticate") != ""; got != c.wantAuthHeader {
				t.Fatalf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	if !strings.Contains(e.logs.String(), `"msg":"connection failed"`) || !strings.Contains(e.logs.String(), `"protocol":"DAV"`) {
		t.Fatalf("no connection failed line in the log")
	}
}

func TestDisableWWWAuthHeader(t *testing.T) {
	e := newEnv(t, envOpts{binding: func(b *configBinding) { b.DisableWWWAuthHeader = true }})
	code, _ := e.status(t, "PROPFIND", "/", "", nil, nil)
	resp := e.do(t, nil, "GET", "/x", "", nil, nil)
	resp.Body.Close()
	if code != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != "" {
		t.Fatalf("status %d, header %q", code, resp.Header.Get("WWW-Authenticate"))
	}
}

// TestAuthCache checks that a client's repeated requests are served from
// the cache (one recorded login) and that a wrong password is never
// accepted because of it.
func TestAuthCache(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	for range 5 {
		if code, body := e.status(t, "PROPFIND", "/", "alice", nil, map[string]string{"Depth": "0"}); code != http.StatusMultiStatus {
			t.Fatalf("PROPFIND: %d %s", code, body)
		}
	}
	if n := strings.Count(e.logs.String(), `"msg":"login succeeded"`); n != 1 {
		t.Fatalf("%d logins recorded, want 1 (cache)", n)
	}
	req, _ := http.NewRequest("PROPFIND", e.url, nil)
	req.SetBasicAuth("alice", "wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password with a cached user: %d", resp.StatusCode)
	}
	// a password change invalidates through InvalidateUser
	u, _ := e.store.GetUser(context.Background(), "alice")
	u.Password = "N3wPassw0rd!"
	if err := e.store.UpdateUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	e.srv.InvalidateUser("alice")
	if code, _ := e.status(t, "PROPFIND", "/", "alice", nil, map[string]string{"Depth": "0"}); code != http.StatusUnauthorized {
		t.Fatalf("old password after change: %d", code)
	}
}

func TestUserCacheExpiryAndSize(t *testing.T) {
	c := newUserCache(configUsersCache{ExpirationTime: 1, MaxSize: 2})
	now := time.Now()
	c.now = func() time.Time { return now }
	s := c.secret("password", "pw", nil)
	c.add("a", s, dataprovider.User{Username: "a"})
	now = now.Add(time.Second)
	c.add("b", s, dataprovider.User{Username: "b"})
	c.add("c", s, dataprovider.User{Username: "c"})
	if c.len() != 2 {
		t.Fatalf("%d entries, want 2", c.len())
	}
	if _, ok := c.get("a", s); ok {
		t.Fatal("oldest entry not evicted")
	}
	if _, ok := c.get("b", c.secret("password", "other", nil)); ok {
		t.Fatal("different password matched")
	}
	now = now.Add(2 * time.Minute)
	if _, ok := c.get("b", s); ok {
		t.Fatal("expired entry returned")
	}
}

// TestGoClientRoundTrip uploads and downloads a multi-megabyte file with
// net/http and checks hashes, ETag, Last-Modified, Range and conditional
// GETs.
func TestGoClientRoundTrip(t *testing.T) {
	t.Run("local", func(t *testing.T) { testGoClientRoundTrip(t, envOpts{}) })
	t.Run("streaming", func(t *testing.T) { testGoClientRoundTrip(t, envOpts{newFs: streamingFs}) })
}

func testGoClientRoundTrip(t *testing.T, o envOpts) {
	e := newEnv(t, o)
	e.addUser(t, "alice", nil)
	data := randomBytes(t, 9<<20+123)
	if code, body := e.status(t, "PUT", "/big.bin", "alice", data, nil); code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if code, _ := e.status(t, "PUT", "/big.bin", "alice", data, nil); code != http.StatusNoContent {
		t.Fatalf("overwrite PUT: %d", code)
	}
	resp := e.do(t, nil, "GET", "/big.bin", "alice", nil, nil)
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || sha(got) != sha(data) {
		t.Fatalf("GET: %d, %d bytes, hash match %v", resp.StatusCode, len(got), sha(got) == sha(data))
	}
	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if etag == "" || lm == "" {
		t.Fatalf("ETag %q Last-Modified %q", etag, lm)
	}
	fi, err := os.Stat(filepath.Join(e.base, "homes", "alice", "big.bin"))
	if err != nil || fi.Size() != int64(len(data)) {
		t.Fatalf("on disk: %v %v", fi, err)
	}
	if lm != fi.ModTime().UTC().Format(http.TimeFormat) {
		t.Fatalf("Last-Modified %q, file %v", lm, fi.ModTime())
	}
	resp = e.do(t, nil, "GET", "/big.bin", "alice", nil, map[string]string{"Range": "bytes=1000-1999"})
	part, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(part, data[1000:2000]) {
		t.Fatalf("Range: %d, %d bytes", resp.StatusCode, len(part))
	}
	resp = e.do(t, nil, "GET", "/big.bin", "alice", nil, map[string]string{"Range": fmt.Sprintf("bytes=%d-", len(data)-10)})
	part, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(part, data[len(data)-10:]) {
		t.Fatalf("open Range: %d, %d bytes", resp.StatusCode, len(part))
	}
	if code, _ := e.status(t, "GET", "/big.bin", "alice", nil, map[string]string{"If-None-Match": etag}); code != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", code)
	}
	if code, _ := e.status(t, "GET", "/big.bin", "alice", nil, map[string]string{"Range": "bytes=0-9", "If-Range": `"other"`}); code != http.StatusOK {
		t.Fatalf("If-Range mismatch: %d", code)
	}
	resp = e.do(t, nil, "HEAD", "/big.bin", "alice", nil, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ContentLength != int64(len(data)) || resp.Header.Get("ETag") != etag {
		t.Fatalf("HEAD: %d len %d etag %q", resp.StatusCode, resp.ContentLength, resp.Header.Get("ETag"))
	}
	// PUT preconditions
	if code, _ := e.status(t, "PUT", "/big.bin", "alice", []byte("x"), map[string]string{"If-None-Match": "*"}); code != http.StatusPreconditionFailed {
		t.Fatalf("If-None-Match * on existing: %d", code)
	}
	if code, _ := e.status(t, "PUT", "/big.bin", "alice", []byte("x"), map[string]string{"If-Match": `"nope"`}); code != http.StatusPreconditionFailed {
		t.Fatalf("If-Match mismatch: %d", code)
	}
	if code, _ := e.status(t, "PUT", "/big.bin", "alice", []byte("x"), map[string]string{"Content-Range": "bytes 0-0/1"}); code != http.StatusBadRequest {
		t.Fatalf("partial PUT: %d", code)
	}
	if n := len(e.common.Connections()); n != 0 {
		t.Fatalf("%d connections left registered", n)
	}
}

// TestUploadStreams checks that an upload reaches the storage while the
// client is still sending: the body is never buffered whole.
func TestUploadStreams(t *testing.T) {
	t.Run("local", func(t *testing.T) { testUploadStreams(t, envOpts{}) })
	t.Run("streaming", func(t *testing.T) { testUploadStreams(t, envOpts{newFs: streamingFs}) })
}

func testUploadStreams(t *testing.T, o envOpts) {
	e := newEnv(t, o)
	e.addUser(t, "alice", nil)
	pr, pw := io.Pipe()
	chunk := randomBytes(t, 4<<20)
	done := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest("PUT", e.url+"stream.bin", pr)
		req.SetBasicAuth("alice", testPassword)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			pr.CloseWithError(err)
			done <- nil
			return
		}
		done <- resp
	}()
	if _, err := pw.Write(chunk); err != nil {
		t.Fatal(err)
	}
	// the first chunk must show up as an active transfer while the body
	// is still open
	deadline := time.Now().Add(30 * time.Second)
	var seen int64
	for time.Now().Before(deadline) && seen < int64(len(chunk)) {
		for _, c := range e.common.Connections() {
			for _, tr := range c.ActiveTransfers {
				seen = max(seen, tr.Size)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if seen < int64(len(chunk)) {
		t.Fatalf("transfer shows %d bytes before the body ended", seen)
	}
	if _, err := pw.Write(chunk); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	resp := <-done
	if resp == nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: %v", resp)
	}
	resp.Body.Close()
	got, _ := os.ReadFile(filepath.Join(e.base, "homes", "alice", "stream.bin"))
	if sha(got) != sha(append(append([]byte{}, chunk...), chunk...)) {
		t.Fatal("content mismatch")
	}
}

// TestUploadAbortedAtomic checks that with upload_mode 1 an interrupted
// upload leaves the previous content and no temporary file.
type msResponse struct {
	Href     string `xml:"href"`
	Propstat []struct {
		Status string `xml:"status"`
		Prop   struct {
			Inner []byte `xml:",innerxml"`
		} `xml:"prop"`
	} `xml:"propstat"`
	Status string `xml:"status"`
}

type multistatus struct {
	XMLName   xml.Name     `xml:"DAV: multistatus"`
	Responses []msResponse `xml:"response"`
}

func parseMultistatus(t testing.TB, body string) multistatus {
	t.Helper()
	var ms multistatus
	if err := xml.Unmarshal([]byte(body), &ms); err != nil {
		t.Fatalf("multistatus: %v\n%s", err, body)
	}
	return ms
}

func TestPropfind(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	e.status(t, "MKCOL", "/dir", "alice", nil, nil)
	e.status(t, "PUT", "/dir/a.txt", "alice", []byte("hello"), nil)
	e.status(t, "PUT", "/dir/b c.json", "alice", []byte("{}"), nil)

	code, body := e.status(t, "PROPFIND", "/dir/", "alice", nil, map[string]string{"Depth": "1"})
	if code != http.StatusMultiStatus {
		t.Fatalf("depth 1: %d %s", code, body)
	}
	ms := parseMultistatus(t, body)
	hrefs := map[string]string{}
	for _, r := range ms.Responses {
		hrefs[r.Href] = string(r.Propstat[0].Prop.Inner)
	}
	if len(hrefs) != 3 {
		t.Fatalf("hrefs %v", hrefs)
	}
	if p, ok := hrefs["/dir/a.txt"]; !ok || !strings.Contains(p, "<getcontentlength xmlns=\"DAV:\">5</getcontentlength>") && !strings.Contains(p, ">5<") {
		t.Fatalf("a.txt props: %q", p)
	}
	if p := hrefs["/dir/b%20c.json"]; !strings.Contains(p, "application/json") {
		t.Fatalf("b c.json props: %q (hrefs %v)", p, hrefs)
	}
	if _, ok := hrefs["/dir/"]; !ok {
		t.Fatalf("collection href missing: %v", hrefs)
	}
	code, body = e.status(t, "PROPFIND", "/dir/", "alice", nil, map[string]string{"Depth": "0"})
	if code != http.StatusMultiStatus || len(parseMultistatus(t, body).Responses) != 1 {
		t.Fatalf("depth 0: %d %s", code, body)
	}
	for _, c := range []struct {
		name  string
		depth string
		body  string
		want  int
	}{
		{"malformed", "0", "<propfind xmlns='DAV:'><prop>", http.StatusBadRequest},
		{"not xml", "0", "hello", http.StatusBadRequest},
		{"empty prefix", "0", `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop xmlns:ns1=""><ns1:foo/></D:prop></D:propfind>`, http.StatusBadRequest},
		{"bad depth", "2", "", http.StatusBadRequest},
		{"infinity", "infinity", "", http.StatusForbidden},
		{"named props", "0", `<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/><nope xmlns="urn:x"/></prop></propfind>`, http.StatusMultiStatus},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b []byte
			if c.body != "" {
				b = []byte(c.body)
			}
			code, body := e.status(t, "PROPFIND", "/dir/", "alice", b, map[string]string{"Depth": c.depth})
			if code != c.want {
				t.Fatalf("status %d, want %d: %s", code, c.want, body)
			}
		})
	}
	if code, _ := e.status(t, "PROPFIND", "/missing", "alice", nil, map[string]string{"Depth": "0"}); code != http.StatusNotFound {
		t.Fatalf("missing: %d", code)
	}
}

func proppatchBody(set map[string]string, remove []string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:test:">`)
	if len(set) > 0 {
		b.WriteString("<D:set><D:prop>")
		for k, v := range set {
			fmt.Fprintf(&b, "<Z:%s>%s</Z:%s>", k, v, k)
		}
		b.WriteString("</D:prop></D:set>")
	}
	if len(remove) > 0 {
		b.WriteString("<D:remove><D:prop>")
		for _, k := range remove {
			fmt.Fprintf(&b, "<Z:%s/>", k)
		}
		b.WriteString("</D:prop></D:remove>")
	}
	b.WriteString("</D:propertyupdate>")
	return []byte(b.String())
}

// getProp returns the value of urn:test:name on p, "" with ok false when
// the property is not set.
func (e *env) getProp(t testing.TB, p, user, name string) (string, bool) {
	t.Helper()
	body := []byte(`<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><Z:` + name + ` xmlns:Z="urn:test:"/></D:prop></D:propfind>`)
	code, resp := e.status(t, "PROPFIND", p, user, body, map[string]string{"Depth": "0"})
	if code != http.StatusMultiStatus {
		t.Fatalf("PROPFIND %s: %d %s", p, code, resp)
	}
	ms := parseMultistatus(t, resp)
	for _, ps := range ms.Responses[0].Propstat {
		if strings.Contains(ps.Status, "200") {
			inner := string(ps.Prop.Inner)
			start := strings.Index(inner, ">")
			end := strings.LastIndex(inner, "</")
			if start < 0 || end < start {
				return "", true
			}
			return inner[start+1 : end], true
		}
	}
	return "", false
}

// TestDeadPropertiesPersist checks that dead properties follow MOVE and
// COPY, go away with DELETE and survive a restart of the server.
func TestDeadPropertiesPersist(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	e.status(t, "MKCOL", "/coll", "alice", nil, nil)
	e.status(t, "PUT", "/coll/f.txt", "alice", []byte("x"), nil)
	for _, p := range []string{"/coll", "/coll/f.txt"} {
		code, body := e.status(t, "PROPPATCH", p, "alice", proppatchBody(map[string]string{"color": "blue-" + filepath.Base(p)}, nil), nil)
		if code != http.StatusMultiStatus || !strings.Contains(body, "200 OK") {
			t.Fatalf("PROPPATCH %s: %d %s", p, code, body)
		}
	}
	// a live property is protected
	code, body := e.status(t, "PROPPATCH", "/coll/f.txt", "alice",
		[]byte(`<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:getcontentlength>9</D:getcontentlength></D:prop></D:set></D:propertyupdate>`), nil)
	if code != http.StatusMultiStatus || !strings.Contains(body, "403") {
		t.Fatalf("PROPPATCH live prop: %d %s", code, body)
	}
	if code, _ := e.status(t, "COPY", "/coll", "alice", nil, map[string]string{"Destination": e.url + "copy"}); code != http.StatusCreated {
		t.Fatalf("COPY: %d", code)
	}
	if code, _ := e.status(t, "MOVE", "/coll", "alice", nil, map[string]string{"Destination": e.url + "moved"}); code != http.StatusCreated {
		t.Fatalf("MOVE: %d", code)
	}
	for p, want := range map[string]string{"/copy": "blue-coll", "/copy/f.txt": "blue-f.txt", "/moved": "blue-coll", "/moved/f.txt": "blue-f.txt"} {
		if v, ok := e.getProp(t, p, "alice", "color"); !ok || v != want {
			t.Fatalf("%s color %q %v, want %q", p, v, ok, want)
		}
	}
	// restart: a new server on the same config dir and store
	e.stop()
	e2 := newEnv(t, envOpts{configDir: e.configDir, store: e.store, base: e.base})
	if v, ok := e2.getProp(t, "/moved/f.txt", "alice", "color"); !ok || v != "blue-f.txt" {
		t.Fatalf("after restart: %q %v", v, ok)
	}
	if code, _ := e2.status(t, "DELETE", "/moved", "alice", nil, nil); code != http.StatusNoContent {
		t.Fatalf("DELETE: %d", code)
	}
	e2.status(t, "MKCOL", "/moved", "alice", nil, nil)
	e2.status(t, "PUT", "/moved/f.txt", "alice", []byte("y"), nil)
	if v, ok := e2.getProp(t, "/moved/f.txt", "alice", "color"); ok {
		t.Fatalf("stale property after DELETE and re-create: %q", v)
	}
	// remove
	code, _ = e2.status(t, "PROPPATCH", "/copy/f.txt", "alice", proppatchBody(nil, []string{"color"}), nil)
	if _, ok := e2.getProp(t, "/copy/f.txt", "alice", "color"); code != http.StatusMultiStatus || ok {
		t.Fatalf("removed property still there (%d)", code)
	}
	// other users do not see them
	e2.addUser(t, "bob", nil)
	e2.status(t, "MKCOL", "/copy", "bob", nil, nil)
	if _, ok := e2.getProp(t, "/copy", "bob", "color"); ok {
		t.Fatal("bob sees alice's properties")
	}
}

func TestCopyMoveDeleteMkcol(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	home := filepath.Join(e.base, "homes", "alice")
	dst := func(p string) map[string]string { return map[string]string{"Destination": e.url + p} }
	steps := []struct {
		method, path string
		body         []byte
		hdr          map[string]string
		want         int
	}{
		{"MKCOL", "/a", nil, nil, http.StatusCreated},
		{"MKCOL", "/a", nil, nil, http.StatusMethodNotAllowed},
		{"MKCOL", "/x/y", nil, nil, http.StatusConflict},
		{"MKCOL", "/b", []byte("body"), nil, http.StatusUnsupportedMediaType},
		{"PUT", "/a/f1", []byte("one"), nil, http.StatusCreated},
		{"PUT", "/nope/f1", []byte("one"), nil, http.StatusConflict},
		{"PUT", "/a", []byte("one"), nil, http.StatusMethodNotAllowed},
		{"MKCOL", "/a/sub", nil, nil, http.StatusCreated},
		{"PUT", "/a/sub/f2", []byte("two"), nil, http.StatusCreated},
		{"COPY", "/a", nil, dst("c"), http.StatusCreated},
		{"COPY", "/a", nil, dst("c"), http.StatusNoContent},
		{"COPY", "/a", nil, map[string]string{"Destination": e.url + "c", "Overwrite": "F"}, http.StatusPreconditionFailed},
		{"COPY", "/a", nil, map[string]string{"Destination": e.url + "shallow", "Depth": "0"}, http.StatusCreated},
		{"COPY", "/a", nil, dst("a/sub/inside"), http.StatusForbidden},
		{"COPY", "/a", nil, dst("missing/parent"), http.StatusConflict},
		{"COPY", "/a", nil, map[string]string{"Destination": "http://elsewhere.example/a2"}, http.StatusBadGateway},
		{"MOVE", "/a/f1", nil, dst("a/f1"), http.StatusForbidden},
		{"MOVE", "/a/f1", nil, dst("c/f1"), http.StatusNoContent},
		{"MOVE", "/c", nil, map[string]string{"Destination": e.url + "d", "Depth": "0"}, http.StatusBadRequest},
		{"MOVE", "/c", nil, dst("d"), http.StatusCreated},
		{"DELETE", "/c", nil, nil, http.StatusNotFound},
		{"DELETE", "/d", nil, nil, http.StatusNoContent},
		{"DELETE", "/", nil, nil, http.StatusForbidden},
	}
	for i, s := range steps {
		code, body := e.status(t, s.method, s.path, "alice", s.body, s.hdr)
		if code != s.want {
			t.Fatalf("step %d %s %s: %d, want %d: %s", i, s.method, s.path, code, s.want, body)
		}
	}
	check := func(rel, content string) {
		t.Helper()
		got, err := os.ReadFile(filepath.Join(home, rel))
		if err != nil || string(got) != content {
			t.Fatalf("%s: %q %v", rel, got, err)
		}
	}
	check("a/sub/f2", "two")
	if _, err := os.Stat(filepath.Join(home, "a/f1")); !os.IsNotExist(err) {
		t.Fatalf("moved file still at source: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(home, "shallow")); len(entries) != 0 {
		t.Fatalf("Depth 0 COPY copied members: %v", entries)
	}
	for _, gone := range []string{"c", "d"} {
		if _, err := os.Stat(filepath.Join(home, gone)); !os.IsNotExist(err) {
			t.Fatalf("%s still exists", gone)
		}
	}
}

func TestPermissions(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "admin", nil)
	e.status(t, "MKCOL", "/ro", "admin", nil, nil)
	e.status(t, "PUT", "/ro/f.txt", "admin", []byte("data"), nil)
	ro := e.addUser(t, "reader", func(u *dataprovider.User) {
		u.HomeDir = filepath.Join(e.base, "homes", "admin")
		u.Permissions = map[string][]string{"/": {dataprovider.PermListItems, dataprovider.PermDownload}}
	})
	_ = ro
	for _, c := range []struct {
		method, path string
		body         []byte
		hdr          map[string]string
		want         int
	}{
		{"GET", "/ro/f.txt", nil, nil, http.StatusOK},
		{"PUT", "/ro/f.txt", []byte("x"), nil, http.StatusForbidden},
		{"PUT", "/ro/new.txt", []byte("x"), nil, http.StatusForbidden},
		{"DELETE", "/ro/f.txt", nil, nil, http.StatusForbidden},
		{"MKCOL", "/ro/sub", nil, nil, http.StatusForbidden},
		{"MOVE", "/ro/f.txt", nil, map[string]string{"Destination": e.url + "ro/g.txt"}, http.StatusForbidden},
		{"PROPPATCH", "/ro/f.txt", proppatchBody(map[string]string{"a": "b"}, nil), nil, http.StatusForbidden},
	} {
		code, body := e.status(t, c.method, c.path, "reader", c.body, c.hdr)
		if code != c.want {
			t.Fatalf("%s %s: %d, want %d: %s", c.method, c.path, code, c.want, body)
		}
	}
	e.addUser(t, "nodl", func(u *dataprovider.User) {
		u.HomeDir = filepath.Join(e.base, "homes", "admin")
		u.Permissions = map[string][]string{"/": {dataprovider.PermListItems}}
	})
	if code, _ := e.status(t, "GET", "/ro/f.txt", "nodl", nil, nil); code != http.StatusForbidden {
		t.Fatalf("GET without download: %d", code)
	}
	if code, _ := e.status(t, "PROPFIND", "/ro/", "nodl", nil, map[string]string{"Depth": "1"}); code != http.StatusMultiStatus {
		t.Fatalf("PROPFIND with list only: %d", code)
	}
}

func TestPrefix(t *testing.T) {
	e := newEnv(t, envOpts{binding: func(b *configBinding) { b.Prefix = "/dav/" }})
	e.addUser(t, "alice", nil)
	if code, _ := e.status(t, "PUT", "/f.txt", "alice", []byte("x"), nil); code != http.StatusCreated {
		t.Fatalf("PUT under prefix: %d", code)
	}
	code, body := e.status(t, "PROPFIND", "/", "alice", nil, map[string]string{"Depth": "1"})
	if code != http.StatusMultiStatus || !strings.Contains(body, "<D:href>/dav/f.txt</D:href>") || !strings.Contains(body, "<D:href>/dav/</D:href>") {
		t.Fatalf("PROPFIND: %d %s", code, body)
	}
	req, _ := http.NewRequest("GET", "http://"+e.addr+"/other/f.txt", nil)
	req.SetBasicAuth("alice", testPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("outside prefix: %d", resp.StatusCode)
	}
	if code, _ := e.status(t, "COPY", "/f.txt", "alice", nil, map[string]string{"Destination": "http://" + e.addr + "/other/g.txt"}); code != http.StatusBadGateway {
		t.Fatalf("COPY outside prefix: %d", code)
	}
	if _, err := cleanPrefix("dav"); err == nil {
		t.Fatal("relative prefix accepted")
	}
}

func TestOptions(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	resp := e.do(t, nil, "OPTIONS", "/", "alice", nil, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("DAV") != "1, 2" || !strings.Contains(resp.Header.Get("Allow"), "PROPFIND") {
		t.Fatalf("OPTIONS: %d DAV %q Allow %q", resp.StatusCode, resp.Header.Get("DAV"), resp.Header.Get("Allow"))
	}
	if code, _ := e.status(t, "PATCH", "/", "alice", nil, nil); code != http.StatusMethodNotAllowed {
		t.Fatalf("unknown method: %d", code)
	}
}

// TestDeleteRefusesTreeWithMount checks that deleting a directory that
// holds a virtual folder mount is refused before anything is removed.
// TestEncryptedStorage round-trips through the encrypted local backend:
// sizes are plaintext sizes and ranges decrypt the right bytes.
// TestPropfindSymlinks lists a link to a directory as a collection and a
// dangling link without breaking the response.
// TestStalledUpload checks that an upload whose client stops sending is
// ended by the idle deadline and leaves nothing behind.
