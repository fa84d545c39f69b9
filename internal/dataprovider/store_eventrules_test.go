package dataprovider

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

func httpAction(name string) BaseEventAction {
	return BaseEventAction{Name: name, Type: ActionTypeHTTP, Options: BaseEventActionOptions{
		HTTPConfig: EventActionHTTPConfig{Endpoint: "http://127.0.0.1:9/x", Method: "POST", Timeout: 5,
			Username: "u", Password: kms.NewPlainSecret("hookpw")},
		CmdConfig: EventActionCommandConfig{Cmd: "/bin/dropped"}}}
}

func TestEventActionsAndRules(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := httpAction("notify")
		must(t, s.AddEventAction(ctx, &a))
		if a.Options.CmdConfig.Cmd != "" {
			t.Fatal("settings of another action type kept")
		}
		if !a.Options.HTTPConfig.Password.IsEncrypted() {
			t.Fatalf("password not sealed: %+v", a.Options.HTTPConfig.Password)
		}
		dup := httpAction("notify")
		if err := s.AddEventAction(ctx, &dup); !errors.Is(err, ErrConflict) {
			t.Fatalf("duplicate action: %v", err)
		}
		cmd := BaseEventAction{Name: "run", Type: ActionTypeCommand, Options: BaseEventActionOptions{
			CmdConfig: EventActionCommandConfig{Cmd: "/usr/bin/true", Timeout: 5}}}
		if err := s.AddEventAction(ctx, &cmd); !errors.Is(err, ErrValidation) {
			t.Fatalf("command not in enabled_commands accepted: %v", err)
		}
		s.SetEventCommands([]string{"/usr/bin/true"})
		must(t, s.AddEventAction(ctx, &cmd))

		r := EventRule{Name: "on-csv", Status: 1, Trigger: TriggerFsEvent,
			Conditions: EventConditions{FsEvents: []string{"upload"}, ProviderEvents: []string{"add"},
				Options: EventConditionOptions{FsPaths: []ConditionPattern{{Pattern: "/*.csv"}}}},
			Actions: []EventAction{{BaseEventAction: BaseEventAction{Name: "run"}, Order: 2},
				{BaseEventAction: BaseEventAction{Name: "notify"}, Order: 1}}}
		must(t, s.AddEventRule(ctx, &r))
		got, err := s.GetEventRule(ctx, "on-csv")
		must(t, err)
		if len(got.Actions) != 2 || got.Actions[0].Name != "notify" || got.Actions[0].Type != ActionTypeHTTP ||
			got.Actions[1].Options.CmdConfig.Cmd != "/usr/bin/true" || got.Conditions.ProviderEvents != nil || got.CreatedAt == 0 {
			t.Fatalf("stored rule: %+v", got)
		}
		bad := EventRule{Name: "bad", Status: 1, Trigger: TriggerOnDemand,
			Actions: []EventAction{{BaseEventAction: BaseEventAction{Name: "missing"}}}}
		if err := s.AddEventRule(ctx, &bad); !errors.Is(err, ErrValidation) {
			t.Fatalf("rule with a missing action: %v", err)
		}
		sched := EventRule{Name: "nightly", Status: 1, Trigger: TriggerSchedule,
			Conditions: EventConditions{Schedules: []Schedule{{Hours: "25", DayOfWeek: "*", DayOfMonth: "*", Month: "*"}}},
			Actions:    []EventAction{{BaseEventAction: BaseEventAction{Name: "notify"}}}}
		if err := s.AddEventRule(ctx, &sched); !errors.Is(err, ErrValidation) {
			t.Fatalf("bad schedule accepted: %v", err)
		}
		pre := EventRule{Name: "pre", Status: 1, Trigger: TriggerFsEvent,
			Conditions: EventConditions{FsEvents: []string{"pre-upload"}},
			Actions:    []EventAction{{BaseEventAction: BaseEventAction{Name: "notify"}}}}
		if err := s.AddEventRule(ctx, &pre); !errors.Is(err, ErrValidation) {
			t.Fatalf("pre-upload rule without a sync action accepted: %v", err)
		}

		act, err := s.GetEventAction(ctx, "notify")
		must(t, err)
		if len(act.Rules) != 1 || act.Rules[0] != "on-csv" {
			t.Fatalf("rules of the action: %v", act.Rules)
		}
		if err := s.DeleteEventAction(ctx, "notify"); !errors.Is(err, ErrValidation) {
			t.Fatalf("delete of an action in use: %v", err)
		}
		// update keeps a redacted password
		act.Options.HTTPConfig.Password = act.Options.HTTPConfig.Password.Redacted()
		act.Description = "changed"
		must(t, s.UpdateEventAction(ctx, &act))
		act2, _ := s.GetEventActionForRun(ctx, "notify")
		if pw, err := s.DecryptSecret(act2.Options.HTTPConfig.Password); err != nil || pw != "hookpw" {
			t.Fatalf("password after update: %q %v", pw, err)
		}

		list, err := s.ListEventRules(ctx, 10, 0, "DESC")
		must(t, err)
		if len(list) != 1 {
			t.Fatalf("rules: %d", len(list))
		}
		actions, err := s.ListEventActions(ctx, 1, 1, "ASC")
		must(t, err)
		if len(actions) != 1 || actions[0].Name != "run" {
			t.Fatalf("actions page: %+v", actions)
		}

		// dump and restore into a fresh store of the same driver
		dump, err := s.Dump(ctx)
		must(t, err)
		raw, _ := json.Marshal(dump)
		if strings.Contains(string(raw), "hookpw") {
			t.Fatal("dump holds the action password in clear")
		}
		if len(dump.EventActions) != 2 || len(dump.EventRules) != 1 || !strings.Contains(string(dump.EventRules[0]), `"type":1`) {
			t.Fatalf("dumped events: %s %s", dump.EventActions, dump.EventRules)
		}
		must(t, s.DeleteEventRule(ctx, "on-csv"))
		must(t, s.DeleteEventAction(ctx, "notify"))
		if _, err := s.GetEventRule(ctx, "on-csv"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleted rule: %v", err)
		}
		var back BackupData
		must(t, json.Unmarshal(raw, &back))
		must(t, s.Restore(ctx, &back, RestoreModeAddUpdate))
		got, err = s.GetEventRule(ctx, "on-csv")
		must(t, err)
		if len(got.Actions) != 2 || got.Actions[0].Options.HTTPConfig.Endpoint != "http://127.0.0.1:9/x" {
			t.Fatalf("restored rule: %+v", got)
		}
	})
}

// TestSFTPGoDumpRules loads SFTPGo's dump: its rule and action become
// objects, with the action's Secretbox password readable.
func TestSFTPGoDumpRules(t *testing.T) {
	ctx := context.Background()
	b, err := os.ReadFile(filepath.Join(fixtureDir(t), "dump.json"))
	must(t, err)
	s := openFixtureStore(t, t.TempDir())
	must(t, s.Migrate(ctx))
	var data BackupData
	must(t, json.Unmarshal(b, &data))
	must(t, s.Restore(ctx, &data, RestoreModeAddUpdate))
	r, err := s.GetEventRule(ctx, "devs-on-report")
	must(t, err)
	if r.Trigger != TriggerFsEvent || len(r.Actions) != 1 || r.Actions[0].Options.HTTPConfig.Endpoint != "http://127.0.0.1:9/hooks/upload" ||
		!MatchPatterns(r.Conditions.Options.FsPaths, "/reports/a.csv") || MatchPatterns(r.Conditions.Options.FsPaths, "/a.csv") {
		t.Fatalf("rule: %+v", r)
	}
	a, err := s.GetEventActionForRun(ctx, "devs-notify")
	must(t, err)
	if _, err := s.DecryptSecret(a.Options.HTTPConfig.Password); err != nil {
		t.Fatalf("SFTPGo secret: %v", err)
	}
}

func TestCronSchedule(t *testing.T) {
	c, err := ParseCron("0 */6 * * 1-5")
	must(t, err)
	at := time.Date(2026, 12, 4, 5, 30, 0, 0, time.UTC) // a Friday
	if next := c.Next(at); !next.Equal(time.Date(2026, 12, 4, 6, 0, 0, 0, time.UTC)) {
		t.Fatalf("next: %v", next)
	}
	if next := c.Next(time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)); !next.Equal(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("next after friday: %v", next)
	}
	for _, bad := range []string{"0 24 * * *", "0 * * *", "0 a * * *", "0 5-1 * * *"} {
		if _, err := ParseCron(bad); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
	if !MatchPatterns([]ConditionPattern{{Pattern: "/**/*.csv"}}, "/a/b/c.csv") ||
		MatchPatterns([]ConditionPattern{{Pattern: "/*.csv", InverseMatch: true}}, "/x.csv") {
		t.Fatal("patterns")
	}
}

func TestClaimEventRun(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ok, err := s.ClaimEventRun(ctx, "nightly", 100, "node1")
		must(t, err)
		if !ok {
			t.Fatal("first claim refused")
		}
		ok, err = s.ClaimEventRun(ctx, "nightly", 100, "node2")
		must(t, err)
		_, isSQL := s.driver.(*sqlDriver)
		if ok == isSQL {
			t.Fatalf("second claim of the same slot: %v (sql %v)", ok, isSQL)
		}
		ok, err = s.ClaimEventRun(ctx, "nightly", 101, "node2")
		must(t, err)
		if !ok {
			t.Fatal("next slot refused")
		}
	})
}

// TestMigrateAdoptsEventSections: a schema 5 database kept event actions
// and rules as sections; migrating to 6 makes them objects.
func TestMigrateAdoptsEventSections(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, "sqlite")
	must(t, s.driver.MigrateTo(ctx, 5))
	must(t, s.driver.SetSection(ctx, sectionEventActions, []byte(`[{"name":"a1","type":2,"options":{"cmd_config":{"cmd":"/bin/true","timeout":5}}}]`)))
	must(t, s.driver.SetSection(ctx, sectionEventRules, []byte(`[{"name":"r1","status":1,"trigger":6,"actions":[{"name":"a1"}]}]`)))
	must(t, s.Migrate(ctx))
	r, err := s.GetEventRule(ctx, "r1")
	must(t, err)
	if len(r.Actions) != 1 || r.Actions[0].Options.CmdConfig.Cmd != "/bin/true" {
		t.Fatalf("adopted rule: %+v", r)
	}
	if b, _ := s.driver.GetSection(ctx, sectionEventRules); len(b) != 0 {
		t.Fatalf("section kept: %s", b)
	}
	dump, err := s.Dump(ctx)
	must(t, err)
	if len(dump.EventRules) != 1 || len(dump.EventActions) != 1 {
		t.Fatalf("dump: %d rules %d actions", len(dump.EventRules), len(dump.EventActions))
	}
}
