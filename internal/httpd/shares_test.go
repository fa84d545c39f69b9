package httpd

import (
	"archive/zip"
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func (e *testEnv) addShare(a auth, sh map[string]any) string {
	e.t.Helper()
	r := e.expect(http.StatusCreated, http.MethodPost, "/api/v2/user/shares", a, sh)
	id := r.header.Get("X-Object-ID")
	if id == "" || !strings.HasSuffix(r.header.Get("Location"), "/user/shares/"+id) {
		e.t.Fatalf("share headers: %v", r.header)
	}
	return id
}

func TestSharesCRUDAndPublicRead(t *testing.T) {
	e := newUserEnv(t)
	u := e.addUser("sam")
	e.addUser("other")
	_ = os.MkdirAll(filepath.Join(u.HomeDir, "pub", "sub"), 0o755)
	_ = os.WriteFile(filepath.Join(u.HomeDir, "pub", "a.txt"), []byte("alpha"), 0o644)
	_ = os.WriteFile(filepath.Join(u.HomeDir, "pub", "sub", "b.txt"), []byte("beta"), 0o644)
	a := bearer(e.userToken("sam", testUserPassword))

	id := e.addShare(a, map[string]any{"name": "pub", "scope": 1, "paths": []string{"/pub"}, "max_tokens": 3})
	var sh dataprovider.Share
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/shares/"+id, a, nil).json(t, &sh)
	if sh.Username != "sam" || sh.Paths[0] != "/pub" || sh.Password != "" {
		t.Fatalf("share %+v", sh)
	}
	other := bearer(e.userToken("other", testUserPassword))
	e.expect(http.StatusNotFound, http.MethodGet, "/api/v2/user/shares/"+id, other, nil)
	e.expect(http.StatusNotFound, http.MethodDelete, "/api/v2/user/shares/"+id, other, nil)

	// public access needs no credentials
	list := dirNames(t, e.expect(http.StatusOK, http.MethodGet, "/api/v2/shares/"+id+"/dirs", nil, nil))
	if _, ok := list["a.txt"]; !ok || len(list) != 2 {
		t.Fatalf("share listing %v", list)
	}
	sub := dirNames(t, e.expect(http.StatusOK, http.MethodGet, "/api/v2/shares/"+id+"/dirs?path=sub", nil, nil))
	if _, ok := sub["b.txt"]; !ok {
		t.Fatalf("sub listing %v", sub)
	}
	// no escape from the shared directory
	escaped := dirNames(t, e.expect(http.StatusOK, http.MethodGet, "/api/v2/shares/"+id+"/dirs?path=../..", nil, nil))
	if _, ok := escaped["pub"]; ok {
		t.Fatal("listing escaped the shared directory")
	}
	f := e.expect(http.StatusOK, http.MethodGet, "/api/v2/shares/"+id+"/files?path=sub/b.txt", nil, nil)
	if string(f.body) != "beta" {
		t.Fatalf("share file %q", f.body)
	}
	z := e.expect(http.StatusOK, http.MethodGet, "/api/v2/shares/"+id, nil, nil)
	zr, err := zip.NewReader(bytes.NewReader(z.body), int64(len(z.body)))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
	}
	if !names["pub/a.txt"] || !names["pub/sub/b.txt"] {
		t.Fatalf("zip names %v", names)
	}
	// write scope refused on a read share
	e.expect(http.StatusForbidden, http.MethodPost, "/api/v2/shares/"+id+"/x.txt", nil, "data")
	// three uses spent (file + zip + ... ) -> the fourth is refused
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/shares/"+id+"/files?path=a.txt", nil, nil)
	e.expect(http.StatusForbidden, http.MethodGet, "/api/v2/shares/"+id+"/files?path=a.txt", nil, nil)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/shares/"+id, a, nil).json(t, &sh)
	if sh.UsedTokens != 3 || sh.LastUseAt == 0 {
		t.Fatalf("usage not recorded: %+v", sh)
	}

	var shares []dataprovider.Share
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/shares", a, nil).json(t, &shares)
	if len(shares) != 1 {
		t.Fatalf("%d shares", len(shares))
	}
	e.expect(http.StatusOK, http.MethodDelete, "/api/v2/user/shares/"+id, a, nil)
	e.expect(http.StatusNotFound, http.MethodGet, "/api/v2/shares/"+id, nil, nil)
}

func TestSharePasswordExpiryAndWrite(t *testing.T) {
	e := newUserEnv(t)
	u := e.addUser("tia")
	_ = os.MkdirAll(filepath.Join(u.HomeDir, "inbox"), 0o755)
	a := bearer(e.userToken("tia", testUserPassword))

	id := e.addShare(a, map[string]any{"name": "drop", "scope": 2, "paths": []string{"/inbox"}, "password": "sh4re-pass"})
	var sh dataprovider.Share
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/shares/"+id, a, nil).json(t, &sh)
	if sh.Password != dataprovider.RedactedSharePassword {
		t.Fatalf("password not redacted: %q", sh.Password)
	}
	r := e.upload("/api/v2/shares/"+id, nil, map[string][]byte{"in.txt": []byte("incoming")})
	if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") == "" {
		t.Fatalf("upload without password: %d %v", r.status, r.header)
	}
	if r := e.upload("/api/v2/shares/"+id, basic("x", "wrong"), map[string][]byte{"in.txt": []byte("x")}); r.status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.status)
	}
	if r := e.upload("/api/v2/shares/"+id, basic("x", "sh4re-pass"), map[string][]byte{"in.txt": []byte("incoming")}); r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	r = e.raw(http.MethodPost, "/api/v2/shares/"+id+"/single.txt", basic("x", "sh4re-pass"), "text/plain", strings.NewReader("one"), nil)
	if r.status != http.StatusCreated {
		t.Fatalf("single upload: %d %s", r.status, r.body)
	}
	if b, _ := os.ReadFile(filepath.Join(u.HomeDir, "inbox", "single.txt")); string(b) != "one" {
		t.Fatalf("single upload content %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(u.HomeDir, "inbox", "in.txt")); string(b) != "incoming" {
		t.Fatalf("upload content %q", b)
	}
	// read refused on a write-only share
	e.expect(http.StatusForbidden, http.MethodGet, "/api/v2/shares/"+id, basic("x", "sh4re-pass"), nil)

	// update keeps the password when sent back redacted; expiry in the past closes it
	sh.Name = "drop2"
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/user/shares/"+id, a, sh)
	if r := e.upload("/api/v2/shares/"+id, basic("x", "sh4re-pass"), map[string][]byte{"2.txt": []byte("x")}); r.status != http.StatusCreated {
		t.Fatalf("after update: %d %s", r.status, r.body)
	}
	stored, _ := e.store.GetShare(t.Context(), id)
	stored.ExpiresAt = time.Now().Add(-time.Minute).UnixMilli()
	if err := e.store.Driver().UpdateShare(t.Context(), &stored); err != nil {
		t.Fatal(err)
	}
	r = e.upload("/api/v2/shares/"+id, basic("x", "sh4re-pass"), map[string][]byte{"3.txt": []byte("x")})
	if r.status != http.StatusForbidden {
		t.Fatalf("expired share: %d", r.status)
	}
	errContains(t, r, "expired")
}

func TestShareFollowsOwnerRules(t *testing.T) {
	e := newUserEnv(t)
	u := e.addUser("uma")
	_ = os.WriteFile(filepath.Join(u.HomeDir, "f.txt"), []byte("x"), 0o644)
	a := bearer(e.userToken("uma", testUserPassword))
	id := e.addShare(a, map[string]any{"name": "f", "scope": 1, "paths": []string{"/f.txt"}, "allow_from": []string{"10.0.0.0/8"}})
	e.expect(http.StatusForbidden, http.MethodGet, "/api/v2/shares/"+id, nil, nil)

	id = e.addShare(a, map[string]any{"name": "f", "scope": 1, "paths": []string{"/f.txt"}})
	r := e.expect(http.StatusOK, http.MethodGet, "/api/v2/shares/"+id+"/files", nil, nil)
	if string(r.body) != "x" {
		t.Fatalf("single-file share %q", r.body)
	}
	// the owner loses HTTP: her shares stop working
	stored, _ := e.store.GetUser(t.Context(), "uma")
	stored.Filters.DeniedProtocols = []string{"HTTP"}
	stored.Password = ""
	if err := e.store.UpdateUser(t.Context(), &stored); err != nil {
		t.Fatal(err)
	}
	e.expect(http.StatusForbidden, http.MethodGet, "/api/v2/shares/"+id, nil, nil)
}

func TestSharesDisabledOption(t *testing.T) {
	e := newUserEnv(t)
	e.addUser("vic", func(u *dataprovider.User) { u.Filters.WebClient = []string{webClientSharesDisabled} })
	a := bearer(e.userToken("vic", testUserPassword))
	e.expect(http.StatusForbidden, http.MethodPost, "/api/v2/user/shares", a, map[string]any{"name": "x", "scope": 1, "paths": []string{"/"}})
	e.expect(http.StatusForbidden, http.MethodGet, "/api/v2/user/shares", a, nil)
}
