package common

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

func parentDir(vpath string) string { return path.Dir(vpath) }

// checkPattern applies file_patterns: a denied name is hidden (not found)
// under the hide policy and refused otherwise.
func (c *BaseConnection) checkPattern(vpath string) error {
	if isUploadTemp(path.Base(vpath)) {
		// another upload's temp file: not the user's to see or touch
		return errNotExist()
	}
	ok, policy := c.User.IsFileAllowed(vpath)
	if ok {
		return nil
	}
	if policy == dataprovider.DenyPolicyHide {
		return errNotExist()
	}
	return errPermissionDenied()
}

func (c *BaseConnection) requirePerm(perm, dir string) error {
	if !c.User.HasPerm(perm, dir) {
		return errPermissionDenied()
	}
	return nil
}

// Stat returns information about vpath, following symlinks. It needs the
// list permission on the parent directory.
func (c *BaseConnection) Stat(ctx context.Context, vpath string) (os.FileInfo, error) {
	return c.stat(ctx, vpath, false)
}

// Lstat is Stat without following a final symlink.
func (c *BaseConnection) Lstat(ctx context.Context, vpath string) (os.FileInfo, error) {
	return c.stat(ctx, vpath, true)
}

func (c *BaseConnection) stat(ctx context.Context, vpath string, lstat bool) (os.FileInfo, error) {
	c.UpdateLastActivity()
	vpath = dataprovider.CleanVirtualPath(vpath)
	if err := c.requirePerm(dataprovider.PermListItems, parentDir(vpath)); err != nil {
		return nil, err
	}
	if err := c.checkPattern(vpath); err != nil {
		return nil, err
	}
	return c.statNoCheck(ctx, vpath, lstat)
}

func (c *BaseConnection) statNoCheck(ctx context.Context, vpath string, lstat bool) (os.FileInfo, error) {
	loc, err := c.resolve(vpath)
	if err != nil {
		return nil, err
	}
	var fi os.FileInfo
	if lstat {
		fi, err = loc.fs.Lstat(ctx, loc.fsPath)
	} else {
		fi, err = loc.fs.Stat(ctx, loc.fsPath)
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && c.hasMountBelow(vpath) {
			// an intermediate directory of a mount point that does not
			// exist in the parent storage
			return dirInfo(path.Base(vpath), time.Now()), nil
		}
		return nil, c.fail("stat", vpath, err)
	}
	return renamed(fi, path.Base(vpath)), nil
}

// DirLister pages through a virtual directory: the backend's entries,
// without those hidden by file patterns, plus the virtual folders mounted
// in it.
type DirLister struct {
	c      *BaseConnection
	vpath  string
	inner  vfs.DirLister
	extra  []os.FileInfo
	mounts map[string]bool
	done   bool
}

// ListDir lists the virtual directory vpath; it needs the list permission
// on it. The caller must close the lister.
func (c *BaseConnection) ListDir(ctx context.Context, vpath string) (*DirLister, error) {
	c.UpdateLastActivity()
	vpath = dataprovider.CleanVirtualPath(vpath)
	if err := c.requirePerm(dataprovider.PermListItems, vpath); err != nil {
		return nil, err
	}
	if err := c.checkPattern(vpath); err != nil {
		return nil, err
	}
	loc, err := c.resolve(vpath)
	if err != nil {
		return nil, err
	}
	l := &DirLister{c: c, vpath: vpath, mounts: make(map[string]bool)}
	for _, name := range c.mountsIn(vpath) {
		l.mounts[name] = true
		mtime := time.Now()
		mloc, err := c.resolve(path.Join(vpath, name))
		if err != nil {
			// a folder whose storage cannot be built is not shown as
			// an empty directory; its own operations say why
			continue
		}
		if fi, err := mloc.fs.Stat(ctx, "/"); err == nil {
			mtime = fi.ModTime()
		}
		l.extra = append(l.extra, dirInfo(name, mtime))
	}
	inner, err := loc.fs.ReadDir(ctx, loc.fsPath)
	if err != nil {
		if !(errors.Is(err, fs.ErrNotExist) && c.hasMountBelow(vpath)) {
			return nil, c.fail("list", vpath, err)
		}
		inner = nil
	}
	l.inner = inner
	return l, nil
}

// Next returns up to limit entries; io.EOF (possibly with a last batch)
// once done.
func (l *DirLister) Next(limit int) ([]os.FileInfo, error) {
	if limit <= 0 {
		limit = 100
	}
	if len(l.extra) > 0 {
		n := min(limit, len(l.extra))
		out := l.extra[:n:n]
		l.extra = l.extra[n:]
		if len(l.extra) == 0 && l.inner == nil {
			return out, io.EOF
		}
		return out, nil
	}
	if l.inner == nil || l.done {
		return nil, io.EOF
	}
	l.c.UpdateLastActivity()
	for {
		batch, err := l.inner.Next(limit)
		out := batch[:0]
		for _, fi := range batch {
			name := fi.Name()
			if l.mounts[name] || isUploadTemp(name) {
				continue
			}
			if ok, policy := l.c.User.IsFileAllowed(path.Join(l.vpath, name)); !ok && policy == dataprovider.DenyPolicyHide {
				continue
			}
			out = append(out, fi)
		}
		if err != nil {
			l.done = true
			if !errors.Is(err, io.EOF) {
				return out, l.c.fail("list", l.vpath, err)
			}
			return out, io.EOF
		}
		if len(out) > 0 {
			return out, nil
		}
	}
}

// Close releases the backend listing.
func (l *DirLister) Close() error {
	if l.inner != nil {
		return l.inner.Close()
	}
	return nil
}

// Mkdir creates a directory; it needs create_dirs on the parent.
func (c *BaseConnection) Mkdir(ctx context.Context, vpath string) error {
	c.UpdateLastActivity()
	vpath = dataprovider.CleanVirtualPath(vpath)
	if err := c.requirePerm(dataprovider.PermCreateDirs, parentDir(vpath)); err != nil {
		return err
	}
	if err := c.checkPattern(vpath); err != nil {
		return err
	}
	if vpath == "/" || c.isMountPoint(vpath) {
		return newErr(fs.ErrExist, "file exists")
	}
	loc, err := c.resolve(vpath)
	if err != nil {
		return err
	}
	if err := loc.fs.Mkdir(ctx, loc.fsPath); err != nil {
		return c.fail("mkdir", vpath, err)
	}
	c.log.Info("mkdir", "path", vpath)
	return c.postAction(ActionMkdir, loc, nil, 0, 0, nil)
}

// Remove deletes a file or symlink; it needs delete_files on the parent.
func (c *BaseConnection) Remove(ctx context.Context, vpath string) error {
	c.UpdateLastActivity()
	vpath = dataprovider.CleanVirtualPath(vpath)
	if err := c.requirePerm(dataprovider.PermDeleteFiles, parentDir(vpath)); err != nil {
		return err
	}
	if err := c.checkPattern(vpath); err != nil {
		return err
	}
	if c.isMountPoint(vpath) {
		return errVirtualFolderDelete()
	}
	if vpath == "/" {
		return errPermissionDenied()
	}
	loc, err := c.resolve(vpath)
	if err != nil {
		return err
	}
	fi, err := loc.fs.Lstat(ctx, loc.fsPath)
	if err != nil {
		return c.fail("remove", vpath, err)
	}
	if fi.IsDir() {
		return newErr(vfs.ErrIsDir, "is a directory")
	}
	if err := c.preAction(ctx, ActionPreDelete, loc, fi.Size()); err != nil {
		return err
	}
	if err := loc.fs.Remove(ctx, loc.fsPath); err != nil {
		return c.fail("remove", vpath, err)
	}
	if fi.Mode().IsRegular() {
		c.updateQuota(loc, -fi.Size(), -1)
	}
	c.log.Info("remove", "path", vpath, "size", fi.Size())
	return c.postAction(ActionDelete, loc, nil, fi.Size(), 0, nil)
}

// RemoveDir deletes an empty directory; it needs delete_dirs on the
// parent. Mount points and their ancestors cannot be removed.
func (c *BaseConnection) RemoveDir(ctx context.Context, vpath string) error {
	c.UpdateLastActivity()
	vpath = dataprovider.CleanVirtualPath(vpath)
	if err := c.requirePerm(dataprovider.PermDeleteDirs, parentDir(vpath)); err != nil {
		return err
	}
	if err := c.checkPattern(vpath); err != nil {
		return err
	}
	if vpath == "/" {
		return errPermissionDenied()
	}
	if c.hasMountBelow(vpath) {
		return c.errVirtualFolderRemove(vpath)
	}
	loc, err := c.resolve(vpath)
	if err != nil {
		return err
	}
	fi, err := loc.fs.Lstat(ctx, loc.fsPath)
	if err != nil {
		return c.fail("rmdir", vpath, err)
	}
	if !fi.IsDir() {
		return newErr(vfs.ErrNotDir, "not a directory")
	}
	if err := loc.fs.Remove(ctx, loc.fsPath); err != nil {
		return c.fail("rmdir", vpath, err)
	}
	c.log.Info("rmdir", "path", vpath)
	return c.postAction(ActionRmdir, loc, nil, 0, 0, nil)
}

// hasRulesBelow reports whether permissions or file patterns are set on
// dir or a directory under it: moving or linking dir would silently change
// the rules its content is reached under.
func (c *BaseConnection) hasRulesBelow(dir string) bool {
	under := func(p string) bool {
		p = dataprovider.CleanVirtualPath(p)
		return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
	}
	for p := range c.User.Permissions {
		if under(p) {
			return true
		}
	}
	for _, f := range c.User.Filters.FilePatterns {
		if under(f.Path) {
			return true
		}
	}
	return false
}

// Rename moves a file or directory. It needs rename_files (rename_dirs)
// on both parents and overwrite on the target's parent when it replaces a
// file. Renames between different storages (the home and a virtual
// folder, or two folders) are refused with a not-supported error.
func (c *BaseConnection) Rename(ctx context.Context, src, dst string) error {
	c.UpdateLastActivity()
	src = dataprovider.CleanVirtualPath(src)
	dst = dataprovider.CleanVirtualPath(dst)
	if src == dst {
		return nil
	}
	if c.isMountPoint(src) {
		return errVirtualFolderRename()
	}
	if src == "/" || dst == "/" || c.isMountPoint(dst) {
		return errPermissionDenied()
	}
	sloc, dloc, err := c.resolveBoth(src, dst)
	if err != nil {
		return err
	}
	sfi, err := sloc.fs.Lstat(ctx, sloc.fsPath)
	if err != nil {
		return c.fail("rename", src, err)
	}
	perm := dataprovider.PermRenameFiles
	if sfi.IsDir() {
		perm = dataprovider.PermRenameDirs
	}
	if !c.User.HasPerm(perm, parentDir(src)) || !c.User.HasPerm(perm, parentDir(dst)) {
		return errPermissionDenied()
	}
	if sloc.mountKey() != dloc.mountKey() {
		return newErr(vfs.ErrNotSupported, ErrCrossFs.Error())
	}
	if sfi.IsDir() {
		if strings.HasPrefix(dst, src+"/") {
			return newErr(fs.ErrInvalid, "cannot move a directory into itself")
		}
		if c.hasMountBelow(src) {
			return errVirtualFolderInside("renamed")
		}
		if c.hasRulesBelow(src) {
			return errPermissionDenied()
		}
		if err := c.checkRecursiveRename(ctx, sloc.fs, sloc.fsPath, src); err != nil {
			return err
		}
	}
	var replaced os.FileInfo
	if dfi, err := dloc.fs.Lstat(ctx, dloc.fsPath); err == nil {
		switch {
		case dfi.IsDir() && !sfi.IsDir():
			return newErr(vfs.ErrIsDir, "target is a directory")
		case !dfi.IsDir() && sfi.IsDir():
			return newErr(vfs.ErrNotDir, "target is not a directory")
		case !dfi.IsDir():
			if err := c.requirePerm(dataprovider.PermOverwrite, parentDir(dst)); err != nil {
				return err
			}
			replaced = dfi
		}
	}
	if err := sloc.fs.Rename(ctx, sloc.fsPath, dloc.fsPath); err != nil {
		return c.fail("rename", src, err)
	}
	if replaced != nil && replaced.Mode().IsRegular() {
		c.updateQuota(dloc, -replaced.Size(), -1)
	}
	c.log.Info("rename", "path", src, "target", dst)
	size := int64(0)
	if sfi.Mode().IsRegular() {
		size = sfi.Size()
	}
	return c.postAction(ActionRename, sloc, dloc, size, 0, nil)
}

// Symlink creates link pointing at target (a virtual path, absolute or
// relative to link's directory); it needs create_symlinks on link's
// parent and both ends on the same storage.
func (c *BaseConnection) Symlink(ctx context.Context, target, link string) error {
	c.UpdateLastActivity()
	link = dataprovider.CleanVirtualPath(link)
	vtarget := target
	if !path.IsAbs(vtarget) {
		vtarget = path.Join(path.Dir(link), vtarget)
	}
	vtarget = dataprovider.CleanVirtualPath(vtarget)
	tloc, lloc, err := c.linkEnds(vtarget, link)
	if err != nil {
		return err
	}
	// a link to a directory with rules or mounts below it would reach
	// them under the link's rules
	if c.hasRulesBelow(vtarget) || c.hasMountBelow(vtarget) {
		return newErr(fs.ErrPermission, "link target has different permissions")
	}
	if !c.symlinksAllowed(lloc) {
		return newErr(fs.ErrPermission, "creating symbolic links is disabled on this storage")
	}
	if err := vfs.Symlink(ctx, lloc.fs, tloc.fsPath, lloc.fsPath); err != nil {
		return c.fail("symlink", link, err)
	}
	c.log.Info("symlink", "path", link, "target", vtarget)
	return nil
}

// Symlink modes (common.symlink_mode), a bit mask of the storages where
// clients may create symbolic links.
const (
	SymlinkModeLocal = 1 // local and encrypted local storage
	SymlinkModeSFTP  = 2 // remote SFTP storage
)

// symlinksAllowed applies common.symlink_mode to the storage at loc.
func (c *BaseConnection) symlinksAllowed(loc *location) bool {
	provider := c.User.FsConfig.Provider
	if loc.folder != nil {
		provider = loc.folder.FsConfig.Provider
	}
	mode := c.srv.cfg.SymlinkMode
	switch provider {
	case dataprovider.LocalFilesystemProvider, dataprovider.CryptedFilesystemProvider:
		return mode&SymlinkModeLocal != 0
	case dataprovider.SFTPFilesystemProvider:
		return mode&SymlinkModeSFTP != 0
	}
	// other storages have no symbolic links: the capability check says so
	return true
}

// Readlink returns a symlink's target as a virtual path.
func (c *BaseConnection) Readlink(ctx context.Context, vpath string) (string, error) {
	c.UpdateLastActivity()
	vpath = dataprovider.CleanVirtualPath(vpath)
	if err := c.requirePerm(dataprovider.PermListItems, parentDir(vpath)); err != nil {
		return "", err
	}
	if err := c.checkPattern(vpath); err != nil {
		return "", err
	}
	loc, err := c.resolve(vpath)
	if err != nil {
		return "", err
	}
	target, err := vfs.Readlink(ctx, loc.fs, loc.fsPath)
	if err != nil {
		return "", c.fail("readlink", vpath, err)
	}
	if !path.IsAbs(target) {
		return target, nil
	}
	prefix := "/"
	if loc.folder != nil {
		prefix = dataprovider.CleanVirtualPath(loc.folder.VirtualPath)
	}
	return path.Join(prefix, target), nil
}

// setstat runs a metadata change honouring setstat_mode. A change to a
// file being uploaded is queued until the upload is committed; it then
// runs with a context that outlives the request (its own is cancelled by
// the time the client closes the file), and a failure is logged as an
// error since the client was already told it succeeded.
func (c *BaseConnection) setstat(ctx context.Context, op, perm, vpath string, apply func(context.Context, *location) error) error {
	c.UpdateLastActivity()
	vpath = dataprovider.CleanVirtualPath(vpath)
	if c.srv.cfg.SetstatMode == SetstatModeIgnore {
		return nil
	}
	if err := c.requirePerm(perm, parentDir(vpath)); err != nil {
		return err
	}
	if err := c.checkPattern(vpath); err != nil {
		return err
	}
	loc, err := c.resolve(vpath)
	if err != nil {
		return err
	}
	if t := c.uploadFor(vpath); t != nil {
		// The file is being uploaded: in atomic mode it is not at vpath
		// yet, and on streaming storage later writes would reset its
		// times, so apply the change once the upload is committed.
		queued := context.WithoutCancel(ctx)
		t.afterCommit(func() {
			actx, cancel := context.WithTimeout(queued, time.Minute)
			defer cancel()
			err := apply(actx, loc)
			unsupported := errors.Is(err, vfs.ErrNotSupported)
			switch {
			case unsupported && c.srv.cfg.SetstatMode != SetstatModeIgnoreCloud:
				c.log.Error("queued metadata change not supported by the storage", "op", op, "path", vpath)
			case !unsupported && err != nil:
				c.log.Error("unable to apply a queued metadata change after upload", "op", op, "path", vpath, "error", err)
			}
		})
		return nil
	}
	err = apply(ctx, loc)
	if errors.Is(err, vfs.ErrNotSupported) {
		if c.srv.cfg.SetstatMode == SetstatModeIgnoreCloud {
			return nil
		}
		return errNotSupported()
	}
	if err != nil {
		return c.fail(op, vpath, err)
	}
	c.log.Debug(op, "path", vpath)
	return nil
}

// Chmod changes permission bits; it needs chmod on the parent.
func (c *BaseConnection) Chmod(ctx context.Context, vpath string, mode os.FileMode) error {
	return c.setstat(ctx, "chmod", dataprovider.PermChmod, vpath, func(ctx context.Context, l *location) error {
		return vfs.Chmod(ctx, l.fs, l.fsPath, mode)
	})
}

// Chown changes ownership; it needs chown on the parent.
func (c *BaseConnection) Chown(ctx context.Context, vpath string, uid, gid int) error {
	return c.setstat(ctx, "chown", dataprovider.PermChown, vpath, func(ctx context.Context, l *location) error {
		return vfs.Chown(ctx, l.fs, l.fsPath, uid, gid)
	})
}

// Chtimes changes access and modification times; it needs chtimes on the
// parent.
func (c *BaseConnection) Chtimes(ctx context.Context, vpath string, atime, mtime time.Time) error {
	return c.setstat(ctx, "chtimes", dataprovider.PermChtimes, vpath, func(ctx context.Context, l *location) error {
		return vfs.Chtimes(ctx, l.fs, l.fsPath, atime, mtime)
	})
}

// Truncate sets a file's size; it needs overwrite on the parent and
// respects the quota when the file grows.
func (c *BaseConnection) Truncate(ctx context.Context, vpath string, size int64) error {
	c.UpdateLastActivity()
	vpath = dataprovider.CleanVirtualPath(vpath)
	if size < 0 {
		return newErr(fs.ErrInvalid, "invalid size")
	}
	if c.srv.cfg.SetstatMode == SetstatModeIgnore {
		return nil
	}
	if err := c.requirePerm(dataprovider.PermOverwrite, parentDir(vpath)); err != nil {
		return err
	}
	if err := c.checkPattern(vpath); err != nil {
		return err
	}
	if t := c.uploadFor(vpath); t != nil {
		return t.Truncate(size)
	}
	loc, err := c.resolve(vpath)
	if err != nil {
		return err
	}
	fi, err := loc.fs.Stat(ctx, loc.fsPath)
	if err != nil {
		return c.fail("truncate", vpath, err)
	}
	if fi.IsDir() {
		return newErr(vfs.ErrIsDir, "is a directory")
	}
	if size > fi.Size() {
		limit, err := c.sizeLimit(ctx, loc, fi.Size(), false)
		if err != nil {
			return err
		}
		if limit >= 0 && size > limit {
			return errQuota()
		}
	}
	switch f := loc.fs.(type) {
	case vfs.TruncateFs:
		err = f.Truncate(ctx, loc.fsPath, size)
	case vfs.RandomAccessFs:
		var raf vfs.RandomAccessFile
		raf, err = f.OpenFile(ctx, loc.fsPath, os.O_WRONLY, 0)
		if err == nil {
			err = raf.Truncate(size)
			if cerr := raf.Close(); err == nil {
				err = cerr
			}
		}
	default:
		if c.srv.cfg.SetstatMode == SetstatModeIgnoreCloud {
			return nil
		}
		return errNotSupported()
	}
	if err != nil {
		return c.fail("truncate", vpath, err)
	}
	c.updateQuota(loc, size-fi.Size(), 0)
	return nil
}

// Copy copies a file, or a directory recursively. For each file it needs
// copy on both parents (or download on the source and upload/overwrite on
// the target) and respects the target's quota; a directory copy needs
// copy (or list on the source and create_dirs on the target's parent) and
// a target that does not exist yet.
func (c *BaseConnection) Copy(ctx context.Context, src, dst string) error {
	c.UpdateLastActivity()
	src = dataprovider.CleanVirtualPath(src)
	dst = dataprovider.CleanVirtualPath(dst)
	if src == dst {
		return newErr(fs.ErrInvalid, "source and target are the same")
	}
	if dst == "/" || c.isMountPoint(dst) {
		return errPermissionDenied()
	}
	sloc, dloc, err := c.resolveBoth(src, dst)
	if err != nil {
		return err
	}
	sfi, err := sloc.fs.Stat(ctx, sloc.fsPath)
	if err != nil {
		return c.fail("copy", src, err)
	}
	if sfi.IsDir() {
		return c.copyDir(ctx, src, dst)
	}
	if !sfi.Mode().IsRegular() {
		return newErr(vfs.ErrNotSupported, "only files and directories can be copied")
	}
	var existing int64 = -1
	if dfi, err := dloc.fs.Stat(ctx, dloc.fsPath); err == nil {
		if dfi.IsDir() {
			return newErr(vfs.ErrIsDir, "target is a directory")
		}
		existing = dfi.Size()
	}
	dstPerm := dataprovider.PermUpload
	if existing >= 0 {
		dstPerm = dataprovider.PermOverwrite
	}
	copyOK := c.User.HasPerm(dataprovider.PermCopy, parentDir(src)) && c.User.HasPerm(dataprovider.PermCopy, parentDir(dst))
	plainOK := c.User.HasPerm(dataprovider.PermDownload, parentDir(src)) && c.User.HasPerm(dstPerm, parentDir(dst))
	if !copyOK && !plainOK {
		return errPermissionDenied()
	}
	if existing >= 0 && !c.User.HasPerm(dataprovider.PermOverwrite, parentDir(dst)) {
		return errPermissionDenied()
	}
	limit, err := c.sizeLimit(ctx, dloc, max(existing, 0), existing < 0)
	if err != nil {
		return err
	}
	if limit >= 0 && sfi.Size() > limit {
		return errQuota()
	}
	if sloc.mountKey() == dloc.mountKey() {
		err = vfs.Copy(ctx, sloc.fs, sloc.fsPath, dloc.fsPath, sfi.Size())
	} else {
		err = vfs.CopyAcross(ctx, sloc.fs, sloc.fsPath, dloc.fs, dloc.fsPath, sfi.Size())
	}
	if err != nil {
		return c.fail("copy", src, err)
	}
	if existing >= 0 {
		c.updateQuota(dloc, sfi.Size()-existing, 0)
	} else {
		c.updateQuota(dloc, sfi.Size(), 1)
	}
	c.log.Info("copy", "path", src, "target", dst, "size", sfi.Size())
	return c.postAction(ActionCopy, sloc, dloc, sfi.Size(), 0, nil)
}

func (c *BaseConnection) copyDir(ctx context.Context, src, dst string) error {
	if src == "/" || strings.HasPrefix(dst, src+"/") {
		return newErr(fs.ErrInvalid, "cannot copy a directory into itself")
	}
	copyOK := c.User.HasPerm(dataprovider.PermCopy, parentDir(src)) && c.User.HasPerm(dataprovider.PermCopy, parentDir(dst))
	plainOK := c.User.HasPerm(dataprovider.PermListItems, src) && c.User.HasPerm(dataprovider.PermCreateDirs, parentDir(dst))
	if !copyOK && !plainOK {
		return errPermissionDenied()
	}
	dloc, err := c.resolve(dst)
	if err != nil {
		return err
	}
	if _, err := dloc.fs.Lstat(ctx, dloc.fsPath); err == nil {
		return newErr(fs.ErrExist, "target exists")
	}
	if err := dloc.fs.Mkdir(ctx, dloc.fsPath); err != nil {
		return c.fail("copy", dst, err)
	}
	names, err := c.listNames(ctx, src)
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return userError(err)
		}
		if err := c.Copy(ctx, path.Join(src, name), path.Join(dst, name)); err != nil {
			return err
		}
	}
	return nil
}

// listNames returns every entry name of a virtual directory (list
// permission and hidden files apply).
func (c *BaseConnection) listNames(ctx context.Context, dir string) ([]string, error) {
	l, err := c.ListDir(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	var names []string
	for {
		batch, err := l.Next(500)
		for _, fi := range batch {
			names = append(names, fi.Name())
		}
		if errors.Is(err, io.EOF) {
			return names, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// RemoveAll deletes a file, or a directory and everything below it,
// checking delete_files and delete_dirs on each entry's parent. It stops
// at the first refusal. Mount points and the directories above them
// cannot be removed.
func (c *BaseConnection) RemoveAll(ctx context.Context, vpath string) error {
	c.UpdateLastActivity()
	vpath = dataprovider.CleanVirtualPath(vpath)
	if vpath == "/" {
		return errPermissionDenied()
	}
	if c.hasMountBelow(vpath) {
		return c.errVirtualFolderRemove(vpath)
	}
	loc, err := c.resolve(vpath)
	if err != nil {
		return err
	}
	fi, err := loc.fs.Lstat(ctx, loc.fsPath)
	if err != nil {
		return c.fail("remove", vpath, err)
	}
	if !fi.IsDir() {
		return c.Remove(ctx, vpath)
	}
	if err := c.requirePerm(dataprovider.PermDeleteDirs, parentDir(vpath)); err != nil {
		return err
	}
	names, err := c.listNames(ctx, vpath)
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return userError(err)
		}
		if err := c.RemoveAll(ctx, path.Join(vpath, name)); err != nil {
			return err
		}
	}
	return c.RemoveDir(ctx, vpath)
}

// StatVFS reports the space of the storage holding vpath. Where a size
// or files quota applies, the totals and free values are the quota's, so
// clients' "df" shows what the user may still upload.
func (c *BaseConnection) StatVFS(ctx context.Context, vpath string) (*vfs.StatVFS, error) {
	c.UpdateLastActivity()
	vpath = dataprovider.CleanVirtualPath(vpath)
	loc, err := c.resolve(vpath)
	if err != nil {
		return nil, err
	}
	st, err := vfs.Space(ctx, loc.fs, loc.fsPath)
	if errors.Is(err, vfs.ErrNotSupported) {
		st, err = nil, nil
	}
	if err != nil {
		return nil, c.fail("statvfs", vpath, err)
	}
	limitSize, limitFiles, usedSize, usedFiles := c.quotaFor(ctx, loc)
	if limitSize <= 0 && limitFiles <= 0 {
		if st == nil {
			return nil, errNotSupported()
		}
		return st, nil
	}
	if st == nil {
		st = &vfs.StatVFS{BlockSize: 4096, FragSize: 4096, NameMaxLen: 255}
	}
	if st.BlockSize == 0 {
		st.BlockSize = 4096
	}
	if st.FragSize == 0 {
		st.FragSize = st.BlockSize
	}
	if limitSize > 0 {
		free := uint64(max(limitSize-usedSize, 0))
		st.Blocks = uint64(limitSize) / st.FragSize
		st.BlocksFree = free / st.FragSize
		st.BlocksAvail = st.BlocksFree
	}
	if limitFiles > 0 {
		free := uint64(max(limitFiles-usedFiles, 0))
		st.Files = uint64(limitFiles)
		st.FilesFree, st.FilesAvail = free, free
	}
	return st, nil
}

// resolveBoth checks two virtual paths against the file patterns and
// resolves them, for the operations with a source and a target.
func (c *BaseConnection) resolveBoth(a, b string) (aloc, bloc *location, err error) {
	for _, p := range []string{a, b} {
		if err := c.checkPattern(p); err != nil {
			return nil, nil, err
		}
	}
	if aloc, err = c.resolve(a); err != nil {
		return nil, nil, err
	}
	if bloc, err = c.resolve(b); err != nil {
		return nil, nil, err
	}
	return aloc, bloc, nil
}

// linkEnds checks what a symbolic or hard link at link to target (clean
// virtual paths) needs: create_symlinks on link's parent, link neither
// the root nor a mount point, both names allowed by the file patterns and
// both ends on one storage with the same permissions (permissions follow
// virtual paths: a link to a place with other rules would let its
// content be reached under the link's rules). It returns the locations.
func (c *BaseConnection) linkEnds(target, link string) (tloc, lloc *location, err error) {
	if err := c.requirePerm(dataprovider.PermCreateSymlinks, parentDir(link)); err != nil {
		return nil, nil, err
	}
	if link == "/" || c.isMountPoint(link) {
		return nil, nil, errPermissionDenied()
	}
	if lloc, tloc, err = c.resolveBoth(link, target); err != nil {
		return nil, nil, err
	}
	if lloc.mountKey() != tloc.mountKey() {
		return nil, nil, newErr(vfs.ErrNotSupported, ErrCrossFs.Error())
	}
	if !slices.Equal(c.User.GetPermissionsForPath(link), c.User.GetPermissionsForPath(target)) {
		return nil, nil, newErr(fs.ErrPermission, "link target has different permissions")
	}
	return tloc, lloc, nil
}

// Hardlink creates newname as a hard link to oldname on the same storage;
// it needs create_symlinks on newname's parent.
func (c *BaseConnection) Hardlink(ctx context.Context, oldname, newname string) error {
	c.UpdateLastActivity()
	oldname = dataprovider.CleanVirtualPath(oldname)
	newname = dataprovider.CleanVirtualPath(newname)
	oloc, nloc, err := c.linkEnds(oldname, newname)
	if err != nil {
		return err
	}
	if err := vfs.Link(ctx, oloc.fs, oloc.fsPath, nloc.fsPath); err != nil {
		return c.fail("link", newname, err)
	}
	c.log.Info("link", "path", newname, "target", oldname)
	return nil
}

// checkRecursiveRename refuses to rename a non-empty directory on a
// backend that would move it entry by entry, unless common.rename_mode
// is 1: such a rename is slow and, if interrupted, leaves the tree split.
func (c *BaseConnection) checkRecursiveRename(ctx context.Context, fsys vfs.Fs, dir, vpath string) error {
	if !vfs.RenamesDirsRecursively(fsys) || c.srv.cfg.RenameMode == 1 {
		return nil
	}
	lister, err := fsys.ReadDir(ctx, dir)
	if err != nil {
		return c.fail("rename", vpath, err)
	}
	defer lister.Close()
	entries, err := lister.Next(1)
	if len(entries) == 0 && (err == nil || errors.Is(err, io.EOF)) {
		return nil
	}
	return newErr(vfs.ErrNotSupported, "renaming a non-empty directory is disabled on this storage (common.rename_mode)")
}
