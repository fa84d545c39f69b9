package webdavd

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/net/webdav"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// copyBufSize is the chunk size uploads are streamed with.
const copyBufSize = 256 << 10

var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// handleGet serves a file with http.ServeContent: Range, If-Range,
// If-None-Match and If-Modified-Since come from net/http, streaming from
// the backend through a common download transfer.
func (q *request) handleGet() {
	fi, err := q.fs.Stat(q.ctx, q.path)
	if err != nil {
		q.fail(err)
		return
	}
	if fi.IsDir() {
		q.w.Header().Set("Allow", allowedMethods(true, true))
		q.error(http.StatusMethodNotAllowed, "GET is not supported on collections")
		return
	}
	if !q.conn.User.HasPerm(dataprovider.PermDownload, path.Dir(q.path)) {
		q.error(http.StatusForbidden, "permission denied")
		return
	}
	f := &davFile{fs: q.fs, vpath: q.path, fi: fi, ctx: q.ctx}
	if q.r.Method == http.MethodGet {
		// open now so a failure is still an error status, not a short body
		t, err := q.conn.OpenForRead(q.ctx, q.path, 0)
		if err != nil {
			q.fail(err)
			return
		}
		f.download = t
	}
	defer f.Close()
	h := q.w.Header()
	h.Set("ETag", etagOf(fi))
	ct, _ := fi.(*fileInfo).ContentType(q.ctx)
	h.Set("Content-Type", ct)
	http.ServeContent(q.idleWriter(), q.r, path.Base(q.path), fi.ModTime(), f)
}

// checkHTTPPreconditions applies If-Match and If-None-Match to a write;
// fi is the current resource or nil.
func (q *request) checkHTTPPreconditions(fi os.FileInfo) bool {
	etag := ""
	if fi != nil {
		etag = etagOf(fi)
	}
	matches := func(h string) bool {
		for _, v := range strings.Split(h, ",") {
			v = strings.TrimSpace(v)
			if (v == "*" && fi != nil) || (etag != "" && v == etag) {
				return true
			}
		}
		return false
	}
	if h := q.r.Header.Get("If-Match"); h != "" && !matches(h) {
		q.error(http.StatusPreconditionFailed, "precondition failed")
		return false
	}
	if h := q.r.Header.Get("If-None-Match"); h != "" && matches(h) {
		q.error(http.StatusPreconditionFailed, "precondition failed")
		return false
	}
	return true
}

// requireParent checks that the parent collection of vpath exists; it
// writes 409 and returns false otherwise.
func (q *request) requireParent(vpath string) bool {
	if vpath == "/" {
		return true
	}
	parent, err := q.stat(path.Dir(vpath))
	if err != nil {
		q.fail(err)
		return false
	}
	if parent == nil || !parent.IsDir() {
		q.error(http.StatusConflict, "parent collection does not exist")
		return false
	}
	return true
}

// handlePut streams the body into a common upload (atomic when
// upload_mode says so); nothing is buffered beyond one copy chunk.
func (q *request) handlePut() {
	if q.r.Header.Get("Content-Range") != "" {
		q.error(http.StatusBadRequest, "partial PUT is not supported")
		return
	}
	fi, err := q.stat(q.path)
	if err != nil {
		q.fail(err)
		return
	}
	if fi != nil && fi.IsDir() {
		q.w.Header().Set("Allow", allowedMethods(true, true))
		q.error(http.StatusMethodNotAllowed, "cannot PUT to a collection")
		return
	}
	targets := []lockTarget{{path: q.path}}
	if fi == nil {
		if !q.requireParent(q.path) {
			return
		}
		targets = append(targets, lockTarget{path: path.Dir(q.path)})
	}
	if !q.checkConditions(targets...) || !q.checkHTTPPreconditions(fi) {
		return
	}
	size := q.r.ContentLength
	if size < 0 {
		size = -1
		// macOS Finder streams chunked bodies and announces the size here
		if v, err := strconv.ParseInt(q.r.Header.Get("X-Expected-Entity-Length"), 10, 64); err == nil && v >= 0 {
			size = v
		}
	}
	t, err := q.conn.OpenForWrite(q.ctx, q.path, common.WriteOptions{Truncate: true, Size: size})
	if err != nil {
		q.failWrite(err)
		return
	}
	q.fs.forget(q.path)
	bufp := copyBufs.Get().(*[]byte)
	_, copyErr := io.CopyBuffer(writerOnly{t}, q.idleReader(q.r.Body), *bufp)
	copyBufs.Put(bufp)
	if copyErr != nil {
		t.TransferError(copyErr)
	}
	closeErr := t.Close()
	if copyErr != nil {
		q.conn.Logger().Debug("upload failed", "path", q.path, "error", copyErr)
		var ce *common.Error
		if errors.As(copyErr, &ce) {
			q.failWrite(copyErr)
		} else {
			q.error(http.StatusBadRequest, "unable to read the request body")
		}
		return
	}
	if closeErr != nil {
		q.failWrite(closeErr)
		return
	}
	if fi == nil {
		q.dropProps(q.path, false)
	}
	if nfi, err := q.fs.Stat(q.ctx, q.path); err == nil {
		q.w.Header().Set("ETag", etagOf(nfi))
	}
	if fi == nil {
		q.w.WriteHeader(http.StatusCreated)
	} else {
		q.w.WriteHeader(http.StatusNoContent)
	}
}

// failWrite maps errors of writes, where a missing path means a missing
// parent collection.
func (q *request) failWrite(err error) {
	if errors.Is(err, fs.ErrNotExist) {
		q.error(http.StatusConflict, "parent collection does not exist")
		return
	}
	q.fail(err)
}

// writerOnly hides any ReaderFrom so io.CopyBuffer uses our buffer.
type writerOnly struct{ io.Writer }

// dropProps removes stale dead properties, logging failures.
func (q *request) dropProps(vpath string, deep bool) {
	if err := q.s.props.remove(q.username(), vpath, deep); err != nil {
		q.conn.Logger().Warn("unable to remove dead properties", "path", vpath, "error", err)
	}
}

// hasMountBelow reports whether a virtual folder is mounted at vpath or
// below: deleting or moving such a tree through WebDAV would empty the
// folder before failing on its mount point.
func (q *request) hasMountBelow(vpath string) bool {
	for _, f := range q.conn.User.VirtualFolders {
		vp := dataprovider.CleanVirtualPath(f.VirtualPath)
		if vp == vpath || isUnder(vp, vpath) {
			return true
		}
	}
	return false
}

// storageOf names the storage holding vpath: "" for the home, else the
// virtual folder.
func (q *request) storageOf(vpath string) string {
	if f, ok := q.conn.User.GetVirtualFolderForPath(vpath); ok {
		return f.Name
	}
	return ""
}

// failure is a resource a recursive operation could not process.
type failure struct {
	path string
	err  error
}

// listNames returns the entries of a directory; names are collected
// before anything is changed so paging backends do not skip entries.
func (q *request) listNames(ctx context.Context, vpath string) ([]os.FileInfo, error) {
	l, err := q.conn.ListDir(ctx, vpath)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	var out []os.FileInfo
	for {
		batch, err := l.Next(1000)
		out = append(out, batch...)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// removeTree deletes a file, or a directory and everything in it, and
// returns what could not be deleted. A directory with a failed member is
// left in place and not reported itself (RFC 4918 §9.6.1).
func (q *request) removeTree(ctx context.Context, vpath string) []failure {
	fi, err := q.conn.Lstat(ctx, vpath)
	if err != nil {
		return []failure{{vpath, err}}
	}
	q.fs.forget(vpath)
	if !fi.IsDir() {
		if err := q.conn.Remove(ctx, vpath); err != nil {
			return []failure{{vpath, err}}
		}
		return nil
	}
	entries, err := q.listNames(ctx, vpath)
	if err != nil {
		return []failure{{vpath, err}}
	}
	var fails []failure
	for _, e := range entries {
		fails = append(fails, q.removeTree(ctx, path.Join(vpath, e.Name()))...)
	}
	if len(fails) > 0 {
		return fails
	}
	if err := q.conn.RemoveDir(ctx, vpath); err != nil {
		return []failure{{vpath, err}}
	}
	return nil
}

// copyTree copies src to dst: a file, or a directory with (deep) or
// without its members.
func (q *request) copyTree(ctx context.Context, src, dst string, deep bool) []failure {
	fi, err := q.conn.Stat(ctx, src)
	if err != nil {
		return []failure{{src, err}}
	}
	q.fs.forget(dst)
	if !fi.IsDir() {
		if !fi.Mode().IsRegular() {
			return nil
		}
		if err := q.conn.Copy(ctx, src, dst); err != nil {
			return []failure{{dst, err}}
		}
		return nil
	}
	if err := q.conn.Mkdir(ctx, dst); err != nil && !errors.Is(err, fs.ErrExist) {
		return []failure{{dst, err}}
	}
	if !deep {
		return nil
	}
	entries, err := q.listNames(ctx, src)
	if err != nil {
		return []failure{{src, err}}
	}
	var fails []failure
	for _, e := range entries {
		fails = append(fails, q.copyTree(ctx, path.Join(src, e.Name()), path.Join(dst, e.Name()), true)...)
	}
	return fails
}

// writeFailures reports the result of a recursive operation on top: the
// error itself when top failed alone, else a 207 multistatus.
func (q *request) writeFailures(top string, fails []failure) {
	if len(fails) == 1 && fails[0].path == top {
		if errors.Is(fails[0].err, fs.ErrNotExist) && q.r.Method != http.MethodDelete {
			q.error(http.StatusConflict, "conflict")
			return
		}
		q.fail(fails[0].err)
		return
	}
	var b strings.Builder
	b.WriteString(xmlHeader + `<D:multistatus xmlns:D="DAV:">`)
	for _, f := range fails {
		status := errorStatus(f.err)
		b.WriteString(`<D:response><D:href>` + xmlEscape(q.href(f.path, false)) + `</D:href><D:status>HTTP/1.1 ` +
			statusLine(status) + `</D:status></D:response>`)
	}
	b.WriteString(`</D:multistatus>`)
	q.w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	q.w.WriteHeader(http.StatusMultiStatus)
	q.w.Write([]byte(b.String()))
}

func statusLine(code int) string {
	return strconv.Itoa(code) + " " + davStatusText(code)
}

// davStatusText names the WebDAV status codes net/http does not know.
func davStatusText(code int) string {
	if t := webdav.StatusText(code); t != "" {
		return t
	}
	return "Unknown"
}

func (q *request) handleDelete() {
	fi, err := q.stat(q.path)
	if err != nil {
		q.fail(err)
		return
	}
	if fi == nil {
		q.error(http.StatusNotFound, "not found")
		return
	}
	if q.path == "/" || q.hasMountBelow(q.path) {
		q.error(http.StatusForbidden, "permission denied")
		return
	}
	if !q.checkConditions(lockTarget{path: q.path, deep: fi.IsDir()}, lockTarget{path: path.Dir(q.path)}) {
		return
	}
	if fails := q.removeTree(q.ctx, q.path); len(fails) > 0 {
		q.writeFailures(q.path, fails)
		return
	}
	q.dropProps(q.path, true)
	q.s.locks.removeTree(q.username(), q.path)
	q.w.WriteHeader(http.StatusNoContent)
}

func (q *request) handleMkcol() {
	if q.r.ContentLength > 0 || (q.r.ContentLength < 0 && q.r.Body != nil && q.r.Body != http.NoBody) {
		var one [1]byte
		if n, _ := io.ReadFull(q.r.Body, one[:]); n > 0 {
			q.error(http.StatusUnsupportedMediaType, "MKCOL with a body is not supported")
			return
		}
	}
	fi, err := q.stat(q.path)
	if err != nil {
		q.fail(err)
		return
	}
	if fi != nil {
		q.w.Header().Set("Allow", allowedMethods(true, fi.IsDir()))
		q.error(http.StatusMethodNotAllowed, "resource already exists")
		return
	}
	if !q.requireParent(q.path) {
		return
	}
	if !q.checkConditions(lockTarget{path: q.path}, lockTarget{path: path.Dir(q.path)}) {
		return
	}
	if err := q.conn.Mkdir(q.ctx, q.path); err != nil {
		q.failWrite(err)
		return
	}
	q.fs.forget(q.path)
	q.dropProps(q.path, true)
	q.w.WriteHeader(http.StatusCreated)
}

// destination parses the Destination header into a virtual path; it
// writes the error response and returns false when unusable.
func (q *request) destination() (string, bool) {
	hdr := q.r.Header.Get("Destination")
	if hdr == "" {
		q.error(http.StatusBadRequest, "missing Destination header")
		return "", false
	}
	u, err := url.Parse(hdr)
	if err != nil {
		q.error(http.StatusBadRequest, "invalid Destination header")
		return "", false
	}
	if u.Host != "" && u.Host != q.r.Host {
		q.error(http.StatusBadGateway, "destination is on another server")
		return "", false
	}
	dst, ok := q.b.stripPrefix(u.Path)
	if !ok {
		q.error(http.StatusBadGateway, "destination is outside this server's namespace")
		return "", false
	}
	return dst, true
}

func (q *request) handleCopyMove() {
	move := q.r.Method == "MOVE"
	dst, ok := q.destination()
	if !ok {
		return
	}
	overwrite := true
	switch q.r.Header.Get("Overwrite") {
	case "", "T", "t":
	case "F", "f":
		overwrite = false
	default:
		q.error(http.StatusBadRequest, "invalid Overwrite header")
		return
	}
	deep := true
	switch q.r.Header.Get("Depth") {
	case "", "infinity":
	case "0":
		if move {
			q.error(http.StatusBadRequest, "MOVE needs Depth: infinity")
			return
		}
		deep = false
	default:
		q.error(http.StatusBadRequest, "invalid Depth header")
		return
	}
	src := q.path
	fi, err := q.stat(src)
	if err != nil {
		q.fail(err)
		return
	}
	if fi == nil {
		q.error(http.StatusNotFound, "not found")
		return
	}
	if src == dst {
		q.error(http.StatusForbidden, "source and destination are the same")
		return
	}
	if dst == "/" || (fi.IsDir() && isUnder(dst, src)) || (move && (src == "/" || isUnder(src, dst))) {
		q.error(http.StatusForbidden, "cannot copy or move a collection into itself")
		return
	}
	if move && fi.IsDir() && q.hasMountBelow(src) {
		q.error(http.StatusForbidden, "permission denied")
		return
	}
	dfi, err := q.stat(dst)
	if err != nil {
		q.fail(err)
		return
	}
	if !q.requireParent(dst) {
		return
	}
	if dfi != nil && !overwrite {
		q.error(http.StatusPreconditionFailed, "destination exists")
		return
	}
	targets := []lockTarget{{path: dst, deep: true}, {path: path.Dir(dst)}}
	if move {
		targets = append(targets, lockTarget{path: src, deep: true}, lockTarget{path: path.Dir(src)})
	}
	if !q.checkConditions(targets...) {
		return
	}
	if dfi != nil && (dfi.IsDir() || fi.IsDir()) {
		// replacing a collection, or a file by one: delete first, as the
		// RFC asks; file over file is replaced by the backend in one step
		if q.hasMountBelow(dst) {
			q.error(http.StatusForbidden, "permission denied")
			return
		}
		if fails := q.removeTree(q.ctx, dst); len(fails) > 0 {
			q.writeFailures(dst, fails)
			return
		}
	}
	var fails []failure
	if move && q.storageOf(src) == q.storageOf(dst) {
		if err := q.conn.Rename(q.ctx, src, dst); err != nil {
			fails = []failure{{src, err}}
		}
	} else {
		fails = q.copyTree(q.ctx, src, dst, deep)
		if move && len(fails) == 0 {
			fails = q.removeTree(q.ctx, src)
		}
	}
	q.fs.forget(src)
	q.fs.forget(dst)
	if len(fails) > 0 {
		q.writeFailures(src, fails)
		return
	}
	if err := q.s.props.copyTree(q.username(), src, dst, deep || move, move); err != nil {
		q.conn.Logger().Warn("unable to carry dead properties", "path", src, "target", dst, "error", err)
	}
	if move {
		q.s.locks.removeTree(q.username(), src)
	}
	if dfi != nil {
		q.w.WriteHeader(http.StatusNoContent)
	} else {
		q.w.WriteHeader(http.StatusCreated)
	}
}
