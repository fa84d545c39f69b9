// Package osfs is the local storage backend: a directory on this machine
// served as the root of an Fs. Every operation goes through an os.Root, so
// no path, "..", absolute name or symbolic link (created by a user or
// found in place) can reach a file outside that directory.
package osfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// Default permissions; the process umask still applies to new entries.
const (
	DefaultRootMode fs.FileMode = 0o700
	DefaultDirMode  fs.FileMode = 0o755
	DefaultFileMode fs.FileMode = 0o644
)

// defaultBatch is the batch size of DirLister.Next when the caller asks
// for limit <= 0.
const defaultBatch = 1000

// Options tunes a local Fs. Zero values select the defaults above.
type Options struct {
	// RootMode is used when New has to create the root directory.
	RootMode fs.FileMode
	// DirMode is used by Mkdir.
	DirMode fs.FileMode
	// FileMode is used by Create and Copy when the caller gives none.
	FileMode fs.FileMode
	// UID and GID, when either is positive, own every file, directory
	// and symlink this Fs creates (the other id is left as is when not
	// positive). It needs the privilege to chown, so set it only when the
	// process runs as root. Ignored where the system has no owners.
	UID, GID int
}

// Fs is a local directory tree. It is safe for concurrent use.
type Fs struct {
	root     *os.Root
	dir      string // absolute path of the root, symlinks resolved
	dirMode  fs.FileMode
	fileMode fs.FileMode
	uid, gid int // owner of new entries; -1 keeps the process's
}

// Interface checks: osfs offers the core and every local capability but
// HashFs (the file system stores no checksums).
var (
	_ vfs.Fs             = (*Fs)(nil)
	_ vfs.RandomAccessFs = (*Fs)(nil)
	_ vfs.ReaderAtFs     = (*Fs)(nil)
	_ vfs.ChmodFs        = (*Fs)(nil)
	_ vfs.ChownFs        = (*Fs)(nil)
	_ vfs.ChtimesFs      = (*Fs)(nil)
	_ vfs.TruncateFs     = (*Fs)(nil)
	_ vfs.SymlinkFs      = (*Fs)(nil)
	_ vfs.LinkFs         = (*Fs)(nil)
	_ vfs.CopyFs         = (*Fs)(nil)
	_ vfs.StatVFSFs      = (*Fs)(nil)
	_ vfs.LocalPathFs    = (*Fs)(nil)
)

// New opens the directory root as an Fs, creating it (and its parents)
// when missing.
func New(root string, opts Options) (*Fs, error) {
	if root == "" {
		return nil, fmt.Errorf("osfs: empty root: %w", fs.ErrInvalid)
	}
	if opts.RootMode == 0 {
		opts.RootMode = DefaultRootMode
	}
	if opts.DirMode == 0 {
		opts.DirMode = DefaultDirMode
	}
	if opts.FileMode == 0 {
		opts.FileMode = DefaultFileMode
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("osfs: root %q: %w", root, err)
	}
	if err := os.MkdirAll(abs, opts.RootMode.Perm()); err != nil {
		return nil, fmt.Errorf("osfs: create root: %w", err)
	}
	// The real path lets Readlink recognise absolute links into the root.
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("osfs: open root: %w", err)
	}
	uid, gid := -1, -1
	if opts.UID > 0 {
		uid = opts.UID
	}
	if opts.GID > 0 {
		gid = opts.GID
	}
	return &Fs{root: r, dir: abs, dirMode: opts.DirMode.Perm(), fileMode: opts.FileMode.Perm(), uid: uid, gid: gid}, nil
}

// Name implements vfs.Fs.
func (*Fs) Name() string { return "osfs" }

// Root returns the absolute host path of the root directory.
func (f *Fs) Root() string { return f.dir }

// Close releases the root directory handle.
func (f *Fs) Close() error { return f.root.Close() }

// rel converts a vfs path into the relative form os.Root wants. Unclean
// input is cleaned rather than refused; os.Root still guards the result.
func rel(op, name string) (string, error) {
	clean, err := vfs.CleanPath(name)
	if err != nil {
		return "", pathErr(op, name, fs.ErrInvalid)
	}
	if clean == "/" {
		return ".", nil
	}
	return clean[1:], nil
}

func begin(ctx context.Context, op, name string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", pathErr(op, name, err)
	}
	return rel(op, name)
}

// Stat implements vfs.Fs; it follows symlinks that stay inside the root.
func (f *Fs) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	r, err := begin(ctx, "stat", name)
	if err != nil {
		return nil, err
	}
	fi, err := f.root.Stat(r)
	if err != nil {
		return nil, mapErr("stat", name, err, false)
	}
	return rootInfo(r, fi), nil
}

// Lstat implements vfs.Fs.
func (f *Fs) Lstat(ctx context.Context, name string) (fs.FileInfo, error) {
	r, err := begin(ctx, "lstat", name)
	if err != nil {
		return nil, err
	}
	fi, err := f.root.Lstat(r)
	if err != nil {
		return nil, mapErr("lstat", name, err, false)
	}
	return rootInfo(r, fi), nil
}

// rootInfo names the root "/" instead of ".".
func rootInfo(r string, fi fs.FileInfo) fs.FileInfo {
	if r != "." {
		return fi
	}
	return &vfs.FileInfo{FName: "/", FSize: fi.Size(), FMode: fi.Mode(), FModTime: fi.ModTime(), FSys: fi.Sys()}
}

// openRegular opens name and makes sure it is a regular file, so a FIFO or
// device placed in the root cannot block or surprise a transfer.
func (f *Fs) openRegular(ctx context.Context, op, name string, flag int, perm fs.FileMode) (*os.File, error) {
	r, err := begin(ctx, op, name)
	if err != nil {
		return nil, err
	}
	file, err := f.root.OpenFile(r, flag|openNoBlock, perm)
	if err != nil {
		return nil, mapErr(op, name, err, false)
	}
	fi, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, mapErr(op, name, err, false)
	}
	if !fi.Mode().IsRegular() {
		file.Close()
		if fi.IsDir() {
			return nil, pathErr(op, name, vfs.ErrIsDir)
		}
		return nil, pathErr(op, name, fmt.Errorf("not a regular file: %w", fs.ErrPermission))
	}
	if flag&os.O_CREATE != 0 && f.hasOwner() {
		if err := file.Chown(f.uid, f.gid); err != nil {
			file.Close()
			return nil, mapErr(op, name, err, false)
		}
	}
	return file, nil
}

// hasOwner reports whether new entries get the configured owner.
func (f *Fs) hasOwner() bool { return f.uid >= 0 || f.gid >= 0 }

// own gives the configured owner to the entry just created at r.
func (f *Fs) own(op, name, r string) error {
	if !f.hasOwner() {
		return nil
	}
	return mapErr(op, name, f.root.Lchown(r, f.uid, f.gid), false)
}

// Open implements vfs.Fs.
func (f *Fs) Open(ctx context.Context, name string, offset int64) (io.ReadCloser, error) {
	if offset < 0 {
		return nil, pathErr("open", name, fs.ErrInvalid)
	}
	file, err := f.openRegular(ctx, "open", name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	if offset > 0 {
		if _, err := file.Seek(offset, io.SeekStart); err != nil {
			file.Close()
			return nil, mapErr("open", name, err, false)
		}
	}
	return &reader{ctx: ctx, f: file}, nil
}

// Create implements vfs.Fs. It writes straight to the final path: the file
// is truncated (or, with opts.Append, extended) at once, and Cancel leaves
// what was written; atomic uploads are the caller's job.
func (f *Fs) Create(ctx context.Context, name string, opts vfs.CreateOptions) (vfs.Writer, error) {
	flag := os.O_WRONLY | os.O_CREATE
	if opts.Append {
		flag |= os.O_APPEND
	} else {
		flag |= os.O_TRUNC
	}
	perm := opts.Mode.Perm()
	if perm == 0 {
		perm = f.fileMode
	}
	file, err := f.openRegular(ctx, "create", name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &writer{ctx: ctx, f: file}, nil
}

// Rename implements vfs.Fs. An existing file target is replaced; an
// existing non-empty directory target gives vfs.ErrDirNotEmpty.
func (f *Fs) Rename(ctx context.Context, oldname, newname string) error {
	o, err := begin(ctx, "rename", oldname)
	if err != nil {
		return err
	}
	n, err := rel("rename", newname)
	if err != nil {
		return err
	}
	if o == "." || n == "." {
		return pathErr("rename", oldname, fmt.Errorf("cannot rename the root: %w", fs.ErrPermission))
	}
	return mapErr("rename", oldname, f.root.Rename(o, n), true)
}

// Remove implements vfs.Fs.
func (f *Fs) Remove(ctx context.Context, name string) error {
	r, err := begin(ctx, "remove", name)
	if err != nil {
		return err
	}
	if r == "." {
		return pathErr("remove", name, fmt.Errorf("cannot remove the root: %w", fs.ErrPermission))
	}
	return mapErr("remove", name, f.root.Remove(r), true)
}

// Mkdir implements vfs.Fs.
func (f *Fs) Mkdir(ctx context.Context, name string) error {
	r, err := begin(ctx, "mkdir", name)
	if err != nil {
		return err
	}
	if err := f.root.Mkdir(r, f.dirMode); err != nil {
		return mapErr("mkdir", name, err, false)
	}
	return f.own("mkdir", name, r)
}

// ReadDir implements vfs.Fs. Entries carry Lstat information: a symlink is
// listed as a symlink.
func (f *Fs) ReadDir(ctx context.Context, name string) (vfs.DirLister, error) {
	r, err := begin(ctx, "readdir", name)
	if err != nil {
		return nil, err
	}
	dir, err := f.root.OpenFile(r, os.O_RDONLY|openNoBlock, 0)
	if err != nil {
		return nil, mapErr("readdir", name, err, false)
	}
	fi, err := dir.Stat()
	if err != nil {
		dir.Close()
		return nil, mapErr("readdir", name, err, false)
	}
	if !fi.IsDir() {
		dir.Close()
		return nil, pathErr("readdir", name, vfs.ErrNotDir)
	}
	return &lister{ctx: ctx, name: name, f: dir}, nil
}

// Chmod implements vfs.ChmodFs. Only the permission bits are applied:
// setuid, setgid and sticky bits are never set for a client.
func (f *Fs) Chmod(ctx context.Context, name string, mode fs.FileMode) error {
	r, err := begin(ctx, "chmod", name)
	if err != nil {
		return err
	}
	return mapErr("chmod", name, f.root.Chmod(r, mode.Perm()), false)
}

// Chown implements vfs.ChownFs; -1 leaves an id unchanged.
func (f *Fs) Chown(ctx context.Context, name string, uid, gid int) error {
	r, err := begin(ctx, "chown", name)
	if err != nil {
		return err
	}
	return mapErr("chown", name, f.root.Chown(r, uid, gid), false)
}

// Chtimes implements vfs.ChtimesFs.
func (f *Fs) Chtimes(ctx context.Context, name string, atime, mtime time.Time) error {
	r, err := begin(ctx, "chtimes", name)
	if err != nil {
		return err
	}
	return mapErr("chtimes", name, f.root.Chtimes(r, atime, mtime), false)
}

// Truncate implements vfs.TruncateFs.
func (f *Fs) Truncate(ctx context.Context, name string, size int64) error {
	if size < 0 {
		return pathErr("truncate", name, fs.ErrInvalid)
	}
	file, err := f.openRegular(ctx, "truncate", name, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = file.Truncate(size)
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	return mapErr("truncate", name, err, false)
}

// OpenFile implements vfs.RandomAccessFs. The result is an *os.File.
func (f *Fs) OpenFile(ctx context.Context, name string, flag int, perm fs.FileMode) (vfs.RandomAccessFile, error) {
	if perm.Perm() == 0 {
		perm = f.fileMode
	}
	file, err := f.openRegular(ctx, "open", name, flag, perm.Perm())
	if err != nil {
		return nil, err
	}
	return file, nil
}

// OpenReaderAt implements vfs.ReaderAtFs. The result is an *os.File.
func (f *Fs) OpenReaderAt(ctx context.Context, name string) (vfs.ReaderAtCloser, error) {
	file, err := f.openRegular(ctx, "open", name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	return file, nil
}

// Link implements vfs.LinkFs. Both names resolve inside the root; linking
// a symlink links the symlink itself, not its target, and is refused with
// fs.ErrPermission when that symlink points outside the root (following
// the new link would be refused anyway; this reports it up front).
func (f *Fs) Link(ctx context.Context, oldname, newname string) error {
	o, err := begin(ctx, "link", oldname)
	if err != nil {
		return err
	}
	n, err := rel("link", newname)
	if err != nil {
		return err
	}
	if fi, err := f.root.Lstat(o); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if _, err := f.root.Stat(o); err != nil {
			if merr := mapErr("link", oldname, err, false); errors.Is(merr, fs.ErrPermission) {
				return merr
			}
		}
	}
	return mapErr("link", newname, f.root.Link(o, n), false)
}

// StatVFS implements vfs.StatVFSFs for the file system holding name.
func (f *Fs) StatVFS(ctx context.Context, name string) (*vfs.StatVFS, error) {
	r, err := begin(ctx, "statvfs", name)
	if err != nil {
		return nil, err
	}
	file, err := f.root.OpenFile(r, os.O_RDONLY|openNoBlock, 0)
	if err != nil {
		return nil, mapErr("statvfs", name, err, false)
	}
	defer file.Close()
	st, err := statVFS(file)
	if err != nil {
		return nil, mapErr("statvfs", name, err, false)
	}
	return st, nil
}

// LocalPath implements vfs.LocalPathFs: the host path of name. Using it
// directly bypasses os.Root; callers must not follow links through it.
func (f *Fs) LocalPath(name string) (string, error) {
	clean, err := vfs.CleanPath(name)
	if err != nil {
		return "", pathErr("localpath", name, err)
	}
	return filepath.Join(f.dir, filepath.FromSlash(clean[1:])), nil
}
