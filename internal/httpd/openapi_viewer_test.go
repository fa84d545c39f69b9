package httpd

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// TestOpenAPIViewer checks render_openapi serves the embedded Swagger UI
// page and its assets next to the schema, and that turning it off leaves
// only the schema.
func TestOpenAPIViewer(t *testing.T) {
	e := newTestEnv(t)
	get := func(ts *httptest.Server, p string) (int, string, string) {
		t.Helper()
		c := ts.Client()
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := c.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 == 3 {
			return resp.StatusCode, resp.Header.Get("Location"), ""
		}
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	on := httptest.NewServer(e.srv.router(config.HTTPDBinding{EnableRESTAPI: true, RenderOpenAPI: true}))
	t.Cleanup(on.Close)
	off := httptest.NewServer(e.srv.router(config.HTTPDBinding{EnableRESTAPI: true}))
	t.Cleanup(off.Close)

	if st, loc, _ := get(on, "/openapi"); st != http.StatusMovedPermanently || loc != "/openapi/swagger-ui/" {
		t.Errorf("/openapi: %d %q, want a redirect to the viewer", st, loc)
	}
	st, ct, body := get(on, "/openapi/swagger-ui/")
	if st != http.StatusOK || !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("viewer page: %d %s", st, ct)
	}
	for _, ref := range []string{`src="swagger-ui-bundle.js"`, `src="viewer.js"`, `href="swagger-ui.css"`, `data-spec="../openapi.yaml"`} {
		if !strings.Contains(body, ref) {
			t.Errorf("viewer page lacks %s", ref)
		}
	}
	for p, want := range map[string]string{
		"/openapi/swagger-ui/swagger-ui-bundle.js": "SwaggerUIBundle",
		"/openapi/swagger-ui/viewer.js":            "SwaggerUIBundle(",
		"/openapi/swagger-ui/swagger-ui.css":       ".swagger-ui",
		"/openapi/openapi.yaml":                    "openapi: 3",
	} {
		st, _, body := get(on, p)
		if st != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("%s: status %d, body lacks %q", p, st, want)
		}
	}
	if st, _, _ := get(off, "/openapi/swagger-ui/"); st != http.StatusNotFound {
		t.Errorf("viewer served with render_openapi off: %d", st)
	}
	if st, _, _ := get(off, "/openapi/openapi.yaml"); st != http.StatusOK {
		t.Errorf("schema not served with render_openapi off: %d", st)
	}
}
