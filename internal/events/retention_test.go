package events

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// dirConn is file access on a local directory (the user's home), enough
// for the retention check.
type dirConn struct{ root string }

func (d dirConn) p(v string) string { return filepath.Join(d.root, filepath.FromSlash(v)) }
func (d dirConn) Stat(_ context.Context, v string) (os.FileInfo, error) {
	return os.Stat(d.p(v))
}
func (d dirConn) Mkdir(_ context.Context, v string) error            { return os.MkdirAll(d.p(v), 0o755) }
func (d dirConn) Rename(_ context.Context, s, t string) error        { return os.Rename(d.p(s), d.p(t)) }
func (d dirConn) Copy(context.Context, string, string) error         { return os.ErrInvalid }
func (d dirConn) RemoveAll(_ context.Context, v string) error        { return os.RemoveAll(d.p(v)) }
func (d dirConn) Close() error                                       { return nil }
func (d dirConn) Create(context.Context, string) (FileWriter, error) { return nil, os.ErrInvalid }
func (d dirConn) OpenRead(_ context.Context, v string) (io.ReadCloser, error) {
	return os.Open(d.p(v))
}
func (d dirConn) ReadDir(_ context.Context, v string) ([]os.FileInfo, error) {
	entries, err := os.ReadDir(d.p(v))
	if err != nil {
		return nil, err
	}
	out := make([]os.FileInfo, 0, len(entries))
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			return nil, err
		}
		out = append(out, fi)
	}
	return out, nil
}

// A retention check's report reaches the rule's next e-mail action as a
// zip of one CSV per user ({{RetentionReports}} as the attachment).
func TestRetentionReportAttachment(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "old"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"stale-1", "stale-2", "fresh"} {
		if err := os.WriteFile(filepath.Join(home, "old", n), []byte("12345"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-3 * time.Hour)
	for _, n := range []string{"stale-1", "stale-2"} {
		if err := os.Chtimes(filepath.Join(home, "old", n), past, past); err != nil {
			t.Fatal(err)
		}
	}
	u := dataprovider.User{Username: "keeper", Status: 1, Password: "secret-keeper", HomeDir: home,
		Permissions: map[string][]string{"/": {"*"}}}
	if err := e.store.AddUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	e.clock.set(time.Now())
	e.mgr.opts.Fs = func(context.Context, dataprovider.User) (FsConn, error) { return dirConn{home}, nil }
	e.action(t, dataprovider.BaseEventAction{Name: "retain", Type: dataprovider.ActionTypeDataRetentionCheck,
		Options: dataprovider.BaseEventActionOptions{RetentionConfig: json.RawMessage(`{"folders":[{"path":"/old","retention":2}]}`)}})
	e.action(t, dataprovider.BaseEventAction{Name: "mail-report", Type: dataprovider.ActionTypeEmail,
		Options: dataprovider.BaseEventActionOptions{EmailConfig: dataprovider.EventActionEmailConfig{
			Recipients: []string{"ops@example.com"}, Subject: "retention", Body: "see attached",
			Attachments: []string{"{{RetentionReports}}"}}}})
	e.rule(t, dataprovider.EventRule{Name: "nightly-retention", Trigger: dataprovider.TriggerOnDemand,
		Conditions: dataprovider.EventConditions{Options: dataprovider.EventConditionOptions{
			Names: []dataprovider.ConditionPattern{{Pattern: "keeper"}}}},
		Actions: []dataprovider.EventAction{ref("retain", dataprovider.EventActionOptions{}), ref("mail-report", dataprovider.EventActionOptions{})}})
	if err := e.mgr.RunOnDemand(ctx, "nightly-retention"); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	if _, err := os.Stat(filepath.Join(home, "old", "fresh")); err != nil {
		t.Fatal(err)
	}
	e.mail.mu.Lock()
	defer e.mail.mu.Unlock()
	if len(e.mail.sent) != 1 || len(e.mail.sent[0].Attachments) != 1 || e.mail.sent[0].Attachments[0].Name != "retention-reports.zip" {
		t.Fatalf("mails: %+v\n%s", e.mail.sent, e.logs.String())
	}
	data := e.mail.sent[0].Attachments[0].Data
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil || len(zr.File) != 1 || zr.File[0].Name != "keeper.csv" {
		t.Fatalf("zip: %v %v", err, zr)
	}
	f, _ := zr.File[0].Open()
	csv, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "keeper,/old,2,2,10,") {
		t.Fatalf("report: %q", csv)
	}
}
