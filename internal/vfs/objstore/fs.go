package objstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// Defaults for Options left at zero.
const (
	DefaultPartSize    = 5 << 20
	DefaultConcurrency = 4
	// listBatch is the page size asked of the store when a caller leaves
	// the choice to the backend.
	listBatch = 1000
	// Modes reported for entries; object stores keep no permissions.
	fileMode = 0o644
	dirMode  = fs.ModeDir | 0o755
)

// dirModTime is what directories known only as a prefix report: the store
// keeps no time for them.
var dirModTime = time.Unix(0, 0).UTC()

// Options configure an Fs. Zero values select the defaults.
type Options struct {
	// Name is what Fs.Name returns ("s3fs", "gcsfs", "azblobfs").
	Name string
	// Prefix confines the Fs under a key prefix ("users/alice"); keys
	// outside it are never read or written.
	Prefix string
	// UploadPartSize is the size of the parts of a multipart upload, and
	// the largest file stored with a single request.
	UploadPartSize int64
	// UploadConcurrency is how many parts of one upload are in flight.
	UploadConcurrency int
	// UploadPartTimeout bounds the upload of one part (0: none).
	UploadPartTimeout time.Duration
	// DownloadPartSize is the size of the ranges of a parallel download.
	DownloadPartSize int64
	// DownloadConcurrency is how many ranges of one download are fetched
	// at once; 1 streams a single request.
	DownloadConcurrency int
	// DownloadPartTimeout bounds the fetch of one range (0: none).
	DownloadPartTimeout time.Duration
}

// Fs is a vfs.Fs over a Store. It is safe for concurrent use.
type Fs struct {
	vfs.Requests       // counts the requests sent through store
	store        Store // raw wrapped in a countingStore
	raw          Store // as given to New
	feat         Features
	opts         Options
	prefix       string // "" or ends with "/"
}

var (
	_ vfs.Fs        = (*Fs)(nil)
	_ vfs.CopyFs    = (*Fs)(nil)
	_ vfs.ChtimesFs = (*Fs)(nil)
	_ vfs.HashFs    = (*Fs)(nil)
)

// New returns an Fs over store; Close closes the store.
func New(store Store, opts Options) (*Fs, error) {
	prefix, err := NormalizePrefix(opts.Prefix)
	if err != nil {
		return nil, err
	}
	feat := store.Features()
	if opts.Name == "" {
		opts.Name = "objstore"
	}
	if opts.UploadPartSize <= 0 {
		opts.UploadPartSize = DefaultPartSize
	}
	opts.UploadPartSize = max(opts.UploadPartSize, feat.MinPartSize)
	if feat.MaxPartSize > 0 {
		opts.UploadPartSize = min(opts.UploadPartSize, feat.MaxPartSize)
	}
	if opts.UploadConcurrency <= 0 {
		opts.UploadConcurrency = DefaultConcurrency
	}
	if feat.Sequential {
		opts.UploadConcurrency = 1
	}
	if opts.DownloadPartSize <= 0 {
		opts.DownloadPartSize = DefaultPartSize
	}
	if opts.DownloadConcurrency <= 0 {
		opts.DownloadConcurrency = DefaultConcurrency
	}
	if feat.MaxParts <= 0 {
		feat.MaxParts = 10000
	}
	f := &Fs{raw: store, feat: feat, opts: opts, prefix: prefix}
	f.store = countingStore{Store: store, f: f}
	return f, nil
}

// NormalizePrefix turns a configured key prefix into "" or "a/b/". It
// refuses "." and ".." elements, which some stores treat specially.
func NormalizePrefix(p string) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		return "", nil
	}
	for _, e := range strings.Split(p, "/") {
		if e == "" || e == "." || e == ".." {
			return "", fmt.Errorf("objstore: key prefix %q: %w", p, fs.ErrInvalid)
		}
	}
	return p + "/", nil
}

// Name implements vfs.Fs.
func (f *Fs) Name() string { return f.opts.Name }

// RenamesDirsRecursively implements vfs.RecursiveDirRenameFs: a directory
// is a key prefix, renamed object by object.
func (*Fs) RenamesDirsRecursively() {}

// Prefix returns the key prefix ("" or ending in "/").
func (f *Fs) Prefix() string { return f.prefix }

// Store returns the underlying store.
func (f *Fs) Store() Store { return f.raw }

// Close implements vfs.Fs.
func (f *Fs) Close() error { return f.store.Close() }

// clean checks ctx and cleans name.
func (f *Fs) clean(ctx context.Context, op, name string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", pathErr(op, name, err)
	}
	p, err := vfs.CleanPath(name)
	if err != nil {
		return "", pathErr(op, name, fs.ErrInvalid)
	}
	return p, nil
}

// key maps a clean vfs path to its object key ("/" maps to the prefix).
func (f *Fs) key(p string) string { return f.prefix + strings.TrimPrefix(p, "/") }

// dirKey is the key of p's directory marker, which is also the prefix of
// everything inside it.
func (f *Fs) dirKey(p string) string {
	if p == "/" {
		return f.prefix
	}
	return f.key(p) + "/"
}

func pathErr(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// wrap names the vfs path in a store error, and prefers the context's
// error when the context ended, so callers can test for it.
func wrap(ctx context.Context, op, name string, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		err = fmt.Errorf("%w: %w", cerr, err)
	}
	return pathErr(op, name, err)
}

func fileInfo(name string, o Object) *vfs.FileInfo {
	return &vfs.FileInfo{FName: name, FSize: o.Size, FMode: fileMode, FModTime: o.ModTime}
}

func dirInfo(name string, mtime time.Time) *vfs.FileInfo {
	if mtime.IsZero() {
		mtime = dirModTime
	}
	return &vfs.FileInfo{FName: name, FMode: dirMode, FModTime: mtime}
}

// entry is what a path names in the store.
type entry struct {
	file   bool
	dir    bool
	obj    Object // the file, or the directory marker when marker is set
	marker bool
}

// lookup finds what p is: a file (an object at its key), a directory (a
// marker or any key under it), or nothing (fs.ErrNotExist).
func (f *Fs) lookup(ctx context.Context, p string) (entry, error) {
	if p == "/" {
		return entry{dir: true}, nil
	}
	o, err := f.head(ctx, f.key(p))
	if err == nil {
		return entry{file: true, obj: o}, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return entry{}, err
	}
	return f.lookupDir(ctx, p)
}

// lookupDir finds whether p is a directory with one small listing.
func (f *Fs) lookupDir(ctx context.Context, p string) (entry, error) {
	if p == "/" {
		return entry{dir: true}, nil
	}
	dk := f.dirKey(p)
	page, err := f.firstKey(ctx, dk)
	if err != nil {
		return entry{}, err
	}
	if len(page.Objects) == 0 && len(page.Prefixes) == 0 {
		return entry{}, fs.ErrNotExist
	}
	e := entry{dir: true}
	if len(page.Objects) > 0 && page.Objects[0].Key == dk {
		e.obj, e.marker = page.Objects[0], true
		if !f.feat.ListModTime {
			if o, err := f.head(ctx, dk); err == nil {
				e.obj = o
			}
		}
	}
	return e, nil
}

// cachedResult is a store answer kept in the request's vfs.LookupCache.
type cachedResult[T any] struct {
	v   T
	err error
}

// head is store.Head, answered from the request's lookup cache when this
// request asked already (found or not found; other errors are not kept).
func (f *Fs) head(ctx context.Context, key string) (Object, error) {
	return cached(ctx, f, "h:"+key, func() (Object, error) { return f.store.Head(ctx, key) })
}

// firstKey lists the first key under prefix dk, cached like head.
func (f *Fs) firstKey(ctx context.Context, dk string) (Page, error) {
	return cached(ctx, f, "l:"+dk, func() (Page, error) { return f.store.List(ctx, dk, "/", "", 1) })
}

func cached[T any](ctx context.Context, f *Fs, key string, ask func() (T, error)) (T, error) {
	lc := vfs.LookupCacheFrom(ctx)
	if v, ok := lc.Get(f, key); ok {
		r := v.(cachedResult[T])
		return r.v, r.err
	}
	v, err := ask()
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		lc.Put(f, key, cachedResult[T]{v, err})
	}
	return v, err
}

// remember records in the request's lookup cache that key is o.
func (f *Fs) remember(ctx context.Context, key string, o Object) {
	vfs.LookupCacheFrom(ctx).Put(f, "h:"+key, cachedResult[Object]{v: o})
}

// changed drops what the request's lookup cache knows of this Fs: called
// after every change made through ctx.
func (f *Fs) changed(ctx context.Context) {
	vfs.LookupCacheFrom(ctx).Forget(f)
}

func baseName(p string) string {
	if p == "/" {
		return "/"
	}
	return path.Base(p)
}

// Stat implements vfs.Fs.
func (f *Fs) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	p, err := f.clean(ctx, "stat", name)
	if err != nil {
		return nil, err
	}
	e, err := f.lookup(ctx, p)
	if err != nil {
		return nil, wrap(ctx, "stat", name, err)
	}
	if e.file {
		return fileInfo(baseName(p), e.obj), nil
	}
	return dirInfo(baseName(p), e.obj.ModTime), nil
}

// Lstat implements vfs.Fs; object stores have no symlinks.
func (f *Fs) Lstat(ctx context.Context, name string) (fs.FileInfo, error) {
	return f.Stat(ctx, name)
}

// requireDir checks that p exists and is a directory.
func (f *Fs) requireDir(ctx context.Context, op, name, p string) error {
	if p == "/" {
		return nil
	}
	_, err := f.lookupDir(ctx, p)
	if errors.Is(err, fs.ErrNotExist) {
		if _, herr := f.head(ctx, f.key(p)); herr == nil {
			return pathErr(op, name, vfs.ErrNotDir)
		}
	}
	return wrap(ctx, op, name, err)
}

// Mkdir implements vfs.Fs: it stores an empty marker object named after
// the directory with a trailing slash.
func (f *Fs) Mkdir(ctx context.Context, name string) error {
	defer f.changed(ctx)
	p, err := f.clean(ctx, "mkdir", name)
	if err != nil {
		return err
	}
	if p == "/" {
		return pathErr("mkdir", name, fs.ErrExist)
	}
	if err := f.requireDir(ctx, "mkdir", name, path.Dir(p)); err != nil {
		return err
	}
	if _, err := f.lookup(ctx, p); err == nil {
		return pathErr("mkdir", name, fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return wrap(ctx, "mkdir", name, err)
	}
	return wrap(ctx, "mkdir", name, f.store.Put(ctx, f.dirKey(p), nil, time.Now()))
}

// Remove implements vfs.Fs.
func (f *Fs) Remove(ctx context.Context, name string) error {
	defer f.changed(ctx)
	p, err := f.clean(ctx, "remove", name)
	if err != nil {
		return err
	}
	if p == "/" {
		return pathErr("remove", name, fs.ErrPermission)
	}
	e, err := f.lookup(ctx, p)
	if err != nil {
		return wrap(ctx, "remove", name, err)
	}
	if e.file {
		return wrap(ctx, "remove", name, f.store.Delete(ctx, e.obj.Key))
	}
	empty, err := f.dirEmpty(ctx, p)
	if err != nil {
		return wrap(ctx, "remove", name, err)
	}
	if !empty {
		return pathErr("remove", name, vfs.ErrDirNotEmpty)
	}
	return wrap(ctx, "remove", name, f.store.Delete(ctx, f.dirKey(p)))
}

// dirEmpty reports whether the directory p holds nothing but its marker.
func (f *Fs) dirEmpty(ctx context.Context, p string) (bool, error) {
	dk := f.dirKey(p)
	page, err := f.store.List(ctx, dk, "/", "", 2)
	if err != nil {
		return false, err
	}
	if len(page.Prefixes) > 0 {
		return false, nil
	}
	for _, o := range page.Objects {
		if o.Key != dk {
			return false, nil
		}
	}
	return true, nil
}

// Open implements vfs.Fs.
func (f *Fs) Open(ctx context.Context, name string, offset int64) (io.ReadCloser, error) {
	p, err := f.clean(ctx, "open", name)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, pathErr("open", name, fs.ErrInvalid)
	}
	e, err := f.lookup(ctx, p)
	if err != nil {
		return nil, wrap(ctx, "open", name, err)
	}
	if e.dir {
		return nil, pathErr("open", name, vfs.ErrIsDir)
	}
	return f.newReader(ctx, name, e.obj, offset), nil
}

// Create implements vfs.Fs. Nothing is visible until the writer's Close
// succeeds; Cancel aborts the upload.
func (f *Fs) Create(ctx context.Context, name string, opts vfs.CreateOptions) (vfs.Writer, error) {
	p, err := f.clean(ctx, "create", name)
	if err != nil {
		return nil, err
	}
	if opts.Append {
		return nil, pathErr("create", name, vfs.ErrNotSupported)
	}
	if p == "/" {
		return nil, pathErr("create", name, vfs.ErrIsDir)
	}
	if err := f.requireDir(ctx, "create", name, path.Dir(p)); err != nil {
		return nil, err
	}
	if _, err := f.lookupDir(ctx, p); err == nil {
		return nil, pathErr("create", name, vfs.ErrIsDir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, wrap(ctx, "create", name, err)
	}
	return f.newWriter(ctx, name, f.key(p), opts.Size), nil
}

// Chtimes implements vfs.ChtimesFs: the modification time is kept in
// metadata (atime is not kept). A directory without a marker gets one.
func (f *Fs) Chtimes(ctx context.Context, name string, _, mtime time.Time) error {
	defer f.changed(ctx)
	p, err := f.clean(ctx, "chtimes", name)
	if err != nil {
		return err
	}
	if p == "/" {
		return nil
	}
	e, err := f.lookup(ctx, p)
	if err != nil {
		return wrap(ctx, "chtimes", name, err)
	}
	switch {
	case e.file, e.marker:
		err = f.store.SetModTime(ctx, e.obj, mtime)
	default:
		err = f.store.Put(ctx, f.dirKey(p), nil, mtime)
	}
	return wrap(ctx, "chtimes", name, err)
}

// Hash implements vfs.HashFs with the MD5 digest the store keeps, when it
// keeps one for this object.
func (f *Fs) Hash(ctx context.Context, name, algo string) (string, error) {
	p, err := f.clean(ctx, "hash", name)
	if err != nil {
		return "", err
	}
	if algo != "md5" {
		return "", pathErr("hash", name, vfs.ErrNotSupported)
	}
	e, err := f.lookup(ctx, p)
	if err != nil {
		return "", wrap(ctx, "hash", name, err)
	}
	if e.dir {
		return "", pathErr("hash", name, vfs.ErrIsDir)
	}
	if len(e.obj.MD5) != 16 {
		return "", pathErr("hash", name, vfs.ErrNotSupported)
	}
	return hex.EncodeToString(e.obj.MD5), nil
}
