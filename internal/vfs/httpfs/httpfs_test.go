package httpfs_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/connpool"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/httpfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/httpfs/httpfstest"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/osfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

var creds = httpfstest.Options{Prefix: "/api/v1", Username: "svc", Password: "s3cret pass", APIKey: "key-123"}

func start(t *testing.T, root string, opts httpfstest.Options) *httpfstest.Running {
	t.Helper()
	srv, err := httpfstest.Start(root, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func config(endpoint string) httpfs.Config {
	return httpfs.Config{Endpoint: endpoint, Username: creds.Username, Password: creds.Password, APIKey: creds.APIKey}
}

func newFs(t *testing.T, cfg httpfs.Config) *httpfs.Fs {
	t.Helper()
	fsys, err := httpfs.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func TestConformance(t *testing.T) {
	conns := connpool.NewShared(time.Minute)
	t.Cleanup(func() { conns.Close() })
	vfstest.Run(t, func(t *testing.T) vfs.Fs {
		srv := start(t, t.TempDir(), creds)
		cfg := config(srv.URL)
		cfg.Conns = conns
		fsys, err := httpfs.New(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return fsys
	}, vfstest.Chmod, vfstest.Chtimes, vfstest.StatVFS, vfstest.Truncate)
}

// TestConformanceUnixSocket runs the suite over the endpoint form
// http://unix?socket_path=...&api_prefix=...
func TestConformanceUnixSocket(t *testing.T) {
	vfstest.Run(t, func(t *testing.T) vfs.Fs {
		dir, err := os.MkdirTemp("", "hfs")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		root := filepath.Join(dir, "root")
		if err := os.Mkdir(root, 0o755); err != nil {
			t.Fatal(err)
		}
		srv, err := httpfstest.StartUnix(root, filepath.Join(dir, "fs.sock"), creds)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Close)
		if !strings.HasPrefix(srv.URL, "http://unix?") {
			t.Fatalf("endpoint %q is not the unix socket form", srv.URL)
		}
		return newFs(t, config(srv.URL))
	}, vfstest.Chmod, vfstest.Chtimes, vfstest.StatVFS, vfstest.Truncate)
}

// TestConformanceTLS runs the suite over HTTPS with HTTP/2, the
// service's certificate self-signed (skip_tls_verify); without
// skip_tls_verify that certificate is refused.
func TestConformanceTLS(t *testing.T) {
	var last *httpfstest.Running
	vfstest.Run(t, func(t *testing.T) vfs.Fs {
		srv, err := httpfstest.StartTLS(t.TempDir(), creds)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Close)
		last = srv
		cfg := config(srv.URL)
		cfg.SkipTLSVerify = true
		return newFs(t, cfg)
	}, vfstest.Chmod, vfstest.Chtimes, vfstest.StatVFS, vfstest.Truncate)
	if n := last.Protocols("HTTP/2.0"); n == 0 || last.Protocols("HTTP/1.1") != 0 {
		t.Fatalf("calls over HTTP/2: %d, over HTTP/1.1: %d; want HTTP/2 only", n, last.Protocols("HTTP/1.1"))
	}
	srv, err := httpfstest.StartTLS(t.TempDir(), creds)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if _, err := httpfs.New(t.Context(), config(srv.URL)); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a self-signed certificate without skip_tls_verify: %v, want a certificate error", err)
	}
}

func TestFilesLandUnderTheServiceRoot(t *testing.T) {
	root := t.TempDir()
	srv := start(t, root, creds)
	fsys := newFs(t, config(srv.URL))
	defer fsys.Close()
	if err := fsys.Mkdir(t.Context(), "/a dir"); err != nil {
		t.Fatal(err)
	}
	data := vfstest.RandomData(t, 100000)
	vfstest.WriteFile(t, fsys, "/a dir/f?#%.bin", data)
	disk, err := os.ReadFile(filepath.Join(root, "a dir", "f?#%.bin"))
	if err != nil || !bytes.Equal(disk, data) {
		t.Fatalf("not on the service's disk: %v", err)
	}
	if _, err := fsys.Stat(t.Context(), "/../../etc/passwd"); err == nil {
		if _, err := os.Stat(filepath.Join(root, "etc", "passwd")); err != nil {
			// Cleaned to /etc/passwd inside the root: must not exist.
			t.Fatal("a path above the root was served")
		}
	}
}

func TestAuthFailure(t *testing.T) {
	srv := start(t, t.TempDir(), creds)
	cases := map[string]func(*httpfs.Config){
		"wrong password": func(c *httpfs.Config) { c.Password = "wrong" },
		"wrong username": func(c *httpfs.Config) { c.Username = "other" },
		"wrong API key":  func(c *httpfs.Config) { c.APIKey = "key-456" },
		"no API key":     func(c *httpfs.Config) { c.APIKey = "" },
		"no credentials": func(c *httpfs.Config) { c.Username, c.Password, c.APIKey = "", "", "" },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := config(srv.URL)
			change(&cfg)
			fsys, err := httpfs.New(t.Context(), cfg)
			if err == nil {
				fsys.Close()
				t.Fatal("login accepted")
			}
			if !errors.Is(err, fs.ErrPermission) {
				t.Fatalf("error = %v, want fs.ErrPermission", err)
			}
			for _, secret := range []string{creds.Password, creds.APIKey, "wrong", "key-456"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("the error shows a secret: %v", err)
				}
			}
		})
	}
	fsys := newFs(t, config(srv.URL))
	fsys.Close()
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	if _, err := httpfs.New(t.Context(), config("http://"+addr+"/api/v1")); err == nil {
		t.Fatal("New succeeded against a closed port")
	}
	// A service that is up but has another API under the prefix.
	srv := start(t, t.TempDir(), creds)
	_, err = httpfs.New(t.Context(), config(strings.TrimSuffix(srv.URL, "/api/v1")+"/other"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("wrong prefix: error = %v, want fs.ErrNotExist", err)
	}
}

// TestServiceDiesMidUpload: the service goes away while a file is being
// uploaded. The writer reports an error (never success), and once the
// service is back on the same directory there is no file, whole or half.
func TestServiceDiesMidUpload(t *testing.T) {
	root := t.TempDir()
	srv := start(t, root, creds)
	fsys := newFs(t, config(srv.URL))
	defer fsys.Close()
	w, err := fsys.Create(t.Context(), "/big.bin", vfs.CreateOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	chunk := vfstest.RandomData(t, 256<<10)
	if _, err := w.Write(chunk); err != nil {
		t.Fatal(err)
	}
	// Wait until the service is receiving the body (synchronisation, not
	// a timing assertion).
	for i := 0; srv.ActiveUploads() == 0; i++ {
		if i > 1000 {
			t.Fatal("the service never started receiving the upload")
		}
		time.Sleep(5 * time.Millisecond)
	}
	srv.Close() // cuts the connection and waits for the handler
	var werr error
	for i := 0; werr == nil && i < 256; i++ {
		_, werr = w.Write(chunk)
	}
	cerr := w.Close()
	if cerr == nil {
		t.Fatalf("Close reported success for an upload the service never finished (write error: %v)", werr)
	}
	t.Logf("write: %v; close: %v", werr, cerr)
	if errors.Is(cerr, io.EOF) || errors.Is(cerr, io.ErrUnexpectedEOF) {
		t.Fatalf("the error wraps an EOF a caller could take for success: %v", cerr)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("the service's directory holds %v after the cut upload", entries[0].Name())
	}
	srv2 := start(t, root, creds)
	fsys2 := newFs(t, config(srv2.URL))
	defer fsys2.Close()
	if _, err := fsys2.Stat(t.Context(), "/big.bin"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat after the cut upload: %v, want fs.ErrNotExist", err)
	}
}

// TestCancelLeavesNothing: Cancel cuts the body, and the reference
// service commits only whole uploads.
func TestCancelLeavesNothing(t *testing.T) {
	root := t.TempDir()
	srv := start(t, root, creds)
	fsys := newFs(t, config(srv.URL))
	defer fsys.Close()
	vfstest.WriteFile(t, fsys, "/f", []byte("old content"))
	w, err := fsys.Create(t.Context(), "/f", vfs.CreateOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(vfstest.RandomData(t, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if err := w.Cancel(); err != nil {
		t.Fatal(err)
	}
	// The cut upload's handler may not have begun yet (the body was
	// still in flight): give it the chance to, then wait until it has
	// learnt of the cut and cleaned up.
	for i := 0; srv.StartedUploads() < 2 && i < 400; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	for i := 0; srv.ActiveUploads() != 0; i++ {
		if i > 1000 {
			t.Fatal("the service still receives the cancelled upload")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := vfstest.ReadFile(t, fsys, "/f", 0); string(got) != "old content" {
		t.Fatalf("after Cancel the file holds %d bytes, want the old content", len(got))
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Fatalf("the service's directory holds %d entries, want 1", len(entries))
	}
}

func TestAppendNotSupported(t *testing.T) {
	srv := start(t, t.TempDir(), creds)
	fsys := newFs(t, config(srv.URL))
	defer fsys.Close()
	vfstest.WriteFile(t, fsys, "/f", []byte("abc"))
	_, err := fsys.Create(t.Context(), "/f", vfs.CreateOptions{Size: -1, Append: true})
	if !errors.Is(err, vfs.ErrNotSupported) {
		t.Fatalf("Append: error = %v, want vfs.ErrNotSupported", err)
	}
	if got := vfstest.ReadFile(t, fsys, "/f", 0); string(got) != "abc" {
		t.Fatalf("the file changed: %q", got)
	}
}

// TestSharedClient: every Fs with one configuration uses one client, so
// calls from sessions one after another travel on one connection.
func TestSharedClient(t *testing.T) {
	srv := start(t, t.TempDir(), creds)
	conns := connpool.NewShared(time.Minute)
	defer conns.Close()
	for range 5 {
		cfg := config(srv.URL)
		cfg.Conns = conns
		fsys := newFs(t, cfg)
		vfstest.WriteFile(t, fsys, "/f", []byte("x"))
		_ = vfstest.ReadFile(t, fsys, "/f", 0)
		fsys.Close()
	}
	if newConns := srv.Connections(); newConns != 1 {
		t.Fatalf("5 sessions opened %d connections, want 1", newConns)
	}
}

func TestDirSizeAndMimeType(t *testing.T) {
	srv := start(t, t.TempDir(), creds)
	fsys := newFs(t, config(srv.URL))
	defer fsys.Close()
	ctx := t.Context()
	for _, d := range []string{"/d", "/d/sub"} {
		if err := fsys.Mkdir(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	vfstest.WriteFile(t, fsys, "/d/a.txt", []byte("hello, plain text\n"))
	vfstest.WriteFile(t, fsys, "/d/sub/b", make([]byte, 1000))
	files, size, err := fsys.DirSize(ctx, "/d")
	if err != nil || files != 2 || size != 1018 {
		t.Fatalf("DirSize = %d files, %d bytes, %v; want 2, 1018", files, size, err)
	}
	mime, err := fsys.MimeType(ctx, "/d/a.txt")
	if err != nil || !strings.HasPrefix(mime, "text/plain") {
		t.Fatalf("MimeType = %q, %v", mime, err)
	}
	if _, err := fsys.MimeType(ctx, "/missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("MimeType missing: %v", err)
	}
}

func TestValidateEndpoint(t *testing.T) {
	for _, c := range []struct {
		endpoint string
		ok       bool
	}{
		{"http://127.0.0.1:9999/api/v1", true},
		{"https://storage.example.com", true},
		{"http://unix?socket_path=%2Frun%2Ffs.sock&api_prefix=%2Fapi%2Fv1", true},
		{"https://unix?socket_path=/run/fs.sock", true},
		{"", false},
		{"storage.example.com/api", false},
		{"ftp://storage.example.com", false},
		{"http://unix?api_prefix=/api", false},
		{"http://unix?socket_path=relative.sock", false},
		{"http:///nohost", false},
	} {
		err := httpfs.ValidateEndpoint(c.endpoint)
		if (err == nil) != c.ok {
			t.Errorf("ValidateEndpoint(%q) = %v, want ok=%v", c.endpoint, err, c.ok)
		}
	}
}

// The benchmarks move vfstest's 64 MiB file through the reference
// service on loopback, and through the local directory it serves, so the
// ratio shows the protocol's cost.
func benchFs(b *testing.B) vfs.Fs {
	srv, err := httpfstest.Start(b.TempDir(), creds)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	fsys, err := httpfs.New(b.Context(), config(srv.URL))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fsys.Close() })
	return fsys
}

func localFs(b *testing.B) vfs.Fs {
	fsys, err := osfs.New(b.TempDir(), osfs.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fsys.Close() })
	return fsys
}

func BenchmarkWrite(b *testing.B)      { vfstest.BenchmarkWrite(b, benchFs(b)) }
func BenchmarkRead(b *testing.B)       { vfstest.BenchmarkRead(b, benchFs(b)) }
func BenchmarkWriteLocal(b *testing.B) { vfstest.BenchmarkWrite(b, localFs(b)) }
func BenchmarkReadLocal(b *testing.B)  { vfstest.BenchmarkRead(b, localFs(b)) }

// TestUploadRefusedEarly: the service refuses an upload before reading
// its body (missing parent directory); the writer reports the refusal
// instead of blocking or claiming success.
func TestUploadRefusedEarly(t *testing.T) {
	srv := start(t, t.TempDir(), creds)
	fsys := newFs(t, config(srv.URL))
	defer fsys.Close()
	w, err := fsys.Create(t.Context(), "/missing/f", vfs.CreateOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	chunk := vfstest.RandomData(t, 64<<10)
	var werr error
	for i := 0; werr == nil && i < 256; i++ { // 16 MiB, more than the service drains
		_, werr = w.Write(chunk)
	}
	cerr := w.Close()
	if !errors.Is(cerr, fs.ErrNotExist) {
		t.Fatalf("Close = %v (write: %v), want fs.ErrNotExist", cerr, werr)
	}
	if _, err := fsys.Stat(t.Context(), "/missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat(/missing): %v", err)
	}
}

// The peers of BenchmarkWrite/BenchmarkRead: one plain net/http request
// moving the same bytes to and from the same reference service.
func benchPlain(b *testing.B) (*httpfstest.Running, *http.Client) {
	srv, err := httpfstest.Start(b.TempDir(), creds)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	return srv, &http.Client{}
}

func plainReq(b *testing.B, method, u string, body io.Reader) *http.Request {
	req, err := http.NewRequestWithContext(b.Context(), method, u, body)
	if err != nil {
		b.Fatal(err)
	}
	req.SetBasicAuth(creds.Username, creds.Password)
	req.Header.Set("X-API-KEY", creds.APIKey)
	return req
}

func BenchmarkPlainPost(b *testing.B) {
	srv, hc := benchPlain(b)
	data := vfstest.RandomData(b, vfstest.BenchFileSize)
	b.SetBytes(vfstest.BenchFileSize)
	b.ResetTimer()
	for b.Loop() {
		resp, err := hc.Do(plainReq(b, http.MethodPost, srv.URL+"/create/%2Fbench", bytes.NewReader(data)))
		if err != nil || resp.StatusCode != http.StatusCreated {
			b.Fatal(err, resp)
		}
		resp.Body.Close()
	}
}

func BenchmarkPlainGet(b *testing.B) {
	srv, hc := benchPlain(b)
	data := vfstest.RandomData(b, vfstest.BenchFileSize)
	resp, err := hc.Do(plainReq(b, http.MethodPost, srv.URL+"/create/%2Fbench", bytes.NewReader(data)))
	if err != nil || resp.StatusCode != http.StatusCreated {
		b.Fatal(err, resp)
	}
	resp.Body.Close()
	b.SetBytes(vfstest.BenchFileSize)
	b.ResetTimer()
	for b.Loop() {
		resp, err := hc.Do(plainReq(b, http.MethodGet, srv.URL+"/open/%2Fbench", nil))
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatal(err, resp)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if n != vfstest.BenchFileSize {
			b.Fatalf("read %d bytes", n)
		}
	}
}

// TestServiceDiesMidDownload: a cut download is an error, never a short
// file that ends in io.EOF.
func TestServiceDiesMidDownload(t *testing.T) {
	srv := start(t, t.TempDir(), creds)
	fsys := newFs(t, config(srv.URL))
	defer fsys.Close()
	// Larger than what loopback socket buffers hold.
	data := vfstest.RandomData(t, 32<<20)
	vfstest.WriteFile(t, fsys, "/big", data)
	r, err := fsys.Open(t.Context(), "/big", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadFull(r, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	n, err := io.Copy(io.Discard, r)
	if err == nil {
		t.Fatalf("the cut download ended without an error after %d more bytes", n)
	}
	if n+1000 >= int64(len(data)) {
		t.Fatalf("read %d bytes: the service sent everything before it closed", n+1000)
	}
	if !errors.Is(err, httpfs.ErrIncomplete) || errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("error = %v, want httpfs.ErrIncomplete not wrapping an EOF", err)
	}
}

// TestSkipTLSVerifyWarns: an unverified certificate is accepted only
// with skip_tls_verify, and then the log says so, without credentials.
func TestSkipTLSVerifyWarns(t *testing.T) {
	srv, err := httpfstest.StartTLS(t.TempDir(), creds)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var logs bytes.Buffer
	cfg := config(srv.URL)
	cfg.SkipTLSVerify = true
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fsys := newFs(t, cfg)
	fsys.Close()
	if !strings.Contains(logs.String(), "skip_tls_verify") || !strings.Contains(logs.String(), "http storage reached") {
		t.Fatalf("log: %s", logs.String())
	}
	if strings.Contains(logs.String(), creds.Password) || strings.Contains(logs.String(), creds.APIKey) {
		t.Fatalf("the log shows a secret: %s", logs.String())
	}
}

// TestHungService: a service that accepts calls and never answers fails
// them after the reply timeout instead of hanging the session.
func TestHungService(t *testing.T) {
	root := t.TempDir()
	srv := start(t, root, creds)
	hang := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/readdir/") {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
			return
		}
		srv.HTTP.Config.Handler.ServeHTTP(w, r)
	}))
	defer hung.Close()
	defer close(hang) // before Close, which waits for the handlers
	cfg := config(hung.URL + "/api/v1")
	cfg.ReplyTimeout = 300 * time.Millisecond
	fsys := newFs(t, cfg)
	defer fsys.Close()
	_, err := fsys.ReadDir(t.Context(), "/")
	if err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("ReadDir on a hung service: %v, want a timeout error", err)
	}
	if _, err := fsys.Stat(t.Context(), "/"); err != nil {
		t.Fatalf("the next call failed: %v", err)
	}
}

// TestLookupCache: within one request (vfs.WithLookupCache) a path is
// asked once; any change made through the request forgets the answers.
func TestLookupCache(t *testing.T) {
	srv := start(t, t.TempDir(), creds)
	fsys := newFs(t, config(srv.URL))
	defer fsys.Close()
	vfstest.WriteFile(t, fsys, "/f", []byte("abc"))
	ctx := vfs.WithLookupCache(t.Context())
	before := srv.Requests("stat")
	for range 3 {
		if fi, err := fsys.Stat(ctx, "/f"); err != nil || fi.Size() != 3 || fi.Name() != "f" {
			t.Fatalf("Stat: %v, %v", fi, err)
		}
		if _, err := fsys.Stat(ctx, "/missing"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Stat missing: %v", err)
		}
	}
	if n := srv.Requests("stat") - before; n != 2 {
		t.Fatalf("6 stats in one request made %d calls, want 2", n)
	}
	// A change through the request is seen by its next stat.
	w, err := fsys.Create(ctx, "/missing", vfs.CreateOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("now here")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := fsys.Stat(ctx, "/missing"); err != nil || fi.Size() != 8 {
		t.Fatalf("Stat after Create in the same request: %v, %v", fi, err)
	}
	if err := fsys.Rename(ctx, "/missing", "/moved"); err != nil {
		t.Fatal(err)
	}
	if _, err := fsys.Stat(ctx, "/missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat after Rename in the same request: %v", err)
	}
	if err := fsys.Chmod(ctx, "/f", 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, err := fsys.Stat(ctx, "/f"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("Stat after Chmod in the same request: %v, %v", fi, err)
	}
	// Without a request cache every stat is a call.
	before = srv.Requests("stat")
	for range 3 {
		_, _ = fsys.Stat(t.Context(), "/f")
	}
	if n := srv.Requests("stat") - before; n != 3 {
		t.Fatalf("3 stats without a request cache made %d calls", n)
	}
}
