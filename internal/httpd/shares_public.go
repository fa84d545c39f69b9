package httpd

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// Public shares: anyone with the link (and the password, when set) may
// download (read scope) or upload (write scope) within the shared paths,
// acting as the owner through an HTTP connection of hers, so her
// permissions, file patterns, quotas and account rules all apply.

// shareAccess is a share opened for one request.
type shareAccess struct {
	share dataprovider.Share
	conn  *common.BaseConnection
	ctx   context.Context
	done  func()
}

// errShareAuth: the share's password is missing or wrong.
var errShareAuth = errors.New("this share is protected by a password")

// shareError is a refusal to show to the link's holder, with its status.
type shareError struct {
	status int
	err    error
}

func (e *shareError) Error() string { return e.err.Error() }
func (e *shareError) Unwrap() error { return e.err }

// openShare loads a share and checks it can serve scope (read or write):
// expiry, token budget, allowed networks, password (authenticated says
// whether the caller already proved it) and the owner's account. On
// success a connection of the owner is open: call done.
func (s *Server) openShare(r *http.Request, id string, write bool, authenticated func(*dataprovider.Share) bool) (*shareAccess, error) {
	ip := clientIP(r)
	sh, err := s.store.GetShare(r.Context(), id)
	if err != nil {
		if errors.Is(err, dataprovider.ErrNotFound) {
			return nil, &shareError{http.StatusNotFound, errors.New("share not found")}
		}
		return nil, &internalError{err}
	}
	if err := sh.IsUsable(ip); err != nil {
		return nil, &shareError{http.StatusForbidden, err}
	}
	if write && !sh.ShareCanWrite() {
		return nil, &shareError{http.StatusForbidden, errors.New("this share does not allow uploads")}
	}
	if !write && !sh.ShareCanRead() {
		return nil, &shareError{http.StatusForbidden, errors.New("this share does not allow downloads")}
	}
	if sh.HasPassword() && !authenticated(&sh) {
		return nil, &shareError{http.StatusUnauthorized, errShareAuth}
	}
	u, err := s.loadSessionUser(r.Context(), sh.Username, ip)
	if err != nil {
		var ie *internalError
		if errors.As(err, &ie) || errors.Is(err, errFilesUnavailable) {
			return nil, err
		}
		return nil, &shareError{http.StatusForbidden, errors.New("this share is not available")}
	}
	if hasWebClientOption(&u, webClientSharesDisabled) {
		return nil, &shareError{http.StatusForbidden, errors.New("this share is not available")}
	}
	conn, ctx, done, err := s.openConn(r, u)
	if err != nil {
		return nil, err
	}
	return &shareAccess{share: sh, conn: conn, ctx: ctx, done: done}, nil
}

// basicShareAuth checks the password sent with HTTP Basic auth (any user
// name), and charges failures to the login rate limit.
func (s *Server) basicShareAuth(r *http.Request) func(*dataprovider.Share) bool {
	return func(sh *dataprovider.Share) bool {
		_, pwd, ok := r.BasicAuth()
		if ok && s.store.CheckSharePassword(sh, pwd) {
			return true
		}
		if ok {
			ip := clientIP(r)
			s.loginLimiter.failed(ip)
			s.common.LoginFailed(ip, "share:"+sh.ShareID, dataprovider.LoginMethodPassword, protocolHTTP, errors.New("wrong share password"))
		}
		return false
	}
}

// sendShareError answers a failed share request in JSON.
func (s *Server) sendShareError(w http.ResponseWriter, r *http.Request, err error) {
	var se *shareError
	var ie *internalError
	switch {
	case errors.As(err, &se):
		if se.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="SFTPGo share", charset="UTF-8"`)
		}
		sendAPIError(w, r, se.status, se.err)
	case errors.As(err, &ie):
		s.sendStoreError(w, r, ie.err)
	default:
		s.sendFsError(w, r, err)
	}
}

// sharedDir returns the directory a single-path share serves (for
// browsing, single downloads and uploads).
func (a *shareAccess) sharedDir() (string, error) {
	if len(a.share.Paths) != 1 {
		return "", badRequest("this share has several paths: download it as a zip")
	}
	return a.share.Paths[0], nil
}

// resolve maps a path relative to the shared directory; it never leaves it.
func (a *shareAccess) resolve(rel string) (string, error) {
	base, err := a.sharedDir()
	if err != nil {
		return "", err
	}
	return path.Join(base, dataprovider.CleanVirtualPath(rel)), nil
}

// use records one use of the share (tokens: uses to charge).
func (s *Server) useShare(a *shareAccess, tokens int) error {
	if err := s.store.UseShare(a.ctx, a.share.ShareID, tokens); err != nil {
		if errors.Is(err, dataprovider.ErrValidation) {
			return &shareError{http.StatusForbidden, errors.New("this share has reached its maximum number of uses")}
		}
		return &internalError{err}
	}
	return nil
}

// shareZip streams every shared path as one zip.
func (s *Server) shareZip(w http.ResponseWriter, a *shareAccess, compress bool) error {
	if err := s.useShare(a, 1); err != nil {
		return err
	}
	name := fmt.Sprintf("share-%s.zip", a.share.ShareID)
	return writeZip(a.ctx, w, a.conn, a.share.Paths, name, compress)
}

// shareFile downloads one file of a shared directory. A share of a single
// file serves that file for an empty rel.
func (s *Server) shareFile(w http.ResponseWriter, r *http.Request, a *shareAccess, rel string, inline bool) error {
	base, err := a.sharedDir()
	if err != nil {
		return err
	}
	target := base
	if rel != "" && rel != "/" {
		target = path.Join(base, dataprovider.CleanVirtualPath(rel))
	}
	fi, err := a.conn.Stat(a.ctx, target)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return badRequest("%q is a directory", rel)
	}
	if r.Header.Get("Range") == "" {
		if err := s.useShare(a, 1); err != nil {
			return err
		}
	}
	return serveFile(a.ctx, w, r, a.conn, target, inline)
}

// shareUpload stores a multipart upload in the shared directory, one
// token per file.
func (s *Server) shareUpload(w http.ResponseWriter, r *http.Request, a *shareAccess) ([]string, error) {
	dir, err := a.sharedDir()
	if err != nil {
		return nil, err
	}
	s.limitBody(w, r)
	noDeadlines(w)
	return uploadMultipart(a.ctx, r, a.conn, dir, func(string) error { return s.useShare(a, 1) })
}

func (s *Server) apiShareZip(w http.ResponseWriter, r *http.Request) {
	a, err := s.openShare(r, urlParam(r, "id"), false, s.basicShareAuth(r))
	if err != nil {
		s.sendShareError(w, r, err)
		return
	}
	defer a.done()
	compress := r.URL.Query().Get("compress") != "false"
	if err := s.shareZip(w, a, compress); err != nil {
		s.sendShareError(w, r, err)
	}
}

func (s *Server) apiShareFile(w http.ResponseWriter, r *http.Request) {
	a, err := s.openShare(r, urlParam(r, "id"), false, s.basicShareAuth(r))
	if err != nil {
		s.sendShareError(w, r, err)
		return
	}
	defer a.done()
	if err := s.shareFile(w, r, a, r.URL.Query().Get("path"), r.URL.Query().Get("inline") != ""); err != nil {
		s.sendShareError(w, r, err)
	}
}

func (s *Server) apiShareDirs(w http.ResponseWriter, r *http.Request) {
	a, err := s.openShare(r, urlParam(r, "id"), false, s.basicShareAuth(r))
	if err != nil {
		s.sendShareError(w, r, err)
		return
	}
	defer a.done()
	dir, err := a.resolve(r.URL.Query().Get("path"))
	if err == nil {
		err = streamDirListing(a.ctx, w, a.conn, dir, regularOrDir)
	}
	if err != nil {
		s.sendShareError(w, r, err)
	}
}

// regularOrDir keeps files and directories in share listings (links and
// special files are not served through shares).
func regularOrDir(fi os.FileInfo) bool { return fi.IsDir() || fi.Mode().IsRegular() }

func (s *Server) apiShareUpload(w http.ResponseWriter, r *http.Request) {
	a, err := s.openShare(r, urlParam(r, "id"), true, s.basicShareAuth(r))
	if err != nil {
		s.sendShareError(w, r, err)
		return
	}
	defer a.done()
	names, err := s.shareUpload(w, r, a)
	if err != nil {
		s.sendShareError(w, r, err)
		return
	}
	out := make([]apiResponse, 0, len(names))
	for _, n := range names {
		out = append(out, apiResponse{Message: "Upload completed: " + n})
	}
	renderJSON(w, http.StatusCreated, out)
}

func (s *Server) apiShareUploadSingle(w http.ResponseWriter, r *http.Request) {
	name, ok := validFileName(urlParam(r, "fileName"))
	if !ok || strings.Contains(urlParam(r, "fileName"), "/") {
		sendAPIError(w, r, http.StatusBadRequest, errors.New("invalid file name: a name without directories is required"))
		return
	}
	a, err := s.openShare(r, urlParam(r, "id"), true, s.basicShareAuth(r))
	if err != nil {
		s.sendShareError(w, r, err)
		return
	}
	defer a.done()
	err = func() error {
		mtime, err := parseMtime(r)
		if err != nil {
			return err
		}
		dir, err := a.sharedDir()
		if err != nil {
			return err
		}
		if err := s.useShare(a, 1); err != nil {
			return err
		}
		s.limitBody(w, r)
		noDeadlines(w)
		target := path.Join(dir, name)
		if _, err := uploadStream(a.ctx, a.conn, target, r.Body, r.ContentLength); err != nil {
			return err
		}
		if !mtime.IsZero() {
			_ = a.conn.Chtimes(a.ctx, target, mtime, mtime)
		}
		return nil
	}()
	if err != nil {
		s.sendShareError(w, r, err)
		return
	}
	sendMessage(w, http.StatusCreated, "Upload completed")
}
