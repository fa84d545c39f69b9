//go:build unix

package hooks

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// An IDP login sends the OpenID Connect custom fields inside the user
// JSON, and the hook may create the user on its first sign-in.
func TestPreLoginIDPCustomFields(t *testing.T) {
	store := memStore(t)
	ctx := context.Background()
	home := t.TempDir()
	url, calls := receiver(t, func(r *http.Request, body []byte) (int, string) {
		return 200, `{"status":1,"username":"oidc1","home_dir":"` + home + `","permissions":{"/":["*"]}}`
	})
	p := &PreLogin{Runner: defaultRunner(t), Store: store, Hook: url}
	got, err := p.Run(ctx, LoginInfo{Username: "oidc1", IP: "10.0.0.1", Protocol: "HTTP", Method: "IDP",
		IDPFields: map[string]any{"sftpgo_home_dir": "/from/idp"}})
	if err != nil || got == nil {
		t.Fatalf("run: %+v %v", got, err)
	}
	c := calls()[0]
	if !strings.Contains(c.query, "login_method=IDP") || !strings.Contains(string(c.body), `"oidc_custom_fields":{"sftpgo_home_dir":"/from/idp"}`) ||
		!strings.Contains(string(c.body), `"username":"oidc1"`) {
		t.Fatalf("request: %s %s", c.query, c.body)
	}
	if _, err := store.GetUser(ctx, "oidc1"); err != nil {
		t.Fatalf("user not created: %v", err)
	}
	// without custom fields the JSON carries no such member
	if _, err := p.Run(ctx, LoginInfo{Username: "oidc1", Protocol: "HTTP", Method: "IDP"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(calls()[1].body), "oidc_custom_fields") {
		t.Fatalf("custom fields sent without any: %s", calls()[1].body)
	}
}
