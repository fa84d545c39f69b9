package httpd

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

type hostKeyStatus struct{}

func (hostKeyStatus) ServicesStatus(context.Context) map[string]any {
	return map[string]any{
		"ssh": map[string]any{"is_active": true, "bindings": []map[string]any{{"address": "127.0.0.1", "port": 2022}},
			"host_keys": []map[string]any{{"path": "/cfg/id_ed25519", "fingerprint": "SHA256:abcDEF", "algorithms": []string{"ssh-ed25519"}}}},
		"ftp": map[string]any{"is_active": false},
	}
}

// TestWebStatusPage: host key fingerprints are shown, and a service that
// is not configured reads "disabled" with a neutral dot, not as a failure.
func TestWebStatusPage(t *testing.T) {
	e := newUserEnv(t, func(o *Options) { o.Status = hostKeyStatus{} })
	b := e.browser()
	b.get("/web/admin/login")
	if code, _ := b.post("/web/admin/login", url.Values{"username": {testAdmin}, "password": {testPassword}}); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
	code, body := b.get("/web/admin/status")
	if code != http.StatusOK {
		t.Fatalf("status: %d", code)
	}
	mustContain(t, body, "host key SHA256:abcDEF /cfg/id_ed25519", `class="dot off"></span> FTP`, "disabled")
	if strings.Contains(body, `class="dot"></span> FTP`) {
		t.Error("the disabled FTP service is painted as failing")
	}
}
