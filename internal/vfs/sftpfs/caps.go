package sftpfs

import (
	"context"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/pkg/sftp"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// Chmod implements vfs.ChmodFs (permission bits only).
func (f *Fs) Chmod(ctx context.Context, name string, mode fs.FileMode) error {
	s, r, err := f.begin(ctx, name)
	if err != nil {
		return mapErr("chmod", name, err)
	}
	if err := s.sftp.Chmod(r, mode.Perm()); err != nil {
		return f.fail(s, "chmod", name, err)
	}
	return nil
}

// Chown implements vfs.ChownFs; -1 keeps an id.
func (f *Fs) Chown(ctx context.Context, name string, uid, gid int) error {
	s, r, err := f.begin(ctx, name)
	if err != nil {
		return mapErr("chown", name, err)
	}
	if uid < 0 || gid < 0 {
		fi, err := s.sftp.Stat(r)
		if err != nil {
			return f.fail(s, "chown", name, err)
		}
		if uid < 0 && gid < 0 {
			return nil
		}
		st, ok := fi.Sys().(*sftp.FileStat)
		if !ok {
			return mapErr("chown", name, vfs.ErrNotSupported)
		}
		if uid < 0 {
			uid = int(st.UID)
		}
		if gid < 0 {
			gid = int(st.GID)
		}
	}
	if err := s.sftp.Chown(r, uid, gid); err != nil {
		return f.fail(s, "chown", name, err)
	}
	return nil
}

// Chtimes implements vfs.ChtimesFs.
func (f *Fs) Chtimes(ctx context.Context, name string, atime, mtime time.Time) error {
	s, r, err := f.begin(ctx, name)
	if err != nil {
		return mapErr("chtimes", name, err)
	}
	if err := s.sftp.Chtimes(r, atime, mtime); err != nil {
		return f.fail(s, "chtimes", name, err)
	}
	return nil
}

// Truncate implements vfs.TruncateFs.
func (f *Fs) Truncate(ctx context.Context, name string, size int64) error {
	s, r, err := f.begin(ctx, name)
	if err != nil {
		return mapErr("truncate", name, err)
	}
	if err := s.sftp.Truncate(r, size); err != nil {
		return f.fail(s, "truncate", name, err)
	}
	return nil
}

// Link implements vfs.LinkFs through hardlink@openssh.com.
func (f *Fs) Link(ctx context.Context, oldname, newname string) error {
	s, ro, err := f.begin(ctx, oldname)
	if err != nil {
		return mapErr("link", oldname, err)
	}
	rn, err := f.remote(newname)
	if err != nil {
		return mapErr("link", newname, err)
	}
	if !s.hardlink {
		return mapErr("link", newname, vfs.ErrNotSupported)
	}
	if _, err := s.sftp.Lstat(ro); err != nil {
		return f.fail(s, "link", oldname, err)
	}
	if _, err := s.sftp.Lstat(rn); err == nil {
		return mapErr("link", newname, fs.ErrExist)
	}
	if err := s.sftp.Link(ro, rn); err != nil {
		return f.fail(s, "link", newname, err)
	}
	return nil
}

// StatVFS implements vfs.StatVFSFs through statvfs@openssh.com.
func (f *Fs) StatVFS(ctx context.Context, name string) (*vfs.StatVFS, error) {
	s, r, err := f.begin(ctx, name)
	if err != nil {
		return nil, mapErr("statvfs", name, err)
	}
	if !s.statvfs {
		return nil, mapErr("statvfs", name, vfs.ErrNotSupported)
	}
	st, err := s.sftp.StatVFS(r)
	if err != nil {
		return nil, f.fail(s, "statvfs", name, err)
	}
	return &vfs.StatVFS{
		BlockSize: st.Bsize, FragSize: st.Frsize, Blocks: st.Blocks, BlocksFree: st.Bfree,
		BlocksAvail: st.Bavail, Files: st.Files, FilesFree: st.Ffree, FilesAvail: st.Favail,
		NameMaxLen: st.Namemax,
	}, nil
}

// Symlink implements vfs.SymlinkFs. target is an Fs path, absolute from
// the root or relative to name's directory; a target that would leave
// the root is refused. The link is stored relative to its directory, so
// it stays valid under the prefix whatever the prefix is.
func (f *Fs) Symlink(ctx context.Context, target, name string) error {
	s, r, err := f.begin(ctx, name)
	if err != nil {
		return mapErr("symlink", name, err)
	}
	resolved, ok := resolveInside(path.Dir(cleanOrRoot(name)), target)
	if !ok {
		return mapErr("symlink", name, fs.ErrPermission)
	}
	stored := relPath(path.Dir(cleanOrRoot(name)), resolved)
	if _, err := s.sftp.Lstat(r); err == nil {
		return mapErr("symlink", name, fs.ErrExist)
	}
	if err := s.sftp.Symlink(stored, r); err != nil {
		return f.fail(s, "symlink", name, err)
	}
	return nil
}

// Readlink implements vfs.SymlinkFs. An absolute remote target is given
// back as an Fs path; a target that points outside the root is refused
// so remote paths are never disclosed.
func (f *Fs) Readlink(ctx context.Context, name string) (string, error) {
	s, r, err := f.begin(ctx, name)
	if err != nil {
		return "", mapErr("readlink", name, err)
	}
	target, err := s.sftp.ReadLink(r)
	if err != nil {
		return "", f.fail(s, "readlink", name, err)
	}
	if path.IsAbs(target) {
		t := path.Clean(target)
		if t == f.prefix {
			return "/", nil
		}
		if rest, ok := strings.CutPrefix(t, strings.TrimSuffix(f.prefix, "/")+"/"); ok {
			return "/" + rest, nil
		}
		return "", mapErr("readlink", name, fs.ErrPermission)
	}
	if _, ok := resolveInside(path.Dir(cleanOrRoot(name)), target); !ok {
		return "", mapErr("readlink", name, fs.ErrPermission)
	}
	return target, nil
}

func cleanOrRoot(name string) string {
	c, err := vfs.CleanPath(name)
	if err != nil {
		return "/"
	}
	return c
}

// resolveInside resolves target (absolute in the Fs, or relative to dir)
// and reports whether it stays under the root. Backslashes count as
// separators so `..\..` cannot slip through.
func resolveInside(dir, target string) (string, bool) {
	target = strings.ReplaceAll(target, `\`, "/")
	if target == "" {
		return "", false
	}
	var parts []string
	if !path.IsAbs(target) {
		for _, p := range strings.Split(dir, "/") {
			if p != "" {
				parts = append(parts, p)
			}
		}
	}
	for _, p := range strings.Split(target, "/") {
		switch p {
		case "", ".":
		case "..":
			if len(parts) == 0 {
				return "", false
			}
			parts = parts[:len(parts)-1]
		default:
			parts = append(parts, p)
		}
	}
	return "/" + strings.Join(parts, "/"), true
}

// relPath returns to relative to the directory from (both clean and
// absolute).
func relPath(from, to string) string {
	split := func(p string) []string {
		if p == "/" {
			return nil
		}
		return strings.Split(strings.TrimPrefix(p, "/"), "/")
	}
	a, b := split(from), split(to)
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	var out []string
	for range a[i:] {
		out = append(out, "..")
	}
	out = append(out, b[i:]...)
	if len(out) == 0 {
		return "."
	}
	return strings.Join(out, "/")
}
