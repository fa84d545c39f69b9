package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// TestLanguagesAndEventRuleInBrowser runs test/browser/i18n_events.test.js:
// the web admin in German with no English left, the language menu, and an
// event rule created in the web admin pages that calls this test's HTTP
// endpoint when a user uploads in the web client. Same requirements as
// TestWebUIInBrowser.
func TestLanguagesAndEventRuleInBrowser(t *testing.T) {
	br := requireBrowser(t)
	var mu sync.Mutex
	var hooks []map[string]string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("hook body %q: %v", b, err)
		}
		mu.Lock()
		hooks = append(hooks, m)
		mu.Unlock()
	}))
	defer hook.Close()
	in := newInstance(t, t.TempDir(),
		"SFTPGO_HTTPD__BINDINGS__0__ENABLE_WEB_ADMIN=true",
		"SFTPGO_HTTPD__BINDINGS__0__ENABLE_WEB_CLIENT=true",
		"SFTPGO_HTTPD__BINDINGS__0__LANGUAGES=en,de,it",
	)
	in.start()
	br.run(t, in, "i18n_events.test.js",
		"SFTPGO_ADMIN_USER=admin",
		"SFTPGO_ADMIN_PASSWORD=admin-pass",
		"SFTPGO_HOME_BASE="+t.TempDir(),
		"SFTPGO_WORK_DIR="+t.TempDir(),
		"SFTPGO_HOOK_URL="+hook.URL+"/uploaded",
	)
	// the rule's action runs after the upload: wait for it
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(hooks)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(hooks) != 1 || hooks[0]["path"] != "/report.csv" || hooks[0]["user"] != "eventuser" {
		t.Fatalf("hook calls %v, want one for /report.csv by eventuser\nserver log:\n%s", hooks, in.log.String())
	}
}
