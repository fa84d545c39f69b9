package httpd

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// onDemand records the rules the API starts (the event manager itself
// is tested in internal/events and, with this API, in internal/e2e).
type onDemand struct{ ran []string }

func (o *onDemand) RunOnDemand(_ context.Context, name string) error {
	if name == "missing" {
		return dataprovider.ErrNotFound
	}
	o.ran = append(o.ran, name)
	return nil
}

func TestEventAPI(t *testing.T) {
	runner := &onDemand{}
	e := newTestEnv(t, func(o *Options) {
		if o.Store != nil {
			o.Events = runner
		}
	})
	adm := e.adminAuth()
	action := map[string]any{"name": "notify", "type": 1, "options": map[string]any{"http_config": map[string]any{
		"endpoint": "http://127.0.0.1:9/x", "method": "POST", "timeout": 5, "username": "u",
		"password": map[string]any{"status": "Plain", "payload": "pw-in-clear"}}}}
	r := e.expect(http.StatusCreated, http.MethodPost, "/api/v2/eventactions", adm, action)
	if strings.Contains(string(r.body), "pw-in-clear") || r.header.Get("Location") != "/api/v2/eventactions/notify" {
		t.Fatalf("add action: %s %v", r.body, r.header)
	}
	e.expect(http.StatusConflict, http.MethodPost, "/api/v2/eventactions", adm, action)
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/eventactions", adm, map[string]any{"name": "bad", "type": 99})
	rule := map[string]any{"name": "manual", "status": 1, "trigger": 6, "actions": []map[string]any{{"name": "notify"}}}
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/eventrules", adm, rule)
	r = e.expect(http.StatusOK, http.MethodGet, "/api/v2/eventrules/manual", adm, nil)
	if strings.Contains(string(r.body), "payload") || !strings.Contains(string(r.body), `"endpoint":"http://127.0.0.1:9/x"`) {
		t.Fatalf("rule: %s", r.body)
	}
	r = e.expect(http.StatusOK, http.MethodGet, "/api/v2/eventactions", adm, nil)
	if !strings.Contains(string(r.body), `"rules":["manual"]`) {
		t.Fatalf("actions: %s", r.body)
	}
	e.expect(http.StatusBadRequest, http.MethodDelete, "/api/v2/eventactions/notify", adm, nil)
	rule["description"] = "changed"
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/eventrules/manual", adm, rule)
	e.expect(http.StatusAccepted, http.MethodPost, "/api/v2/eventrules/run/manual", adm, nil)
	e.expect(http.StatusNotFound, http.MethodPost, "/api/v2/eventrules/run/missing", adm, nil)
	if len(runner.ran) != 1 || runner.ran[0] != "manual" {
		t.Fatalf("runs: %v", runner.ran)
	}

	// manage_event_rules is needed
	e.addAdmin("viewer", dataprovider.AdminPermViewUsers)
	viewer := bearer(e.token("viewer", testPassword))
	e.expect(http.StatusForbidden, http.MethodGet, "/api/v2/eventrules", viewer, nil)
	e.expect(http.StatusForbidden, http.MethodPost, "/api/v2/eventrules/run/manual", viewer, nil)

	e.expect(http.StatusOK, http.MethodDelete, "/api/v2/eventrules/manual", adm, nil)
	e.expect(http.StatusOK, http.MethodDelete, "/api/v2/eventactions/notify", adm, nil)
	e.expect(http.StatusNotFound, http.MethodGet, "/api/v2/eventactions/notify", adm, nil)
}
