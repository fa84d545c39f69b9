package e2e

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/vfs/cloudtest"
)

// s3Counter is a reverse proxy in front of the S3 emulator that counts
// the TCP connections the server opens and the requests it sends.
type s3Counter struct {
	conns    atomic.Int64
	mu       sync.Mutex
	requests []string // "METHOD kind key"
}

type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

func startS3Counter(t *testing.T, target string) (*s3Counter, string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	c := &s3Counter{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.requests = append(c.requests, describeS3(r))
		c.mu.Unlock()
		proxy.ServeHTTP(w, r)
	})}
	go srv.Serve(countingListener{Listener: l, n: &c.conns})
	t.Cleanup(func() { srv.Close() })
	return c, "http://" + l.Addr().String()
}

// describeS3 names an S3 request by method, operation and key.
func describeS3(r *http.Request) string {
	q := r.URL.Query()
	op := "object"
	switch {
	case q.Has("list-type") || q.Get("delimiter") != "" || q.Has("prefix"):
		op = "list"
	case q.Has("uploads"):
		op = "create-multipart"
	case q.Has("uploadId") && q.Has("partNumber"):
		op = "part"
	case q.Has("uploadId"):
		op = "multipart"
	case r.Header.Get("X-Amz-Copy-Source") != "":
		op = "copy"
	}
	key := r.URL.Path
	if op == "list" {
		key += "?prefix=" + q.Get("prefix")
	}
	return r.Method + " " + op + " " + key
}

// take returns the requests counted since the last call.
func (c *s3Counter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.requests
	c.requests = nil
	return out
}

// repeated lists the requests sent more than once.
func repeated(reqs []string) []string {
	seen := map[string]int{}
	for _, r := range reqs {
		seen[r]++
	}
	var out []string
	for r, n := range seen {
		if n > 1 {
			out = append(out, fmt.Sprintf("%s ×%d", r, n))
		}
	}
	sort.Strings(out)
	return out
}

// TestS3RequestsPerUpload counts what 20 WebDAV PUTs and 20 SFTP uploads
// of a small file cost on S3: the backend is built once and its client
// reuses its TCP connections across requests and sessions, and no upload
// sends the same request twice. The per-upload counts are logged (see
// docs/performance.md).
func TestS3RequestsPerUpload(t *testing.T) {
	s3 := cloudtest.StartS3rver(t)
	counter, endpoint := startS3Counter(t, s3.Endpoint)
	in := newInstance(t, t.TempDir())
	in.start()
	token := in.token("admin", "admin-pass")
	in.addUser(token, "on-s3", "user-pass-1", map[string]any{
		"filesystem": map[string]any{"provider": 1, "s3config": map[string]any{
			"bucket": s3.Bucket, "region": "us-east-1", "endpoint": endpoint, "force_path_style": true,
			"access_key": s3.AccessKey, "access_secret": map[string]any{"status": "Plain", "payload": s3.Secret},
			"key_prefix": "users/on-s3/",
		}},
	})
	body := bytes.Repeat([]byte("x"), 4096)
	const n = 20

	counter.take()
	var davReqs [][]string
	client := &http.Client{}
	for i := range n {
		req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("http://127.0.0.1:%d/dav-%d.txt", in.davPort, i), bytes.NewReader(body))
		req.SetBasicAuth("on-s3", "user-pass-1")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusNoContent {
			t.Fatalf("PUT %d: %s\n%s", i, resp.Status, in.log.String())
		}
		davReqs = append(davReqs, counter.take())
	}
	davConns := counter.conns.Load()

	conn, c := dialSFTP(t, in.sftpPort, "on-s3", "user-pass-1")
	t.Cleanup(func() { c.Close(); conn.Close() })
	var sftpReqs [][]string
	for i := range n {
		f, err := c.Create(fmt.Sprintf("/sftp-%d.txt", i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(body); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatalf("upload %d: %v\n%s", i, err, in.log.String())
		}
		sftpReqs = append(sftpReqs, counter.take())
	}
	conns := counter.conns.Load()

	for _, set := range []struct {
		name string
		reqs [][]string
	}{{"WebDAV PUT", davReqs}, {"SFTP upload", sftpReqs}} {
		total := 0
		for i, r := range set.reqs {
			total += len(r)
			if rep := repeated(r); len(rep) > 0 {
				t.Errorf("%s %d repeats requests: %s\nall: %s", set.name, i, strings.Join(rep, ", "), strings.Join(r, ", "))
			}
		}
		// the first upload of each set may build the backend; the steady
		// state is the last one
		last := set.reqs[len(set.reqs)-1]
		t.Logf("%s: %d S3 requests for %d uploads (%.1f each); the last one: %s",
			set.name, total, n, float64(total)/n, strings.Join(last, ", "))
	}
	t.Logf("TCP connections to S3: %d after the WebDAV PUTs, %d in all", davConns, conns)
	// sequential requests from one client reuse one keep-alive
	// connection; a client per request would open one (or more) each
	if conns > 4 {
		t.Errorf("%d TCP connections for %d sequential uploads: connections are not reused", conns, 2*n)
	}
}
