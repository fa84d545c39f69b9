package webdavd

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"

	"golang.org/x/net/webdav"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// request is one authenticated WebDAV request: the connection that
// represents it in the registry and the resolved virtual path.
type request struct {
	s    *Server
	b    *binding
	conn *common.BaseConnection
	w    http.ResponseWriter
	r    *http.Request
	ctx  context.Context
	path string // virtual path of the request URL
	fs   *davFS
	ifh  []ifList // parsed If header, nil when absent
}

func (q *request) username() string { return q.conn.User.Username }

// href returns the escaped URL path of a virtual path, with the binding
// prefix and a trailing slash for collections.
func (q *request) href(vpath string, isDir bool) string {
	p := q.b.prefix + vpath
	if q.b.prefix != "" && vpath == "/" {
		p = q.b.prefix + "/"
	}
	if isDir && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return (&url.URL{Path: p}).EscapedPath()
}

// serve dispatches on the method. PROPPATCH goes to x/net/webdav (XML
// parsing, patching through DeadPropsHolder, multistatus encoding) over
// this package's FileSystem and LockSystem; the methods whose status
// codes, lock rules or memory use x/net/webdav gets wrong for us are
// handled here.
func (q *request) serve() {
	switch q.r.Method {
	case http.MethodOptions:
		q.handleOptions()
	case http.MethodGet, http.MethodHead:
		q.handleGet()
	case http.MethodPut:
		q.handlePut()
	case http.MethodDelete:
		q.handleDelete()
	case "MKCOL":
		q.handleMkcol()
	case "COPY", "MOVE":
		q.handleCopyMove()
	case "LOCK":
		q.handleLock()
	case "UNLOCK":
		q.handleUnlock()
	case "PROPFIND":
		q.handlePropfind()
	case "PROPPATCH":
		q.handleProppatch()
	default:
		q.w.Header().Set("Allow", allowedMethods(true, true))
		q.error(http.StatusMethodNotAllowed, "method not allowed")
	}
}

// error writes a short plain-text error response.
func (q *request) error(status int, msg string) {
	h := q.w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	q.w.WriteHeader(status)
	if q.r.Method != http.MethodHead && msg != "" {
		q.w.Write([]byte(msg + "\n"))
	}
}

// fail maps an error from common onto an HTTP status and writes it.
func (q *request) fail(err error) {
	status := errorStatus(err)
	q.error(status, errorMessage(err, status))
}

// errorStatus maps the error kinds common and vfs use onto HTTP.
func errorStatus(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, fs.ErrNotExist):
		return http.StatusNotFound
	case errors.Is(err, fs.ErrPermission):
		return http.StatusForbidden
	case errors.Is(err, vfs.ErrQuotaExceeded), errors.Is(err, vfs.ErrNoSpace):
		return http.StatusInsufficientStorage
	case errors.Is(err, vfs.ErrNotSupported):
		return http.StatusNotImplemented
	case errors.Is(err, fs.ErrExist):
		return http.StatusMethodNotAllowed
	case errors.Is(err, vfs.ErrIsDir), errors.Is(err, vfs.ErrNotDir), errors.Is(err, vfs.ErrDirNotEmpty), errors.Is(err, fs.ErrInvalid):
		return http.StatusConflict
	case errors.Is(err, common.ErrConnectionLimit):
		return http.StatusTooManyRequests
	case errors.Is(err, common.ErrTransferAborted), errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func errorMessage(err error, status int) string {
	var ce *common.Error
	if errors.As(err, &ce) {
		return ce.Error()
	}
	return http.StatusText(status)
}

func allowedMethods(exists, isDir bool) string {
	switch {
	case !exists:
		return "OPTIONS, MKCOL, PUT, LOCK"
	case isDir:
		return "OPTIONS, DELETE, PROPPATCH, COPY, MOVE, LOCK, UNLOCK, PROPFIND"
	default:
		return "OPTIONS, GET, HEAD, PUT, DELETE, PROPPATCH, COPY, MOVE, LOCK, UNLOCK, PROPFIND"
	}
}

func (q *request) handleOptions() {
	fi, err := q.conn.Stat(q.ctx, q.path)
	h := q.w.Header()
	h.Set("Allow", allowedMethods(err == nil, err == nil && fi.IsDir()))
	h.Set("DAV", "1, 2")
	h.Set("MS-Author-Via", "DAV")
	h.Set("Content-Length", "0")
	q.w.WriteHeader(http.StatusOK)
}

// stat returns the resource at vpath, nil and no error if it does not
// exist.
func (q *request) stat(vpath string) (os.FileInfo, error) {
	fi, err := q.fs.Stat(q.ctx, vpath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	return fi, nil
}

// xnet returns the x/net/webdav handler for this request.
func (q *request) xnet() *webdav.Handler {
	return &webdav.Handler{
		Prefix:     q.b.prefix,
		FileSystem: q.fs,
		LockSystem: &lockSystem{q: q},
		Logger: func(r *http.Request, err error) {
			if err != nil {
				q.conn.Logger().Debug("webdav request", "method", r.Method, "path", q.path, "error", err)
			}
		},
	}
}

// handleProppatch checks the target, the permission and the body; lock
// checks happen in x/net/webdav through lockSystem.
func (q *request) handleProppatch() {
	fi, err := q.fs.Stat(q.ctx, q.path)
	if err != nil {
		q.fail(err)
		return
	}
	if !q.canSetProps(q.path, fi.IsDir()) {
		q.error(http.StatusForbidden, "permission denied")
		return
	}
	if !q.checkXMLBody() {
		return
	}
	q.xnet().ServeHTTP(q.w, q.r)
}

// canSetProps decides whether dead properties of vpath may be changed: it
// is a change of the resource, so it needs the right to write it (upload
// or overwrite for files, create_dirs or overwrite for collections).
func (q *request) canSetProps(vpath string, isDir bool) bool {
	dir := path.Dir(vpath)
	u := &q.conn.User
	if isDir {
		return u.HasAnyPerm([]string{dataprovider.PermCreateDirs, dataprovider.PermOverwrite}, dir)
	}
	return u.HasAnyPerm([]string{dataprovider.PermUpload, dataprovider.PermOverwrite}, dir)
}
