// Package ftpfs is a vfs backend on a remote FTP or FTPS server
// (github.com/jlaffaye/ftp): plain, explicit (AUTH TLS) or implicit TLS,
// a remote directory as root, and a small pool of logged-in connections,
// each checked with NOOP before reuse, so parallel transfers of one user
// do not queue behind a single control connection.
//
// FTP has no chmod, chown, truncate, links or read+write opens: the Fs
// does not offer those capabilities, so callers answer
// vfs.ErrNotSupported. Modification times can be set only when the
// server offers MFMT or SITE MTIME; New returns an Fs with the
// vfs.ChtimesFs capability only then.
package ftpfs

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/textproto"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/connpool"
)

// TLS modes (ftpconfig.tls_mode).
const (
	TLSDisabled = 0
	TLSExplicit = 1 // AUTH TLS on the control connection, then PROT P
	TLSImplicit = 2 // TLS from the first byte
)

// Defaults.
const (
	DefaultDialTimeout = 15 * time.Second
	DefaultPoolSize    = 5
	DefaultMaxIdle     = 2 * time.Minute
	DefaultPoolWait    = 30 * time.Second
)

// Config describes the remote server and how to log in.
type Config struct {
	// Endpoint is host[:port]; the port defaults to 21.
	Endpoint string
	Username string
	Password string
	// TLSMode is TLSDisabled, TLSExplicit or TLSImplicit.
	TLSMode int
	// SkipTLSVerify accepts any server certificate.
	SkipTLSVerify bool
	// RootCAs verifies the server certificate (nil: the system roots).
	RootCAs *x509.CertPool
	// Prefix is the remote directory that is the Fs root ("/" when
	// empty); it is created when missing. Paths never leave it.
	Prefix string
	// PoolSize is how many connections to the server may be open at once
	// for this endpoint and login (DefaultPoolSize when zero): that many
	// transfers run in parallel, the next waits for one to end.
	PoolSize int
	// PoolWait bounds that wait (DefaultPoolWait when zero).
	PoolWait time.Duration
	// MaxIdle closes connections idle for longer (DefaultMaxIdle).
	MaxIdle time.Duration
	// DialTimeout bounds connecting, TLS and login (DefaultDialTimeout).
	DialTimeout time.Duration
	// DialControl, when set, is called with the resolved address before
	// the control connection is made (net.Dialer.Control); an error
	// refuses it. The server uses it to refuse its own listeners.
	DialControl func(network, address string, c syscall.RawConn) error
	// Conns shares connection pools between Fs values (sessions of one
	// user); nil gives the Fs a pool of its own.
	Conns *connpool.Shared
	// Logger receives connection events (nil: discarded).
	Logger *slog.Logger

	// noDirRename makes Rename move directories entry by entry, as for a
	// server that cannot rename a non-empty directory (tests).
	noDirRename bool
}

// Fs is a remote FTP directory.
type Fs struct {
	prefix  string
	pool    *pool
	feat    features
	release func()
	private *connpool.Shared

	vfs.Requests // one per do
}

// chtimesFs is an Fs on a server that can set modification times.
type chtimesFs struct {
	*Fs
}

var (
	_ vfs.Fs        = (*Fs)(nil)
	_ vfs.ChtimesFs = chtimesFs{}
)

// New logs in (or joins a shared pool), learns what the server offers and
// makes sure the prefix exists. The result implements vfs.ChtimesFs only
// when the server can set modification times.
func New(ctx context.Context, cfg Config) (vfs.Fs, error) {
	f, err := newFs(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if f.feat.mfmt || f.feat.siteMtime {
		return chtimesFs{f}, nil
	}
	return f, nil
}

func newFs(ctx context.Context, cfg Config) (*Fs, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("ftpfs: an endpoint is required")
	}
	if cfg.Username == "" {
		return nil, errors.New("ftpfs: a username is required")
	}
	if cfg.TLSMode < TLSDisabled || cfg.TLSMode > TLSImplicit {
		return nil, fmt.Errorf("ftpfs: invalid TLS mode %d", cfg.TLSMode)
	}
	if _, _, err := net.SplitHostPort(cfg.Endpoint); err != nil {
		cfg.Endpoint = net.JoinHostPort(strings.Trim(cfg.Endpoint, "[]"), "21")
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.PoolSize <= 0 {
		cfg.PoolSize = DefaultPoolSize
	}
	if cfg.PoolWait <= 0 {
		cfg.PoolWait = DefaultPoolWait
	}
	if cfg.MaxIdle <= 0 {
		cfg.MaxIdle = DefaultMaxIdle
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	f := &Fs{prefix: path.Clean("/" + cfg.Prefix)}
	shared := cfg.Conns
	if shared == nil {
		f.private = connpool.NewShared(0)
		shared = f.private
	}
	v, release, err := shared.Acquire(cfg.cacheKey(), func() (io.Closer, error) { return newPool(cfg), nil })
	if err != nil {
		return nil, err
	}
	f.pool, f.release = v.(*pool), release
	err = f.do(ctx, func(c *conn) error {
		f.feat = f.pool.features()
		return f.ensurePrefix(c)
	})
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func (f *Fs) ensurePrefix(c *conn) error {
	if f.prefix == "/" {
		return nil
	}
	if err := c.sc.ChangeDir(f.prefix); err == nil {
		return nil
	} else if !inStep(err) {
		return err
	}
	// Create each missing level.
	cur := ""
	for _, part := range strings.Split(strings.TrimPrefix(f.prefix, "/"), "/") {
		cur += "/" + part
		if err := c.sc.ChangeDir(cur); err == nil {
			continue
		}
		if err := c.sc.MakeDir(cur); err != nil {
			return fmt.Errorf("ftpfs: create prefix %q: %w", f.prefix, err)
		}
	}
	return nil
}

// Name implements vfs.Fs.
func (f *Fs) Name() string { return "ftpfs" }

// Close implements vfs.Fs: it releases the shared pool, which closes its
// connections once no Fs uses it.
func (f *Fs) Close() error {
	if f.release != nil {
		f.release()
	}
	if f.private != nil {
		f.private.Close()
	}
	return nil
}

// do runs fn with a connection from the pool, bounding its commands by
// cmdTimeout and by ctx, and gives the connection back.
func (f *Fs) do(ctx context.Context, fn func(c *conn) error) (err error) {
	defer func() {
		if errors.Is(err, fs.ErrNotExist) {
			f.Done("ftpfs", "", nil) // an answer, not a failure
		} else {
			f.Done("ftpfs", "", err)
		}
	}()
	c, err := f.pool.get(ctx)
	if err != nil {
		return err
	}
	c.deadline(cmdTimeout)
	stop := context.AfterFunc(ctx, c.abort)
	err = fn(c)
	if !stop() {
		// ctx ended while fn ran: the connection was aborted.
		f.pool.put(c, err)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return err
	}
	c.deadline(0)
	f.pool.put(c, err)
	return err
}

// remote maps an Fs path onto the server.
func (f *Fs) remote(name string) (string, error) {
	clean, err := vfs.CleanPath(name)
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(clean, "\r\n") {
		return "", fs.ErrInvalid
	}
	return path.Join(f.prefix, clean), nil
}

// Stat implements vfs.Fs.
func (f *Fs) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	return f.statOp(ctx, "stat", name)
}

// Lstat implements vfs.Fs; FTP shows no links apart, so it is Stat.
func (f *Fs) Lstat(ctx context.Context, name string) (fs.FileInfo, error) {
	return f.statOp(ctx, "lstat", name)
}

func (f *Fs) statOp(ctx context.Context, op, name string) (fs.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, f.mapErr(op, name, err)
	}
	r, err := f.remote(name)
	if err != nil {
		return nil, f.mapErr(op, name, err)
	}
	var fi fs.FileInfo
	err = f.do(ctx, func(c *conn) error {
		fi, err = f.stat(c, r)
		return err
	})
	if err != nil {
		return nil, f.mapErr(op, name, err)
	}
	return fi, nil
}

// stat looks r up: with MLST in one command; otherwise SIZE (a file),
// then CWD (a directory). A 550 everywhere means it is not there.
func (f *Fs) stat(c *conn, r string) (fs.FileInfo, error) {
	name := path.Base(r)
	if r == f.prefix {
		name = "/"
	}
	if f.feat.mlst {
		e, err := c.sc.GetEntry(r)
		if err != nil {
			if isCode(err, ftp.StatusFileUnavailable) {
				return nil, &replyError{kind: fs.ErrNotExist, err: err}
			}
			return nil, err
		}
		return entryInfo(name, e), nil
	}
	size, err := c.sc.FileSize(r)
	if err == nil {
		mtime := time.Unix(0, 0).UTC()
		if f.feat.mdtm {
			if t, err := c.sc.GetTime(r); err == nil {
				mtime = t
			} else if !inStep(err) {
				return nil, err
			}
		}
		return &vfs.FileInfo{FName: name, FSize: size, FMode: 0o644, FModTime: mtime}, nil
	}
	if !inStep(err) {
		return nil, err
	}
	if err := c.sc.ChangeDir(r); err != nil {
		if isCode(err, ftp.StatusFileUnavailable) {
			return nil, &replyError{kind: fs.ErrNotExist, err: err}
		}
		return nil, err
	}
	info := &vfs.FileInfo{FName: name, FMode: fs.ModeDir | 0o755, FModTime: time.Unix(0, 0).UTC()}
	// The directory's time is only in its parent's listing.
	if r != "/" {
		if err := c.sc.ChangeDir(path.Dir(r)); err == nil {
			if entries, err := c.sc.List(""); err == nil {
				for _, e := range entries {
					if e.Name == path.Base(r) {
						info.FModTime = e.Time
					}
				}
			} else if !inStep(err) {
				return nil, err
			}
		}
	}
	return info, nil
}

func entryInfo(name string, e *ftp.Entry) *vfs.FileInfo {
	fi := &vfs.FileInfo{FName: name, FModTime: e.Time, FSize: int64(e.Size)}
	switch e.Type {
	case ftp.EntryTypeFolder:
		fi.FMode = fs.ModeDir | 0o755
		fi.FSize = 0
	case ftp.EntryTypeLink:
		fi.FMode = fs.ModeSymlink | 0o777
	default:
		fi.FMode = 0o644
	}
	if fi.FModTime.IsZero() {
		fi.FModTime = time.Unix(0, 0).UTC()
	}
	return fi
}

// Open implements vfs.Fs: RETR from offset (REST) on a pooled connection,
// held until the reader is closed.
func (f *Fs) Open(ctx context.Context, name string, offset int64) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, f.mapErr("open", name, err)
	}
	r, err := f.remote(name)
	if err != nil {
		return nil, f.mapErr("open", name, err)
	}
	c, err := f.pool.get(ctx)
	if err != nil {
		return nil, f.mapErr("open", name, err)
	}
	c.deadline(cmdTimeout)
	stop := context.AfterFunc(ctx, c.abort)
	resp, err := c.sc.RetrFrom(r, uint64(offset))
	if err != nil {
		stop()
		if inStep(err) && isCode(err, ftp.StatusFileUnavailable) {
			// Tell a directory or a missing file from other refusals.
			if fi, serr := f.stat(c, r); serr == nil && fi.IsDir() {
				err = &replyError{kind: vfs.ErrIsDir, err: err}
			} else if errors.Is(serr, fs.ErrNotExist) {
				err = &replyError{kind: fs.ErrNotExist, err: err}
			}
		}
		c.deadline(0)
		f.pool.put(c, err)
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return nil, f.mapErr("open", name, err)
	}
	c.deadline(0)
	return &reader{ctx: ctx, f: f, c: c, resp: resp, stop: stop, name: name}, nil
}

// Create implements vfs.Fs: STOR (APPE with opts.Append) on a pooled
// connection fed through a pipe. The content goes straight to the final
// name (like a local file): Cancel leaves what the server received.
func (f *Fs) Create(ctx context.Context, name string, opts vfs.CreateOptions) (vfs.Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, f.mapErr("create", name, err)
	}
	r, err := f.remote(name)
	if err != nil {
		return nil, f.mapErr("create", name, err)
	}
	c, err := f.pool.get(ctx)
	if err != nil {
		return nil, f.mapErr("create", name, err)
	}
	c.deadline(0)
	return newWriter(ctx, f, c, name, r, opts.Append), nil
}

// Rename implements vfs.Fs. A file target is replaced (deleted first when
// the server refuses to overwrite); a directory the server cannot rename
// in one command is moved entry by entry.
func (f *Fs) Rename(ctx context.Context, oldname, newname string) error {
	if err := ctx.Err(); err != nil {
		return f.mapErr("rename", oldname, err)
	}
	ro, err := f.remote(oldname)
	if err != nil {
		return f.mapErr("rename", oldname, err)
	}
	rn, err := f.remote(newname)
	if err != nil {
		return f.mapErr("rename", newname, err)
	}
	if ro == f.prefix || rn == f.prefix {
		return f.mapErr("rename", oldname, fs.ErrPermission)
	}
	failed := oldname
	err = f.do(ctx, func(c *conn) error {
		src, err := f.stat(c, ro)
		if err != nil {
			return err
		}
		if ro == rn {
			return nil
		}
		dst, err := f.stat(c, rn)
		switch {
		case err == nil && dst.IsDir():
			failed = newname
			if !src.IsDir() {
				return vfs.ErrIsDir
			}
			entries, err := f.list(c, rn)
			if err != nil {
				return err
			}
			if len(entries) > 0 {
				return vfs.ErrDirNotEmpty
			}
			failed = oldname
		case err == nil && src.IsDir():
			failed = newname
			return vfs.ErrNotDir
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			failed = newname
			return err
		case err != nil:
			dst = nil
		}
		if src.IsDir() {
			return f.renameDir(c, ro, rn, dst != nil)
		}
		err = c.sc.Rename(ro, rn)
		if err != nil && inStep(err) && dst != nil {
			// Some servers refuse to overwrite: delete, then rename.
			if derr := c.sc.Delete(rn); derr == nil {
				err = c.sc.Rename(ro, rn)
			}
		}
		return err
	})
	return f.mapErr("rename", failed, err)
}

// renameDir renames a directory in one command when the server can, and
// otherwise recreates it under the new name, moves every entry and
// removes the old one.
func (f *Fs) renameDir(c *conn, ro, rn string, dstExists bool) error {
	if !f.pool.cfg.noDirRename {
		err := c.sc.Rename(ro, rn)
		if err == nil || !inStep(err) {
			return err
		}
	}
	if dstExists {
		if err := c.sc.RemoveDir(rn); err != nil {
			return err
		}
	}
	if err := c.sc.MakeDir(rn); err != nil {
		return err
	}
	entries, err := f.list(c, ro)
	if err != nil {
		return err
	}
	for _, e := range entries {
		from, to := path.Join(ro, e.Name()), path.Join(rn, e.Name())
		if e.IsDir() {
			err = f.renameDir(c, from, to, false)
		} else {
			err = c.sc.Rename(from, to)
		}
		if err != nil {
			return err
		}
	}
	return c.sc.RemoveDir(ro)
}

// Remove implements vfs.Fs.
func (f *Fs) Remove(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return f.mapErr("remove", name, err)
	}
	r, err := f.remote(name)
	if err != nil {
		return f.mapErr("remove", name, err)
	}
	if r == f.prefix {
		return f.mapErr("remove", name, fs.ErrPermission)
	}
	err = f.do(ctx, func(c *conn) error {
		fi, err := f.stat(c, r)
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return c.sc.Delete(r)
		}
		if err := c.sc.RemoveDir(r); err != nil {
			if !inStep(err) {
				return err
			}
			// FTP has no "not empty" reply: look.
			if entries, lerr := f.list(c, r); lerr == nil && len(entries) > 0 {
				return vfs.ErrDirNotEmpty
			}
			return err
		}
		return nil
	})
	return f.mapErr("remove", name, err)
}

// Mkdir implements vfs.Fs.
func (f *Fs) Mkdir(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return f.mapErr("mkdir", name, err)
	}
	r, err := f.remote(name)
	if err != nil {
		return f.mapErr("mkdir", name, err)
	}
	err = f.do(ctx, func(c *conn) error {
		err := c.sc.MakeDir(r)
		if err == nil || !inStep(err) {
			return err
		}
		// The reply does not say why: look.
		if _, serr := f.stat(c, r); serr == nil {
			return fs.ErrExist
		}
		if _, serr := f.stat(c, path.Dir(r)); errors.Is(serr, fs.ErrNotExist) {
			return fs.ErrNotExist
		}
		return err
	})
	return f.mapErr("mkdir", name, err)
}

// ReadDir implements vfs.Fs. FTP sends a listing in one go, so the lister
// pages a listing already in memory.
func (f *Fs) ReadDir(ctx context.Context, name string) (vfs.DirLister, error) {
	if err := ctx.Err(); err != nil {
		return nil, f.mapErr("readdir", name, err)
	}
	r, err := f.remote(name)
	if err != nil {
		return nil, f.mapErr("readdir", name, err)
	}
	var entries []fs.FileInfo
	err = f.do(ctx, func(c *conn) error {
		entries, err = f.list(c, r)
		if err != nil && inStep(err) {
			if fi, serr := f.stat(c, r); serr != nil {
				return serr
			} else if !fi.IsDir() {
				return vfs.ErrNotDir
			}
		}
		return err
	})
	if err != nil {
		return nil, f.mapErr("readdir", name, err)
	}
	return &lister{entries: entries}, nil
}

// list reads directory r: CWD into it, then MLSD (or LIST -a), so the
// path never goes through the server's LIST option and glob parsing.
func (f *Fs) list(c *conn, r string) ([]fs.FileInfo, error) {
	if err := c.sc.ChangeDir(r); err != nil {
		return nil, err
	}
	entries, err := c.sc.List("")
	if err != nil {
		return nil, err
	}
	out := make([]fs.FileInfo, 0, len(entries))
	for _, e := range entries {
		if e.Name == "" || e.Name == "." || e.Name == ".." || strings.Contains(e.Name, "/") {
			continue
		}
		out = append(out, entryInfo(e.Name, e))
	}
	return out, nil
}

type lister struct {
	entries []fs.FileInfo
}

// Next implements vfs.DirLister.
func (l *lister) Next(limit int) ([]fs.FileInfo, error) {
	if limit <= 0 {
		limit = 1000
	}
	n := min(limit, len(l.entries))
	batch := l.entries[:n:n]
	l.entries = l.entries[n:]
	if len(l.entries) == 0 {
		return batch, io.EOF
	}
	return batch, nil
}

// Close implements vfs.DirLister.
func (l *lister) Close() error {
	l.entries = nil
	return nil
}

// Chtimes implements vfs.ChtimesFs with MFMT, or SITE MTIME where the
// server has no MFMT. FTP keeps no access time.
func (f chtimesFs) Chtimes(ctx context.Context, name string, _, mtime time.Time) error {
	if err := ctx.Err(); err != nil {
		return f.mapErr("chtimes", name, err)
	}
	r, err := f.remote(name)
	if err != nil {
		return f.mapErr("chtimes", name, err)
	}
	err = f.do(ctx, func(c *conn) error {
		var err error
		if f.feat.mfmt {
			err = c.sc.SetTime(r, mtime)
		} else {
			var code int
			var msg string
			code, msg, err = c.rawCmd("SITE MTIME " + mtime.UTC().Format("20060102150405") + " " + r)
			if err == nil && code/100 != 2 {
				err = &textproto.Error{Code: code, Msg: msg}
			}
		}
		if err != nil && inStep(err) {
			if _, serr := f.stat(c, r); errors.Is(serr, fs.ErrNotExist) {
				return serr
			}
		}
		return err
	})
	return f.mapErr("chtimes", name, err)
}
