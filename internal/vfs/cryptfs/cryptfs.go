// Package cryptfs is encrypted local storage: an osfs tree whose files
// hold DARE 2.0 streams (github.com/minio/sio) under a key derived per
// file from the user's passphrase and a random nonce kept in a small
// header. Files are written in SFTPGo's layout, so SFTPGo and this server
// read each other's trees; files in this server's earlier layout are
// still read. Names and directory structure are not encrypted; sizes and
// times reported are those of the plaintext content.
//
// Files are written as streams: there are no random writes, no append
// (resume) and no symlinks. Positioned reads are supported.
package cryptfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/osfs"
)

var (
	// ErrWrongPassphrase: the file was encrypted with another passphrase.
	ErrWrongPassphrase = errors.New("cryptfs: wrong passphrase")
	// ErrCorrupt: the file is not a cryptfs file, or its content failed
	// authentication (damaged, truncated or tampered with).
	ErrCorrupt = errors.New("cryptfs: not a valid encrypted file")
)

// errAuth: a file in SFTPGo's layout, which carries no key check, failed
// authentication at open. That is a wrong passphrase or damage, and the
// format cannot tell which, so the error matches both ErrWrongPassphrase
// and ErrCorrupt.
type errAuth struct{ detail error }

func (e *errAuth) Error() string {
	return fmt.Sprintf("cryptfs: authentication failed: wrong passphrase or damaged file (%v)", e.detail)
}

func (e *errAuth) Is(target error) bool { return target == ErrWrongPassphrase || target == ErrCorrupt }

// Options tunes the underlying local tree.
type Options struct {
	osfs.Options
}

// Fs is an encrypted local directory tree. It is safe for concurrent use.
type Fs struct {
	base       *osfs.Fs
	passphrase []byte
}

// Interface checks: the capabilities that work on ciphertext or through
// positioned decryption; no RandomAccessFs, TruncateFs, SymlinkFs, HashFs.
var (
	_ vfs.Fs          = (*Fs)(nil)
	_ vfs.ReaderAtFs  = (*Fs)(nil)
	_ vfs.ChmodFs     = (*Fs)(nil)
	_ vfs.ChownFs     = (*Fs)(nil)
	_ vfs.ChtimesFs   = (*Fs)(nil)
	_ vfs.LinkFs      = (*Fs)(nil)
	_ vfs.CopyFs      = (*Fs)(nil)
	_ vfs.StatVFSFs   = (*Fs)(nil)
	_ vfs.LocalPathFs = (*Fs)(nil)
)

// New opens (creating it if missing) the encrypted tree at root. The
// passphrase should be a high-entropy secret (the server generates and
// keeps it in the KMS): HKDF adds no work factor against guessing.
func New(root, passphrase string, opts Options) (*Fs, error) {
	if passphrase == "" {
		return nil, fmt.Errorf("cryptfs: empty passphrase: %w", fs.ErrInvalid)
	}
	base, err := osfs.New(root, opts.Options)
	if err != nil {
		return nil, err
	}
	return &Fs{base: base, passphrase: []byte(passphrase)}, nil
}

// Name implements vfs.Fs.
func (*Fs) Name() string { return "cryptfs" }

// Close implements vfs.Fs.
func (f *Fs) Close() error { return f.base.Close() }

// plainInfo reports a regular file with its plaintext size.
type plainInfo struct {
	fs.FileInfo
	size int64
}

func (i *plainInfo) Size() int64 { return i.size }

// toPlain reports fi, the ciphertext file name, with its plaintext size.
// The size comes from the file size and the layout, which the first bytes
// tell; no key is needed, so a damaged file or one under another
// passphrase still lists, and reading it reports the damage. When the
// first bytes cannot be read the file counts as SFTPGo's layout, the
// size SFTPGo itself would report.
func (f *Fs) toPlain(ctx context.Context, name string, fi fs.FileInfo) fs.FileInfo {
	if !fi.Mode().IsRegular() {
		return fi
	}
	l := layoutSFTPGo
	if fi.Size() > 0 {
		if file, err := f.base.OpenFile(ctx, name, os.O_RDONLY, 0); err == nil {
			buf := make([]byte, sniffSize)
			n, _ := file.ReadAt(buf, 0)
			file.Close()
			if got, err := detectLayout(buf[:n]); err == nil {
				l = got
			}
		}
	}
	size, _ := plainSize(l, fi.Size())
	return &plainInfo{FileInfo: fi, size: size}
}

// Stat implements vfs.Fs.
func (f *Fs) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	fi, err := f.base.Stat(ctx, name)
	if err != nil {
		return nil, err
	}
	return f.toPlain(ctx, name, fi), nil
}

// Lstat implements vfs.Fs.
func (f *Fs) Lstat(ctx context.Context, name string) (fs.FileInfo, error) {
	fi, err := f.base.Lstat(ctx, name)
	if err != nil {
		return nil, err
	}
	return f.toPlain(ctx, name, fi), nil
}

// openCipher opens name, reads its header, derives the file key and
// checks it: with the legacy layout's key check, or, in SFTPGo's layout
// which has none, by authenticating the package that holds plaintext
// offset verifyAt (clamped to the last package).
func (f *Fs) openCipher(ctx context.Context, name string, verifyAt int64) (*cipherFile, error) {
	file, err := f.base.OpenFile(ctx, name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	cf, err := f.readHeader(file, name, verifyAt)
	if err != nil {
		file.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return cf, nil
}

func (f *Fs) readHeader(file vfs.RandomAccessFile, name string, verifyAt int64) (*cipherFile, error) {
	fi, err := file.Stat()
	if err != nil {
		return nil, err
	}
	cf := &cipherFile{f: file, name: name, hdrLen: sftpgoHeaderSize}
	if fi.Size() == 0 {
		return cf, nil // an empty file reads as empty
	}
	buf := make([]byte, min(fi.Size(), int64(legacyHeaderSize)))
	if _, err := file.ReadAt(buf, 0); err != nil {
		if err == io.EOF {
			err = ErrCorrupt
		}
		return nil, err
	}
	l, err := detectLayout(buf)
	if err != nil {
		return nil, err
	}
	size, err := plainSize(l, fi.Size())
	if err != nil {
		return nil, err
	}
	cf.layout, cf.size, cf.hdrLen = l, size, l.headerSize()
	cf.cipherLen = fi.Size() - cf.hdrLen
	switch l {
	case layoutLegacy:
		cf.suites = legacySuites
		cf.key, err = legacyFileKey(buf, f.passphrase)
		return cf, err
	default:
		if cf.key, err = sftpgoKey(f.passphrase, buf[1:sftpgoHeaderSize]); err != nil {
			return nil, err
		}
		if size > 0 {
			if err := cf.verify(min(max(verifyAt, 0), size-1)); err != nil {
				return nil, err
			}
		}
		return cf, nil
	}
}

// Open implements vfs.Fs. Decryption starts at the DARE package holding
// offset, so a resumed download does not decrypt what it skips.
func (f *Fs) Open(ctx context.Context, name string, offset int64) (io.ReadCloser, error) {
	if offset < 0 {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	cf, err := f.openCipher(ctx, name, offset)
	if err != nil {
		return nil, err
	}
	r, err := cf.readerFrom(offset)
	if err != nil {
		cf.Close()
		return nil, err
	}
	return &reader{ctx: ctx, r: r, cf: cf}, nil
}

// OpenReaderAt implements vfs.ReaderAtFs; each ReadAt decrypts only the
// packages it needs.
func (f *Fs) OpenReaderAt(ctx context.Context, name string) (vfs.ReaderAtCloser, error) {
	return f.openCipher(ctx, name, 0)
}

// Create implements vfs.Fs. Like osfs it writes to the final path at once;
// Cancel seals what was written so far, leaving a valid shorter file for
// the caller's upload mode to keep or remove. Append is not supported.
func (f *Fs) Create(ctx context.Context, name string, opts vfs.CreateOptions) (vfs.Writer, error) {
	if opts.Append {
		return nil, &fs.PathError{Op: "create", Path: name, Err: fmt.Errorf("append to an encrypted file: %w", vfs.ErrNotSupported)}
	}
	hdr, key, err := newSFTPGoHeader(f.passphrase)
	if err != nil {
		return nil, err
	}
	w, err := f.base.Create(ctx, name, vfs.CreateOptions{Size: -1, Mode: opts.Mode})
	if err != nil {
		return nil, err
	}
	cw, err := newWriter(ctx, name, w, hdr, key)
	if err != nil {
		_ = w.Cancel()
		return nil, err
	}
	return cw, nil
}

// Rename implements vfs.Fs.
func (f *Fs) Rename(ctx context.Context, oldname, newname string) error {
	return f.base.Rename(ctx, oldname, newname)
}

// Remove implements vfs.Fs.
func (f *Fs) Remove(ctx context.Context, name string) error { return f.base.Remove(ctx, name) }

// Mkdir implements vfs.Fs.
func (f *Fs) Mkdir(ctx context.Context, name string) error { return f.base.Mkdir(ctx, name) }

// ReadDir implements vfs.Fs; file sizes are plaintext sizes.
func (f *Fs) ReadDir(ctx context.Context, name string) (vfs.DirLister, error) {
	l, err := f.base.ReadDir(ctx, name)
	if err != nil {
		return nil, err
	}
	return &lister{DirLister: l, fs: f, ctx: ctx, dir: name}, nil
}

// Chmod implements vfs.ChmodFs.
func (f *Fs) Chmod(ctx context.Context, name string, mode fs.FileMode) error {
	return f.base.Chmod(ctx, name, mode)
}

// Chown implements vfs.ChownFs.
func (f *Fs) Chown(ctx context.Context, name string, uid, gid int) error {
	return f.base.Chown(ctx, name, uid, gid)
}

// Chtimes implements vfs.ChtimesFs.
func (f *Fs) Chtimes(ctx context.Context, name string, atime, mtime time.Time) error {
	return f.base.Chtimes(ctx, name, atime, mtime)
}

// Link implements vfs.LinkFs; both names share one ciphertext.
func (f *Fs) Link(ctx context.Context, oldname, newname string) error {
	return f.base.Link(ctx, oldname, newname)
}

// Copy implements vfs.CopyFs by copying the ciphertext: the key depends
// on the passphrase and the header only, not on the name.
func (f *Fs) Copy(ctx context.Context, src, dst string) error { return f.base.Copy(ctx, src, dst) }

// StatVFS implements vfs.StatVFSFs (the space of the underlying disk).
func (f *Fs) StatVFS(ctx context.Context, name string) (*vfs.StatVFS, error) {
	return f.base.StatVFS(ctx, name)
}

// LocalPath implements vfs.LocalPathFs; the file there holds ciphertext.
func (f *Fs) LocalPath(name string) (string, error) { return f.base.LocalPath(name) }
