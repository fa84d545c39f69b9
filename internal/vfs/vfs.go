// Package vfs is the storage abstraction every protocol works through: a
// small core interface that streaming backends (object stores, remote
// servers) can implement, and optional capabilities discovered by type
// assertion, in the manner of io/fs.
//
// Paths given to an Fs are slash-separated, absolute and clean ("/",
// "/dir/file"), relative to the backend's own root (a home directory, a
// bucket key prefix, a remote prefix). An Fs never lets a path reach
// outside that root.
package vfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"time"
)

// Sentinel errors. Backends wrap these (or fs.ErrNotExist, fs.ErrExist,
// fs.ErrPermission) so protocols can map them with errors.Is.
var (
	// ErrNotSupported: the backend lacks the capability.
	ErrNotSupported = errors.New("operation not supported")
	// ErrQuotaExceeded: a size or file quota would be exceeded.
	ErrQuotaExceeded = errors.New("quota exceeded")
	// ErrDirNotEmpty: removing or replacing a directory that has entries.
	ErrDirNotEmpty = errors.New("directory not empty")
	// ErrNoSpace: the storage itself is full (ENOSPC) or the system's own
	// disk quota is reached (EDQUOT); unlike ErrQuotaExceeded it is not
	// a limit of ours.
	ErrNoSpace = errors.New("no space left on device")
	// ErrIsDir / ErrNotDir: the operation wants the other kind of entry.
	ErrIsDir  = errors.New("is a directory")
	ErrNotDir = errors.New("not a directory")
)

// Fs is the core every backend implements.
type Fs interface {
	// Name identifies the backend kind in logs ("osfs", "s3fs", ...).
	Name() string
	// Stat follows symlinks where the backend has them.
	Stat(ctx context.Context, name string) (fs.FileInfo, error)
	// Lstat does not follow a final symlink.
	Lstat(ctx context.Context, name string) (fs.FileInfo, error)
	// Open streams a file's content starting at offset. ctx covers the
	// whole stream: once it is done, further reads fail.
	Open(ctx context.Context, name string, offset int64) (io.ReadCloser, error)
	// Create starts writing a file, replacing any existing one when the
	// writer is closed successfully (object stores) or at once (local).
	// ctx covers the whole stream, as for Open.
	Create(ctx context.Context, name string, opts CreateOptions) (Writer, error)
	// Rename moves a file or directory; it replaces an existing file target.
	Rename(ctx context.Context, oldname, newname string) error
	// Remove deletes a file or an empty directory (ErrDirNotEmpty otherwise).
	Remove(ctx context.Context, name string) error
	// Mkdir creates one directory; fs.ErrExist if it is there already.
	Mkdir(ctx context.Context, name string) error
	// ReadDir lists a directory in batches.
	ReadDir(ctx context.Context, name string) (DirLister, error)
	// Close releases connections and caches.
	Close() error
}

// CreateOptions tunes Create.
type CreateOptions struct {
	// Size is the final size when known in advance, -1 otherwise; object
	// stores use it to choose a single PUT over a multipart upload.
	Size int64
	// Append continues an existing file from its current end (resume);
	// backends that cannot do it return ErrNotSupported.
	Append bool
	// Mode is the permission for a new file on backends that keep one.
	Mode fs.FileMode
}

// Writer receives a file's content as a stream.
type Writer interface {
	io.Writer
	// Close commits: after a nil error the file is complete and visible.
	Close() error
	// Cancel abandons the write: object stores abort the upload so no
	// partial object appears; a local backend leaves what it wrote for the
	// caller's upload mode to deal with. Cancel after Close is a no-op.
	Cancel() error
}

// CommittedWriter is a Writer that describes the file its successful
// Close published, so the caller need not look the path up again (a
// request to an object store).
type CommittedWriter interface {
	Writer
	// Committed returns the file as Close left it; ok is false before a
	// successful Close.
	Committed() (fi fs.FileInfo, ok bool)
}

// DirLister returns a directory's entries in batches, so a listing of a
// bucket with a million keys never sits in memory at once.
type DirLister interface {
	// Next returns up to limit entries; it returns io.EOF (possibly along
	// with a final batch) once the listing is exhausted. With limit <= 0
	// the backend chooses the batch size.
	Next(limit int) ([]fs.FileInfo, error)
	Close() error
}

// RandomAccessFile is a file open for positioned reads and writes.
type RandomAccessFile interface {
	io.ReaderAt
	io.WriterAt
	io.Closer
	Truncate(size int64) error
	Stat() (fs.FileInfo, error)
}

// RandomAccessFs opens files for positioned reads and writes (local,
// encrypted local). flag is os.O_RDONLY, O_WRONLY, O_RDWR with O_CREATE,
// O_TRUNC, O_EXCL, O_APPEND as for os.OpenFile.
type RandomAccessFs interface {
	OpenFile(ctx context.Context, name string, flag int, perm fs.FileMode) (RandomAccessFile, error)
}

// ReaderAtFs opens files for positioned reads only.
type ReaderAtFs interface {
	OpenReaderAt(ctx context.Context, name string) (ReaderAtCloser, error)
}

// ReaderAtCloser is a positioned reader that must be closed.
type ReaderAtCloser interface {
	io.ReaderAt
	io.Closer
}

// ChmodFs changes permission bits.
type ChmodFs interface {
	Chmod(ctx context.Context, name string, mode fs.FileMode) error
}

// ChownFs changes ownership.
type ChownFs interface {
	Chown(ctx context.Context, name string, uid, gid int) error
}

// ChtimesFs changes access and modification times.
type ChtimesFs interface {
	Chtimes(ctx context.Context, name string, atime, mtime time.Time) error
}

// TruncateFs truncates a file by name.
type TruncateFs interface {
	Truncate(ctx context.Context, name string, size int64) error
}

// SymlinkFs creates and reads symbolic links. Backends must refuse a link
// whose resolved target would leave the root when it is followed
// (fs.ErrPermission). target is a path in the Fs namespace: absolute
// from the Fs root ("/dir/file"), or relative to name's directory; it is
// never a host path. Readlink returns a target in the same namespace,
// which may be the relative form of what was given.
type SymlinkFs interface {
	Symlink(ctx context.Context, target, name string) error
	Readlink(ctx context.Context, name string) (string, error)
}

// LinkFs creates hard links.
type LinkFs interface {
	Link(ctx context.Context, oldname, newname string) error
}

// CopyFs copies a file server-side.
type CopyFs interface {
	Copy(ctx context.Context, src, dst string) error
}

// HashFs returns a checksum the store already holds, so callers need not
// re-read the file. algo is "md5", "sha1", "sha256", "sha512", "crc32".
// It returns ErrNotSupported when the store has no such checksum.
type HashFs interface {
	Hash(ctx context.Context, name, algo string) (string, error)
}

// StatVFS describes free and total space like statvfs(3).
type StatVFS struct {
	BlockSize   uint64
	FragSize    uint64
	Blocks      uint64
	BlocksFree  uint64
	BlocksAvail uint64
	Files       uint64
	FilesFree   uint64
	FilesAvail  uint64
	NameMaxLen  uint64
}

// StatVFSFs reports space for the filesystem holding name.
type StatVFSFs interface {
	StatVFS(ctx context.Context, name string) (*StatVFS, error)
}

// RecursiveDirRenameFs marks backends that rename a directory by moving
// every entry under it one by one (object stores): slow and not atomic,
// so the server renames non-empty directories there only when
// common.rename_mode allows it.
type RecursiveDirRenameFs interface {
	RenamesDirsRecursively()
}

// LocalPathFs maps a path to a real path on this machine (local and
// encrypted backends); used for atomic-upload temp files and COMB.
type LocalPathFs interface {
	LocalPath(name string) (string, error)
}

// FileInfo is a simple fs.FileInfo that backends may return.
type FileInfo struct {
	FName    string
	FSize    int64
	FMode    fs.FileMode
	FModTime time.Time
	FSys     any
}

// Name implements fs.FileInfo.
func (fi *FileInfo) Name() string { return fi.FName }

// Size implements fs.FileInfo.
func (fi *FileInfo) Size() int64 { return fi.FSize }

// Mode implements fs.FileInfo.
func (fi *FileInfo) Mode() fs.FileMode { return fi.FMode }

// ModTime implements fs.FileInfo.
func (fi *FileInfo) ModTime() time.Time { return fi.FModTime }

// IsDir implements fs.FileInfo.
func (fi *FileInfo) IsDir() bool { return fi.FMode.IsDir() }

// Sys implements fs.FileInfo.
func (fi *FileInfo) Sys() any { return fi.FSys }
