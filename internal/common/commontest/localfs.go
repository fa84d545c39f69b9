// Package commontest provides test doubles for code built on common: a
// plain local Fs, a streaming-only wrapper and an in-memory Store.
package commontest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// LocalFs is a minimal local backend for tests. Unlike osfs it does not
// confine symlinks; it is not for production use.
type LocalFs struct {
	Root string
}

// NewLocalFs returns a LocalFs rooted at root.
func NewLocalFs(root string) *LocalFs { return &LocalFs{Root: root} }

func (l *LocalFs) real(name string) string {
	return filepath.Join(l.Root, filepath.FromSlash(path.Clean("/"+name)))
}

// Name implements vfs.Fs.
func (l *LocalFs) Name() string { return "testlocal" }

// Stat implements vfs.Fs.
func (l *LocalFs) Stat(_ context.Context, name string) (fs.FileInfo, error) {
	return os.Stat(l.real(name))
}

// Lstat implements vfs.Fs.
func (l *LocalFs) Lstat(_ context.Context, name string) (fs.FileInfo, error) {
	return os.Lstat(l.real(name))
}

// Open implements vfs.Fs.
func (l *LocalFs) Open(_ context.Context, name string, offset int64) (io.ReadCloser, error) {
	f, err := os.Open(l.real(name))
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

type localWriter struct{ f *os.File }

func (w *localWriter) Write(p []byte) (int, error) { return w.f.Write(p) }
func (w *localWriter) Close() error                { return w.f.Close() }
func (w *localWriter) Cancel() error               { w.f.Close(); return nil }

// Create implements vfs.Fs.
func (l *LocalFs) Create(_ context.Context, name string, opts vfs.CreateOptions) (vfs.Writer, error) {
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if opts.Append {
		flag = os.O_WRONLY | os.O_APPEND
	}
	mode := opts.Mode
	if mode == 0 {
		mode = 0o644
	}
	f, err := os.OpenFile(l.real(name), flag, mode)
	if err != nil {
		return nil, err
	}
	return &localWriter{f}, nil
}

// Rename implements vfs.Fs.
func (l *LocalFs) Rename(_ context.Context, oldname, newname string) error {
	return os.Rename(l.real(oldname), l.real(newname))
}

// Remove implements vfs.Fs.
func (l *LocalFs) Remove(_ context.Context, name string) error {
	err := os.Remove(l.real(name))
	if err != nil {
		if entries, rerr := os.ReadDir(l.real(name)); rerr == nil && len(entries) > 0 {
			return fmt.Errorf("remove %s: %w", name, vfs.ErrDirNotEmpty)
		}
	}
	return err
}

// Mkdir implements vfs.Fs.
func (l *LocalFs) Mkdir(_ context.Context, name string) error {
	return os.Mkdir(l.real(name), 0o755)
}

type dirLister struct {
	f *os.File
}

func (d *dirLister) Next(limit int) ([]fs.FileInfo, error) {
	entries, err := d.f.Readdir(limit)
	if errors.Is(err, io.EOF) || (err == nil && len(entries) < limit) {
		return entries, io.EOF
	}
	return entries, err
}

func (d *dirLister) Close() error { return d.f.Close() }

// ReadDir implements vfs.Fs.
func (l *LocalFs) ReadDir(_ context.Context, name string) (vfs.DirLister, error) {
	f, err := os.Open(l.real(name))
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.IsDir() {
		f.Close()
		return nil, vfs.ErrNotDir
	}
	return &dirLister{f}, nil
}

// Close implements vfs.Fs.
func (l *LocalFs) Close() error { return nil }

// OpenFile implements vfs.RandomAccessFs.
func (l *LocalFs) OpenFile(_ context.Context, name string, flag int, perm fs.FileMode) (vfs.RandomAccessFile, error) {
	return os.OpenFile(l.real(name), flag, perm)
}

// Chmod implements vfs.ChmodFs.
func (l *LocalFs) Chmod(_ context.Context, name string, mode fs.FileMode) error {
	return os.Chmod(l.real(name), mode)
}

// Chtimes implements vfs.ChtimesFs.
func (l *LocalFs) Chtimes(_ context.Context, name string, atime, mtime time.Time) error {
	return os.Chtimes(l.real(name), atime, mtime)
}

// Symlink implements vfs.SymlinkFs; target is an absolute backend path.
func (l *LocalFs) Symlink(_ context.Context, target, name string) error {
	return os.Symlink(l.real(target), l.real(name))
}

// Readlink implements vfs.SymlinkFs.
func (l *LocalFs) Readlink(_ context.Context, name string) (string, error) {
	t, err := os.Readlink(l.real(name))
	if err != nil {
		return "", err
	}
	if rel, ok := strings.CutPrefix(t, l.Root); ok {
		return "/" + strings.TrimPrefix(filepath.ToSlash(rel), "/"), nil
	}
	return t, nil
}

// Link implements vfs.LinkFs.
func (l *LocalFs) Link(_ context.Context, oldname, newname string) error {
	return os.Link(l.real(oldname), l.real(newname))
}

// LocalPath implements vfs.LocalPathFs.
func (l *LocalFs) LocalPath(name string) (string, error) { return l.real(name), nil }

// StreamFs exposes only the core vfs.Fs of another backend plus
// LocalPathFs when asked, so tests exercise the streaming paths.
type StreamFs struct {
	vfs.Fs
}

// LocalStreamFs is a StreamFs that also reports local paths (like the
// encrypted backend: stream writes, atomic uploads possible).
type LocalStreamFs struct {
	vfs.Fs
	Local vfs.LocalPathFs
}

// LocalPath implements vfs.LocalPathFs.
func (l LocalStreamFs) LocalPath(name string) (string, error) { return l.Local.LocalPath(name) }
