package httpd

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/events"
	"github.com/sftpgo-ng/sftpgo/internal/httpd/oidctest"
)

// withEvents runs a real event manager on the test store.
func withEvents(t *testing.T) envOption {
	return func(o *Options) {
		if o.Store == nil {
			return
		}
		m := events.New(events.Options{Store: o.Store})
		if err := m.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = m.Shutdown(ctx)
		})
		o.Events = m
	}
}

// An IdP login rule with an account check creates the user and the admin
// that sign in through the OpenID provider for the first time, from its
// templates and the token's custom fields; both land on their home page.
// A failing check (a relative home directory) refuses the sign-in.
func TestOIDCIDPLoginRuleProvisionsAccounts(t *testing.T) {
	home := t.TempDir()
	e := newOIDCEnvOpts(t, []oidctest.User{
		{Username: "fresh", Password: "idp-pass", Claims: map[string]any{"sftpgo_role": "user", "sftpgo_home_dir": home + "/team-a"}},
		{Username: "chief", Password: "idp-pass", Claims: map[string]any{"sftpgo_role": "admin", "sftpgo_home_dir": "ops"}},
		{Username: "broken", Password: "idp-pass", Claims: map[string]any{"sftpgo_role": "user", "sftpgo_home_dir": "relative/home"}},
	}, common.LoginHooks{}, []envOption{withEvents(t)})
	ctx := context.Background()
	tmplUser := `{"home_dir":"{{.IDPFieldsftpgo_home_dir}}","permissions":{"/":["*"]},"description":"{{.IDPFieldsftpgo_home_dir}}"}`
	tmplAdmin := `{"permissions":["*"],"description":"admin of {{.IDPFieldsftpgo_home_dir}}"}`
	cfg, _ := json.Marshal(map[string]any{"mode": 0, "template_user": tmplUser, "template_admin": tmplAdmin})
	if err := e.store.AddEventAction(ctx, &dataprovider.BaseEventAction{Name: "provision", Type: dataprovider.ActionTypeIDPAccountCheck,
		Options: dataprovider.BaseEventActionOptions{IDPConfig: cfg}}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.AddEventRule(ctx, &dataprovider.EventRule{Name: "on-idp", Status: 1, Trigger: dataprovider.TriggerIDPLogin,
		Actions: []dataprovider.EventAction{{BaseEventAction: dataprovider.BaseEventAction{Name: "provision"},
			RelationOptions: dataprovider.EventActionOptions{ExecuteSync: true}}}}); err != nil {
		t.Fatal(err)
	}
	b := newOIDCBrowser(t)
	resp, body := b.signIn(e, webClientPrefix+"/login", "fresh", "idp-pass")
	if resp.Request.URL.Path != webClientPrefix+"/files" {
		t.Fatalf("new user did not land on files: %d %s\n%s", resp.StatusCode, resp.Request.URL, excerpt(body))
	}
	u, err := e.store.GetUser(ctx, "fresh")
	if err != nil || u.Description != home+"/team-a" || u.HomeDir != home+"/team-a" {
		t.Fatalf("provisioned user: %+v %v", u, err)
	}
	b = newOIDCBrowser(t)
	resp, body = b.signIn(e, webAdminPrefix+"/login", "chief", "idp-pass")
	if resp.Request.URL.Path != webAdminPrefix+"/users" {
		t.Fatalf("new admin did not land on users: %d %s\n%s", resp.StatusCode, resp.Request.URL, excerpt(body))
	}
	if a, err := e.store.GetAdmin(ctx, "chief"); err != nil || a.Description != "admin of ops" {
		t.Fatalf("provisioned admin: %+v %v", a, err)
	}
	b = newOIDCBrowser(t)
	resp, body = b.signIn(e, webClientPrefix+"/login", "broken", "idp-pass")
	if resp.StatusCode != 403 {
		t.Fatalf("a failing account check let the sign-in through: %d %s\n%s", resp.StatusCode, resp.Request.URL, excerpt(body))
	}
	if _, err := e.store.GetUser(ctx, "broken"); err == nil {
		t.Fatal("broken created")
	}
}
