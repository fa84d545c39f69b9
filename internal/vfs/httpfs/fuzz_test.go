package httpfs

import (
	"context"
	"io"
	"strings"
	"testing"
)

// FuzzReadDirReply feeds arbitrary readdir replies (what a storage
// service sends is untrusted) to the lister: it must not panic, loop or
// return a name that is empty, "." or "..", or holds a slash.
func FuzzReadDirReply(f *testing.F) {
	for _, seed := range []string{
		`[]`, `null`, `[{"name":"a","size":1,"mode":0,"last_modified":"2020-01-02T03:04:05Z"}]`,
		`[{"name":"d","mode":2147483648},{"name":"../x"},{"name":"."},{"name":"a/b/"}]`,
		`[{"name":"a"}`, `{"name":"a"}`, `[1,2]`, `[{"size":"big"}]`, ``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		l, err := newLister(context.Background(), io.NopCloser(strings.NewReader(body)), "/d")
		if err != nil {
			return
		}
		defer l.Close()
		for range len(body) + 2 {
			batch, err := l.Next(3)
			if len(batch) > 3 {
				t.Fatalf("batch of %d, limit 3", len(batch))
			}
			for _, fi := range batch {
				if n := fi.Name(); n == "" || n == "." || n == ".." || strings.Contains(n, "/") {
					t.Fatalf("bad name %q from %q", n, body)
				}
			}
			if err != nil {
				return
			}
		}
		t.Fatalf("no end after %d batches of %q", len(body)+2, body)
	})
}

// FuzzParseEndpoint: any endpoint string either is refused or gives a
// base URL with an http(s) scheme, and a socket path only when absolute.
func FuzzParseEndpoint(f *testing.F) {
	for _, seed := range []string{
		"http://127.0.0.1:9999/api/v1", "https://h/", "http://unix?socket_path=%2Fs&api_prefix=%2Fa%2F..%2Fb",
		"http://unix?socket_path=rel", "ftp://h", "http://u:p@h/x?y=1#f", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		ep, err := parseEndpoint(raw)
		if err != nil {
			return
		}
		if !strings.HasPrefix(ep.base, "http://") && !strings.HasPrefix(ep.base, "https://") {
			t.Fatalf("%q: base %q", raw, ep.base)
		}
		if strings.HasSuffix(ep.base, "/") {
			t.Fatalf("%q: base %q ends in a slash", raw, ep.base)
		}
		if ep.socket != "" && !strings.HasPrefix(ep.socket, "/") {
			t.Fatalf("%q: relative socket %q", raw, ep.socket)
		}
	})
}
