package e2e

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/smtp/smtptest"
)

// eventReceiver is a real HTTP receiver on 127.0.0.1 for event actions:
// paths under /fail answer 500.
func eventReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{t: t}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := make([]byte, 0, 512)
		buf := make([]byte, 512)
		for {
			n, err := r.Body.Read(buf)
			body = append(body, buf[:n]...)
			if err != nil {
				break
			}
		}
		q := r.URL.Query()
		q.Set("__path", r.URL.Path)
		h.mu.Lock()
		h.reqs = append(h.reqs, hookCall{Method: r.Method, Query: q, Body: body})
		h.mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/fail") {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l) //nolint:errcheck // closed by Cleanup
	t.Cleanup(func() { srv.Close() })
	h.url = "http://" + l.Addr().String()
	return h
}

func atPath(p string) func(hookCall) bool {
	return func(c hookCall) bool { return c.Query.Get("__path") == p }
}

// TestEventManagerThroughBinary drives the event manager of the built
// binary: rules and actions made over REST, real SFTP uploads, a real
// HTTP receiver, a command from enabled_commands.
func TestEventManagerThroughBinary(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "failure-ran")
	in := newInstance(t, dir, "SFTPGO_COMMON__EVENT_MANAGER__ENABLED_COMMANDS=/bin/sh")
	in.start()
	rc := eventReceiver(t)
	tok := in.token("admin", "admin-pass")

	mustAPI := func(method, path string, body any, want int) []byte {
		t.Helper()
		s, b := in.api(tok, method, path, body)
		if s != want {
			t.Fatalf("%s %s: %d %s", method, path, s, b)
		}
		return b
	}
	httpAction := func(name, path, body string) map[string]any {
		return map[string]any{"name": name, "type": 1, "options": map[string]any{"http_config": map[string]any{
			"endpoint": rc.url + path, "method": "POST", "timeout": 10, "body": body,
			"headers": []map[string]string{{"key": "Content-Type", "value": "application/json"}}}}}
	}
	// a command not in enabled_commands is refused
	s, b := in.api(tok, http.MethodPost, "/api/v2/eventactions", map[string]any{"name": "nope", "type": 2,
		"options": map[string]any{"cmd_config": map[string]any{"cmd": "/usr/bin/true", "timeout": 5}}})
	if s != http.StatusBadRequest || !strings.Contains(string(b), "enabled_commands") {
		t.Fatalf("command outside enabled_commands: %d %s", s, b)
	}
	mustAPI(http.MethodPost, "/api/v2/eventactions", httpAction("notify-csv", "/csv",
		`{"user":"{{.Name}}","path":"{{.VirtualPath}}","size":{{.FileSize}},"proto":"{{.Protocol}}","event":"{{.Event}}"}`), http.StatusCreated)
	mustAPI(http.MethodPost, "/api/v2/eventactions", map[string]any{"name": "archive", "type": 9,
		"options": map[string]any{"fs_config": map[string]any{"type": 1, "renames": []map[string]any{
			{"key": "{{.VirtualPath}}", "value": "/archive/{{.ObjectName}}"}}}}}, http.StatusCreated)
	mustAPI(http.MethodPost, "/api/v2/eventactions", httpAction("bad-hook", "/fail", `{}`), http.StatusCreated)
	mustAPI(http.MethodPost, "/api/v2/eventactions", map[string]any{"name": "on-failure", "type": 2,
		"options": map[string]any{"cmd_config": map[string]any{"cmd": "/bin/sh", "timeout": 10,
			"args": []string{"-c", "echo {{.Name}} {{.VirtualPath}} > " + marker}}}}, http.StatusCreated)
	mustAPI(http.MethodPost, "/api/v2/eventactions", httpAction("on-demand", "/manual", `{"event":"{{.Event}}"}`), http.StatusCreated)
	mustAPI(http.MethodPost, "/api/v2/eventactions", httpAction("user-added", "/users",
		`{"admin":"{{.Name}}","name":"{{.ObjectName}}","type":"{{.ObjectType}}","obj":{{.ObjectData}}}`), http.StatusCreated)

	mustAPI(http.MethodPost, "/api/v2/eventactions", map[string]any{"name": "send-file", "type": 1,
		"options": map[string]any{"http_config": map[string]any{"endpoint": rc.url + "/file", "method": "POST", "timeout": 10,
			"parts": []map[string]any{{"name": "meta", "body": "{{.Name}}"}, {"name": "file", "filepath": "{{.VirtualPath}}"}}}}}, http.StatusCreated)
	mustAPI(http.MethodPost, "/api/v2/eventactions", map[string]any{"name": "retention", "type": 8,
		"options": map[string]any{"retention_config": map[string]any{"folders": []map[string]any{
			{"path": "/old", "retention": 1, "delete_empty_dirs": true}}}}}, http.StatusCreated)
	mustAPI(http.MethodPost, "/api/v2/eventrules", map[string]any{"name": "csv-upload", "status": 1, "trigger": 1,
		"conditions": map[string]any{"fs_events": []string{"upload"}, "options": map[string]any{
			"fs_paths": []map[string]any{{"pattern": "/*.csv"}}}},
		"actions": []map[string]any{{"name": "notify-csv", "order": 1}, {"name": "send-file", "order": 2}}}, http.StatusCreated)
	mustAPI(http.MethodPost, "/api/v2/eventrules", map[string]any{"name": "cleanup", "status": 1, "trigger": 6,
		"conditions": map[string]any{"options": map[string]any{"names": []map[string]any{{"pattern": "ev*"}}}},
		"actions":    []map[string]any{{"name": "retention"}}}, http.StatusCreated)
	mustAPI(http.MethodPost, "/api/v2/eventrules", map[string]any{"name": "archive-inbox", "status": 1, "trigger": 1,
		"conditions": map[string]any{"fs_events": []string{"upload"}, "options": map[string]any{
			"fs_paths": []map[string]any{{"pattern": "/inbox/*"}}}},
		"actions": []map[string]any{{"name": "archive", "order": 1}}}, http.StatusCreated)
	mustAPI(http.MethodPost, "/api/v2/eventrules", map[string]any{"name": "failing", "status": 1, "trigger": 1,
		"conditions": map[string]any{"fs_events": []string{"upload"}, "options": map[string]any{
			"fs_paths": []map[string]any{{"pattern": "/fail/*"}}}},
		"actions": []map[string]any{{"name": "bad-hook", "order": 1},
			{"name": "on-failure", "order": 2, "relation_options": map[string]any{"is_failure_action": true}}}}, http.StatusCreated)
	mustAPI(http.MethodPost, "/api/v2/eventrules", map[string]any{"name": "manual", "status": 1, "trigger": 6,
		"actions": []map[string]any{{"name": "on-demand"}}}, http.StatusCreated)
	mustAPI(http.MethodPost, "/api/v2/eventrules", map[string]any{"name": "new-user", "status": 1, "trigger": 2,
		"conditions": map[string]any{"provider_events": []string{"add"}, "options": map[string]any{
			"provider_objects": []string{"user"}}},
		"actions": []map[string]any{{"name": "user-added"}}}, http.StatusCreated)

	// REST shapes: list, get with the rule's actions filled in, in-use delete refused
	var rules []map[string]any
	if err := json.Unmarshal(mustAPI(http.MethodGet, "/api/v2/eventrules?limit=2&order=DESC", nil, http.StatusOK), &rules); err != nil || len(rules) != 2 ||
		rules[0]["name"] != "new-user" || rules[1]["name"] != "manual" {
		t.Fatalf("rules page: %v %v", err, rules)
	}
	var rule map[string]any
	_ = json.Unmarshal(mustAPI(http.MethodGet, "/api/v2/eventrules/failing", nil, http.StatusOK), &rule)
	if acts, _ := rule["actions"].([]any); len(acts) != 2 || acts[0].(map[string]any)["type"] != float64(1) {
		t.Fatalf("rule actions: %v", rule["actions"])
	}
	mustAPI(http.MethodDelete, "/api/v2/eventactions/bad-hook", nil, http.StatusBadRequest)
	mustAPI(http.MethodPost, "/api/v2/eventrules/run/csv-upload", nil, http.StatusBadRequest)
	mustAPI(http.MethodPost, "/api/v2/eventrules/run/missing", nil, http.StatusNotFound)

	// provider rule: creating a user fires it
	home := in.addUser(tok, "evuser", "evpass", nil)
	c := rc.waitFor("user rule", func(c hookCall) bool { return c.Query.Get("__path") == "/users" })
	prov := c.json(t)
	if prov["admin"] != "admin" || prov["name"] != "evuser" || prov["type"] != "user" {
		t.Fatalf("provider action body: %s", c.Body)
	}
	if obj, _ := prov["obj"].(map[string]any); obj["username"] != "evuser" || obj["password"] != nil {
		t.Fatalf("object data: %s", c.Body)
	}

	// uploads: a.csv notifies, b.txt does not; /inbox is archived; /fail fails
	_, sc := dialSFTP(t, in.sftpPort, "evuser", "evpass")
	for _, d := range []string{"/inbox", "/fail"} {
		if err := sc.Mkdir(d); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"/b.txt", "/a.csv", "/inbox/report.pdf", "/fail/x.dat"} {
		f, err := sc.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte("hello,world\n")); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatalf("upload %s: %v", p, err)
		}
	}
	c = rc.waitFor("csv rule", func(c hookCall) bool { return c.Query.Get("__path") == "/csv" })
	body := c.json(t)
	if body["user"] != "evuser" || body["path"] != "/a.csv" || body["size"] != float64(12) || body["proto"] != "SFTP" || body["event"] != "upload" {
		t.Fatalf("csv action body: %s", c.Body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, errSrc := os.Stat(filepath.Join(home, "inbox", "report.pdf"))
		_, errDst := os.Stat(filepath.Join(home, "archive", "report.pdf"))
		b, errMarker := os.ReadFile(marker)
		if os.IsNotExist(errSrc) && errDst == nil && errMarker == nil && strings.TrimSpace(string(b)) == "evuser /fail/x.dat" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("archive: %v %v; failure action: %v %q\n%s", errSrc, errDst, errMarker, b, in.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := sc.Stat("/fail/x.dat"); err != nil {
		t.Fatalf("the failing rule removed or blocked the upload: %v", err)
	}
	// the failure is logged with the rule and action names
	waitLog(t, in, `msg="event action failed" component=eventmanager rule=failing action=bad-hook`)
	waitLog(t, in, "unexpected status code 500")

	// on demand
	s, b = in.api(tok, http.MethodPost, "/api/v2/eventrules/run/manual", nil)
	if s != http.StatusAccepted || !strings.Contains(string(b), "Event rule started") {
		t.Fatalf("run: %d %s", s, b)
	}
	c = rc.waitFor("on-demand rule", func(c hookCall) bool { return c.Query.Get("__path") == "/manual" })
	if c.json(t)["event"] != "on-demand" {
		t.Fatalf("on-demand body: %s", c.Body)
	}
	c = rc.waitFor("multipart file", atPath("/file"))
	if !strings.Contains(string(c.Body), "hello,world\n") || !strings.Contains(string(c.Body), `filename="a.csv"`) ||
		!strings.Contains(string(c.Body), "evuser") {
		t.Fatalf("multipart body: %s", c.Body)
	}

	// data retention on demand: /old/stale.txt (two hours old) goes, /old/new.txt stays
	old := filepath.Join(home, "old")
	if err := os.MkdirAll(filepath.Join(old, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"stale.txt", "new.txt"} {
		if err := os.WriteFile(filepath.Join(old, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(filepath.Join(old, "stale.txt"), past, past); err != nil {
		t.Fatal(err)
	}
	mustAPI(http.MethodPost, "/api/v2/eventrules/run/cleanup", nil, http.StatusAccepted)
	waitLog(t, in, `msg="event action done" component=eventmanager rule=cleanup action=retention`)
	if _, err := os.Stat(filepath.Join(old, "stale.txt")); !os.IsNotExist(err) {
		t.Fatalf("stale file kept: %v", err)
	}
	if _, err := os.Stat(filepath.Join(old, "empty")); !os.IsNotExist(err) {
		t.Fatalf("empty dir kept: %v", err)
	}
	if _, err := os.Stat(filepath.Join(old, "new.txt")); err != nil {
		t.Fatalf("recent file removed: %v", err)
	}
	if n := rc.count(atPath("/csv")); n != 1 {
		t.Fatalf("csv rule called %d times (b.txt must not fire it, nor the archive move)", n)
	}

	// dump and load back keep the rules
	var dump map[string]any
	_ = json.Unmarshal(mustAPI(http.MethodGet, "/api/v2/dumpdata?output-data=1", nil, http.StatusOK), &dump)
	if r, _ := dump["event_rules"].([]any); len(r) != 6 {
		t.Fatalf("dumped rules: %v", dump["event_rules"])
	}
	if a, _ := dump["event_actions"].([]any); len(a) != 8 {
		t.Fatalf("dumped actions: %v", dump["event_actions"])
	}
}

// TestEventIPBlockedThroughBinary: a host the defender bans fires the
// rules with the "IP blocked" trigger.
func TestEventIPBlockedThroughBinary(t *testing.T) {
	in := newInstance(t, t.TempDir(), defenderEnv...)
	in.start()
	rc := eventReceiver(t)
	tok := in.token("admin", "admin-pass")
	if s, b := in.api(tok, http.MethodPost, "/api/v2/eventactions", map[string]any{"name": "banned", "type": 1,
		"options": map[string]any{"http_config": map[string]any{"endpoint": rc.url + "/banned", "method": "POST", "timeout": 10,
			"body": "{{.Event}} {{.IP}} {{.Protocol}}"}}}); s != http.StatusCreated {
		t.Fatalf("action: %d %s", s, b)
	}
	if s, b := in.api(tok, http.MethodPost, "/api/v2/eventrules", map[string]any{"name": "on-ban", "status": 1, "trigger": 4,
		"actions": []map[string]any{{"name": "banned"}}}); s != http.StatusCreated {
		t.Fatalf("rule: %d %s", s, b)
	}
	in.addUser(tok, "alice", "alice-pass", nil)
	banFromSFTP(t, in, "alice")
	c := rc.waitFor("IP blocked rule", atPath("/banned"))
	if string(c.Body) != "IP Blocked 127.0.0.2 SSH" {
		t.Fatalf("body: %q", c.Body)
	}
}

// TestEventSyncPreUploadThroughBinary: a synchronous action of a
// pre-upload rule that fails refuses the upload; elsewhere uploads pass.
func TestEventSyncPreUploadThroughBinary(t *testing.T) {
	in := newInstance(t, t.TempDir(), "SFTPGO_HTTP__RETRY_MAX=0")
	in.start()
	rc := eventReceiver(t)
	tok := in.token("admin", "admin-pass")
	if s, b := in.api(tok, http.MethodPost, "/api/v2/eventactions", map[string]any{"name": "gate", "type": 1,
		"options": map[string]any{"http_config": map[string]any{"endpoint": rc.url + "/fail/gate", "method": "POST", "timeout": 10,
			"body": "{{.VirtualPath}}"}}}); s != http.StatusCreated {
		t.Fatalf("action: %d %s", s, b)
	}
	if s, b := in.api(tok, http.MethodPost, "/api/v2/eventrules", map[string]any{"name": "gate", "status": 1, "trigger": 1,
		"conditions": map[string]any{"fs_events": []string{"pre-upload"}, "options": map[string]any{
			"fs_paths": []map[string]any{{"pattern": "/deny/*"}}}},
		"actions": []map[string]any{{"name": "gate", "relation_options": map[string]any{"execute_sync": true}}}}); s != http.StatusCreated {
		t.Fatalf("rule: %d %s", s, b)
	}
	home := in.addUser(tok, "bob", "bob-pass", nil)
	_, sc := dialSFTP(t, in.sftpPort, "bob", "bob-pass")
	if err := sc.Mkdir("/deny"); err != nil {
		t.Fatal(err)
	}
	if f, err := sc.Create("/deny/x.txt"); err == nil {
		_, werr := f.Write([]byte("x"))
		cerr := f.Close()
		if werr == nil && cerr == nil {
			t.Fatal("upload allowed although the synchronous pre-upload action failed")
		}
	}
	if _, err := os.Stat(filepath.Join(home, "deny", "x.txt")); err == nil {
		t.Fatal("refused upload left a file")
	}
	f, err := sc.Create("/ok.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("fine")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("upload outside /deny: %v", err)
	}
	if c := rc.waitFor("gate", atPath("/fail/gate")); string(c.Body) != "/deny/x.txt" {
		t.Fatalf("gate body: %q", c.Body)
	}
}

// TestEventEmailThroughBinary: an upload fires an e-mail action that a
// real SMTP server (STARTTLS, AUTH) receives with the placeholders of its
// subject rendered and the uploaded file attached; with the SMTP server
// gone the action fails, is logged, runs its failure action and the
// upload still succeeds.
func TestEventEmailThroughBinary(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Security: smtptest.StartTLS, Users: map[string]string{"mailer": "mail-secret"}})
	// a working SMTP server, then one whose port nothing listens on
	down := []string{"SFTPGO_SMTP__HOST=127.0.0.1", "SFTPGO_SMTP__PORT=" + strconv.Itoa(freePort(t)),
		"SFTPGO_SMTP__FROM=sftpgo@example.com", "SFTPGO_SMTP__ENCRYPTION=0"}
	for _, env := range [][]string{smtpEnv(t, srv), down} {
		in := newInstance(t, t.TempDir(), append(env, "SFTPGO_HTTP__RETRY_MAX=0")...)
		in.start()
		rc := eventReceiver(t)
		tok := in.token("admin", "admin-pass")
		for _, a := range []map[string]any{
			{"name": "mail", "type": 3, "options": map[string]any{"email_config": map[string]any{
				"recipients": []string{"ops@example.com"}, "bcc": []string{"audit@example.com"},
				"subject": "Upload by {{.Name}}: {{.VirtualPath}}", "body": "<p>{{.FileSize}} bytes</p>", "content_type": 1,
				"attachments": []string{"{{.VirtualPath}}"}}}},
			{"name": "mail-failed", "type": 1, "options": map[string]any{"http_config": map[string]any{
				"endpoint": rc.url + "/mailfail", "method": "POST", "timeout": 10, "body": "{{.VirtualPath}}"}}},
		} {
			if s, b := in.api(tok, http.MethodPost, "/api/v2/eventactions", a); s != http.StatusCreated {
				t.Fatalf("action: %d %s", s, b)
			}
		}
		if s, b := in.api(tok, http.MethodPost, "/api/v2/eventrules", map[string]any{"name": "mail-uploads", "status": 1, "trigger": 1,
			"conditions": map[string]any{"fs_events": []string{"upload"}},
			"actions": []map[string]any{{"name": "mail", "order": 1},
				{"name": "mail-failed", "order": 2, "relation_options": map[string]any{"is_failure_action": true}}}}); s != http.StatusCreated {
			t.Fatalf("rule: %d %s", s, b)
		}
		in.addUser(tok, "mia", "mia-pass", nil)
		_, sc := dialSFTP(t, in.sftpPort, "mia", "mia-pass")
		f, err := sc.Create("/report.csv")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte("a,b\n1,2\n")); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatalf("upload: %v", err)
		}
		if env[0] == down[0] && env[1] == down[1] {
			// SMTP down: the action fails and is logged, its failure action
			// runs, the upload stays
			c := rc.waitFor("failure action", atPath("/mailfail"))
			if string(c.Body) != "/report.csv" {
				t.Fatalf("failure action body: %q", c.Body)
			}
			waitLog(t, in, `msg="event action failed" component=eventmanager rule=mail-uploads action=mail`)
			if _, err := sc.Stat("/report.csv"); err != nil {
				t.Fatalf("upload lost: %v", err)
			}
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		msgs, err := srv.WaitMessages(ctx, 1)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		m := msgs[0]
		p, err := m.Parse()
		if err != nil {
			t.Fatal(err)
		}
		if !m.TLS || m.AuthMech != "PLAIN" || strings.Join(m.Rcpt, ",") != "ops@example.com,audit@example.com" {
			t.Fatalf("envelope: tls %v auth %q rcpt %v", m.TLS, m.AuthMech, m.Rcpt)
		}
		if p.Subject != "Upload by mia: /report.csv" || !strings.Contains(p.HTML, "<p>8 bytes</p>") ||
			string(p.Attachments["report.csv"]) != "a,b\n1,2\n" || strings.Contains(p.Header.Get("To"), "audit") {
			t.Fatalf("mail: subject %q html %q attachments %v to %q", p.Subject, p.HTML, p.Attachments, p.Header.Get("To"))
		}
		if n := rc.count(atPath("/mailfail")); n != 0 {
			t.Fatalf("failure action ran %d times after a delivered mail", n)
		}
	}
}
