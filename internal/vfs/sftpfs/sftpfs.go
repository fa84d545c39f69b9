// Package sftpfs is a vfs backend on a remote SFTP server (pkg/sftp over
// golang.org/x/crypto/ssh): password and/or key authentication, host-key
// fingerprint pinning, a remote directory as root, pipelined transfers,
// and one SSH connection shared by every Fs with the same endpoint and
// credentials.
package sftpfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path"
	"syscall"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/connpool"
)

// DefaultDialTimeout bounds the TCP connection and the SSH handshake.
const DefaultDialTimeout = 15 * time.Second

// Config describes the remote server and how to log in.
type Config struct {
	// Endpoint is host:port; the port defaults to 22.
	Endpoint string
	Username string
	// Password and/or PrivateKey (PEM or OpenSSH format, encrypted with
	// KeyPassphrase when that is set). With both, the key is tried first.
	Password      string
	PrivateKey    string
	KeyPassphrase string
	// Fingerprints pins the server's host key: SHA256 fingerprints as
	// `ssh-keygen -l` prints them ("SHA256:..."), or "MD5:aa:bb:...". With
	// none, any host key is accepted and a warning is logged.
	Fingerprints []string
	// Prefix is the remote directory that is the Fs root ("/" when empty);
	// it is created when missing. Paths never leave it.
	Prefix string
	// DisableConcurrentReads reads downloads one request at a time, for
	// servers that mishandle parallel reads of one handle.
	DisableConcurrentReads bool
	// BufferSize is the data kept in flight per transfer, in MiB (0: the
	// pkg/sftp default of 64 requests of 32 KiB, i.e. 2 MiB).
	BufferSize int64
	// DialTimeout bounds connecting and the handshake (DefaultDialTimeout
	// when zero).
	DialTimeout time.Duration
	// DialControl, when set, is called with the resolved address before
	// each connection is made (net.Dialer.Control); an error refuses it.
	// The server uses it to refuse endpoints that are its own listeners.
	DialControl func(network, address string, c syscall.RawConn) error
	// Conns shares connections between Fs values (sessions of one user);
	// nil gives the Fs a connection of its own.
	Conns *connpool.Shared
	// Logger receives connection events (nil: discarded).
	Logger *slog.Logger
}

// Fs is a remote SFTP directory.
type Fs struct {
	prefix  string
	cl      *client
	release func()
	private *connpool.Shared

	vfs.Requests // one per operation (begin), failures in fail
}

var (
	_ vfs.Fs         = (*Fs)(nil)
	_ vfs.ChmodFs    = (*Fs)(nil)
	_ vfs.ChownFs    = (*Fs)(nil)
	_ vfs.ChtimesFs  = (*Fs)(nil)
	_ vfs.TruncateFs = (*Fs)(nil)
	_ vfs.SymlinkFs  = (*Fs)(nil)
	_ vfs.LinkFs     = (*Fs)(nil)
	_ vfs.StatVFSFs  = (*Fs)(nil)
)

// New connects (or joins a shared connection), checks the login and the
// host key, and makes sure the prefix exists.
func New(ctx context.Context, cfg Config) (*Fs, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("sftpfs: an endpoint is required")
	}
	if cfg.Username == "" {
		return nil, errors.New("sftpfs: a username is required")
	}
	if _, _, err := net.SplitHostPort(cfg.Endpoint); err != nil {
		cfg.Endpoint = net.JoinHostPort(cfg.Endpoint, "22")
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.BufferSize < 0 || cfg.BufferSize > 64 {
		return nil, fmt.Errorf("sftpfs: buffer size %d MiB out of range", cfg.BufferSize)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	auth, err := authMethods(cfg)
	if err != nil {
		return nil, err
	}
	f := &Fs{prefix: path.Clean("/" + cfg.Prefix)}
	shared := cfg.Conns
	if shared == nil {
		f.private = connpool.NewShared(0)
		shared = f.private
	}
	v, release, err := shared.Acquire(cfg.cacheKey(), func() (io.Closer, error) { return newClient(cfg, auth), nil })
	if err != nil {
		return nil, err
	}
	f.cl, f.release = v.(*client), release
	s, err := f.cl.get(ctx)
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := f.ensurePrefix(s); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func (f *Fs) ensurePrefix(s *session) error {
	fi, err := s.sftp.Stat(f.prefix)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("sftpfs: prefix %q is not a directory: %w", f.prefix, vfs.ErrNotDir)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sftpfs: prefix %q: %w", f.prefix, err)
	}
	if err := s.sftp.MkdirAll(f.prefix); err != nil {
		return fmt.Errorf("sftpfs: create prefix %q: %w", f.prefix, err)
	}
	return nil
}

// Name implements vfs.Fs.
func (f *Fs) Name() string { return "sftpfs" }

// Close implements vfs.Fs: it releases the shared connection, which
// closes when no Fs uses it any more.
func (f *Fs) Close() error {
	if f.release != nil {
		f.release()
	}
	if f.private != nil {
		f.private.Close()
	}
	return nil
}

// remote maps an Fs path onto the server.
func (f *Fs) remote(name string) (string, error) {
	clean, err := vfs.CleanPath(name)
	if err != nil {
		return "", err
	}
	return path.Join(f.prefix, clean), nil
}

// begin checks ctx, maps name and returns the live session.
func (f *Fs) begin(ctx context.Context, name string) (*session, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	r, err := f.remote(name)
	if err != nil {
		return nil, "", err
	}
	s, err := f.cl.get(ctx)
	if err != nil {
		return nil, "", err
	}
	f.Sent("sftpfs", "")
	return s, r, nil
}

// fail maps a remote error for the Fs path name and drops the
// connection when the error shows it is broken.
func (f *Fs) fail(s *session, op, name string, err error) error {
	if s != nil {
		f.cl.checkAfterError(s, err)
	}
	err = mapErr(op, name, err)
	if s != nil && !errors.Is(err, fs.ErrNotExist) {
		f.Failed("sftpfs", op, err)
	}
	return err
}

// fileInfo names a remote stat result after the Fs path.
type fileInfo struct {
	fs.FileInfo
	name string
}

func (fi *fileInfo) Name() string { return fi.name }

func baseName(name string) string {
	clean, err := vfs.CleanPath(name)
	if err != nil || clean == "/" {
		return "/"
	}
	return path.Base(clean)
}

// Stat implements vfs.Fs.
func (f *Fs) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	return f.stat(ctx, "stat", name, false)
}

// Lstat implements vfs.Fs.
func (f *Fs) Lstat(ctx context.Context, name string) (fs.FileInfo, error) {
	return f.stat(ctx, "lstat", name, true)
}

func (f *Fs) stat(ctx context.Context, op, name string, link bool) (fs.FileInfo, error) {
	s, r, err := f.begin(ctx, name)
	if err != nil {
		return nil, mapErr(op, name, err)
	}
	var fi fs.FileInfo
	if link {
		fi, err = s.sftp.Lstat(r)
	} else {
		fi, err = s.sftp.Stat(r)
	}
	if err != nil {
		return nil, f.fail(s, op, name, err)
	}
	return &fileInfo{FileInfo: fi, name: baseName(name)}, nil
}

// Open implements vfs.Fs: the download is read ahead by a goroutine with
// parallel requests, so a slow link does not cost a round trip per read.
func (f *Fs) Open(ctx context.Context, name string, offset int64) (io.ReadCloser, error) {
	s, r, err := f.begin(ctx, name)
	if err != nil {
		return nil, mapErr("open", name, err)
	}
	file, err := s.sftp.Open(r)
	if err != nil {
		return nil, f.fail(s, "open", name, err)
	}
	fi, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, f.fail(s, "open", name, err)
	}
	if fi.IsDir() {
		file.Close()
		return nil, mapErr("open", name, vfs.ErrIsDir)
	}
	if offset > 0 {
		if _, err := file.Seek(offset, io.SeekStart); err != nil {
			file.Close()
			return nil, mapErr("open", name, err)
		}
	}
	return newReader(ctx, f, s, name, file), nil
}

// Create implements vfs.Fs. The content goes straight to the final name
// (like a local file): Cancel leaves what was written for the caller's
// upload mode. With opts.Append the file is continued from its end.
func (f *Fs) Create(ctx context.Context, name string, opts vfs.CreateOptions) (vfs.Writer, error) {
	s, r, err := f.begin(ctx, name)
	if err != nil {
		return nil, mapErr("create", name, err)
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if opts.Append {
		flags = os.O_WRONLY | os.O_CREATE
	}
	file, err := s.sftp.OpenFile(r, flags)
	if err != nil {
		return nil, f.fail(s, "create", name, err)
	}
	if opts.Append {
		fi, err := file.Stat()
		if err == nil {
			_, err = file.Seek(fi.Size(), io.SeekStart)
		}
		if err != nil {
			file.Close()
			return nil, f.fail(s, "create", name, err)
		}
	}
	return newWriter(ctx, f, s, name, file), nil
}

// Rename implements vfs.Fs. posix-rename@openssh.com replaces a file
// target atomically; without it the target file is removed first.
func (f *Fs) Rename(ctx context.Context, oldname, newname string) error {
	s, ro, err := f.begin(ctx, oldname)
	if err != nil {
		return mapErr("rename", oldname, err)
	}
	rn, err := f.remote(newname)
	if err != nil {
		return mapErr("rename", newname, err)
	}
	if ro == f.prefix || rn == f.prefix {
		return mapErr("rename", oldname, fs.ErrPermission)
	}
	src, err := s.sftp.Lstat(ro)
	if err != nil {
		return f.fail(s, "rename", oldname, err)
	}
	if ro == rn {
		return nil
	}
	dst, err := s.sftp.Lstat(rn)
	switch {
	case err == nil && dst.IsDir():
		if !src.IsDir() {
			return mapErr("rename", newname, vfs.ErrIsDir)
		}
		entries, err := s.sftp.ReadDir(rn)
		if err != nil {
			return f.fail(s, "rename", newname, err)
		}
		if len(entries) > 0 {
			return mapErr("rename", newname, vfs.ErrDirNotEmpty)
		}
	case err == nil && src.IsDir():
		return mapErr("rename", newname, vfs.ErrNotDir)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return f.fail(s, "rename", newname, err)
	}
	if s.posixRename {
		err = s.sftp.PosixRename(ro, rn)
	} else {
		if dst != nil && !dst.IsDir() {
			if err := s.sftp.Remove(rn); err != nil {
				return f.fail(s, "rename", newname, err)
			}
		} else if dst != nil {
			if err := s.sftp.RemoveDirectory(rn); err != nil {
				return f.fail(s, "rename", newname, err)
			}
		}
		err = s.sftp.Rename(ro, rn)
	}
	if err != nil {
		return f.fail(s, "rename", oldname, err)
	}
	return nil
}

// Remove implements vfs.Fs.
func (f *Fs) Remove(ctx context.Context, name string) error {
	s, r, err := f.begin(ctx, name)
	if err != nil {
		return mapErr("remove", name, err)
	}
	if r == f.prefix {
		return mapErr("remove", name, fs.ErrPermission)
	}
	fi, err := s.sftp.Lstat(r)
	if err != nil {
		return f.fail(s, "remove", name, err)
	}
	if !fi.IsDir() {
		if err := s.sftp.Remove(r); err != nil {
			return f.fail(s, "remove", name, err)
		}
		return nil
	}
	if err := s.sftp.RemoveDirectory(r); err != nil {
		// SFTP v3 has no "not empty" status: look.
		if entries, lerr := s.sftp.ReadDir(r); lerr == nil && len(entries) > 0 {
			return mapErr("remove", name, vfs.ErrDirNotEmpty)
		}
		return f.fail(s, "remove", name, err)
	}
	return nil
}

// Mkdir implements vfs.Fs.
func (f *Fs) Mkdir(ctx context.Context, name string) error {
	s, r, err := f.begin(ctx, name)
	if err != nil {
		return mapErr("mkdir", name, err)
	}
	if err := s.sftp.Mkdir(r); err != nil {
		// SFTP v3 reports an existing entry as a plain failure.
		if _, serr := s.sftp.Lstat(r); serr == nil {
			return mapErr("mkdir", name, fs.ErrExist)
		}
		if _, serr := s.sftp.Stat(path.Dir(r)); errors.Is(serr, fs.ErrNotExist) {
			return mapErr("mkdir", name, fs.ErrNotExist)
		}
		return f.fail(s, "mkdir", name, err)
	}
	return nil
}

// ReadDir implements vfs.Fs. pkg/sftp reads a directory in one go, so the
// lister pages a listing already in memory.
func (f *Fs) ReadDir(ctx context.Context, name string) (vfs.DirLister, error) {
	s, r, err := f.begin(ctx, name)
	if err != nil {
		return nil, mapErr("readdir", name, err)
	}
	entries, err := s.sftp.ReadDirContext(ctx, r)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, mapErr("readdir", name, ctxErr)
		}
		if fi, serr := s.sftp.Stat(r); serr == nil && !fi.IsDir() {
			return nil, mapErr("readdir", name, vfs.ErrNotDir)
		}
		return nil, f.fail(s, "readdir", name, err)
	}
	return &lister{entries: entries}, nil
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
