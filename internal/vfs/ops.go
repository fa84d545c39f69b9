package vfs

import (
	"context"
	"io"
	"io/fs"
	"os"
	"time"
)

// The functions below use a backend's optional capability when it has
// one, as io/fs does with fs.ReadFile and fs.ReadDirFS: a caller writes
// vfs.Chmod(ctx, fsys, ...) instead of type-asserting. Where the
// operation can be done with the basic Fs methods (Copy, OpenReaderAt
// through a random-access file) they fall back to that; otherwise they
// return ErrNotSupported.

// Chmod changes permission bits.
func Chmod(ctx context.Context, fsys Fs, name string, mode fs.FileMode) error {
	if f, ok := fsys.(ChmodFs); ok {
		return f.Chmod(ctx, name, mode)
	}
	return ErrNotSupported
}

// Chown changes ownership.
func Chown(ctx context.Context, fsys Fs, name string, uid, gid int) error {
	if f, ok := fsys.(ChownFs); ok {
		return f.Chown(ctx, name, uid, gid)
	}
	return ErrNotSupported
}

// Chtimes changes access and modification times.
func Chtimes(ctx context.Context, fsys Fs, name string, atime, mtime time.Time) error {
	if f, ok := fsys.(ChtimesFs); ok {
		return f.Chtimes(ctx, name, atime, mtime)
	}
	return ErrNotSupported
}

// Truncate sets a file's size by name.
func Truncate(ctx context.Context, fsys Fs, name string, size int64) error {
	if f, ok := fsys.(TruncateFs); ok {
		return f.Truncate(ctx, name, size)
	}
	return ErrNotSupported
}

// Symlink creates a symbolic link (see SymlinkFs for the target's form).
func Symlink(ctx context.Context, fsys Fs, target, name string) error {
	if f, ok := fsys.(SymlinkFs); ok {
		return f.Symlink(ctx, target, name)
	}
	return ErrNotSupported
}

// Readlink returns a symbolic link's target.
func Readlink(ctx context.Context, fsys Fs, name string) (string, error) {
	if f, ok := fsys.(SymlinkFs); ok {
		return f.Readlink(ctx, name)
	}
	return "", ErrNotSupported
}

// Link creates a hard link.
func Link(ctx context.Context, fsys Fs, oldname, newname string) error {
	if f, ok := fsys.(LinkFs); ok {
		return f.Link(ctx, oldname, newname)
	}
	return ErrNotSupported
}

// Space reports the free and total space of the filesystem holding name.
func Space(ctx context.Context, fsys Fs, name string) (*StatVFS, error) {
	if f, ok := fsys.(StatVFSFs); ok {
		return f.StatVFS(ctx, name)
	}
	return nil, ErrNotSupported
}

// StoredHash returns a checksum the store already holds; ErrNotSupported
// when it holds none for algo (the caller then reads the file).
func StoredHash(ctx context.Context, fsys Fs, name, algo string) (string, error) {
	if f, ok := fsys.(HashFs); ok {
		return f.Hash(ctx, name, algo)
	}
	return "", ErrNotSupported
}

// Metadata returns a file's user metadata; nil when the backend keeps
// none.
func Metadata(ctx context.Context, fsys Fs, name string) (map[string]string, error) {
	if f, ok := fsys.(MetadataFs); ok {
		return f.Metadata(ctx, name)
	}
	return nil, nil
}

// LocalPath returns the real path of name on this machine; ok is false
// for a backend that has none.
func LocalPath(fsys Fs, name string) (p string, ok bool, err error) {
	f, ok := fsys.(LocalPathFs)
	if !ok {
		return "", false, nil
	}
	p, err = f.LocalPath(name)
	return p, true, err
}

// RenamesDirsRecursively reports whether fsys renames a directory entry
// by entry (see RecursiveDirRenameFs).
func RenamesDirsRecursively(fsys Fs) bool {
	_, ok := fsys.(RecursiveDirRenameFs)
	return ok
}

// Copy copies a file within fsys: server-side when the backend can, else
// through a read and a write. size is the source's size (-1: unknown),
// which lets the writer pick its part size.
func Copy(ctx context.Context, fsys Fs, src, dst string, size int64) error {
	if f, ok := fsys.(CopyFs); ok {
		return f.Copy(ctx, src, dst)
	}
	return CopyAcross(ctx, fsys, src, fsys, dst, size)
}

// CopyAcross copies a file from one Fs to another through a read and a
// write; a failed copy leaves no partial destination behind.
func CopyAcross(ctx context.Context, from Fs, src string, to Fs, dst string, size int64) error {
	r, err := from.Open(ctx, src, 0)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := to.Create(ctx, dst, CreateOptions{Size: size, Mode: 0o644})
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Cancel()
		return err
	}
	return w.Close()
}

// OpenReaderAt opens a file for positioned reads: through ReaderAtFs, or
// a read-only random-access file; ErrNotSupported when the backend has
// neither (the caller then reads sequentially).
func OpenReaderAt(ctx context.Context, fsys Fs, name string) (ReaderAtCloser, error) {
	if f, ok := fsys.(ReaderAtFs); ok {
		return f.OpenReaderAt(ctx, name)
	}
	if f, ok := fsys.(RandomAccessFs); ok {
		return f.OpenFile(ctx, name, os.O_RDONLY, 0)
	}
	return nil, ErrNotSupported
}

// HasRandomAccess reports whether fsys opens files for positioned reads
// and writes.
func HasRandomAccess(fsys Fs) bool {
	_, ok := fsys.(RandomAccessFs)
	return ok
}

// OpenRandomAccess opens a file for positioned reads and writes (flag and
// perm as for os.OpenFile); ErrNotSupported when the backend cannot.
func OpenRandomAccess(ctx context.Context, fsys Fs, name string, flag int, perm fs.FileMode) (RandomAccessFile, error) {
	if f, ok := fsys.(RandomAccessFs); ok {
		return f.OpenFile(ctx, name, flag, perm)
	}
	return nil, ErrNotSupported
}
