// Package httpfs is a vfs backend on an HTTP storage service that speaks
// SFTPGo's HTTPFs protocol (openapi/httpfs.yaml in SFTPGo's repository):
// one REST call per operation below an endpoint URL (GET stat/{name},
// GET open/{name}?offset=, POST create/{name} with the content as the
// body, PATCH rename/{name}?target=, DELETE remove/{name}, ...), Basic
// authentication and/or an X-API-KEY header, over TCP (http, https) or a
// unix socket. Every Fs with the same configuration shares one
// http.Client, so sessions of a user reuse kept-alive connections.
package httpfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/connpool"
)

// DefaultDialTimeout bounds connecting and the TLS handshake.
const DefaultDialTimeout = 15 * time.Second

// DefaultReplyTimeout bounds the wait for a reply's status line once a
// call is sent (for an upload: once its last byte is sent), so a service
// that hangs fails the call instead of the client's session.
const DefaultReplyTimeout = 2 * time.Minute

// Config describes the storage service.
type Config struct {
	// Endpoint is the base URL the operation paths are appended to:
	// "https://storage.example.com/api/v1" makes the stat call
	// "https://storage.example.com/api/v1/stat/{name}". For a unix
	// socket: "http://unix?socket_path=/run/fs.sock&api_prefix=/api/v1"
	// (socket_path absolute and query-escaped, api_prefix optional).
	Endpoint string
	// Username and/or Password enable Basic authentication.
	Username string
	Password string
	// APIKey, when set, is sent in the X-API-KEY header of every call.
	APIKey string
	// SkipTLSVerify accepts any server certificate (tests only).
	SkipTLSVerify bool
	// DialTimeout bounds connecting and the TLS handshake
	// (DefaultDialTimeout when zero).
	DialTimeout time.Duration
	// ReplyTimeout bounds the wait for each reply's status line
	// (DefaultReplyTimeout when zero); streamed bodies are not bounded.
	ReplyTimeout time.Duration
	// DialControl, when set, is called with each resolved TCP address
	// before connecting (net.Dialer.Control); an error refuses it. The
	// server uses it to refuse endpoints that are its own listeners.
	DialControl func(network, address string, c syscall.RawConn) error
	// Conns shares the HTTP client between Fs values; nil gives the Fs a
	// client of its own.
	Conns *connpool.Shared
	// Logger receives connection events (nil: discarded).
	Logger *slog.Logger
}

// Fs is a directory tree on an HTTP storage service.
type Fs struct {
	cfg     Config
	ep      endpoint
	hc      *http.Client
	release func()
	private *connpool.Shared
	log     *slog.Logger

	vfs.Requests // one per do
}

var (
	_ vfs.Fs         = (*Fs)(nil)
	_ vfs.ChmodFs    = (*Fs)(nil)
	_ vfs.ChtimesFs  = (*Fs)(nil)
	_ vfs.TruncateFs = (*Fs)(nil)
	_ vfs.StatVFSFs  = (*Fs)(nil)
)

// ValidateEndpoint checks an endpoint URL the way New does, without
// connecting: the data provider calls it when a configuration is saved.
func ValidateEndpoint(raw string) error {
	_, err := parseEndpoint(raw)
	return err
}

// New checks the endpoint, joins (or creates) the shared client and
// makes one stat call of the root, so wrong credentials or an unreachable
// service fail the login with a clear error rather than the first
// command.
func New(ctx context.Context, cfg Config) (*Fs, error) {
	ep, err := parseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.ReplyTimeout <= 0 {
		cfg.ReplyTimeout = DefaultReplyTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	f := &Fs{cfg: cfg, ep: ep, log: cfg.Logger}
	shared := cfg.Conns
	if shared == nil {
		f.private = connpool.NewShared(0)
		shared = f.private
	}
	created := false
	v, release, err := shared.Acquire(cfg.cacheKey(), func() (io.Closer, error) {
		created = true
		return newSharedClient(cfg, ep), nil
	})
	if err != nil {
		return nil, err
	}
	f.hc, f.release = v.(*sharedClient).hc, release
	fi, err := f.Stat(ctx, "/")
	if err != nil {
		f.Close()
		if errors.Is(err, fs.ErrPermission) {
			return nil, fmt.Errorf("httpfs: the storage service refused the credentials: %w", err)
		}
		return nil, fmt.Errorf("httpfs: cannot reach the storage service: %w", err)
	}
	if !fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("httpfs: the storage root is not a directory: %w", vfs.ErrNotDir)
	}
	if created {
		f.log.Debug("http storage reached", "endpoint", ep.shown, "user", cfg.Username)
	}
	return f, nil
}

// Name implements vfs.Fs.
func (f *Fs) Name() string { return "httpfs" }

// Close implements vfs.Fs: it releases the shared client, whose idle
// connections close when no Fs uses it any more.
func (f *Fs) Close() error {
	if f.release != nil {
		f.release()
	}
	if f.private != nil {
		f.private.Close()
	}
	return nil
}

// mapErr names the Fs path in an error and keeps its sentinel.
func mapErr(op, name string, err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && strings.HasPrefix(pe.Op, "httpfs: ") {
		return err
	}
	return &fs.PathError{Op: "httpfs: " + op, Path: name, Err: err}
}

// clean validates name and returns its clean absolute form.
func clean(name string) (string, error) {
	return vfs.CleanPath(name)
}

func baseName(clean string) string {
	if clean == "/" {
		return "/"
	}
	return path.Base(clean)
}

// wireInfo is the FileInfo of the protocol.
type wireInfo struct {
	Name         string    `json:"name"`
	Size         int64     `json:"size"`
	Mode         uint32    `json:"mode"`
	LastModified time.Time `json:"last_modified"`
}

func (w *wireInfo) info(name string) *vfs.FileInfo {
	return &vfs.FileInfo{FName: name, FSize: w.Size, FMode: fs.FileMode(w.Mode), FModTime: w.LastModified}
}

// Stat implements vfs.Fs.
func (f *Fs) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	c, err := clean(name)
	if err != nil {
		return nil, mapErr("stat", name, err)
	}
	lc := vfs.LookupCacheFrom(ctx)
	if v, ok := lc.Get(f, "s:"+c); ok {
		r := v.(statResult)
		if r.err != nil {
			return nil, mapErr("stat", name, r.err)
		}
		return r.w.info(baseName(c)), nil
	}
	var w wireInfo
	if err := f.getJSON(ctx, "stat", c, &w); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			lc.Put(f, "s:"+c, statResult{err: err})
		}
		return nil, mapErr("stat", name, err)
	}
	lc.Put(f, "s:"+c, statResult{w: w})
	return w.info(baseName(c)), nil
}

// statResult is a stat answer kept in the request's vfs.LookupCache, so
// the checks of one client request (the protocol's stat, permission and
// quota checks, Rename's own look at its target) cost one call.
type statResult struct {
	w   wireInfo
	err error
}

// changed drops what the request's lookup cache knows of this Fs: called
// after every change made through ctx, whether it succeeded or not.
func (f *Fs) changed(ctx context.Context) {
	vfs.LookupCacheFrom(ctx).Forget(f)
}

// Lstat implements vfs.Fs. The protocol has no symlinks: it is Stat.
func (f *Fs) Lstat(ctx context.Context, name string) (fs.FileInfo, error) {
	return f.Stat(ctx, name)
}

// Open implements vfs.Fs: one GET streams the file from offset; ctx
// covers the whole stream.
func (f *Fs) Open(ctx context.Context, name string, offset int64) (io.ReadCloser, error) {
	c, err := clean(name)
	if err != nil {
		return nil, mapErr("open", name, err)
	}
	if offset < 0 {
		return nil, mapErr("open", name, fs.ErrInvalid)
	}
	var q url.Values
	if offset > 0 {
		q = url.Values{"offset": {strconv.FormatInt(offset, 10)}}
	}
	resp, err := f.send(ctx, http.MethodGet, "open", c, q)
	if err != nil {
		return nil, mapErr("open", name, err)
	}
	return &reader{ctx: ctx, body: resp.Body, name: name}, nil
}

// Create implements vfs.Fs: the content is the streamed body of one
// POST, and the file is committed when the service answers it, on Close.
// Cancel aborts the request, so the service sees a cut body. Appending
// (resume) is refused: the protocol's flags parameter is optional for a
// service to honour, and one that ignores it would truncate the file.
func (f *Fs) Create(ctx context.Context, name string, opts vfs.CreateOptions) (vfs.Writer, error) {
	c, err := clean(name)
	if err != nil {
		return nil, mapErr("create", name, err)
	}
	if opts.Append {
		return nil, mapErr("create", name, fmt.Errorf("resuming an upload: %w", vfs.ErrNotSupported))
	}
	if c == "/" {
		return nil, mapErr("create", name, vfs.ErrIsDir)
	}
	if err := ctx.Err(); err != nil {
		return nil, mapErr("create", name, err)
	}
	f.changed(ctx)
	return f.newWriter(ctx, c, name)
}

// Rename implements vfs.Fs. The protocol leaves what happens to an
// existing target to the service, so the contract is checked first: a
// file target is replaced, a directory target only by a directory and
// only when empty.
func (f *Fs) Rename(ctx context.Context, oldname, newname string) error {
	co, err := clean(oldname)
	if err != nil {
		return mapErr("rename", oldname, err)
	}
	cn, err := clean(newname)
	if err != nil {
		return mapErr("rename", newname, err)
	}
	if co == "/" || cn == "/" {
		return mapErr("rename", oldname, fs.ErrPermission)
	}
	src, err := f.Stat(ctx, co)
	if err != nil {
		return mapErr("rename", oldname, err)
	}
	if co == cn {
		return nil
	}
	dst, err := f.Stat(ctx, cn)
	switch {
	case err == nil && dst.IsDir():
		if !src.IsDir() {
			return mapErr("rename", newname, vfs.ErrIsDir)
		}
		empty, err := f.isEmptyDir(ctx, cn)
		if err != nil {
			return mapErr("rename", newname, err)
		}
		if !empty {
			return mapErr("rename", newname, vfs.ErrDirNotEmpty)
		}
	case err == nil && src.IsDir():
		return mapErr("rename", newname, vfs.ErrNotDir)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return mapErr("rename", newname, err)
	}
	defer f.changed(ctx)
	if err := f.call(ctx, http.MethodPatch, "rename", co, url.Values{"target": {cn}}); err != nil {
		return mapErr("rename", oldname, err)
	}
	return nil
}

// isEmptyDir lists at most one entry of dir.
func (f *Fs) isEmptyDir(ctx context.Context, dir string) (bool, error) {
	l, err := f.ReadDir(ctx, dir)
	if err != nil {
		return false, err
	}
	defer l.Close()
	batch, err := l.Next(1)
	if err != nil && err != io.EOF {
		return false, err
	}
	return len(batch) == 0, nil
}

// Remove implements vfs.Fs.
func (f *Fs) Remove(ctx context.Context, name string) error {
	c, err := clean(name)
	if err != nil {
		return mapErr("remove", name, err)
	}
	if c == "/" {
		return mapErr("remove", name, fs.ErrPermission)
	}
	err = f.call(ctx, http.MethodDelete, "remove", c, nil)
	f.changed(ctx)
	if err == nil {
		return nil
	}
	if isGeneric(err) || errors.Is(err, fs.ErrExist) {
		// The protocol has no "not empty" status: look.
		if fi, serr := f.Stat(ctx, c); serr == nil && fi.IsDir() {
			if empty, lerr := f.isEmptyDir(ctx, c); lerr == nil && !empty {
				return mapErr("remove", name, vfs.ErrDirNotEmpty)
			}
		}
	}
	return mapErr("remove", name, err)
}

// isGeneric reports a service error that maps to no sentinel.
func isGeneric(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Unwrap() == nil
}

// Mkdir implements vfs.Fs.
func (f *Fs) Mkdir(ctx context.Context, name string) error {
	c, err := clean(name)
	if err != nil {
		return mapErr("mkdir", name, err)
	}
	if c == "/" {
		return mapErr("mkdir", name, fs.ErrExist)
	}
	err = f.call(ctx, http.MethodPost, "mkdir", c, nil)
	f.changed(ctx)
	if err == nil {
		return nil
	}
	if isGeneric(err) {
		// The protocol has no "exists" status either.
		if _, serr := f.Stat(ctx, c); serr == nil {
			return mapErr("mkdir", name, fs.ErrExist)
		}
		if _, serr := f.Stat(ctx, path.Dir(c)); errors.Is(serr, fs.ErrNotExist) {
			return mapErr("mkdir", name, fs.ErrNotExist)
		}
	}
	return mapErr("mkdir", name, err)
}

// ReadDir implements vfs.Fs. The reply, one JSON array, is decoded
// entry by entry as the caller asks for batches, so a huge directory is
// never held in memory.
func (f *Fs) ReadDir(ctx context.Context, name string) (vfs.DirLister, error) {
	c, err := clean(name)
	if err != nil {
		return nil, mapErr("readdir", name, err)
	}
	resp, err := f.send(ctx, http.MethodGet, "readdir", c, nil)
	if err != nil {
		if isGeneric(err) {
			if fi, serr := f.Stat(ctx, c); serr == nil && !fi.IsDir() {
				return nil, mapErr("readdir", name, vfs.ErrNotDir)
			}
		}
		return nil, mapErr("readdir", name, err)
	}
	return newLister(ctx, resp.Body, name)
}
