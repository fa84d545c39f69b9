package httpd

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

type recordingRunner struct {
	mu  sync.Mutex
	ran []string
}

func (r *recordingRunner) RunOnDemand(_ context.Context, name string) error {
	r.mu.Lock()
	r.ran = append(r.ran, name)
	r.mu.Unlock()
	return nil
}

// TestWebAdminEventPages: event actions and rules are added, listed,
// edited, run and deleted in the web admin, with the API's validation
// messages on the field they are about.
func TestWebAdminEventPages(t *testing.T) {
	e := newUserEnv(t)
	runner := &recordingRunner{}
	e.srv.events = runner
	b := e.browser()
	webAdminLogin(t, b, testAdmin)
	ctx := context.Background()

	_, body := b.get("/web/admin/eventactions")
	mustContain(t, body, "No event action yet.", `href="/web/admin/eventrules"`)
	_, body = b.get("/web/admin/eventaction?type=3")
	mustContain(t, body, "email_config", "recipients")

	// bad JSON and a validation error of an option land on the options field
	code, body := b.post("/web/admin/eventaction", url.Values{"name": {"notify"}, "type": {"1"}, "options": {`{"http_config": {`}})
	if code != http.StatusBadRequest || !strings.Contains(body, "not valid JSON options") {
		t.Fatalf("bad JSON: %d %s", code, excerpt(body))
	}
	code, body = b.post("/web/admin/eventaction", url.Values{"name": {"notify"}, "type": {"1"},
		"options": {`{"http_config": {"endpoint": "not a url", "method": "POST", "timeout": 10}}`}})
	if code != http.StatusBadRequest || !strings.Contains(body, "http_config.endpoint") || !strings.Contains(body, `data-testid="field-error"`) {
		t.Fatalf("invalid endpoint: %d %s", code, excerpt(body))
	}
	code, body = b.post("/web/admin/eventaction", url.Values{"name": {"notify"}, "type": {"1"},
		"options": {`{"http_config": {"endpoint": "http://127.0.0.1:9/hook", "method": "POST", "timeout": 10, "password": {"status": "Plain", "payload": "hook-secret"}}}`}})
	if code != http.StatusOK {
		t.Fatalf("add action: %d %s", code, excerpt(body))
	}
	mustContain(t, body, "Event action notify created", "HTTP notification")
	if code, body = b.post("/web/admin/eventaction", url.Values{"name": {"cleanup"}, "type": {"4"}, "options": {"{}"}}); code != http.StatusOK {
		t.Fatalf("add backup action: %d %s", code, excerpt(body))
	}
	// editing keeps the stored password when the redacted one is sent back
	_, body = b.get("/web/admin/eventaction/notify")
	// the stored password shows its status only, as the REST API does
	mustContain(t, body, "&#34;password&#34;: {", "&#34;status&#34;:")
	if strings.Contains(body, "hook-secret") || strings.Contains(body, "payload") {
		t.Fatal("the password is shown")
	}
	form := url.Values{"description": {"tell the partner"}, "type": {"1"},
		"options": {`{"http_config": {"endpoint": "http://127.0.0.1:9/hook2", "method": "POST", "timeout": 10, "password": {"status": "Redacted"}}}`}}
	if code, body = b.post("/web/admin/eventaction/notify", form); code != http.StatusOK {
		t.Fatalf("edit action: %d %s", code, excerpt(body))
	}
	a, err := e.store.GetEventAction(ctx, "notify")
	if err != nil || a.Description != "tell the partner" || a.Options.HTTPConfig.Endpoint != "http://127.0.0.1:9/hook2" {
		t.Fatalf("stored action: %+v %v", a, err)
	}
	if pw, err := e.store.DecryptSecret(a.Options.HTTPConfig.Password); err != nil || pw != "hook-secret" {
		t.Fatalf("password after edit: %q %v", pw, err)
	}

	// rules: the actions table, a condition error, then a rule
	_, body = b.get("/web/admin/eventrule")
	mustContain(t, body, `name="action.notify"`, `name="action.cleanup"`, "Filesystem event")
	code, body = b.post("/web/admin/eventrule", url.Values{"name": {"on-csv"}, "trigger": {"1"}, "status": {"1"},
		"conditions": {`{"fs_events": [], "options": {}}`}, "action.notify": {"1"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "conditions.fs_events") {
		t.Fatalf("rule without events: %d %s", code, excerpt(body))
	}
	code, body = b.post("/web/admin/eventrule", url.Values{"name": {"on-csv"}, "trigger": {"1"}, "status": {"1"},
		"conditions":    {`{"fs_events": ["upload"], "options": {"fs_paths": [{"pattern": "/*.csv"}]}}`},
		"action.notify": {"1"}, "order.notify": {"2"}, "action.cleanup": {"1"}, "order.cleanup": {"1"}, "failure.cleanup": {"1"}})
	if code != http.StatusOK {
		t.Fatalf("add rule: %d %s", code, excerpt(body))
	}
	mustContain(t, body, "Event rule on-csv created", "Filesystem event", "Enabled")
	r, err := e.store.GetEventRule(ctx, "on-csv")
	if err != nil || len(r.Actions) != 2 || r.Actions[0].Name != "cleanup" || !r.Actions[0].RelationOptions.IsFailureAction ||
		r.Actions[1].Name != "notify" || r.Conditions.Options.FsPaths[0].Pattern != "/*.csv" {
		t.Fatalf("stored rule: %+v %v", r, err)
	}
	_, body = b.get("/web/admin/eventrule/on-csv")
	mustContain(t, body, `/*.csv`)
	if code, body = b.post("/web/admin/eventrule/on-csv", url.Values{"trigger": {"6"}, "conditions": {"{}"}, "action.cleanup": {"1"}}); code != http.StatusOK {
		t.Fatalf("edit rule: %d %s", code, excerpt(body))
	}
	mustContain(t, body, "On demand", "Disabled", `/web/admin/eventrule/on-csv/run`)
	if code, body = b.post("/web/admin/eventrule/on-csv/run", url.Values{}); code != http.StatusOK || !strings.Contains(body, "Event rule on-csv started") {
		t.Fatalf("run: %d %s", code, excerpt(body))
	}
	runner.mu.Lock()
	if len(runner.ran) != 1 || runner.ran[0] != "on-csv" {
		t.Fatalf("ran: %v", runner.ran)
	}
	runner.mu.Unlock()
	// an action in use is not deleted; the rule, then the action, are
	_, body = b.post("/web/admin/eventaction/cleanup/delete", url.Values{})
	mustContain(t, body, "is used by rules")
	_, body = b.post("/web/admin/eventrule/on-csv/delete", url.Values{})
	mustContain(t, body, "Event rule on-csv deleted", "No event rule yet.")
	_, body = b.post("/web/admin/eventaction/cleanup/delete", url.Values{})
	mustContain(t, body, "Event action cleanup deleted")
	if _, err := e.store.GetEventAction(ctx, "cleanup"); err == nil {
		t.Fatal("cleanup still stored")
	}
}
