package httpd

import (
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// userNav is the signed-in user as the templates see it.
type userNav struct {
	Username     string
	CanShare     bool
	CanChangePwd bool
}

func (s *Server) clientCookiePath() string { return s.webRoot + webClientPrefix }

func (s *Server) webClientRoutes(r chi.Router) {
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, s.webRoot+webClientPrefix+"/files", http.StatusFound)
	})
	r.Get("/login", s.webClientLoginGet)
	r.Post("/login", s.webClientLoginPost)
	s.webPasswordResetRoutes(r, false)
	r.Route("/pubshares/{id}", func(r chi.Router) {
		r.Get("/", s.webPubShare)
		r.Post("/login", s.webPubShareLogin)
		r.Get("/download", s.webPubShareZip)
		r.Get("/getfile", s.webPubShareFile)
		r.Post("/upload", s.webPubShareUpload)
	})
	r.Group(func(r chi.Router) {
		r.Use(s.requireWebUser)
		r.Get("/logout", s.webClientLogout)
		r.Post("/logout", s.webClientLogout)
		r.Get("/files", s.webClientFiles)
		r.Get("/download", s.webClientDownload)
		r.Get("/view", s.webClientView)
		r.Get("/preview", s.webClientPreview)
		r.Post("/zip", s.webClientZip)
		r.Post("/upload", s.webClientUpload)
		r.Post("/mkdir", s.webClientMkdir)
		r.Post("/rename", s.webClientRename)
		r.Post("/delete", s.webClientDelete)
		r.Get("/shares", s.webClientShares)
		r.Get("/share", s.webClientShareNew)
		r.Post("/share", s.webClientShareSave)
		r.Get("/share/{id}", s.webClientShareEdit)
		r.Post("/share/{id}", s.webClientShareSave)
		r.Post("/share/{id}/delete", s.webClientShareDelete)
		r.Get("/profile", s.webClientProfileGet)
		r.Post("/profile", s.webClientProfilePost)
		r.Post("/changepwd", s.webClientChangePwd)
	})
}

// requireWebUser accepts a valid user session cookie (and, on POST, its
// CSRF token). The account rules are checked again on every request.
func (s *Server) requireWebUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := clientIP(r)
		sess, err := s.readSession(r, tokenAudienceWebClient)
		var us *userSession
		if err == nil {
			us, err = s.sessionFromClaims(r.Context(), sess.claims, ip)
		}
		if err != nil {
			var ie *internalError
			if errors.As(err, &ie) {
				s.log.Error("web client session", "error", ie.err)
			}
			if sess != nil {
				s.endSession(w, r, sess, s.clientCookiePath())
			}
			if r.Method == http.MethodGet && !isScriptRequest(r) {
				http.Redirect(w, r, s.webRoot+webClientPrefix+"/login", http.StatusFound)
				return
			}
			s.webError(w, r, http.StatusUnauthorized, "Your session has expired: please sign in again.", false)
			return
		}
		if r.Method == http.MethodPost && !csrfDeferred(r, "/upload") && subtle.ConstantTimeCompare([]byte(csrfFromRequest(r)), []byte(sess.csrf)) != 1 {
			s.webError(w, r, http.StatusForbidden, "The form has expired or was not sent by this site: reload the page and try again.", false)
			return
		}
		if s.holdWeb(w, r, us.user.Filters.RequirePasswordChange, sess, webClientPrefix, false) {
			return
		}
		s.refreshSession(w, r, sess, tokenAudienceWebClient, s.clientCookiePath())
		ctx := context.WithValue(r.Context(), ctxKeyUserT{}, us)
		ctx = context.WithValue(ctx, ctxWebSessionT{}, sess)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *Server) clientPage(r *http.Request, title, section string) *page {
	u := userFromContext(r.Context()).user
	p := &page{Title: title, Section: section, User: &userNav{
		Username:     u.Username,
		CanShare:     !hasWebClientOption(&u, webClientSharesDisabled),
		CanChangePwd: !hasWebClientOption(&u, webClientPasswordChangeDisabled),
	}}
	if sess := webSessionFrom(r.Context()); sess != nil {
		p.CSRF = sess.csrf
	}
	return p
}

func (s *Server) webClientLoginGet(w http.ResponseWriter, r *http.Request) {
	if _, err := s.readSession(r, tokenAudienceWebClient); err == nil {
		http.Redirect(w, r, s.webRoot+webClientPrefix+"/files", http.StatusFound)
		return
	}
	s.render(w, r, http.StatusOK, "client/login", &page{Title: "Sign in", CSRF: s.anonCSRF(w, r)})
}

func (s *Server) webClientLoginPost(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	username, fail, ok := s.loginForm(w, r, ip, "client/login")
	if !ok {
		return
	}
	u, err := s.loginUser(r.Context(), username, r.PostFormValue("password"), ip, withTLS(r))
	if err != nil {
		var ie *internalError
		switch {
		case errors.As(err, &ie):
			s.log.Error("web client login", "error", ie.err)
			fail(http.StatusInternalServerError, "The data provider is not available.")
		case errors.Is(err, errFilesUnavailable), errors.Is(err, common.ErrStorageUnavailable):
			fail(http.StatusServiceUnavailable, err.Error())
		default:
			fail(http.StatusUnauthorized, "Invalid credentials or account not allowed to sign in here.")
		}
		return
	}
	if err := s.startSession(w, r, tokenAudienceWebClient, s.clientCookiePath(), u.Username, nil, s.userSignature(&u)); err != nil {
		fail(http.StatusInternalServerError, "Unable to start the session.")
		return
	}
	http.Redirect(w, r, s.webRoot+webClientPrefix+"/files", http.StatusSeeOther)
}

func (s *Server) webClientLogout(w http.ResponseWriter, r *http.Request) {
	s.endSession(w, r, webSessionFrom(r.Context()), s.clientCookiePath())
	if t := s.oidcLogoutTarget(w, r, webClientPrefix+"/login"); t != "" {
		s.sameSiteRedirect(w, t)
		return
	}
	http.Redirect(w, r, s.webRoot+webClientPrefix+"/login", http.StatusSeeOther)
}

// withWebConn runs h in a registered HTTP connection of the session user;
// an error goes back as a flash on the directory page (or JSON for
// scripts).
func (s *Server) withWebConn(w http.ResponseWriter, r *http.Request, back string, h func(ctx context.Context, conn *common.BaseConnection) error) {
	sess := userFromContext(r.Context())
	conn, ctx, done, err := s.openConn(r, sess.user)
	if err == nil {
		defer done()
		err = h(ctx, conn)
	}
	if err != nil {
		s.webFsError(w, r, back, err)
	}
}

func (s *Server) webFsError(w http.ResponseWriter, r *http.Request, back string, err error) {
	status := fsErrorStatus(err)
	msg := err.Error()
	var ce *common.Error
	if status == http.StatusInternalServerError && !errors.As(err, &ce) {
		s.log.Error("web client file operation", "path", r.URL.Path, "error", err)
		msg = "internal error, see the server log"
	}
	if isScriptRequest(r) {
		sendAPIError(w, r, status, errors.New(msg))
		return
	}
	s.redirectFlash(w, r, webClientPrefix+"/files?path="+url.QueryEscape(back), "error", capitalize(msg)+".")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// fileRow is one line of the file browser.
type fileRow struct {
	Name     string
	Path     string
	IsDir    bool
	Size     int64
	Modified time.Time
	Kind     string // "dir", "image", "text", "file"
	// Virtual marks a virtual folder's mount point, or a directory that
	// leads to one: it cannot be renamed, moved or deleted.
	Virtual bool
}

// HasTime reports whether the row has a real modification time: object
// stores have none for directories (prefixes), which the page shows as a
// dash instead of 1970-01-01.
func (r fileRow) HasTime() bool {
	return !r.Modified.IsZero() && r.Modified.Unix() > 0
}

// crumb is one step of the breadcrumb.
type crumb struct{ Name, Path string }

type filesPage struct {
	Dir       string
	Crumbs    []crumb
	Rows      []fileRow
	Sort      string
	Order     string
	Truncated bool
	CanUpload bool
	CanMkdir  bool
	CanDelete bool
	CanRename bool
	CanShare  bool
	ReadOnly  bool
}

// maxListedFiles bounds one rendered directory page.
const maxListedFiles = 5000

func fileKind(name string, isDir bool) string {
	if isDir {
		return "dir"
	}
	ext := strings.ToLower(path.Ext(name))
	switch ext {
	case ".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".ico":
		return "image"
	case ".txt", ".md", ".log", ".csv", ".json", ".xml", ".yaml", ".yml", ".ini", ".conf", ".cfg", ".go", ".py",
		".js", ".ts", ".css", ".html", ".htm", ".sh", ".c", ".h", ".java", ".rs", ".sql", ".toml", ".env":
		return "text"
	}
	if ct := mime.TypeByExtension(ext); strings.HasPrefix(ct, "text/") {
		return "text"
	}
	return "file"
}

func crumbs(dir string) []crumb {
	out := []crumb{{Name: "Home", Path: "/"}}
	if dir == "/" {
		return out
	}
	cur := ""
	for _, part := range strings.Split(strings.Trim(dir, "/"), "/") {
		cur += "/" + part
		out = append(out, crumb{Name: part, Path: cur})
	}
	return out
}

func sortRows(rows []fileRow, by, order string) {
	less := func(a, b fileRow) bool {
		switch by {
		case "size":
			if a.Size != b.Size {
				return a.Size < b.Size
			}
		case "modified":
			if !a.Modified.Equal(b.Modified) {
				return a.Modified.Before(b.Modified)
			}
		}
		return strings.ToLower(a.Name) < strings.ToLower(b.Name)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.IsDir != b.IsDir {
			return a.IsDir // directories first, whatever the order
		}
		if order == "desc" {
			return less(b, a)
		}
		return less(a, b)
	})
}

func (s *Server) webClientFiles(w http.ResponseWriter, r *http.Request) {
	sess := userFromContext(r.Context())
	u := sess.user
	dir := userPath(&u, r.URL.Query().Get("path"))
	by, order := r.URL.Query().Get("sort"), r.URL.Query().Get("order")
	if by != "size" && by != "modified" {
		by = "name"
	}
	if order != "desc" {
		order = "asc"
	}
	conn, ctx, done, err := s.openConn(r, u)
	if err != nil {
		s.webError(w, r, fsErrorStatus(err), capitalize(err.Error())+".", false)
		return
	}
	defer done()
	fi, err := conn.Stat(ctx, dir)
	if err == nil && !fi.IsDir() {
		http.Redirect(w, r, s.webRoot+webClientPrefix+"/preview?path="+url.QueryEscape(dir), http.StatusFound)
		return
	}
	var entries []os.FileInfo
	truncated := false
	if err == nil || dir == "/" {
		entries, truncated, err = listCapped(ctx, conn, dir, maxListedFiles)
	}
	if err != nil {
		if dir != "/" {
			s.redirectFlash(w, r, webClientPrefix+"/files?path="+url.QueryEscape(path.Dir(dir)), "error", capitalize(err.Error())+": "+dir)
			return
		}
		s.webError(w, r, fsErrorStatus(err), capitalize(err.Error())+".", false)
		return
	}
	data := filesPage{Dir: dir, Crumbs: crumbs(dir), Sort: by, Order: order, Truncated: truncated}
	for _, e := range entries {
		isDir := e.IsDir()
		p := path.Join(dir, e.Name())
		data.Rows = append(data.Rows, fileRow{Name: e.Name(), Path: p, IsDir: isDir,
			Size: e.Size(), Modified: e.ModTime(), Kind: fileKind(e.Name(), isDir),
			Virtual: isDir && conn.IsVirtualFolderPath(p)})
	}
	sortRows(data.Rows, by, order)
	ro := hasWebClientOption(&u, webClientWriteDisabled)
	data.ReadOnly = ro
	data.CanUpload = !ro && u.HasPerm(dataprovider.PermUpload, dir)
	data.CanMkdir = !ro && u.HasPerm(dataprovider.PermCreateDirs, dir)
	data.CanDelete = !ro && u.HasAnyPerm([]string{dataprovider.PermDeleteFiles, dataprovider.PermDeleteDirs}, dir)
	data.CanRename = !ro && u.HasAnyPerm([]string{dataprovider.PermRenameFiles, dataprovider.PermRenameDirs}, dir)
	data.CanShare = !hasWebClientOption(&u, webClientSharesDisabled)
	p := s.clientPage(r, "Files", "files")
	p.Data = data
	s.render(w, r, http.StatusOK, "client/files", p)
}

// listCapped reads up to limit entries of a directory.
func listCapped(ctx context.Context, conn *common.BaseConnection, dir string, limit int) ([]os.FileInfo, bool, error) {
	l, err := conn.ListDir(ctx, dir)
	if err != nil {
		return nil, false, err
	}
	defer l.Close()
	var out []os.FileInfo
	for {
		batch, err := l.Next(1000)
		out = append(out, batch...)
		if len(out) >= limit {
			return out[:limit], true, nil
		}
		if errors.Is(err, io.EOF) {
			return out, false, nil
		}
		if err != nil {
			return nil, false, err
		}
	}
}

func (s *Server) webClientDownload(w http.ResponseWriter, r *http.Request) {
	p := userPath(&userFromContext(r.Context()).user, r.URL.Query().Get("path"))
	s.withWebConn(w, r, path.Dir(p), func(ctx context.Context, conn *common.BaseConnection) error {
		return serveFile(ctx, w, r, conn, p, false)
	})
}

func (s *Server) webClientView(w http.ResponseWriter, r *http.Request) {
	p := userPath(&userFromContext(r.Context()).user, r.URL.Query().Get("path"))
	s.withWebConn(w, r, path.Dir(p), func(ctx context.Context, conn *common.BaseConnection) error {
		return serveFile(ctx, w, r, conn, p, true)
	})
}

// maxPreviewText is how much of a text file the preview shows.
const maxPreviewText = 512 << 10

type previewPage struct {
	Path, Name, Dir, Kind, Text string
	Size                        int64
	Truncated                   bool
}

func (s *Server) webClientPreview(w http.ResponseWriter, r *http.Request) {
	p := userPath(&userFromContext(r.Context()).user, r.URL.Query().Get("path"))
	s.withWebConn(w, r, path.Dir(p), func(ctx context.Context, conn *common.BaseConnection) error {
		t, err := conn.OpenForRead(ctx, p, 0)
		if err != nil {
			return err
		}
		defer t.Close()
		fi, err := t.Stat()
		if err != nil {
			return err
		}
		data := previewPage{Path: p, Name: path.Base(p), Dir: path.Dir(p), Kind: fileKind(p, false), Size: fi.Size()}
		if data.Kind == "text" || data.Kind == "file" {
			b, err := io.ReadAll(io.LimitReader(t, maxPreviewText))
			if err != nil {
				return err
			}
			data.Text = strings.ToValidUTF8(string(b), "\uFFFD")
			data.Truncated = fi.Size() > maxPreviewText
			if data.Kind == "file" && strings.ContainsRune(data.Text, 0) {
				data.Kind, data.Text = "binary", ""
			} else {
				data.Kind = "text"
			}
		}
		pg := s.clientPage(r, data.Name, "files")
		pg.Data = data
		s.render(w, r, http.StatusOK, "client/preview", pg)
		return nil
	})
}

// postedPaths reads the "path" values of a form, resolved for the user.
func postedPaths(r *http.Request, u *dataprovider.User) []string {
	var out []string
	for _, p := range r.PostForm["path"] {
		if strings.TrimSpace(p) != "" {
			out = append(out, userPath(u, p))
		}
	}
	return out
}

func (s *Server) webClientZip(w http.ResponseWriter, r *http.Request) {
	u := userFromContext(r.Context()).user
	paths := postedPaths(r, &u)
	back := r.PostFormValue("dir")
	if len(paths) == 0 {
		s.redirectFlash(w, r, webClientPrefix+"/files?path="+url.QueryEscape(back), "error", "Select the files to download first.")
		return
	}
	s.withWebConn(w, r, back, func(ctx context.Context, conn *common.BaseConnection) error {
		return writeZip(ctx, w, conn, paths, zipName(&u), true)
	})
}

func (s *Server) webClientUpload(w http.ResponseWriter, r *http.Request) {
	u := userFromContext(r.Context()).user
	dir := userPath(&u, r.URL.Query().Get("path"))
	if subtle.ConstantTimeCompare([]byte(r.Header.Get(csrfHeader)), []byte(webSessionFrom(r.Context()).csrf)) != 1 {
		s.webError(w, r, http.StatusForbidden, "The upload was not sent by this site: reload the page and try again.", false)
		return
	}
	if hasWebClientOption(&u, webClientWriteDisabled) {
		s.webFsError(w, r, dir, errors.New("this account is read-only"))
		return
	}
	s.withWebConn(w, r, dir, func(ctx context.Context, conn *common.BaseConnection) error {
		s.limitBody(w, r)
		noDeadlines(w)
		names, err := uploadMultipart(ctx, r, conn, dir, nil)
		if err != nil {
			return err
		}
		renderJSON(w, http.StatusCreated, map[string]any{"message": "Upload completed", "files": names})
		return nil
	})
}

// writeAction runs a change from a form of the file browser and goes back
// to the directory with the outcome.
func (s *Server) writeAction(w http.ResponseWriter, r *http.Request, fn func(ctx context.Context, conn *common.BaseConnection, u *dataprovider.User) (string, error)) {
	u := userFromContext(r.Context()).user
	back := userPath(&u, r.PostFormValue("dir"))
	if hasWebClientOption(&u, webClientWriteDisabled) {
		s.webFsError(w, r, back, errors.New("this account is read-only"))
		return
	}
	s.withWebConn(w, r, back, func(ctx context.Context, conn *common.BaseConnection) error {
		msg, err := fn(ctx, conn, &u)
		if err != nil {
			return err
		}
		s.redirectFlash(w, r, webClientPrefix+"/files?path="+url.QueryEscape(back), "ok", msg)
		return nil
	})
}

func (s *Server) webClientMkdir(w http.ResponseWriter, r *http.Request) {
	s.writeAction(w, r, func(ctx context.Context, conn *common.BaseConnection, u *dataprovider.User) (string, error) {
		name, ok := validFileName(strings.TrimSpace(r.PostFormValue("name")))
		if !ok {
			return "", badRequest("invalid folder name")
		}
		if err := conn.Mkdir(ctx, path.Join(userPath(u, r.PostFormValue("dir")), name)); err != nil {
			return "", err
		}
		return "Folder " + name + " created.", nil
	})
}

// webClientRename renames or moves path to target (a full path, or a
// plain name in the same directory).
func (s *Server) webClientRename(w http.ResponseWriter, r *http.Request) {
	s.writeAction(w, r, func(ctx context.Context, conn *common.BaseConnection, u *dataprovider.User) (string, error) {
		src := userPath(u, r.PostFormValue("path"))
		target := strings.TrimSpace(r.PostFormValue("target"))
		if target == "" {
			return "", badRequest("the new name is required")
		}
		dst := path.Join(path.Dir(src), target)
		if strings.HasPrefix(target, "/") {
			dst = dataprovider.CleanVirtualPath(target)
			if fi, err := conn.Stat(ctx, dst); err == nil && fi.IsDir() {
				dst = path.Join(dst, path.Base(src)) // moved into a folder
			}
		}
		if err := conn.Rename(ctx, src, dst); err != nil {
			return "", err
		}
		return path.Base(src) + " is now " + dst + ".", nil
	})
}

func (s *Server) webClientDelete(w http.ResponseWriter, r *http.Request) {
	s.writeAction(w, r, func(ctx context.Context, conn *common.BaseConnection, u *dataprovider.User) (string, error) {
		paths := postedPaths(r, u)
		if len(paths) == 0 {
			return "", badRequest("select what to delete first")
		}
		for _, p := range paths {
			if p == "/" {
				return "", badRequest("the home directory cannot be deleted")
			}
			if err := conn.RemoveAll(ctx, p); err != nil {
				return "", err
			}
		}
		if len(paths) == 1 {
			return path.Base(paths[0]) + " deleted.", nil
		}
		return itoa(len(paths)) + " items deleted.", nil
	})
}
