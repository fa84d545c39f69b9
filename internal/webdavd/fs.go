package webdavd

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"time"

	"golang.org/x/net/webdav"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// fileInfo is a FileInfo as x/net/webdav wants it: it carries its ETag
// and content type, so PROPFIND never opens a file to sniff its type.
type fileInfo struct {
	os.FileInfo
	ctype string
}

// ETag implements webdav.ETager.
func (fi *fileInfo) ETag(context.Context) (string, error) { return etagOf(fi.FileInfo), nil }

// ContentType implements webdav.ContentTyper.
func (fi *fileInfo) ContentType(context.Context) (string, error) {
	if fi.IsDir() {
		return "httpd/unix-directory", nil
	}
	return fi.ctype, nil
}

// etagOf builds a strong validator from the modification time and size,
// the same heuristic Apache uses, so it changes whenever the content is
// replaced through any protocol.
func etagOf(fi os.FileInfo) string {
	return fmt.Sprintf(`"%x%x"`, fi.ModTime().UnixNano(), fi.Size())
}

// davFS implements webdav.FileSystem over one connection's virtual paths.
// One is built per request; it remembers the entries it has listed or
// stated so a PROPFIND of a directory stats each child once, which
// matters on object storage where every stat is a round trip.
type davFS struct {
	q     *request
	stats map[string]os.FileInfo
	// dead properties of the members of listed directories, read in one
	// go; a listed path missing here has none
	props  map[string]map[xml.Name]webdav.Property
	listed map[string]bool
}

// deadProps returns the dead properties of vpath, from the prefetched
// listing when its directory was listed.
func (d *davFS) deadProps(vpath string) (map[xml.Name]webdav.Property, error) {
	if d.listed[path.Dir(vpath)] && vpath != "/" {
		return d.props[vpath], nil
	}
	return d.q.s.props.get(d.q.username(), vpath)
}

// prefetchProps reads the dead properties of the members of dir.
func (d *davFS) prefetchProps(dir string) {
	if d.listed[dir] {
		return
	}
	m, err := d.q.s.props.children(d.q.username(), dir)
	if err != nil {
		d.q.conn.Logger().Warn("unable to read dead properties", "path", dir, "error", err)
		return
	}
	if d.listed == nil {
		d.listed = make(map[string]bool)
		d.props = make(map[string]map[xml.Name]webdav.Property)
	}
	d.listed[dir] = true
	for k, v := range m {
		d.props[k] = v
	}
}

func (d *davFS) wrap(fi os.FileInfo, vpath string) os.FileInfo {
	if _, ok := fi.(*fileInfo); ok {
		return fi
	}
	out := &fileInfo{FileInfo: fi}
	if !fi.IsDir() {
		out.ctype = d.q.s.mime.typeOf(path.Base(vpath))
	}
	return out
}

func (d *davFS) remember(vpath string, fi os.FileInfo) {
	if d.stats == nil {
		d.stats = make(map[string]os.FileInfo)
	}
	d.stats[vpath] = fi
}

func (d *davFS) forget(vpath string) { delete(d.stats, vpath) }

// Stat implements webdav.FileSystem.
func (d *davFS) Stat(ctx context.Context, name string) (os.FileInfo, error) {
	vpath := dataprovider.CleanVirtualPath(name)
	if fi, ok := d.stats[vpath]; ok {
		return fi, nil
	}
	fi, err := d.q.conn.Stat(ctx, vpath)
	if err != nil {
		// x/net/webdav skips entries failing with a *PathError during a
		// PROPFIND walk instead of aborting the response halfway
		return nil, &fs.PathError{Op: "stat", Path: vpath, Err: err}
	}
	fi = d.wrap(fi, vpath)
	d.remember(vpath, fi)
	return fi, nil
}

// OpenFile implements webdav.FileSystem. Opening for reading only stats
// the resource: the download starts, with its permission check, on the
// first Read, so PROPFIND walks never count as downloads.
func (d *davFS) OpenFile(ctx context.Context, name string, flag int, perm os.FileMode) (webdav.File, error) {
	vpath := dataprovider.CleanVirtualPath(name)
	if flag&(os.O_CREATE|os.O_TRUNC) != 0 {
		t, err := d.q.conn.OpenForWrite(ctx, vpath, common.WriteOptions{Truncate: flag&os.O_TRUNC != 0,
			Exclusive: flag&os.O_EXCL != 0, Size: -1, Mode: perm})
		if err != nil {
			return nil, err
		}
		d.forget(vpath)
		return &davFile{fs: d, vpath: vpath, upload: t, ctx: ctx}, nil
	}
	fi, err := d.Stat(ctx, vpath)
	if err != nil {
		return nil, err
	}
	return &davFile{fs: d, vpath: vpath, fi: fi, ctx: ctx}, nil
}

// Mkdir implements webdav.FileSystem.
func (d *davFS) Mkdir(ctx context.Context, name string, _ os.FileMode) error {
	vpath := dataprovider.CleanVirtualPath(name)
	d.forget(vpath)
	return d.q.conn.Mkdir(ctx, vpath)
}

// RemoveAll implements webdav.FileSystem.
func (d *davFS) RemoveAll(ctx context.Context, name string) error {
	vpath := dataprovider.CleanVirtualPath(name)
	d.forget(vpath)
	failed := d.q.removeTree(ctx, vpath)
	if len(failed) > 0 {
		return failed[0].err
	}
	return nil
}

// Rename implements webdav.FileSystem.
func (d *davFS) Rename(ctx context.Context, oldName, newName string) error {
	src, dst := dataprovider.CleanVirtualPath(oldName), dataprovider.CleanVirtualPath(newName)
	d.forget(src)
	d.forget(dst)
	return d.q.conn.Rename(ctx, src, dst)
}

// davFile implements webdav.File and webdav.DeadPropsHolder.
type davFile struct {
	fs    *davFS
	vpath string
	fi    os.FileInfo
	ctx   context.Context

	// directories
	lister *common.DirLister
	eof    bool

	// downloads, opened lazily
	download *common.Transfer
	pos      int64

	upload *common.Transfer
}

// Stat implements webdav.File.
func (f *davFile) Stat() (os.FileInfo, error) {
	if f.upload != nil {
		fi, err := f.upload.Stat()
		if err != nil {
			return nil, err
		}
		return f.fs.wrap(fi, f.vpath), nil
	}
	return f.fi, nil
}

// Readdir implements webdav.File; count <= 0 returns every entry.
func (f *davFile) Readdir(count int) ([]os.FileInfo, error) {
	if f.fi == nil || !f.fi.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: f.vpath, Err: errors.New("not a directory")}
	}
	if f.eof {
		if count > 0 {
			return nil, io.EOF
		}
		return nil, nil
	}
	if f.lister == nil {
		l, err := f.fs.q.conn.ListDir(f.ctx, f.vpath)
		if err != nil {
			return nil, err
		}
		f.lister = l
		f.fs.prefetchProps(f.vpath)
	}
	var out []os.FileInfo
	for count <= 0 || len(out) < count {
		limit := 500
		if count > 0 {
			limit = count - len(out)
		}
		batch, err := f.lister.Next(limit)
		for _, fi := range batch {
			child := path.Join(f.vpath, fi.Name())
			if fi.Mode()&os.ModeSymlink != 0 {
				// list what the link points to, as GET and PROPFIND on
				// the link itself see it
				if target, err := f.fs.q.conn.Stat(f.ctx, child); err == nil {
					fi = target
				}
			}
			wfi := f.fs.wrap(fi, child)
			f.fs.remember(child, wfi)
			out = append(out, wfi)
		}
		if errors.Is(err, io.EOF) {
			f.eof = true
			break
		}
		if err != nil {
			return out, err
		}
	}
	if count > 0 && len(out) == 0 {
		return nil, io.EOF
	}
	return out, nil
}

// Read implements webdav.File.
func (f *davFile) Read(p []byte) (int, error) {
	if f.fi == nil || f.fi.IsDir() {
		return 0, errors.New("webdavd: not a readable file")
	}
	if f.download == nil {
		t, err := f.fs.q.conn.OpenForRead(f.ctx, f.vpath, f.pos)
		if err != nil {
			return 0, err
		}
		f.download = t
	}
	n, err := f.download.ReadAt(p, f.pos)
	f.pos += int64(n)
	return n, err
}

// Seek implements webdav.File.
func (f *davFile) Seek(offset int64, whence int) (int64, error) {
	var size int64
	if f.fi != nil {
		size = f.fi.Size()
	}
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.pos
	case io.SeekEnd:
		offset += size
	default:
		return 0, errors.New("webdavd: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("webdavd: negative position")
	}
	f.pos = offset
	return offset, nil
}

// Write implements webdav.File.
func (f *davFile) Write(p []byte) (int, error) {
	if f.upload == nil {
		return 0, fs.ErrPermission
	}
	return f.upload.Write(p)
}

// Close implements webdav.File.
func (f *davFile) Close() error {
	var err error
	if f.lister != nil {
		err = f.lister.Close()
	}
	if f.download != nil {
		if cerr := f.download.Close(); err == nil {
			err = cerr
		}
	}
	if f.upload != nil {
		if cerr := f.upload.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// DeadProps implements webdav.DeadPropsHolder.
func (f *davFile) DeadProps() (map[xml.Name]webdav.Property, error) {
	m, err := f.fs.deadProps(f.vpath)
	if err != nil {
		f.fs.q.conn.Logger().Warn("unable to read dead properties", "path", f.vpath, "error", err)
		return nil, err
	}
	out := make(map[xml.Name]webdav.Property, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out, nil
}

// Patch implements webdav.DeadPropsHolder.
func (f *davFile) Patch(patches []webdav.Proppatch) ([]webdav.Propstat, error) {
	q := f.fs.q
	q.applyWin32Times(f.vpath, patches)
	return q.s.props.patch(q.username(), f.vpath, patches)
}

// win32Namespace is where Windows' WebDAV redirector puts file times.
const win32Namespace = "urn:schemas-microsoft-com:"

// applyWin32Times turns the modification time Windows clients set with
// PROPPATCH (Win32LastModifiedTime) into a real mtime change, so files
// copied from Explorer keep their dates. Failures are only logged: the
// property itself is still stored.
func (q *request) applyWin32Times(vpath string, patches []webdav.Proppatch) {
	for _, p := range patches {
		if p.Remove {
			continue
		}
		for _, prop := range p.Props {
			if prop.XMLName.Space != win32Namespace || prop.XMLName.Local != "Win32LastModifiedTime" {
				continue
			}
			t, err := time.Parse(time.RFC1123, string(prop.InnerXML))
			if err != nil {
				continue
			}
			if err := q.conn.Chtimes(q.ctx, vpath, t, t); err != nil {
				q.conn.Logger().Debug("unable to apply Win32LastModifiedTime", "path", vpath, "error", err)
			}
		}
	}
}

var (
	_ webdav.FileSystem      = (*davFS)(nil)
	_ webdav.File            = (*davFile)(nil)
	_ webdav.DeadPropsHolder = (*davFile)(nil)
)
