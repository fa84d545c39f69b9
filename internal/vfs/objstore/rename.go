package objstore

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// Rename implements vfs.Fs with server-side copies and deletes. A
// directory is moved object by object, so renaming a large directory
// takes time and is not atomic: if it fails half-way, every object is
// under one of the two names, none under both. Whether clients may rename
// non-empty directories at all is the caller's policy (common.rename_mode).
func (f *Fs) Rename(ctx context.Context, oldname, newname string) error {
	defer f.changed(ctx)
	src, err := f.clean(ctx, "rename", oldname)
	if err != nil {
		return err
	}
	dst, err := f.clean(ctx, "rename", newname)
	if err != nil {
		return err
	}
	if src == "/" || dst == "/" {
		return pathErr("rename", oldname, fs.ErrPermission)
	}
	if src == dst {
		return nil
	}
	se, err := f.lookup(ctx, src)
	if err != nil {
		return wrap(ctx, "rename", oldname, err)
	}
	if err := f.requireDir(ctx, "rename", newname, path.Dir(dst)); err != nil {
		return err
	}
	de, err := f.lookup(ctx, dst)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return wrap(ctx, "rename", newname, err)
	}
	dstExists := err == nil
	if se.file {
		if dstExists && de.dir {
			return pathErr("rename", newname, vfs.ErrIsDir)
		}
		if err := f.store.Copy(ctx, se.obj, f.key(dst)); err != nil {
			return wrap(ctx, "rename", oldname, err)
		}
		return wrap(ctx, "rename", oldname, f.store.Delete(ctx, se.obj.Key))
	}
	if strings.HasPrefix(dst, src+"/") {
		return pathErr("rename", newname, fs.ErrInvalid)
	}
	if dstExists {
		if de.file {
			return pathErr("rename", newname, vfs.ErrNotDir)
		}
		empty, err := f.dirEmpty(ctx, dst)
		if err != nil {
			return wrap(ctx, "rename", newname, err)
		}
		if !empty {
			return pathErr("rename", newname, vfs.ErrDirNotEmpty)
		}
	}
	return wrap(ctx, "rename", oldname, f.moveDir(ctx, src, dst, se))
}

// moveDir moves every object under src to dst, in parallel, then the
// source's marker last, so that a failure leaves the source directory in
// place.
func (f *Fs) moveDir(ctx context.Context, src, dst string, se entry) error {
	srcPrefix, dstPrefix := f.dirKey(src), f.dirKey(dst)
	// The target exists as a directory from the start, even if empty.
	if se.marker {
		if err := f.store.Copy(ctx, se.obj, dstPrefix); err != nil {
			return err
		}
	} else if err := f.store.Put(ctx, dstPrefix, nil, time.Now()); err != nil {
		return err
	}
	token := ""
	for {
		page, err := f.store.List(ctx, srcPrefix, "", token, listBatch)
		if err != nil {
			return err
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(f.opts.UploadConcurrency * 2)
		for _, o := range page.Objects {
			if o.Key == srcPrefix || !strings.HasPrefix(o.Key, srcPrefix) {
				continue
			}
			g.Go(func() error {
				if err := f.store.Copy(gctx, o, dstPrefix+strings.TrimPrefix(o.Key, srcPrefix)); err != nil {
					return err
				}
				return f.store.Delete(gctx, o.Key)
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		if page.Next == "" {
			break
		}
		token = page.Next
	}
	if se.marker {
		return f.store.Delete(ctx, srcPrefix)
	}
	return nil
}

// Copy implements vfs.CopyFs with a server-side copy of one file; the
// copy keeps the source's metadata, modification time included.
func (f *Fs) Copy(ctx context.Context, srcName, dstName string) error {
	defer f.changed(ctx)
	src, err := f.clean(ctx, "copy", srcName)
	if err != nil {
		return err
	}
	dst, err := f.clean(ctx, "copy", dstName)
	if err != nil {
		return err
	}
	se, err := f.lookup(ctx, src)
	if err != nil {
		return wrap(ctx, "copy", srcName, err)
	}
	if se.dir {
		return pathErr("copy", srcName, vfs.ErrIsDir)
	}
	if dst == "/" {
		return pathErr("copy", dstName, vfs.ErrIsDir)
	}
	if src == dst {
		return nil
	}
	if err := f.requireDir(ctx, "copy", dstName, path.Dir(dst)); err != nil {
		return err
	}
	if _, err := f.lookupDir(ctx, dst); err == nil {
		return pathErr("copy", dstName, vfs.ErrIsDir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return wrap(ctx, "copy", dstName, err)
	}
	return wrap(ctx, "copy", dstName, f.store.Copy(ctx, se.obj, f.key(dst)))
}
