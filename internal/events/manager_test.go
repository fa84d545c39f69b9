package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/hooks"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// receiver is a real HTTP server on 127.0.0.1 recording what it gets.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	calls  []call
	status int
}

type call struct {
	Method, Path, Query, Body string
	Header                    http.Header
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{status: http.StatusOK}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.calls = append(r.calls, call{req.Method, req.URL.Path, req.URL.RawQuery, string(b), req.Header.Clone()})
		st := r.status
		if strings.HasPrefix(req.URL.Path, "/fail") {
			st = http.StatusInternalServerError
		}
		r.mu.Unlock()
		w.WriteHeader(st)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) get() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

// wait returns the calls once n of them whose path starts with prefix
// arrived.
func (r *receiver) wait(t *testing.T, prefix string, n int) []call {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var out []call
		for _, c := range r.get() {
			if strings.HasPrefix(c.Path, prefix) {
				out = append(out, c)
			}
		}
		if len(out) >= n {
			return out
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%d calls to %s not received: %+v", n, prefix, r.get())
	return nil
}

// logBuffer collects the manager's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// fakeClock is a clock whose ticks the test sends.
type fakeClock struct {
	mu   sync.Mutex
	now  time.Time
	tick chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}
func (c *fakeClock) After(time.Duration) <-chan time.Time { return c.tick }
func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// recordingMailer records the messages instead of sending them (the
// smtp client is wired by the service).
type recordingMailer struct {
	mu   sync.Mutex
	sent []Mail
}

func (m *recordingMailer) Send(_ context.Context, mail Mail) error {
	m.mu.Lock()
	m.sent = append(m.sent, mail)
	m.mu.Unlock()
	return nil
}

type env struct {
	store *dataprovider.Store
	mgr   *Manager
	logs  *logBuffer
	clock *fakeClock
	mail  *recordingMailer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	km, err := kms.NewManager(config.KMSConfig{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := dataprovider.Open(context.Background(), dataprovider.Options{
		Config:    config.DataProviderConfig{Driver: "memory", UsersBaseDir: dir},
		ConfigDir: dir, KMS: km, EventCommands: []string{"/bin/sh"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	runner, err := hooks.NewRunner(config.CommandConfig{}, config.HTTPClientConfig{Timeout: 10}, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Date(2026, 12, 4, 4, 59, 30, 0, time.UTC), tick: make(chan time.Time)}
	mail := &recordingMailer{}
	m := New(Options{Store: st, Runner: runner, Logger: log, Clock: clock, Mailer: mail, Node: "test"})
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = m.Shutdown(ctx)
	})
	return &env{store: st, mgr: m, logs: logs, clock: clock, mail: mail}
}

// drain stops the manager, waiting for every action it started.
func (e *env) drain(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.mgr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func (e *env) action(t *testing.T, a dataprovider.BaseEventAction) {
	t.Helper()
	if err := e.store.AddEventAction(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
}

func (e *env) rule(t *testing.T, r dataprovider.EventRule) {
	t.Helper()
	r.Status = 1
	if err := e.store.AddEventRule(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
}

func httpAct(name, endpoint, body string) dataprovider.BaseEventAction {
	return dataprovider.BaseEventAction{Name: name, Type: dataprovider.ActionTypeHTTP, Options: dataprovider.BaseEventActionOptions{
		HTTPConfig: dataprovider.EventActionHTTPConfig{Endpoint: endpoint, Method: "POST", Timeout: 10, Body: body,
			Headers: []dataprovider.KeyValue{{Key: "Content-Type", Value: "application/json"}}}}}
}

func ref(name string, opts dataprovider.EventActionOptions) dataprovider.EventAction {
	return dataprovider.EventAction{BaseEventAction: dataprovider.BaseEventAction{Name: name}, RelationOptions: opts}
}

func TestFsRuleHTTPPlaceholders(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	a := httpAct("notify", rc.srv.URL+"/up/{{.Name}}",
		`{"user":"{{.Name}}","path":"{{.VirtualPath}}","size":{{.FileSize}},"proto":"{{.Protocol}}","ip":"{{.IP}}","event":"{{.Event}}","status":{{.Status}}}`)
	a.Options.HTTPConfig.QueryParameters = []dataprovider.KeyValue{{Key: "ext", Value: "{{.Ext}}"}}
	a.Options.HTTPConfig.Username = "hook"
	a.Options.HTTPConfig.Password = kms.NewPlainSecret("hookpw")
	e.action(t, a)
	e.rule(t, dataprovider.EventRule{Name: "csv", Trigger: dataprovider.TriggerFsEvent,
		Conditions: dataprovider.EventConditions{FsEvents: []string{"upload"},
			Options: dataprovider.EventConditionOptions{FsPaths: []dataprovider.ConditionPattern{{Pattern: "/**/*.csv"}}}},
		Actions: []dataprovider.EventAction{ref("notify", dataprovider.EventActionOptions{})}})
	if fire, sync := e.mgr.Wants("upload"); !fire || sync {
		t.Fatalf("wants upload: %v %v", fire, sync)
	}
	if fire, _ := e.mgr.Wants("download"); fire {
		t.Fatal("wants download")
	}
	for _, p := range []string{"/in/b.txt", "/in/a\"q.csv"} {
		e.mgr.Go(&hooks.FsEvent{Action: "upload", Username: "alice", VirtualPath: p, FileSize: 42, Protocol: "SFTP",
			IP: "10.0.0.1", Status: hooks.StatusOK})
	}
	rc.wait(t, "/up/", 1)
	e.drain(t) // every action started has finished
	if calls := rc.get(); len(calls) != 1 {
		t.Fatalf("calls: %+v", calls)
	}
	c := rc.get()[0]
	var body map[string]any
	if err := json.Unmarshal([]byte(c.Body), &body); err != nil {
		t.Fatalf("body %q is not JSON (placeholders must be JSON-escaped): %v", c.Body, err)
	}
	if c.Path != "/up/alice" || body["path"] != `/in/a"q.csv` || body["size"] != float64(42) || body["proto"] != "SFTP" ||
		body["ip"] != "10.0.0.1" || body["event"] != "upload" || body["status"] != float64(1) || c.Query != "ext=.csv" {
		t.Fatalf("call: %+v %v", c, body)
	}
	if u, p, ok := (&http.Request{Header: c.Header}).BasicAuth(); !ok || u != "hook" || p != "hookpw" {
		t.Fatalf("basic auth: %q %q %v", u, p, ok)
	}
}

func TestProviderRuleOnUserAdd(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	e.action(t, httpAct("on-user", rc.srv.URL+"/prov", `{"admin":"{{.Name}}","event":"{{.Event}}","type":"{{.ObjectType}}","name":"{{.ObjectName}}","obj":{{.ObjectData}}}`))
	e.rule(t, dataprovider.EventRule{Name: "new-users", Trigger: dataprovider.TriggerProviderEvent,
		Conditions: dataprovider.EventConditions{ProviderEvents: []string{"add"},
			Options: dataprovider.EventConditionOptions{ProviderObjects: []string{"user"}}},
		Actions: []dataprovider.EventAction{ref("on-user", dataprovider.EventActionOptions{})}})
	ctx := dataprovider.WithActor(context.Background(), dataprovider.Actor{Username: "admin", IP: "127.0.0.1"})
	g := dataprovider.Group{Name: "g1"}
	if err := e.store.AddGroup(ctx, &g); err != nil {
		t.Fatal(err)
	}
	u := dataprovider.User{Username: "bob", Status: 1, Password: "secret-bob", HomeDir: t.TempDir(),
		Permissions: map[string][]string{"/": {"*"}}}
	if err := e.store.AddUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	c := rc.wait(t, "/prov", 1)
	var body map[string]any
	if err := json.Unmarshal([]byte(c[0].Body), &body); err != nil {
		t.Fatalf("body %q: %v", c[0].Body, err)
	}
	obj, _ := body["obj"].(map[string]any)
	if body["admin"] != "admin" || body["event"] != "add" || body["type"] != "user" || body["name"] != "bob" ||
		obj["username"] != "bob" || obj["password"] != nil {
		t.Fatalf("provider call: %s", c[0].Body)
	}
	e.drain(t)
	if n := len(rc.get()); n != 1 {
		t.Fatalf("the group add fired the user rule too: %d calls", n)
	}
}

func TestScheduleWithInjectedClock(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	e.action(t, httpAct("tick", rc.srv.URL+"/sched", `{"event":"{{.Event}}","hour":"{{.Hour}}"}`))
	e.rule(t, dataprovider.EventRule{Name: "at-five", Trigger: dataprovider.TriggerSchedule,
		Conditions: dataprovider.EventConditions{Schedules: []dataprovider.Schedule{{Hours: "5", DayOfWeek: "*", DayOfMonth: "*", Month: "*"}}},
		Actions:    []dataprovider.EventAction{ref("tick", dataprovider.EventActionOptions{})}})
	// the scheduler waits for its first tick; the clock moves to 05:00
	e.clock.set(time.Date(2026, 12, 4, 5, 0, 10, 0, time.UTC))
	e.clock.tick <- time.Time{}
	c := rc.wait(t, "/sched", 1)
	if c[0].Body != `{"event":"Schedule","hour":"05"}` {
		t.Fatalf("scheduled call: %s", c[0].Body)
	}
	// 05:01 is not selected by the schedule
	e.clock.set(time.Date(2026, 12, 4, 5, 1, 10, 0, time.UTC))
	e.clock.tick <- time.Time{}
	e.clock.tick <- time.Time{} // the loop took the previous tick
	if n := len(rc.get()); n != 1 {
		t.Fatalf("%d scheduled calls", n)
	}
}

func TestFailureActionsAndStopOnFailure(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	e.action(t, httpAct("bad-http", rc.srv.URL+"/fail", `{}`))
	e.action(t, dataprovider.BaseEventAction{Name: "exit1", Type: dataprovider.ActionTypeCommand,
		Options: dataprovider.BaseEventActionOptions{CmdConfig: dataprovider.EventActionCommandConfig{
			Cmd: "/bin/sh", Args: []string{"-c", "echo {{.Name}} > " + marker + "; exit 1"}, Timeout: 10}}})
	e.action(t, httpAct("never", rc.srv.URL+"/never", `{}`))
	e.action(t, httpAct("on-fail", rc.srv.URL+"/onfail", `{"rule_user":"{{.Name}}"}`))
	e.rule(t, dataprovider.EventRule{Name: "failing", Trigger: dataprovider.TriggerFsEvent,
		Conditions: dataprovider.EventConditions{FsEvents: []string{"upload"}},
		Actions: []dataprovider.EventAction{
			ref("bad-http", dataprovider.EventActionOptions{}),
			ref("exit1", dataprovider.EventActionOptions{StopOnFailure: true}),
			ref("never", dataprovider.EventActionOptions{}),
			ref("on-fail", dataprovider.EventActionOptions{IsFailureAction: true})}})
	e.mgr.Go(&hooks.FsEvent{Action: "upload", Username: "carol", VirtualPath: "/x.bin", Protocol: "SFTP", Status: 1})
	rc.wait(t, "/onfail", 1)
	if b, err := os.ReadFile(marker); err != nil || strings.TrimSpace(string(b)) != "carol" {
		t.Fatalf("command did not run with the placeholder: %q %v", b, err)
	}
	if n := len(rc.wait(t, "/fail", 1)); n != 1 {
		t.Fatalf("failing http action called %d times", n)
	}
	for _, c := range rc.get() {
		if c.Path == "/never" {
			t.Fatal("an action after stop_on_failure ran")
		}
	}
	logs := e.logs.String()
	for _, want := range []string{`msg="event action failed" component=eventmanager rule=failing action=bad-http`, `rule=failing action=exit1`, "exit status 1",
		"unexpected status code 500"} {
		if !strings.Contains(logs, want) {
			t.Fatalf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestSyncActionRefusesPreUpload(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	e.action(t, httpAct("gate", rc.srv.URL+"/fail/gate", `{}`))
	e.rule(t, dataprovider.EventRule{Name: "gate", Trigger: dataprovider.TriggerFsEvent,
		Conditions: dataprovider.EventConditions{FsEvents: []string{"pre-upload"}},
		Actions:    []dataprovider.EventAction{ref("gate", dataprovider.EventActionOptions{ExecuteSync: true})}})
	if fire, sync := e.mgr.Wants("pre-upload"); !fire || !sync {
		t.Fatal("pre-upload not wanted synchronously")
	}
	err := e.mgr.Run(context.Background(), &hooks.FsEvent{Action: "pre-upload", Username: "u", VirtualPath: "/a", Status: 1})
	if err == nil || !strings.Contains(err.Error(), `rule "gate", action "gate"`) {
		t.Fatalf("sync failure: %v", err)
	}
}

func TestOnDemandAndEmail(t *testing.T) {
	e := newEnv(t)
	e.action(t, dataprovider.BaseEventAction{Name: "mail", Type: dataprovider.ActionTypeEmail,
		Options: dataprovider.BaseEventActionOptions{EmailConfig: dataprovider.EventActionEmailConfig{
			Recipients: []string{"ops@example.com"}, Bcc: []string{"audit@example.com"}, Subject: "Run {{.Event}} {{.Year}}",
			Body: "<b>done</b>", ContentType: 1}}})
	e.rule(t, dataprovider.EventRule{Name: "manual", Trigger: dataprovider.TriggerOnDemand,
		Actions: []dataprovider.EventAction{ref("mail", dataprovider.EventActionOptions{})}})
	e.rule(t, dataprovider.EventRule{Name: "not-manual", Trigger: dataprovider.TriggerFsEvent,
		Conditions: dataprovider.EventConditions{FsEvents: []string{"upload"}},
		Actions:    []dataprovider.EventAction{ref("mail", dataprovider.EventActionOptions{})}})
	ctx := context.Background()
	if err := e.mgr.RunOnDemand(ctx, "not-manual"); err == nil {
		t.Fatal("a filesystem rule ran on demand")
	}
	if err := e.mgr.RunOnDemand(ctx, "missing"); err == nil {
		t.Fatal("unknown rule ran")
	}
	if err := e.mgr.RunOnDemand(ctx, "manual"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		e.mail.mu.Lock()
		n := len(e.mail.sent)
		e.mail.mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.mail.mu.Lock()
	defer e.mail.mu.Unlock()
	if len(e.mail.sent) != 1 {
		t.Fatalf("mails: %+v", e.mail.sent)
	}
	m := e.mail.sent[0]
	if m.Subject != "Run on-demand 2026" || !m.HTML || m.To[0] != "ops@example.com" || m.Bcc[0] != "audit@example.com" {
		t.Fatalf("mail: %+v", m)
	}
}

// TestSFTPGoDumpRuleRuns loads SFTPGo's dump and runs its rule: the
// action keeps SFTPGo's encrypted password, pointed at our receiver.
func TestSFTPGoDumpRuleRuns(t *testing.T) {
	dir := os.Getenv("SFTPGO_FIXTURES_DIR")
	if dir == "" {
		dir = "../../../shared/sftpgo-fixtures"
	}
	b, err := os.ReadFile(filepath.Join(dir, "dump.json"))
	if err != nil {
		t.Fatalf("SFTPGo fixtures missing (set SFTPGO_FIXTURES_DIR): %v", err)
	}
	e := newEnv(t)
	rc := newReceiver(t)
	ctx := context.Background()
	var data dataprovider.BackupData
	if err := json.Unmarshal(b, &data); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Restore(ctx, &data, dataprovider.RestoreModeAddUpdate); err != nil {
		t.Fatal(err)
	}
	a, err := e.store.GetEventAction(ctx, "devs-notify")
	if err != nil {
		t.Fatal(err)
	}
	a.Options.HTTPConfig.Endpoint = rc.srv.URL + "/hooks/upload"
	if err := e.store.UpdateEventAction(ctx, &a); err != nil {
		t.Fatal(err)
	}
	e.mgr.Go(&hooks.FsEvent{Action: "upload", Username: "nobody", VirtualPath: "/reports/q1.csv", Protocol: "SFTP", Status: 1})
	e.mgr.Go(&hooks.FsEvent{Action: "upload", Username: "nobody", VirtualPath: "/q1.csv", Protocol: "SFTP", Status: 1})
	c := rc.wait(t, "/hooks/upload", 1)
	if c[0].Body != "uploaded" {
		t.Fatalf("call: %+v", c[0])
	}
	if u, p, ok := (&http.Request{Header: c[0].Header}).BasicAuth(); !ok || u != "hook" || p == "" {
		t.Fatalf("SFTPGo's password was not sent: %q %q %v", u, p, ok)
	}
	e.drain(t)
	if n := len(rc.get()); n != 1 {
		t.Fatalf("%d calls: /q1.csv is outside /reports", n)
	}
}

func TestBackupAction(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	e.mgr.opts.BackupsPath = dir
	e.action(t, dataprovider.BaseEventAction{Name: "backup", Type: dataprovider.ActionTypeBackup})
	e.rule(t, dataprovider.EventRule{Name: "nightly", Trigger: dataprovider.TriggerSchedule,
		Conditions: dataprovider.EventConditions{Schedules: []dataprovider.Schedule{{Hours: "*", DayOfWeek: "*", DayOfMonth: "*", Month: "*"}}},
		Actions:    []dataprovider.EventAction{ref("backup", dataprovider.EventActionOptions{})}})
	e.mgr.RunSchedules(time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)) // a Friday
	file := filepath.Join(dir, "backup_5_4.json")                    // the clock of newEnv says 04:59 on Friday
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(file)
		if err == nil {
			var d dataprovider.BackupData
			if err := json.Unmarshal(b, &d); err != nil || len(d.EventRules) != 1 {
				t.Fatalf("backup: %v %s", err, b)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no backup written: %v\n%s", err, e.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestScheduleRunsOncePerCluster: two managers over one SQL database (two
// nodes of a shared provider) run a scheduled minute once.
func TestScheduleRunsOncePerCluster(t *testing.T) {
	dir := t.TempDir()
	st, err := dataprovider.Open(context.Background(), dataprovider.Options{
		Config: config.DataProviderConfig{Driver: "sqlite", Name: filepath.Join(dir, "db.sqlite")}, ConfigDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	rc := newReceiver(t)
	a := httpAct("tick", rc.srv.URL+"/sched", `{}`)
	if err := st.AddEventAction(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	r := dataprovider.EventRule{Name: "hourly", Status: 1, Trigger: dataprovider.TriggerSchedule,
		Conditions: dataprovider.EventConditions{Schedules: []dataprovider.Schedule{{Hours: "*", DayOfWeek: "*", DayOfMonth: "*", Month: "*"}}},
		Actions:    []dataprovider.EventAction{ref("tick", dataprovider.EventActionOptions{})}}
	if err := st.AddEventRule(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	runner, err := hooks.NewRunner(config.CommandConfig{}, config.HTTPClientConfig{Timeout: 10}, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var nodes []*Manager
	for _, n := range []string{"node1", "node2"} {
		nodes = append(nodes, New(Options{Store: st, Runner: runner, Node: n,
			Clock: &fakeClock{now: time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC), tick: make(chan time.Time)}}))
	}
	at := time.Date(2026, 12, 4, 7, 0, 0, 0, time.UTC)
	for _, m := range nodes {
		m.RunSchedules(at)
	}
	for _, m := range nodes {
		if err := m.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(rc.get()); n != 1 {
		t.Fatalf("the scheduled minute ran %d times", n)
	}
}

func TestUserQuotaResetOnDemand(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, name := range []string{"q1", "q2", "other"} {
		home := t.TempDir()
		if err := os.WriteFile(filepath.Join(home, "f"), make([]byte, 100), 0o600); err != nil {
			t.Fatal(err)
		}
		u := dataprovider.User{Username: name, Status: 1, Password: "secret-" + name, HomeDir: home,
			Permissions: map[string][]string{"/": {"*"}}}
		if err := e.store.AddUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	e.action(t, dataprovider.BaseEventAction{Name: "scan", Type: dataprovider.ActionTypeUserQuotaReset})
	e.rule(t, dataprovider.EventRule{Name: "scan-q", Trigger: dataprovider.TriggerOnDemand,
		Conditions: dataprovider.EventConditions{Options: dataprovider.EventConditionOptions{
			Names: []dataprovider.ConditionPattern{{Pattern: "q*"}}}},
		Actions: []dataprovider.EventAction{ref("scan", dataprovider.EventActionOptions{})}})
	if err := e.mgr.RunOnDemand(ctx, "scan-q"); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	for name, want := range map[string]int64{"q1": 100, "q2": 100, "other": 0} {
		u, err := e.store.GetUser(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if u.UsedQuotaSize != want || (want > 0 && u.UsedQuotaFiles != 1) {
			t.Fatalf("%s: used quota %d/%d, want %d", name, u.UsedQuotaSize, u.UsedQuotaFiles, want)
		}
	}
}

func TestInactivityAndPasswordExpiration(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, name := range []string{"idle-a", "idle-b", "pwd"} {
		u := dataprovider.User{Username: name, Status: 1, Password: "secret-" + name, HomeDir: t.TempDir(),
			Email: name + "@example.com", Permissions: map[string][]string{"/": {"*"}}}
		if name == "pwd" {
			u.Filters.PasswordExpiration = 10
		}
		if err := e.store.AddUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	e.action(t, dataprovider.BaseEventAction{Name: "disable", Type: dataprovider.ActionTypeUserInactivityCheck,
		Options: dataprovider.BaseEventActionOptions{UserInactivityConfig: json.RawMessage(`{"disable_threshold":30}`)}})
	e.action(t, dataprovider.BaseEventAction{Name: "delete", Type: dataprovider.ActionTypeUserInactivityCheck,
		Options: dataprovider.BaseEventActionOptions{UserInactivityConfig: json.RawMessage(`{"disable_threshold":10,"delete_threshold":35}`)}})
	e.action(t, dataprovider.BaseEventAction{Name: "pwd-mail", Type: dataprovider.ActionTypePasswordExpiration,
		Options: dataprovider.BaseEventActionOptions{PwdExpirationConfig: json.RawMessage(`{"threshold":3}`)}})
	rule := func(name, action, pattern string) {
		e.rule(t, dataprovider.EventRule{Name: name, Trigger: dataprovider.TriggerOnDemand,
			Conditions: dataprovider.EventConditions{Options: dataprovider.EventConditionOptions{
				Names: []dataprovider.ConditionPattern{{Pattern: pattern}}}},
			Actions: []dataprovider.EventAction{ref(action, dataprovider.EventActionOptions{})}})
	}
	rule("r-disable", "disable", "idle-a")
	rule("r-delete", "delete", "idle-b")
	rule("r-pwd", "pwd-mail", "pwd")
	e.clock.set(time.Now().Add(8 * 24 * time.Hour)) // password: 2 days left
	if err := e.mgr.RunOnDemand(ctx, "r-pwd"); err != nil {
		t.Fatal(err)
	}
	waitLog(t, e.logs, "rule=r-pwd action=pwd-mail")
	e.clock.set(time.Now().Add(40 * 24 * time.Hour))
	for _, r := range []string{"r-disable", "r-delete"} {
		if err := e.mgr.RunOnDemand(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	e.drain(t)
	if u, err := e.store.GetUser(ctx, "idle-a"); err != nil || u.Status != 0 {
		t.Fatalf("idle-a: %v status %d", err, u.Status)
	}
	if _, err := e.store.GetUser(ctx, "idle-b"); err == nil {
		t.Fatal("idle-b not deleted")
	}
	if u, err := e.store.GetUser(ctx, "pwd"); err != nil || u.Status != 1 {
		t.Fatalf("pwd: %v", err)
	}
	e.mail.mu.Lock()
	defer e.mail.mu.Unlock()
	if len(e.mail.sent) != 1 || e.mail.sent[0].To[0] != "pwd@example.com" || !strings.Contains(e.mail.sent[0].Subject, "expires in 2 days") {
		t.Fatalf("password mails: %+v", e.mail.sent)
	}
}

func waitLog(t *testing.T, l *logBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(l.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("log lacks %q:\n%s", want, l.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCertificateAndIPBlockedTriggers(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	a := httpAct("note", rc.srv.URL+"/note", "")
	a.Options.HTTPConfig.Headers = nil
	a.Options.HTTPConfig.Body = "{{.Event}}|{{.Name}}|{{.Status}}|{{.ErrorString}}|{{.IP}}"
	e.action(t, a)
	for _, tr := range []int{dataprovider.TriggerCertificate, dataprovider.TriggerIPBlocked} {
		e.rule(t, dataprovider.EventRule{Name: "r" + string(rune('0'+tr)), Trigger: tr,
			Actions: []dataprovider.EventAction{ref("note", dataprovider.EventActionOptions{})}})
	}
	e.mgr.CertificateRenewed("files.example.com", errors.New("acme: rate limited"))
	e.mgr.IPBlocked("192.0.2.7", "FTP")
	e.drain(t)
	got := map[string]bool{}
	for _, c := range rc.get() {
		got[c.Body] = true
	}
	if !got["Certificate renewal|files.example.com|2|acme: rate limited|"] || !got["IP Blocked||0||192.0.2.7"] || len(got) != 2 {
		t.Fatalf("calls: %v", got)
	}
}

// A user expiration check fails naming the expired users, so its failure
// action (an e-mail here) reports them; the log rotation action rotates;
// the metadata check (a plugin feature in SFTPGo) succeeds doing nothing.
func TestUserExpirationRotateLogsMetadata(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	for name, exp := range map[string]time.Time{"gone-1": now.Add(-time.Hour), "gone-2": now.Add(-48 * time.Hour),
		"fine": now.Add(time.Hour), "never": {}, "other": now.Add(-time.Hour)} {
		u := dataprovider.User{Username: name, Status: 1, Password: "secret-" + name, HomeDir: t.TempDir(),
			Permissions: map[string][]string{"/": {"*"}}}
		if !exp.IsZero() {
			u.ExpirationDate = exp.UnixMilli()
		}
		if err := e.store.AddUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	var rotated int
	var mu sync.Mutex
	e.mgr.opts.RotateLogs = func() error { mu.Lock(); rotated++; mu.Unlock(); return nil }
	e.action(t, dataprovider.BaseEventAction{Name: "expired", Type: dataprovider.ActionTypeUserExpiration})
	e.action(t, dataprovider.BaseEventAction{Name: "rotate", Type: dataprovider.ActionTypeRotateLogs})
	e.action(t, dataprovider.BaseEventAction{Name: "meta", Type: dataprovider.ActionTypeMetadataCheck})
	e.action(t, dataprovider.BaseEventAction{Name: "report", Type: dataprovider.ActionTypeEmail,
		Options: dataprovider.BaseEventActionOptions{EmailConfig: dataprovider.EventActionEmailConfig{
			Recipients: []string{"ops@example.com"}, Subject: "expired accounts", Body: "{{.ErrorString}}"}}})
	e.rule(t, dataprovider.EventRule{Name: "nightly", Trigger: dataprovider.TriggerOnDemand,
		Conditions: dataprovider.EventConditions{Options: dataprovider.EventConditionOptions{
			Names: []dataprovider.ConditionPattern{{Pattern: "gone-*"}, {Pattern: "fine"}, {Pattern: "never"}}}},
		Actions: []dataprovider.EventAction{
			ref("meta", dataprovider.EventActionOptions{}),
			ref("rotate", dataprovider.EventActionOptions{}),
			ref("expired", dataprovider.EventActionOptions{}),
			ref("report", dataprovider.EventActionOptions{IsFailureAction: true})}})
	if err := e.mgr.RunOnDemand(ctx, "nightly"); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	mu.Lock()
	if rotated != 1 {
		t.Fatalf("log rotations: %d", rotated)
	}
	mu.Unlock()
	e.mail.mu.Lock()
	defer e.mail.mu.Unlock()
	if len(e.mail.sent) != 1 || e.mail.sent[0].Body != "expired users: gone-1, gone-2" {
		t.Fatalf("failure mail: %+v\n%s", e.mail.sent, e.logs.String())
	}
	if !strings.Contains(e.logs.String(), "metadata check: no metadata plugin") {
		t.Fatalf("metadata check not logged:\n%s", e.logs.String())
	}
}

// The IdP login rules run synchronously before the sign-in: an account
// check creates the user from its template with the token's custom
// fields, updates it on the next sign-in (mode 0), creates an admin from
// the admin template, and a failing check refuses the sign-in.
func TestIDPLoginAccountCheck(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	home := t.TempDir()
	e.action(t, dataprovider.BaseEventAction{Name: "provision", Type: dataprovider.ActionTypeIDPAccountCheck,
		Options: dataprovider.BaseEventActionOptions{IDPConfig: json.RawMessage(`{"mode":0,` +
			`"template_user":"{\"username\":\"someone-else\",\"home_dir\":\"` + home + `/{{.Name}}\",\"permissions\":{\"/\":[\"*\"]},\"description\":\"{{.IDPFielddepartment}}\",\"quota_size\":{{.IDPFieldquota}}}",` +
			`"template_admin":"{\"permissions\":[\"*\"],\"description\":\"from {{.IDPFielddepartment}}\"}"}`)}})
	if err := e.store.AddEventAction(ctx, &dataprovider.BaseEventAction{Name: "bad", Type: dataprovider.ActionTypeIDPAccountCheck,
		Options: dataprovider.BaseEventActionOptions{IDPConfig: json.RawMessage(`{"mode":3,"template_user":"{}"}`)}}); err == nil {
		t.Fatal("idp_config.mode 3 accepted")
	}
	e.rule(t, dataprovider.EventRule{Name: "idp", Trigger: dataprovider.TriggerIDPLogin,
		Conditions: dataprovider.EventConditions{Options: dataprovider.EventConditionOptions{
			Names: []dataprovider.ConditionPattern{{Pattern: "idp-*"}}}},
		Actions: []dataprovider.EventAction{ref("provision", dataprovider.EventActionOptions{ExecuteSync: true})}})
	fields := map[string]any{"department": `R&D "west"`, "quota": 1048576}
	if err := e.mgr.IDPLogin(ctx, "idp-anna", false, "192.0.2.1", fields); err != nil {
		t.Fatal(err)
	}
	u, err := e.store.GetUser(ctx, "idp-anna")
	if err != nil {
		t.Fatalf("user not created: %v\n%s", err, e.logs.String())
	}
	if u.Status != 1 || u.Description != `R&D "west"` || u.QuotaSize != 1048576 || u.HomeDir != filepath.Join(home, "idp-anna") {
		t.Fatalf("created user: %+v", u)
	}
	if _, err := e.store.GetUser(ctx, "someone-else"); err == nil {
		t.Fatal("the template named another account and it was created")
	}
	fields["department"] = "Sales"
	if err := e.mgr.IDPLogin(ctx, "idp-anna", false, "192.0.2.1", fields); err != nil {
		t.Fatal(err)
	}
	if u, _ := e.store.GetUser(ctx, "idp-anna"); u.Description != "Sales" {
		t.Fatalf("user not updated: %q", u.Description)
	}
	if err := e.mgr.IDPLogin(ctx, "idp-boss", true, "192.0.2.1", fields); err != nil {
		t.Fatal(err)
	}
	if a, err := e.store.GetAdmin(ctx, "idp-boss"); err != nil || a.Description != "from Sales" || a.Status != 1 {
		t.Fatalf("admin: %+v %v", a, err)
	}
	// names outside the rule's conditions are left alone
	if err := e.mgr.IDPLogin(ctx, "carl", false, "192.0.2.1", fields); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.GetUser(ctx, "carl"); err == nil {
		t.Fatal("carl created by a rule for idp-*")
	}
	// a template that does not render to a user refuses the sign-in
	fields["quota"] = "not a number"
	if err := e.mgr.IDPLogin(ctx, "idp-zed", false, "192.0.2.1", fields); err == nil {
		t.Fatal("a broken template did not refuse the sign-in")
	}
}

// A running data retention check is listed, once per user.
func TestRetentionChecksRegistry(t *testing.T) {
	e := newEnv(t)
	if !e.mgr.retentionStart("ann", []folderRetention{{Path: "/", Retention: 24}}) {
		t.Fatal("first check refused")
	}
	if e.mgr.retentionStart("ann", nil) {
		t.Fatal("a second check of the same user started")
	}
	got := e.mgr.RetentionChecks()
	if len(got) != 1 || got[0].Username != "ann" || got[0].Folders[0].Retention != 24 || got[0].StartTime != e.clock.Now().UnixMilli() {
		t.Fatalf("checks: %+v", got)
	}
	e.mgr.retentionDone("ann")
	if len(e.mgr.RetentionChecks()) != 0 {
		t.Fatal("finished check still listed")
	}
}
