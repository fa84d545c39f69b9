package httpd

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// File operations shared by the user API, the web client and public
// shares. Every one goes through common.BaseConnection, which applies the
// user's permissions, file patterns, quotas and bandwidth limits exactly
// as for the other protocols.

// fsErrorStatus maps an error of a file operation to an HTTP status.
func fsErrorStatus(err error) int {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return http.StatusNotFound
	case errors.Is(err, fs.ErrPermission), errors.Is(err, common.ErrLoginDenied):
		return http.StatusForbidden
	case errors.Is(err, vfs.ErrQuotaExceeded), errors.Is(err, vfs.ErrNoSpace):
		return http.StatusInsufficientStorage
	case errors.Is(err, vfs.ErrNotSupported):
		return http.StatusNotImplemented
	case errors.Is(err, fs.ErrExist):
		return http.StatusConflict
	case errors.Is(err, vfs.ErrIsDir), errors.Is(err, vfs.ErrNotDir), errors.Is(err, vfs.ErrDirNotEmpty),
		errors.Is(err, fs.ErrInvalid), errors.Is(err, errBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, common.ErrConnectionLimit):
		return http.StatusTooManyRequests
	case errors.Is(err, errFilesUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, errBodyTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, context.Canceled), errors.Is(err, common.ErrTransferAborted):
		return http.StatusBadRequest
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// errBadRequest marks a client mistake in a file request.
var errBadRequest = errors.New("bad request")

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadRequest, fmt.Sprintf(format, args...))
}

// sendFsError answers a failed file operation. common's errors are safe to
// show; anything else is logged and reported in short.
func (s *Server) sendFsError(w http.ResponseWriter, r *http.Request, err error) {
	status := fsErrorStatus(err)
	var ce *common.Error
	if status == http.StatusInternalServerError && !errors.As(err, &ce) {
		s.log.Error("file operation failed", "method", r.Method, "path", r.URL.Path, "error", err)
		err = errors.New("internal error, see the server log")
	}
	sendAPIError(w, r, status, err)
}

// userPath resolves a client-supplied virtual path: relative paths start
// at the user's start directory.
func userPath(u *dataprovider.User, p string) string {
	if !strings.HasPrefix(p, "/") {
		start := u.Filters.StartDirectory
		if start == "" {
			start = "/"
		}
		p = path.Join(start, p)
	}
	return dataprovider.CleanVirtualPath(p)
}

// noDeadlines lifts the server's read/write timeouts for a transfer,
// which may last as long as the data takes.
func noDeadlines(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
}

// dirEntry is one item of a directory listing (GET /user/dirs).
type dirEntry struct {
	Name         string `json:"name"`
	Size         int64  `json:"size"`
	Mode         uint32 `json:"mode"`
	LastModified string `json:"last_modified"`
}

func toDirEntry(fi os.FileInfo) dirEntry {
	return dirEntry{Name: fi.Name(), Size: fi.Size(), Mode: uint32(fi.Mode()),
		LastModified: fi.ModTime().UTC().Format(time.RFC3339)}
}

// streamDirListing writes the listing of vpath as a JSON array, one batch
// at a time, so a huge directory never sits in memory. filter may drop
// entries.
func streamDirListing(ctx context.Context, w http.ResponseWriter, conn *common.BaseConnection, vpath string, filter func(os.FileInfo) bool) error {
	l, err := conn.ListDir(ctx, vpath)
	if err != nil {
		return err
	}
	defer l.Close()
	batch, err := l.Next(1000)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_, _ = io.WriteString(w, "[")
	first := true
	for {
		for _, fi := range batch {
			if filter != nil && !filter(fi) {
				continue
			}
			if !first {
				_, _ = io.WriteString(w, ",")
			}
			first = false
			_ = enc.Encode(toDirEntry(fi))
		}
		if err != nil {
			break
		}
		batch, err = l.Next(1000)
		if err != nil && !errors.Is(err, io.EOF) {
			// headers are gone: end the array so the client sees the cut
			_, _ = io.WriteString(w, "]")
			return nil
		}
	}
	_, _ = io.WriteString(w, "]")
	return nil
}

// listAll reads a whole directory (small ones: zip and recursive walks
// hold one directory level at a time).
func listAll(ctx context.Context, conn *common.BaseConnection, vpath string) ([]os.FileInfo, error) {
	l, err := conn.ListDir(ctx, vpath)
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
			return nil, err
		}
	}
}

// contentDisposition builds an attachment (or inline) header for name.
func contentDisposition(kind, name string) string {
	if v := mime.FormatMediaType(kind, map[string]string{"filename": name}); v != "" {
		return v
	}
	return kind
}

// serveFile sends a file with Range, If-Range and Last-Modified support.
// inline responses are sandboxed so an uploaded HTML file cannot run
// scripts in the server's origin.
func serveFile(ctx context.Context, w http.ResponseWriter, r *http.Request, conn *common.BaseConnection, vpath string, inline bool) error {
	t, err := conn.OpenForRead(ctx, vpath, 0)
	if err != nil {
		return err
	}
	defer t.Close()
	fi, err := t.Stat()
	if err != nil {
		return err
	}
	noDeadlines(w)
	name := path.Base(vpath)
	if inline {
		w.Header().Set("Content-Disposition", contentDisposition("inline", name))
		w.Header().Set("Content-Security-Policy", "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; media-src 'self'; sandbox")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if ct := mime.TypeByExtension(path.Ext(name)); ct == "" || strings.HasPrefix(ct, "text/") {
			// never let a browser render uploaded markup as HTML
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		}
	} else {
		w.Header().Set("Content-Disposition", contentDisposition("attachment", name))
	}
	w.Header().Set("Accept-Ranges", "bytes")
	http.ServeContent(w, r, name, fi.ModTime(), io.NewSectionReader(t, 0, fi.Size()))
	return nil
}

// copyBufPool holds the buffers uploads and zips copy through: 256 KiB
// keeps system calls few without holding much per transfer.
var copyBufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

func copyBuffered(dst io.Writer, src io.Reader) (int64, error) {
	bp := copyBufPool.Get().(*[]byte)
	defer copyBufPool.Put(bp)
	return io.CopyBuffer(dst, struct{ io.Reader }{src}, *bp)
}

// uploadStream writes r to vpath through a transfer (permissions,
// patterns, quotas, atomic uploads); on any error the partial upload is
// discarded as the upload mode says.
func uploadStream(ctx context.Context, conn *common.BaseConnection, vpath string, r io.Reader, size int64) (int64, error) {
	t, err := conn.OpenForWrite(ctx, vpath, common.WriteOptions{Truncate: true, Size: size})
	if err != nil {
		return 0, err
	}
	stop := context.AfterFunc(ctx, func() { t.TransferError(common.ErrTransferAborted) })
	n, err := copyBuffered(t, r)
	stop()
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		t.TransferError(err)
		if cerr := t.Close(); cerr != nil && errors.Is(cerr, vfs.ErrQuotaExceeded) {
			return n, cerr
		}
		return n, err
	}
	return n, t.Close()
}

// mkdirParents creates every missing directory of dir.
func mkdirParents(ctx context.Context, conn *common.BaseConnection, dir string) error {
	dir = dataprovider.CleanVirtualPath(dir)
	if dir == "/" {
		return nil
	}
	if fi, err := conn.Stat(ctx, dir); err == nil {
		if !fi.IsDir() {
			return badRequest("%q is not a directory", dir)
		}
		return nil
	}
	if err := mkdirParents(ctx, conn, path.Dir(dir)); err != nil {
		return err
	}
	if err := conn.Mkdir(ctx, dir); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// validFileName accepts a plain file name, as sent in a multipart upload
// or a share upload: no directories, no "." or "..".
func validFileName(name string) (string, bool) {
	name = strings.ReplaceAll(name, "\\", "/")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, 0) {
		return "", false
	}
	return name, true
}

// uploadMultipart streams every "filenames" part of a multipart body into
// dir (nothing is buffered whole, in memory or on disk). onFile, if set,
// runs before each file and may refuse it. It returns the names written.
func uploadMultipart(ctx context.Context, r *http.Request, conn *common.BaseConnection, dir string, onFile func(name string) error) ([]string, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, badRequest("a multipart/form-data body is required: %v", err)
	}
	var done []string
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return done, errBodyTooLarge
			}
			return done, badRequest("malformed multipart body: %v", err)
		}
		if part.FormName() != "filenames" || part.FileName() == "" {
			part.Close()
			continue
		}
		name, ok := validFileName(part.FileName())
		// on errors the part is not closed: Close drains it, and the rest of
		// a large body is not worth reading
		if !ok {
			return done, badRequest("invalid file name %q", part.FileName())
		}
		if onFile != nil {
			if err := onFile(name); err != nil {
				return done, err
			}
		}
		if _, err := uploadStream(ctx, conn, path.Join(dir, name), part, -1); err != nil {
			return done, err
		}
		part.Close()
		done = append(done, name)
	}
	if len(done) == 0 {
		return nil, badRequest("no file found in the \"filenames\" field")
	}
	return done, nil
}

// zipWriter streams files and directory trees into a zip archive.
type zipWriter struct {
	ctx      context.Context
	conn     *common.BaseConnection
	zw       *zip.Writer
	compress bool
}

// writeZip streams the given virtual paths as a zip to w. Each path lands
// at the archive root under its base name. The response is already
// committed when a file fails mid-way; the archive is then cut short,
// which zip readers report.
func writeZip(ctx context.Context, w http.ResponseWriter, conn *common.BaseConnection, paths []string, name string, compress bool) error {
	for _, p := range paths {
		if _, err := conn.Stat(ctx, p); err != nil {
			return err
		}
	}
	noDeadlines(w)
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", contentDisposition("attachment", name))
	w.WriteHeader(http.StatusOK)
	z := &zipWriter{ctx: ctx, conn: conn, zw: zip.NewWriter(w), compress: compress}
	for _, p := range paths {
		base := path.Base(p)
		if p == "/" {
			base = ""
		}
		if err := z.add(p, base); err != nil {
			conn.Logger().Warn("zip aborted", "path", p, "error", err)
			return nil
		}
	}
	if err := z.zw.Close(); err != nil {
		conn.Logger().Debug("zip close", "error", err)
	}
	return nil
}

func (z *zipWriter) add(vpath, name string) error {
	if err := z.ctx.Err(); err != nil {
		return err
	}
	fi, err := z.conn.Stat(z.ctx, vpath)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		if name != "" {
			h := &zip.FileHeader{Name: name + "/", Method: zip.Store, Modified: fi.ModTime()}
			h.SetMode(fi.Mode())
			if _, err := z.zw.CreateHeader(h); err != nil {
				return err
			}
		}
		entries, err := listAll(z.ctx, z.conn, vpath)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := z.add(path.Join(vpath, e.Name()), path.Join(name, e.Name())); err != nil {
				return err
			}
		}
		return nil
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	t, err := z.conn.OpenForRead(z.ctx, vpath, 0)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil // skipped, like a listing hides what it cannot show
		}
		return err
	}
	defer t.Close()
	method := zip.Store
	if z.compress {
		method = zip.Deflate
	}
	h := &zip.FileHeader{Name: name, Method: method, Modified: fi.ModTime()}
	h.SetMode(fi.Mode())
	h.UncompressedSize64 = uint64(fi.Size())
	dst, err := z.zw.CreateHeader(h)
	if err != nil {
		return err
	}
	_, err = copyBuffered(dst, t)
	return err
}

// parseMtime reads X-SFTPGO-MTIME (Unix milliseconds); zero when absent.
func parseMtime(r *http.Request) (time.Time, error) {
	v := r.Header.Get("X-SFTPGO-MTIME")
	if v == "" {
		return time.Time{}, nil
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil || ms < 0 {
		return time.Time{}, badRequest("invalid X-SFTPGO-MTIME %q: Unix milliseconds required", v)
	}
	return time.UnixMilli(ms), nil
}
