package httpd

import (
	"io/fs"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/sftpgo-ng/sftpgo/static"
)

// openAPIViewerPath is where the schema viewer is served, next to
// /openapi/openapi.yaml, as in SFTPGo.
const openAPIViewerPath = "/openapi/swagger-ui"

// openAPIViewerRoutes serves the embedded Swagger UI page that renders
// the schema (httpd.bindings[].render_openapi).
func (s *Server) openAPIViewerRoutes(r chi.Router) {
	sub, err := fs.Sub(static.OpenAPIViewer, "openapi/swagger-ui")
	if err != nil {
		s.log.Error("openapi viewer assets missing", "error", err)
		return
	}
	files := http.StripPrefix(s.webRoot+openAPIViewerPath+"/", http.FileServer(http.FS(sub)))
	redirect := func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, s.webRoot+openAPIViewerPath+"/", http.StatusMovedPermanently)
	}
	r.Get("/openapi", redirect)
	r.Get("/openapi/", redirect)
	r.Get(openAPIViewerPath, redirect)
	r.Get(openAPIViewerPath+"/*", func(w http.ResponseWriter, r *http.Request) {
		name := chi.URLParam(r, "*")
		if strings.HasSuffix(name, "/") && name != "" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if name == "" || name == "index.html" {
			w.Header().Set("Cache-Control", "no-cache")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=86400")
		}
		files.ServeHTTP(w, r)
	})
}
