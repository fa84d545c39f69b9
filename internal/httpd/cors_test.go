package httpd

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

func TestCORS(t *testing.T) {
	e := newTestEnv(t, func(o *Options) {
		o.Config.CORS = config.CORSConfig{
			Enabled:          true,
			AllowedOrigins:   []string{"https://app.example.com", "https://*.example.org"},
			AllowedMethods:   []string{"GET", "PUT"},
			AllowedHeaders:   []string{"Authorization", "Content-Type"},
			ExposedHeaders:   []string{"Location"},
			AllowCredentials: true,
			MaxAge:           600,
		}
	})
	h := e.srv.Handler()
	preflight := func(origin, method, headers string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodOptions, "/api/v2/users", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", method)
		if headers != "" {
			req.Header.Set("Access-Control-Request-Headers", headers)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := preflight("https://app.example.com", "PUT", "authorization, content-type")
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		rec.Header().Get("Access-Control-Allow-Methods") != "PUT" || rec.Header().Get("Access-Control-Max-Age") != "600" ||
		rec.Header().Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("allowed preflight: %d %v", rec.Code, rec.Header())
	}
	if rec := preflight("https://x.example.org", "GET", ""); rec.Header().Get("Access-Control-Allow-Origin") != "https://x.example.org" {
		t.Fatalf("wildcard origin: %v", rec.Header())
	}
	for _, c := range [][3]string{
		{"https://evil.example.net", "GET", ""},
		{"https://app.example.com", "DELETE", ""},
		{"https://app.example.com", "GET", "x-custom"},
	} {
		if rec := preflight(c[0], c[1], c[2]); rec.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("%v allowed: %v", c, rec.Header())
		}
	}
	req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
	req.Header.Set("Origin", "https://app.example.com")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		rec.Header().Get("Access-Control-Expose-Headers") != "Location" {
		t.Fatalf("simple request: %v", rec.Header())
	}

	// Disabled: nothing added, OPTIONS is not a route.
	e2 := newTestEnv(t)
	req = httptest.NewRequest(http.MethodOptions, "/api/v2/users", nil)
	req.Header.Set("Origin", "https://app.example.com")
	req.Header.Set("Access-Control-Request-Method", "GET")
	rec = httptest.NewRecorder()
	e2.srv.Handler().ServeHTTP(rec, req)
	if rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS disabled but headers set: %v", rec.Header())
	}
}
