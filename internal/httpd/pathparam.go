package httpd

import (
	"net/http"
	"net/url"
	"strings"

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
			rctx.RoutePath = routePath(r.URL)
		}
		next.ServeHTTP(w, r)
	})
}

// routePath is the escaped path of u with escapes of unreserved
// characters (ALPHA DIGIT - . _ ~) decoded, as RFC 3986 makes them
// equivalent: /api/v2/logou%74 is /api/v2/logout, while %25 (and every
// other escape) stays for urlParam to decode once.
func routePath(u *url.URL) string {
	p := u.EscapedPath()
	if !strings.Contains(p, "%") {
		return p
	}
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) {
			if c, ok := unhex2(p[i+1], p[i+2]); ok && isUnreservedByte(c) {
				b.WriteByte(c)
				i += 2
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

func unhex2(a, b byte) (byte, bool) {
	h, ok1 := unhex(a)
	l, ok2 := unhex(b)
	return h<<4 | l, ok1 && ok2
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func isUnreservedByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
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
