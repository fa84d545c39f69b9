package httpd

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/edge"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

func TestForwardedIP(t *testing.T) {
	allowed, err := edge.ParseIPSet([]string{"10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		remote, xff string
		depth       int
		want        string
	}{
		{"10.1.1.1:1", "203.0.113.5", 0, "203.0.113.5"},
		{"10.1.1.1:1", "198.51.100.1, 203.0.113.5", 0, "203.0.113.5"},
		{"10.1.1.1:1", "198.51.100.1, 203.0.113.5", 1, "198.51.100.1"},
		{"10.1.1.1:1", "198.51.100.1", 3, ""},
		{"10.1.1.1:1", "198.51.100.1, 192.0.2.1, 203.0.113.5", -1, "198.51.100.1"},
		{"10.1.1.1:1", "198.51.100.1", -2, ""},
		{"10.1.1.1:1", "not-an-ip", 0, ""},
		{"10.1.1.1:1", "", 0, ""},
		{"192.0.2.1:1", "203.0.113.5", 0, ""}, // untrusted peer
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := forwardedIP(r, "X-Forwarded-For", c.depth, allowed); got != c.want {
			t.Errorf("%s %q depth %d: %q, want %q", c.remote, c.xff, c.depth, got, c.want)
		}
	}
}

func TestProxyHeaderBinding(t *testing.T) {
	e := newTestEnv(t)
	a := dataprovider.Admin{Username: "behindproxy", Password: testPassword, Status: 1,
		Permissions: []string{"*"}, Filters: dataprovider.AdminFilters{AllowList: []string{"192.0.2.0/24"}}}
	if err := e.store.AddAdmin(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	get := func(b config.HTTPDBinding, xff string) int {
		b.EnableRESTAPI = true
		req := httptest.NewRequest(http.MethodGet, "/api/v2/token", nil)
		req.RemoteAddr = "127.0.0.1:5555"
		req.SetBasicAuth("behindproxy", testPassword)
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		rec := httptest.NewRecorder()
		e.srv.router(b).ServeHTTP(rec, req)
		return rec.Code
	}
	trusted := config.HTTPDBinding{ClientIPProxyHeader: "X-Forwarded-For", ProxyAllowed: []string{"127.0.0.1"}}
	if got := get(trusted, "192.0.2.10"); got != http.StatusOK {
		t.Fatalf("trusted proxy, allowed client: %d", got)
	}
	if got := get(trusted, "198.51.100.1"); got != http.StatusUnauthorized {
		t.Fatalf("trusted proxy, client outside allow_list: %d", got)
	}
	untrusted := config.HTTPDBinding{ClientIPProxyHeader: "X-Forwarded-For", ProxyAllowed: []string{"10.0.0.1"}}
	if got := get(untrusted, "192.0.2.10"); got != http.StatusUnauthorized {
		t.Fatalf("header from an untrusted peer was believed: %d", got)
	}
	if got := get(config.HTTPDBinding{}, "192.0.2.10"); got != http.StatusUnauthorized {
		t.Fatalf("header believed without configuration: %d", got)
	}
}

func TestTwoFactorAdminGetsNoToken(t *testing.T) {
	e := newTestEnv(t)
	a := dataprovider.Admin{Username: "mfa", Password: testPassword, Status: 1, Permissions: []string{"*"},
		Filters: dataprovider.AdminFilters{AllowAPIKeyAuth: true, TOTPConfig: dataprovider.TOTPConfig{
			Enabled: true, ConfigName: "Default", Secret: kms.NewPlainSecret("JBSWY3DPEHPK3PXP")}}}
	if err := e.store.AddAdmin(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/token", basic("mfa", testPassword), nil).apiErr(t)
	// Its API keys keep working, and its secret is never shown.
	adm := e.adminAuth()
	var created struct {
		Key string `json:"key"`
	}
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/apikeys", adm, map[string]any{"name": "m", "scope": 1, "admin": "mfa"}).json(t, &created)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/version", apiKey(created.Key), nil)
	r := e.expect(http.StatusOK, http.MethodGet, "/api/v2/admins/mfa", adm, nil)
	var got dataprovider.Admin
	r.json(t, &got)
	if s := got.Filters.TOTPConfig.Secret; s == nil || s.Payload != "" || !got.Filters.TOTPConfig.Enabled {
		t.Fatalf("totp secret: %s", r.body)
	}
}
