package httpd

import (
	"context"
	"errors"
	"net/http"
	"path"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// userAPIRoutes registers the user side of the REST API and the public
// share endpoints (under /api/v2).
func (s *Server) userAPIRoutes(r chi.Router) {
	r.Get("/user/token", s.getUserToken)
	r.Route("/shares/{id}", func(r chi.Router) {
		r.Get("/", s.apiShareZip)
		r.Post("/", s.apiShareUpload)
		r.Get("/files", s.apiShareFile)
		r.Get("/dirs", s.apiShareDirs)
		r.Post("/{fileName}", s.apiShareUploadSingle)
	})
	r.Route("/user", func(r chi.Router) {
		r.Use(s.requireUser)
		r.Use(s.requireUserMFASet)
		s.userTOTPRoutes(r)
		r.Get("/logout", s.userLogout)
		r.Get("/dirs", s.withConn(s.userListDir))
		r.Post("/dirs", s.withWriteConn(s.userMkdir))
		r.Patch("/dirs", s.withWriteConn(s.userRename))
		r.Delete("/dirs", s.withWriteConn(s.userDeleteDir))
		r.Get("/files", s.withConn(s.userDownload))
		r.Post("/files", s.withWriteConn(s.userUploadMultipart))
		r.Patch("/files", s.withWriteConn(s.userRename))
		r.Delete("/files", s.withWriteConn(s.userDeleteFile))
		r.Post("/files/upload", s.withWriteConn(s.userUploadSingle))
		r.Patch("/files/metadata", s.withWriteConn(s.userSetMetadata))
		r.Post("/file-actions/move", s.withWriteConn(s.userRename))
		r.Post("/file-actions/copy", s.withWriteConn(s.userCopy))
		r.Post("/streamzip", s.withConn(s.userStreamZip))
		r.Get("/profile", s.getUserProfile)
		r.Put("/profile", s.updateUserProfile)
		r.Put("/changepwd", s.changeUserPassword)
		r.Get("/shares", s.listUserShares)
		r.Post("/shares", s.addUserShare)
		r.Get("/shares/{id}", s.getUserShare)
		r.Put("/shares/{id}", s.updateUserShare)
		r.Delete("/shares/{id}", s.deleteUserShare)
	})
}

// connHandler is a file handler that runs inside a registered connection.
type connHandler func(w http.ResponseWriter, r *http.Request, ctx context.Context, conn *common.BaseConnection) error

// withConn opens an HTTP connection for the session user around h and
// turns h's error into the matching response.
func (s *Server) withConn(h connHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess := userFromContext(r.Context())
		conn, ctx, done, err := s.openConn(r, sess.user)
		if err != nil {
			s.sendFsError(w, r, err)
			return
		}
		defer done()
		if err := h(w, r, ctx, conn); err != nil {
			s.sendFsError(w, r, err)
		}
	}
}

// withWriteConn is withConn for operations that change files: refused
// when the web_client filters make the user read-only.
func (s *Server) withWriteConn(h connHandler) http.HandlerFunc {
	inner := s.withConn(h)
	return func(w http.ResponseWriter, r *http.Request) {
		if hasWebClientOption(&userFromContext(r.Context()).user, webClientWriteDisabled) {
			sendAPIError(w, r, http.StatusForbidden, errors.New("this account is read-only over HTTP"))
			return
		}
		inner(w, r)
	}
}

// requiredPath reads a path query parameter resolved for the user.
func requiredPath(r *http.Request, conn *common.BaseConnection, name string) (string, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return "", badRequest("the %q query parameter is required", name)
	}
	return userPath(&conn.User, v), nil
}

func queryBool(r *http.Request, name string) bool {
	switch r.URL.Query().Get(name) {
	case "1", "true", "True", "TRUE", "yes":
		return true
	}
	return false
}

func (s *Server) userListDir(w http.ResponseWriter, r *http.Request, ctx context.Context, conn *common.BaseConnection) error {
	p := userPath(&conn.User, r.URL.Query().Get("path"))
	return streamDirListing(ctx, w, conn, p, nil)
}

func (s *Server) userMkdir(w http.ResponseWriter, r *http.Request, ctx context.Context, conn *common.BaseConnection) error {
	p, err := requiredPath(r, conn, "path")
	if err != nil {
		return err
	}
	if queryBool(r, "mkdir_parents") {
		if err := mkdirParents(ctx, conn, path.Dir(p)); err != nil {
			return err
		}
	}
	if err := conn.Mkdir(ctx, p); err != nil {
		return err
	}
	sendMessage(w, http.StatusCreated, "Directory created")
	return nil
}

// pathAndTarget reads the source ("path") and destination ("target") of
// a move or a copy.
func pathAndTarget(r *http.Request, conn *common.BaseConnection) (string, string, error) {
	src, err := requiredPath(r, conn, "path")
	if err != nil {
		return "", "", err
	}
	dst, err := requiredPath(r, conn, "target")
	return src, dst, err
}

// userRename serves PATCH /user/files, PATCH /user/dirs and
// POST /user/file-actions/move: path is moved to target.
func (s *Server) userRename(w http.ResponseWriter, r *http.Request, ctx context.Context, conn *common.BaseConnection) error {
	src, dst, err := pathAndTarget(r, conn)
	if err != nil {
		return err
	}
	if err := conn.Rename(ctx, src, dst); err != nil {
		return err
	}
	sendMessage(w, http.StatusOK, "Renamed")
	return nil
}

func (s *Server) userCopy(w http.ResponseWriter, r *http.Request, ctx context.Context, conn *common.BaseConnection) error {
	src, dst, err := pathAndTarget(r, conn)
	if err != nil {
		return err
	}
	if err := conn.Copy(ctx, src, dst); err != nil {
		return err
	}
	sendMessage(w, http.StatusOK, "Copied")
	return nil
}

func (s *Server) userDeleteDir(w http.ResponseWriter, r *http.Request, ctx context.Context, conn *common.BaseConnection) error {
	p, err := requiredPath(r, conn, "path")
	if err != nil {
		return err
	}
	if p == "/" {
		return badRequest("the root directory cannot be deleted")
	}
	fi, err := conn.Lstat(ctx, p)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return badRequest("%q is not a directory", p)
	}
	if err := conn.RemoveAll(ctx, p); err != nil {
		return err
	}
	sendMessage(w, http.StatusOK, "Directory deleted")
	return nil
}

func (s *Server) userDeleteFile(w http.ResponseWriter, r *http.Request, ctx context.Context, conn *common.BaseConnection) error {
	p, err := requiredPath(r, conn, "path")
	if err != nil {
		return err
	}
	if err := conn.Remove(ctx, p); err != nil {
		return err
	}
	sendMessage(w, http.StatusOK, "File deleted")
	return nil
}

func (s *Server) userDownload(w http.ResponseWriter, r *http.Request, ctx context.Context, conn *common.BaseConnection) error {
	p, err := requiredPath(r, conn, "path")
	if err != nil {
		return err
	}
	return serveFile(ctx, w, r, conn, p, r.URL.Query().Get("inline") != "")
}

// limitBody applies httpd.max_upload_file_size to an upload request.
func (s *Server) limitBody(w http.ResponseWriter, r *http.Request) {
	if m := s.cfg.MaxUploadFileSize; m > 0 {
		r.Body = http.MaxBytesReader(w, r.Body, m)
	}
}

func (s *Server) userUploadMultipart(w http.ResponseWriter, r *http.Request, ctx context.Context, conn *common.BaseConnection) error {
	dir := userPath(&conn.User, r.URL.Query().Get("path"))
	s.limitBody(w, r)
	noDeadlines(w)
	if queryBool(r, "mkdir_parents") {
		if err := mkdirParents(ctx, conn, dir); err != nil {
			return err
		}
	}
	if _, err := uploadMultipart(ctx, r, conn, dir, nil); err != nil {
		return err
	}
	sendMessage(w, http.StatusCreated, "Upload completed")
	return nil
}

func (s *Server) userUploadSingle(w http.ResponseWriter, r *http.Request, ctx context.Context, conn *common.BaseConnection) error {
	p, err := requiredPath(r, conn, "path")
	if err != nil {
		return err
	}
	mtime, err := parseMtime(r)
	if err != nil {
		return err
	}
	s.limitBody(w, r)
	noDeadlines(w)
	if queryBool(r, "mkdir_parents") {
		if err := mkdirParents(ctx, conn, path.Dir(p)); err != nil {
			return err
		}
	}
	if _, err := uploadStream(ctx, conn, p, r.Body, r.ContentLength); err != nil {
		return err
	}
	if !mtime.IsZero() {
		if err := conn.Chtimes(ctx, p, mtime, mtime); err != nil {
			conn.Logger().Debug("unable to set the upload's modification time", "path", p, "error", err)
		}
	}
	sendMessage(w, http.StatusCreated, "Upload completed")
	return nil
}

// fileMetadata is the body of PATCH /user/files/metadata.
type fileMetadata struct {
	ModificationTime int64 `json:"modification_time"`
}

func (s *Server) userSetMetadata(w http.ResponseWriter, r *http.Request, ctx context.Context, conn *common.BaseConnection) error {
	p, err := requiredPath(r, conn, "path")
	if err != nil {
		return err
	}
	var m fileMetadata
	if err := decodeJSON(w, r, &m, maxObjectBodySize, true); err != nil {
		return badRequest("%v", err)
	}
	if m.ModificationTime <= 0 {
		return badRequest("modification_time (Unix milliseconds) is required")
	}
	t := time.UnixMilli(m.ModificationTime)
	if err := conn.Chtimes(ctx, p, t, t); err != nil {
		return err
	}
	sendMessage(w, http.StatusOK, "OK")
	return nil
}

// maxZipPaths bounds the JSON body of /user/streamzip.
const maxZipPaths = 10000

func (s *Server) userStreamZip(w http.ResponseWriter, r *http.Request, ctx context.Context, conn *common.BaseConnection) error {
	var paths []string
	if err := decodeJSON(w, r, &paths, maxObjectBodySize, true); err != nil {
		return badRequest("%v", err)
	}
	if len(paths) == 0 || len(paths) > maxZipPaths {
		return badRequest("between 1 and %d paths are required", maxZipPaths)
	}
	for i, p := range paths {
		paths[i] = userPath(&conn.User, p)
	}
	return writeZip(ctx, w, conn, paths, zipName(&conn.User), true)
}

func zipName(u *dataprovider.User) string {
	return u.Username + "-download-" + time.Now().UTC().Format("20060102T150405") + ".zip"
}
