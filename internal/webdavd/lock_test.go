package webdavd

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestLockManagerConflicts(t *testing.T) {
	m := newLockManager()
	// a frozen clock: under the race detector on a loaded machine the
	// 10,000 locks of the cap case take longer than their timeout
	now := time.Now()
	m.now = func() time.Time { return now }
	cases := []struct {
		name     string
		first    [3]any // root, infinite, shared
		second   [3]any
		conflict bool
	}{
		{"exclusive same", [3]any{"/a", false, false}, [3]any{"/a", false, false}, true},
		{"shared same", [3]any{"/a", false, true}, [3]any{"/a", false, true}, false},
		{"shared then exclusive", [3]any{"/a", false, true}, [3]any{"/a", false, false}, true},
		{"infinite parent covers child", [3]any{"/a", true, false}, [3]any{"/a/b", false, false}, true},
		{"depth 0 parent does not cover child", [3]any{"/a", false, false}, [3]any{"/a/b", false, false}, false},
		{"infinite new over locked child", [3]any{"/a/b/c", false, false}, [3]any{"/a", true, false}, true},
		{"depth 0 new over locked child", [3]any{"/a/b/c", false, false}, [3]any{"/a", false, false}, false},
		{"sibling prefix", [3]any{"/a", true, false}, [3]any{"/ab", false, false}, false},
		{"root infinite", [3]any{"/", true, false}, [3]any{"/x", false, false}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := m.create("u", c.first[0].(string), c.first[1].(bool), c.first[2].(bool), "", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			defer m.unlock("u", l.token)
			l2, err := m.create("u", c.second[0].(string), c.second[1].(bool), c.second[2].(bool), "", time.Minute)
			if (err != nil) != c.conflict {
				t.Fatalf("conflict %v, want %v", err, c.conflict)
			}
			if l2 != nil {
				m.unlock("u", l2.token)
			}
			// other users never conflict
			l3, err := m.create("other", c.second[0].(string), c.second[1].(bool), c.second[2].(bool), "", time.Minute)
			if err != nil {
				t.Fatalf("other user: %v", err)
			}
			m.unlock("other", l3.token)
		})
	}
	if m.count() != 0 {
		t.Fatalf("%d locks left", m.count())
	}
	for i := range maxLocksPerUser {
		if _, err := m.create("many", fmt.Sprintf("/f%d", i), false, false, "", time.Minute); err != nil {
			t.Fatalf("lock %d: %v", i, err)
		}
	}
	if _, err := m.create("many", "/one-more", false, false, "", time.Minute); !errors.Is(err, errTooManyLocks) {
		t.Fatalf("lock over the cap: %v", err)
	}
}

func TestLockManagerTimeouts(t *testing.T) {
	m := newLockManager()
	now := time.Now()
	m.now = func() time.Time { return now }
	l, err := m.create("u", "/f", false, false, "", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if l.timeout != 10*time.Second {
		t.Fatalf("timeout %v", l.timeout)
	}
	now = now.Add(8 * time.Second)
	if _, err := m.refresh("u", l.token, 10*time.Second); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	now = now.Add(8 * time.Second) // 16s after creation, 8s after refresh
	if m.get("u", l.token) == nil {
		t.Fatal("refreshed lock expired")
	}
	if _, err := m.refresh("other", l.token, time.Second); err == nil {
		t.Fatal("another user refreshed the lock")
	}
	now = now.Add(3 * time.Second)
	if m.get("u", l.token) != nil {
		t.Fatal("lock outlived its timeout")
	}
	if _, err := m.create("u", "/f", false, false, "", 0); err != nil {
		t.Fatalf("expired lock still conflicts: %v", err)
	}
	for _, c := range []struct {
		in   time.Duration
		want time.Duration
	}{{0, defaultLockTimeout}, {-1, maxLockTimeout}, {time.Hour, time.Hour}, {100 * 24 * time.Hour, maxLockTimeout}} {
		if got := grantTimeout(c.in); got != c.want {
			t.Errorf("grantTimeout(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestParseTimeout(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"":                            0,
		"Infinite":                    -1,
		"Second-60":                   time.Minute,
		"Second-x, Second-30":         30 * time.Second,
		"Infinite, Second-4100000000": -1,
		"garbage":                     0,
	} {
		if got := parseTimeout(in); got != want {
			t.Errorf("parseTimeout(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestParseIfHeader(t *testing.T) {
	cases := []struct {
		in    string
		ok    bool
		lists int
		toks  []string
	}{
		{"(<opaquelocktoken:a>)", true, 1, []string{"opaquelocktoken:a"}},
		{`(<urn:a> ["etag"]) (Not <DAV:no-lock>)`, true, 2, []string{"urn:a", "DAV:no-lock"}},
		{`<http://h/p> (<urn:a>) <http://h/q> (["x]y"])`, true, 2, []string{"urn:a"}},
		{`(not ["W/\"w\""])`, true, 1, nil},
		{"", false, 0, nil},
		{"()", false, 0, nil},
		{"(<urn:a>", false, 0, nil},
		{"<http://h/p>", false, 0, nil},
		{"(<urn:a>) <http://h/p> (<urn:b>)", false, 0, nil},
		{"(garbage)", false, 0, nil},
		{"(Not)", false, 0, nil},
	}
	for _, c := range cases {
		lists, err := parseIfHeader(c.in)
		if (err == nil) != c.ok {
			t.Errorf("%q: err %v, want ok %v", c.in, err, c.ok)
			continue
		}
		if !c.ok {
			continue
		}
		if len(lists) != c.lists {
			t.Errorf("%q: %d lists", c.in, len(lists))
		}
		if got := ifTokens(lists); strings.Join(got, ",") != strings.Join(c.toks, ",") {
			t.Errorf("%q: tokens %v, want %v", c.in, got, c.toks)
		}
	}
	lists, _ := parseIfHeader(`<http://h/p> (Not ["e"])`)
	if lists[0].resource != "http://h/p" || !lists[0].conds[0].not || lists[0].conds[0].etag != `"e"` {
		t.Fatalf("parsed %+v", lists)
	}
}

func FuzzParseIfHeader(f *testing.F) {
	for _, s := range []string{"(<opaquelocktoken:a>)", `<http://h/p> (Not <urn:a> ["e"])`, `(["a]b"])`, "((", "<"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lists, err := parseIfHeader(s)
		if err != nil {
			return
		}
		if len(lists) == 0 {
			t.Fatal("no lists without error")
		}
		for _, l := range lists {
			if len(l.conds) == 0 {
				t.Fatal("empty list accepted")
			}
			for _, c := range l.conds {
				if c.token == "" && c.etag == "" {
					t.Fatal("empty condition")
				}
			}
		}
	})
}

var tokenRE = regexp.MustCompile(`<D:href>(opaquelocktoken:[^<]+)</D:href>`)

const exclusiveLockBody = `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>mailto:alice@example.com</D:href></D:owner></D:lockinfo>`
const sharedLockBody = `<?xml version="1.0" encoding="utf-8"?><lockinfo xmlns="DAV:"><lockscope><shared/></lockscope><locktype><write/></locktype><owner>someone</owner></lockinfo>`

// lock takes a lock and returns its token.
func (e *env) lock(t testing.TB, p, user, body string, hdr map[string]string) (int, string) {
	t.Helper()
	code, resp := e.status(t, "LOCK", p, user, []byte(body), hdr)
	m := tokenRE.FindStringSubmatch(resp)
	if m == nil {
		return code, ""
	}
	return code, m[1]
}

// noKeepAlive sends every request on its own TCP connection, like
// independent WebDAV clients.
var noKeepAlive = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// TestLocksAcrossConnections checks that a lock taken on one connection
// binds requests arriving on others, and that the owner's token unlocks.
func TestLocksAcrossConnections(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	e.status(t, "PUT", "/f.txt", "alice", []byte("v1"), nil)
	code, token := e.lock(t, "/f.txt", "alice", exclusiveLockBody, map[string]string{"Timeout": "Second-600", "Depth": "0"})
	if code != http.StatusOK || token == "" {
		t.Fatalf("LOCK: %d %q", code, token)
	}
	put := func(hdr map[string]string) int {
		req, _ := http.NewRequest("PUT", e.url+"f.txt", strings.NewReader("v2"))
		req.SetBasicAuth("alice", testPassword)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := noKeepAlive.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := put(nil); c != http.StatusLocked {
		t.Fatalf("PUT without token: %d", c)
	}
	if c := put(map[string]string{"If": "(<" + token + ">)"}); c != http.StatusNoContent {
		t.Fatalf("PUT with token: %d", c)
	}
	if c := put(map[string]string{"If": "(<opaquelocktoken:bogus>)"}); c != http.StatusPreconditionFailed {
		t.Fatalf("PUT with a bogus token: %d", c)
	}
	if c, _ := e.lock(t, "/f.txt", "alice", sharedLockBody, nil); c != http.StatusLocked {
		t.Fatalf("second lock: %d", c)
	}
	// PROPPATCH goes through x/net/webdav and this package's LockSystem
	if c, _ := e.status(t, "PROPPATCH", "/f.txt", "alice", proppatchBody(map[string]string{"k": "v"}, nil), nil); c != http.StatusLocked {
		t.Fatalf("PROPPATCH without token: %d", c)
	}
	if c, body := e.status(t, "PROPPATCH", "/f.txt", "alice", proppatchBody(map[string]string{"k": "v"}, nil),
		map[string]string{"If": "(<" + token + ">)"}); c != http.StatusMultiStatus || !strings.Contains(body, "200 OK") {
		t.Fatalf("PROPPATCH with token: %d %s", c, body)
	}
	if c, _ := e.status(t, "PROPPATCH", "/f.txt", "alice", proppatchBody(map[string]string{"k": "v"}, nil),
		map[string]string{"If": `(<` + token + `> ["wrong-etag"])`}); c != http.StatusPreconditionFailed {
		t.Fatalf("PROPPATCH with a wrong etag: %d", c)
	}
	// lockdiscovery shows the lock with its owner
	code, body := e.status(t, "PROPFIND", "/f.txt", "alice", []byte(`<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/></D:prop></D:propfind>`), map[string]string{"Depth": "0"})
	if code != http.StatusMultiStatus || !strings.Contains(body, token) || !strings.Contains(body, "mailto:alice@example.com") || !strings.Contains(body, "exclusive") {
		t.Fatalf("lockdiscovery: %d %s", code, body)
	}
	// a different user has a different namespace
	e.addUser(t, "bob", nil)
	if code, _ := e.status(t, "PUT", "/f.txt", "bob", []byte("bob"), nil); code != http.StatusCreated {
		t.Fatalf("bob PUT: %d", code)
	}
	// refresh
	code, body = e.status(t, "LOCK", "/f.txt", "alice", nil, map[string]string{"If": "(<" + token + ">)", "Timeout": "Second-100"})
	if code != http.StatusOK || !strings.Contains(body, "Second-100") {
		t.Fatalf("refresh: %d %s", code, body)
	}
	if code, _ := e.status(t, "LOCK", "/f.txt", "alice", nil, map[string]string{"If": "(<opaquelocktoken:nope>)"}); code != http.StatusPreconditionFailed {
		t.Fatalf("refresh unknown token: %d", code)
	}
	// UNLOCK needs the token and a URL inside the lock
	if code, _ := e.status(t, "UNLOCK", "/other", "alice", nil, map[string]string{"Lock-Token": "<" + token + ">"}); code != http.StatusConflict {
		t.Fatalf("UNLOCK elsewhere: %d", code)
	}
	if code, _ := e.status(t, "UNLOCK", "/f.txt", "alice", nil, map[string]string{"Lock-Token": token}); code != http.StatusBadRequest {
		t.Fatalf("UNLOCK malformed: %d", code)
	}
	if code, _ := e.status(t, "UNLOCK", "/f.txt", "alice", nil, map[string]string{"Lock-Token": "<" + token + ">"}); code != http.StatusNoContent {
		t.Fatalf("UNLOCK: %d", code)
	}
	if c := put(nil); c != http.StatusNoContent {
		t.Fatalf("PUT after unlock: %d", c)
	}
}

func TestSharedAndCollectionLocks(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	e.status(t, "MKCOL", "/c", "alice", nil, nil)
	e.status(t, "PUT", "/c/existing", "alice", []byte("x"), nil)
	_, s1 := e.lock(t, "/c/existing", "alice", sharedLockBody, map[string]string{"Depth": "0"})
	_, s2 := e.lock(t, "/c/existing", "alice", sharedLockBody, map[string]string{"Depth": "0"})
	if s1 == "" || s2 == "" || s1 == s2 {
		t.Fatalf("shared locks %q %q", s1, s2)
	}
	// either shared token allows the write
	if code, _ := e.status(t, "PUT", "/c/existing", "alice", []byte("y"), map[string]string{"If": "(<" + s2 + ">)"}); code != http.StatusNoContent {
		t.Fatalf("PUT with second shared token: %d", code)
	}
	e.status(t, "UNLOCK", "/c/existing", "alice", nil, map[string]string{"Lock-Token": "<" + s1 + ">"})
	e.status(t, "UNLOCK", "/c/existing", "alice", nil, map[string]string{"Lock-Token": "<" + s2 + ">"})

	// depth 0 on a collection protects its membership, not its members
	_, ct := e.lock(t, "/c", "alice", exclusiveLockBody, map[string]string{"Depth": "0"})
	if code, _ := e.status(t, "PUT", "/c/existing", "alice", []byte("z"), nil); code != http.StatusNoContent {
		t.Fatalf("overwrite member under depth-0 lock: %d", code)
	}
	if code, _ := e.status(t, "PUT", "/c/new", "alice", []byte("z"), nil); code != http.StatusLocked {
		t.Fatalf("new member under depth-0 lock: %d", code)
	}
	if code, _ := e.status(t, "PUT", "/c/new", "alice", []byte("z"), map[string]string{"If": "<" + e.url + "c> (<" + ct + ">)"}); code != http.StatusCreated {
		t.Fatalf("new member with the collection token: %d", code)
	}
	e.status(t, "UNLOCK", "/c", "alice", nil, map[string]string{"Lock-Token": "<" + ct + ">"})

	// depth infinity covers members; DELETE of the collection drops the lock
	_, it := e.lock(t, "/c", "alice", exclusiveLockBody, nil)
	if code, _ := e.status(t, "PUT", "/c/existing", "alice", []byte("w"), nil); code != http.StatusLocked {
		t.Fatalf("member under infinite lock: %d", code)
	}
	if code, _ := e.status(t, "DELETE", "/c", "alice", nil, nil); code != http.StatusLocked {
		t.Fatalf("DELETE locked collection: %d", code)
	}
	if code, _ := e.status(t, "DELETE", "/c", "alice", nil, map[string]string{"If": "(<" + it + ">)"}); code != http.StatusNoContent {
		t.Fatalf("DELETE with token: %d", code)
	}
	if n := e.srv.locks.count(); n != 0 {
		t.Fatalf("%d locks left after DELETE", n)
	}
	// a locked member blocks deleting or moving its parent
	e.status(t, "MKCOL", "/d", "alice", nil, nil)
	e.status(t, "PUT", "/d/m", "alice", []byte("x"), nil)
	_, mt := e.lock(t, "/d/m", "alice", exclusiveLockBody, nil)
	if code, _ := e.status(t, "MOVE", "/d", "alice", nil, map[string]string{"Destination": e.url + "d2"}); code != http.StatusLocked {
		t.Fatalf("MOVE parent of locked member: %d", code)
	}
	if code, _ := e.status(t, "MOVE", "/d", "alice", nil, map[string]string{"Destination": e.url + "d2", "If": "<" + e.url + "d/m> (<" + mt + ">)"}); code != http.StatusCreated {
		t.Fatalf("MOVE with member token: %d", code)
	}
	if e.srv.locks.get("alice", mt) != nil {
		t.Fatal("lock of a moved resource survived")
	}
	// LOCK on an unmapped URL creates an empty resource
	code, tok := e.lock(t, "/d2/new.txt", "alice", exclusiveLockBody, nil)
	if code != http.StatusCreated || tok == "" {
		t.Fatalf("LOCK unmapped: %d", code)
	}
	if code, _ := e.status(t, "LOCK", "/missing/x", "alice", []byte(exclusiveLockBody), nil); code != http.StatusConflict {
		t.Fatalf("LOCK without parent: %d", code)
	}
	if code, _ := e.status(t, "LOCK", "/d2/x", "alice", []byte(`<lockinfo xmlns="DAV:"><locktype><write/></locktype></lockinfo>`), nil); code != http.StatusBadRequest {
		t.Fatalf("LOCK without scope: %d", code)
	}
}
