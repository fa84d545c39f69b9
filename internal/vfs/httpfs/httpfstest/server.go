// Package httpfstest is a reference HTTP storage service speaking
// SFTPGo's HTTPFs protocol over any vfs.Fs (a local directory in the
// tests), written from the protocol's description. The httpfs backend's
// tests and the end-to-end tests point users at it. It commits an upload
// only once its body has arrived whole: a cut request leaves no file.
package httpfstest

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/osfs"
)

// Options configures the service.
type Options struct {
	// Prefix is the API path the operations live under ("/api/v1").
	Prefix string
	// Username/Password, when either is set, require Basic
	// authentication with exactly these; APIKey, when set, requires the
	// X-API-KEY header. With both, both are required.
	Username string
	Password string
	APIKey   string
}

// Server is the protocol as an http.Handler over a vfs.Fs.
type Server struct {
	fsys vfs.Fs
	opts Options

	mu       sync.Mutex
	requests map[string]int // calls by operation ("stat", "create", ...)
	protos   map[string]int // calls by protocol ("HTTP/1.1", "HTTP/2.0")
	// uploads counts create calls whose body is being received.
	uploads atomic.Int64
	started atomic.Int64 // create calls begun
}

// New serves fsys.
func New(fsys vfs.Fs, opts Options) *Server {
	opts.Prefix = strings.TrimRight(opts.Prefix, "/")
	return &Server{fsys: fsys, opts: opts, requests: map[string]int{}, protos: map[string]int{}}
}

// NewDir serves the local directory root.
func NewDir(root string, opts Options) (*Server, error) {
	fsys, err := osfs.New(root, osfs.Options{})
	if err != nil {
		return nil, err
	}
	return New(fsys, opts), nil
}

// Requests returns how many calls of op were served.
func (s *Server) Requests(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[op]
}

// Protocols returns how many calls came over proto ("HTTP/2.0").
func (s *Server) Protocols(proto string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.protos[proto]
}

// ActiveUploads returns the create calls whose body is being received.
func (s *Server) ActiveUploads() int64 { return s.uploads.Load() }

// StartedUploads returns how many create calls have begun.
func (s *Server) StartedUploads() int64 { return s.started.Load() }

// Running is a started service.
type Running struct {
	*Server
	// URL is the endpoint to configure (with the prefix).
	URL  string
	HTTP *httptest.Server

	conns atomic.Int64
}

// Connections returns how many connections the service has accepted.
func (r *Running) Connections() int64 { return r.conns.Load() }

func (r *Running) countConns() {
	r.HTTP.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			r.conns.Add(1)
		}
	}
}

// Start serves the directory root on 127.0.0.1 on an ephemeral port
// until Close.
func Start(root string, opts Options) (*Running, error) {
	s, err := NewDir(root, opts)
	if err != nil {
		return nil, err
	}
	ts := httptest.NewUnstartedServer(s)
	r := &Running{Server: s, HTTP: ts}
	r.countConns()
	ts.Start()
	r.URL = ts.URL + s.opts.Prefix
	return r, nil
}

// StartTLS is Start over TLS with a self-signed certificate, HTTP/2
// offered.
func StartTLS(root string, opts Options) (*Running, error) {
	s, err := NewDir(root, opts)
	if err != nil {
		return nil, err
	}
	ts := httptest.NewUnstartedServer(s)
	ts.EnableHTTP2 = true
	r := &Running{Server: s, HTTP: ts}
	r.countConns()
	ts.StartTLS()
	r.URL = ts.URL + s.opts.Prefix
	return r, nil
}

// StartUnix serves the directory root on the unix socket at socket.
// URL is the endpoint in the unix socket form.
func StartUnix(root, socket string, opts Options) (*Running, error) {
	s, err := NewDir(root, opts)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("unix", socket)
	if err != nil {
		return nil, err
	}
	ts := httptest.NewUnstartedServer(s)
	ts.Listener.Close()
	ts.Listener = l
	r := &Running{Server: s, HTTP: ts}
	r.countConns()
	ts.Start()
	q := url.Values{"socket_path": {socket}}
	if s.opts.Prefix != "" {
		q.Set("api_prefix", s.opts.Prefix)
	}
	r.URL = "http://unix?" + q.Encode()
	return r, nil
}

// Close stops the service: open connections are cut.
func (r *Running) Close() {
	r.HTTP.CloseClientConnections()
	r.HTTP.Close()
}

// reply is the protocol's ApiResponse.
type reply struct {
	Message string `json:"message,omitempty"`
	Error   string `json:"error,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// fail answers err with the status the protocol gives its kind.
func fail(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		code = http.StatusNotFound
	case errors.Is(err, fs.ErrPermission):
		code = http.StatusForbidden
	case errors.Is(err, vfs.ErrNotSupported):
		code = http.StatusNotImplemented
	case errors.Is(err, fs.ErrExist):
		code = http.StatusConflict
	case errors.Is(err, vfs.ErrNoSpace):
		code = http.StatusInsufficientStorage
	case errors.Is(err, fs.ErrInvalid), errors.Is(err, vfs.ErrIsDir), errors.Is(err, vfs.ErrNotDir):
		code = http.StatusBadRequest
	}
	writeJSON(w, code, reply{Error: err.Error()})
}

func (s *Server) authorized(r *http.Request) bool {
	eq := func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	if s.opts.Username != "" || s.opts.Password != "" {
		u, p, ok := r.BasicAuth()
		if !ok || !eq(u, s.opts.Username) || !eq(p, s.opts.Password) {
			return false
		}
	}
	if s.opts.APIKey != "" && !eq(r.Header.Get("X-API-KEY"), s.opts.APIKey) {
		return false
	}
	return true
}

// ServeHTTP routes {prefix}/{op}/{name}; name is one path segment,
// slashes escaped, as SFTPGo's client sends it, but an unescaped path is
// accepted too.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), s.opts.Prefix+"/")
	if !ok {
		writeJSON(w, http.StatusNotFound, reply{Error: "unknown path"})
		return
	}
	op, rawName, _ := strings.Cut(rest, "/")
	name, err := url.PathUnescape(rawName)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, reply{Error: "bad name"})
		return
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="httpfs"`)
		writeJSON(w, http.StatusUnauthorized, reply{Error: "authentication required"})
		return
	}
	name = path.Clean("/" + name)
	s.mu.Lock()
	s.requests[op]++
	s.protos[r.Proto]++
	s.mu.Unlock()
	type handler struct {
		method string
		fn     func(http.ResponseWriter, *http.Request, string)
	}
	routes := map[string]handler{
		"stat":     {http.MethodGet, s.stat},
		"open":     {http.MethodGet, s.open},
		"create":   {http.MethodPost, s.create},
		"rename":   {http.MethodPatch, s.rename},
		"remove":   {http.MethodDelete, s.remove},
		"mkdir":    {http.MethodPost, s.mkdir},
		"chmod":    {http.MethodPatch, s.chmod},
		"chtimes":  {http.MethodPatch, s.chtimes},
		"truncate": {http.MethodPatch, s.truncate},
		"readdir":  {http.MethodGet, s.readdir},
		"dirsize":  {http.MethodGet, s.dirsize},
		"mimetype": {http.MethodGet, s.mimetype},
		"statvfs":  {http.MethodGet, s.statvfs},
	}
	h, ok := routes[op]
	if !ok {
		writeJSON(w, http.StatusNotFound, reply{Error: "unknown operation " + strconv.Quote(op)})
		return
	}
	if r.Method != h.method {
		writeJSON(w, http.StatusMethodNotAllowed, reply{Error: "use " + h.method})
		return
	}
	h.fn(w, r, name)
}

// wireInfo is the protocol's FileInfo.
type wireInfo struct {
	Name         string    `json:"name"`
	Size         int64     `json:"size"`
	Mode         uint32    `json:"mode"`
	LastModified time.Time `json:"last_modified"`
}

func toWire(fi fs.FileInfo) wireInfo {
	return wireInfo{Name: fi.Name(), Size: fi.Size(), Mode: uint32(fi.Mode()), LastModified: fi.ModTime().UTC()}
}

func (s *Server) stat(w http.ResponseWriter, r *http.Request, name string) {
	fi, err := s.fsys.Stat(r.Context(), name)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, toWire(fi))
}

func (s *Server) open(w http.ResponseWriter, r *http.Request, name string) {
	ctx := r.Context()
	var offset int64
	if v := r.URL.Query().Get("offset"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			fail(w, fmt.Errorf("offset %q: %w", v, fs.ErrInvalid))
			return
		}
		offset = n
	}
	fi, err := s.fsys.Stat(ctx, name)
	if err != nil {
		fail(w, err)
		return
	}
	if fi.IsDir() {
		fail(w, vfs.ErrIsDir)
		return
	}
	rc, err := s.fsys.Open(ctx, name, offset)
	if err != nil {
		fail(w, err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	if n := fi.Size() - offset; n >= 0 {
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, rc)
}

// create writes the body to a temporary name next to the target and
// renames it over the target once the body has arrived whole. With flags
// holding O_APPEND the target is continued in place.
func (s *Server) create(w http.ResponseWriter, r *http.Request, name string) {
	ctx := r.Context()
	s.started.Add(1)
	s.uploads.Add(1)
	defer s.uploads.Add(-1)
	flags := os.O_RDWR | os.O_CREATE | os.O_TRUNC
	if v := r.URL.Query().Get("flags"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			fail(w, fmt.Errorf("flags %q: %w", v, fs.ErrInvalid))
			return
		}
		flags = n
	}
	if fi, err := s.fsys.Stat(ctx, name); err == nil && fi.IsDir() {
		fail(w, vfs.ErrIsDir)
		return
	}
	if flags&os.O_APPEND != 0 {
		fw, err := s.fsys.Create(ctx, name, vfs.CreateOptions{Size: -1, Append: true, Mode: 0o644})
		if err != nil {
			fail(w, err)
			return
		}
		if _, err := io.Copy(fw, r.Body); err != nil {
			_ = fw.Cancel()
			fail(w, err)
			return
		}
		if err := fw.Close(); err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, http.StatusCreated, reply{Message: "upload completed"})
		return
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := path.Join(path.Dir(name), ".httpfs-upload-"+hex.EncodeToString(rnd[:]))
	fw, err := s.fsys.Create(ctx, tmp, vfs.CreateOptions{Size: -1, Mode: 0o644})
	if err != nil {
		fail(w, err)
		return
	}
	_, err = io.Copy(fw, r.Body)
	if err == nil {
		err = fw.Close()
	} else {
		_ = fw.Cancel()
	}
	if err == nil {
		err = s.fsys.Rename(ctx, tmp, name)
	}
	if err != nil {
		// The client's connection may be gone with its context: remove
		// the temporary file regardless.
		_ = s.fsys.Remove(context.WithoutCancel(ctx), tmp)
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, reply{Message: "upload completed"})
}

func (s *Server) rename(w http.ResponseWriter, r *http.Request, name string) {
	target := r.URL.Query().Get("target")
	if target == "" {
		fail(w, fmt.Errorf("target is required: %w", fs.ErrInvalid))
		return
	}
	if err := s.fsys.Rename(r.Context(), name, path.Clean("/"+target)); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, reply{Message: "renamed"})
}

func (s *Server) remove(w http.ResponseWriter, r *http.Request, name string) {
	if err := s.fsys.Remove(r.Context(), name); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, reply{Message: "removed"})
}

func (s *Server) mkdir(w http.ResponseWriter, r *http.Request, name string) {
	if err := s.fsys.Mkdir(r.Context(), name); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, reply{Message: "created"})
}

func (s *Server) chmod(w http.ResponseWriter, r *http.Request, name string) {
	cfs, ok := s.fsys.(vfs.ChmodFs)
	if !ok {
		fail(w, vfs.ErrNotSupported)
		return
	}
	mode, err := strconv.ParseUint(r.URL.Query().Get("mode"), 10, 32)
	if err != nil {
		fail(w, fmt.Errorf("mode: %w", fs.ErrInvalid))
		return
	}
	if err := cfs.Chmod(r.Context(), name, fs.FileMode(mode)); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, reply{Message: "mode changed"})
}

func (s *Server) chtimes(w http.ResponseWriter, r *http.Request, name string) {
	cfs, ok := s.fsys.(vfs.ChtimesFs)
	if !ok {
		fail(w, vfs.ErrNotSupported)
		return
	}
	q := r.URL.Query()
	atime, err1 := time.Parse(time.RFC3339Nano, q.Get("access_time"))
	mtime, err2 := time.Parse(time.RFC3339Nano, q.Get("modification_time"))
	if err := errors.Join(err1, err2); err != nil {
		fail(w, fmt.Errorf("%v: %w", err, fs.ErrInvalid))
		return
	}
	if err := cfs.Chtimes(r.Context(), name, atime, mtime); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, reply{Message: "times changed"})
}

func (s *Server) truncate(w http.ResponseWriter, r *http.Request, name string) {
	tfs, ok := s.fsys.(vfs.TruncateFs)
	if !ok {
		fail(w, vfs.ErrNotSupported)
		return
	}
	size, err := strconv.ParseInt(r.URL.Query().Get("size"), 10, 64)
	if err != nil || size < 0 {
		fail(w, fmt.Errorf("size: %w", fs.ErrInvalid))
		return
	}
	if err := tfs.Truncate(r.Context(), name, size); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, reply{Message: "truncated"})
}

// readdir streams the JSON array as the listing is read, in batches.
func (s *Server) readdir(w http.ResponseWriter, r *http.Request, name string) {
	ctx := r.Context()
	l, err := s.fsys.ReadDir(ctx, name)
	if err == nil {
		defer l.Close()
	}
	var first []fs.FileInfo
	var lerr error
	if err == nil {
		first, lerr = l.Next(500)
		if lerr != nil && lerr != io.EOF {
			err = lerr
		}
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			fail(w, err)
			return
		}
		if fi, serr := s.fsys.Stat(ctx, name); serr == nil && !fi.IsDir() {
			fail(w, vfs.ErrNotDir)
			return
		}
		fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	_, _ = io.WriteString(w, "[")
	n := 0
	batch := first
	for {
		for _, fi := range batch {
			if strings.HasPrefix(fi.Name(), ".httpfs-upload-") {
				continue
			}
			if n > 0 {
				_, _ = io.WriteString(w, ",")
			}
			_ = enc.Encode(toWire(fi))
			n++
		}
		if lerr != nil {
			break // io.EOF; another error cuts the array, which the client reports
		}
		batch, lerr = l.Next(500)
		if lerr != nil && lerr != io.EOF {
			return
		}
	}
	_, _ = io.WriteString(w, "]")
}

func (s *Server) dirsize(w http.ResponseWriter, r *http.Request, name string) {
	files, size, err := s.walkSize(r.Context(), name)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"files": files, "size": size})
}

func (s *Server) walkSize(ctx context.Context, dir string) (int, int64, error) {
	l, err := s.fsys.ReadDir(ctx, dir)
	if err != nil {
		return 0, 0, err
	}
	defer l.Close()
	var files int
	var size int64
	for {
		batch, err := l.Next(500)
		for _, fi := range batch {
			switch {
			case fi.IsDir():
				f, sz, err := s.walkSize(ctx, path.Join(dir, fi.Name()))
				if err != nil {
					return 0, 0, err
				}
				files, size = files+f, size+sz
			case fi.Mode().IsRegular():
				files, size = files+1, size+fi.Size()
			}
		}
		if err == io.EOF {
			return files, size, nil
		}
		if err != nil {
			return 0, 0, err
		}
	}
}

func (s *Server) mimetype(w http.ResponseWriter, r *http.Request, name string) {
	rc, err := s.fsys.Open(r.Context(), name, 0)
	if err != nil {
		fail(w, err)
		return
	}
	defer rc.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(rc, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"mime": http.DetectContentType(head[:n])})
}

func (s *Server) statvfs(w http.ResponseWriter, r *http.Request, name string) {
	sfs, ok := s.fsys.(vfs.StatVFSFs)
	if !ok {
		fail(w, vfs.ErrNotSupported)
		return
	}
	st, err := sfs.StatVFS(r.Context(), name)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]uint64{
		"bsize": st.BlockSize, "frsize": st.FragSize, "blocks": st.Blocks, "bfree": st.BlocksFree,
		"bavail": st.BlocksAvail, "files": st.Files, "ffree": st.FilesFree, "favail": st.FilesAvail,
		"namemax": st.NameMaxLen,
	})
}
