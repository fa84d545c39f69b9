package httpd

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

func TestSecurityHeaders(t *testing.T) {
	e := newTestEnv(t)
	b := config.HTTPDBinding{Security: config.HTTPDSecurityConfig{
		Enabled: true, AllowedHosts: []string{"files.example.com"}, STSSeconds: 31536000, STSIncludeSubdomains: true,
		ContentTypeNosniff: true, ContentSecurityPolicy: "default-src 'self'", CacheControl: "no-store",
		HTTPSRedirect: true, HTTPSProxyHeaders: []config.HTTPSProxyHeader{{Key: "X-Forwarded-Proto", Value: "https"}},
		ReferrerPolicy: "no-referrer", CrossOriginResourcePolicy: "same-origin", CrossOriginEmbedderPolicy: "require-corp",
	}}
	h := e.srv.router(b)
	do := func(host string, tlsOn bool, hdr map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/healthz?x=1", nil)
		req.Host = host
		if tlsOn {
			req.TLS = &tls.ConnectionState{}
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := do("files.example.com", true, nil)
	if rec.Code != 200 || rec.Header().Get("Strict-Transport-Security") != "max-age=31536000; includeSubDomains" ||
		rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("Content-Security-Policy") != "default-src 'self'" ||
		rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Referrer-Policy") != "no-referrer" ||
		rec.Header().Get("Cross-Origin-Resource-Policy") != "same-origin" || rec.Header().Get("Cross-Origin-Embedder-Policy") != "require-corp" {
		t.Fatalf("headers: %d %v", rec.Code, rec.Header())
	}
	if rec := do("evil.example.com", true, nil); rec.Code != http.StatusBadRequest {
		t.Fatalf("bad host: %d", rec.Code)
	}
	rec = do("files.example.com:8080", false, nil)
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("host with port not in list: %d", rec.Code)
	}
	b.Security.AllowedHosts = nil
	h = e.srv.router(b)
	rec = do("files.example.com:8080", false, nil)
	if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "https://files.example.com/healthz?x=1" {
		t.Fatalf("redirect: %d %v", rec.Code, rec.Header())
	}
	if rec := do("files.example.com", false, map[string]string{"X-Forwarded-Proto": "https"}); rec.Code != 200 {
		t.Fatalf("https behind proxy redirected: %d", rec.Code)
	}
	if _, err := securityMiddleware(config.HTTPDSecurityConfig{Enabled: true, AllowedHostsAreRegex: true, AllowedHosts: []string{"("}}); err == nil {
		t.Fatal("bad regex accepted")
	}
}
