package httpd

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"
)

// Path parameters are decoded exactly once. chi matches routes on
// r.URL.RawPath when the request line held an escape Go would not have
// produced itself (such as %2F) and on the already decoded r.URL.Path
// otherwise, so a parameter could arrive escaped or decoded depending on
// the rest of the path: decoding it again turned /users/%2561b into the
// user "ab". routeOnEscapedPath makes chi always match on the escaped
// path, and urlParam is the one place that decodes.

// routeOnEscapedPath is the first middleware of every router: it sets the
// path chi matches on to the escaped form of the request path.
func routeOnEscapedPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rctx := chi.RouteContext(r.Context()); rctx != nil && rctx.RoutePath == "" {
			rctx.RoutePath = r.URL.EscapedPath()
		}
		next.ServeHTTP(w, r)
	})
}

// urlParam returns the path parameter name, decoded once. Every handler
// reads its path parameters through it.
func urlParam(r *http.Request, name string) string {
	v := chi.URLParam(r, name)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	// The request line parsed, so v is a valid escape; keep it as sent
	// should that ever change.
	return v
}
