package httpd

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/events"
)

// POST /quotas/.../scan recounts the used quota in the background; the
// scans lists show a running scan, a second scan of it answers 409, and a
// storage the store cannot walk answers 400.
func TestQuotaScans(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()
	ctx := context.Background()
	u := e.addUser("scanme")
	for name, size := range map[string]int{"a": 10, "sub/b": 20} {
		p := filepath.Join(u.HomeDir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	fdir := t.TempDir()
	if err := os.WriteFile(filepath.Join(fdir, "c"), make([]byte, 5), 0o600); err != nil {
		t.Fatal(err)
	}
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/folders", adm, map[string]any{"name": "sf", "mapped_path": fdir})

	r := e.expect(http.StatusAccepted, http.MethodPost, "/api/v2/quotas/users/scanme/scan", adm, nil)
	if !strings.Contains(string(r.body), "Scan started") {
		t.Fatalf("scan answer: %s", r.body)
	}
	e.expect(http.StatusAccepted, http.MethodPost, "/api/v2/quotas/folders/sf/scan", adm, nil)
	deadline := time.Now().Add(10 * time.Second)
	for {
		u, _ := e.store.GetUser(ctx, "scanme")
		f, _ := e.store.GetFolder(ctx, "sf")
		if u.UsedQuotaSize == 30 && u.UsedQuotaFiles == 2 && f.UsedQuotaSize == 5 && f.UsedQuotaFiles == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the scans: user %d/%d folder %d/%d", u.UsedQuotaSize, u.UsedQuotaFiles, f.UsedQuotaSize, f.UsedQuotaFiles)
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.expect(http.StatusNotFound, http.MethodPost, "/api/v2/quotas/users/nobody/scan", adm, nil)
	e.expect(http.StatusNotFound, http.MethodPost, "/api/v2/quotas/folders/nothing/scan", adm, nil)

	// a scan that is still running is listed and not started twice
	release := make(chan struct{})
	if !e.srv.scans.start(false, "scanme", func(error) {}, func(context.Context) error { <-release; return nil }) {
		t.Fatal("scan not started")
	}
	r = e.expect(http.StatusConflict, http.MethodPost, "/api/v2/quotas/users/scanme/scan", adm, nil)
	r.apiErr(t)
	r = e.expect(http.StatusOK, http.MethodGet, "/api/v2/quotas/users/scans", adm, nil)
	var scans []map[string]any
	if err := json.Unmarshal(r.body, &scans); err != nil || len(scans) != 1 || scans[0]["username"] != "scanme" ||
		scans[0]["start_time"].(float64) <= 0 {
		t.Fatalf("scans: %s %v", r.body, err)
	}
	close(release)

	e.addUser("cloudy", func(u *dataprovider.User) {
		u.FsConfig.Provider = dataprovider.S3FilesystemProvider
		u.FsConfig.S3Config = dataprovider.S3Config{Bucket: "b", Region: "us-east-1"}
	})
	r = e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/quotas/users/cloudy/scan", adm, nil)
	if !strings.Contains(r.apiErr(t).Error, "local and encrypted local storage only") {
		t.Fatalf("s3 scan: %s", r.body)
	}
}

type retentionLister struct {
	EventRunner
	checks []events.RetentionCheck
}

func (l retentionLister) RetentionChecks() []events.RetentionCheck { return l.checks }

// GET /retention/users/checks lists the event manager's running checks.
func TestRetentionChecksList(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()
	r := e.expect(http.StatusOK, http.MethodGet, "/api/v2/retention/users/checks", adm, nil)
	if strings.TrimSpace(string(r.body)) != "[]" {
		t.Fatalf("no checks: %s", r.body)
	}
	e.srv.events = retentionLister{checks: []events.RetentionCheck{{Username: "ann", StartTime: 42}}}
	r = e.expect(http.StatusOK, http.MethodGet, "/api/v2/retention/users/checks", adm, nil)
	if !strings.Contains(string(r.body), `"username":"ann"`) || !strings.Contains(string(r.body), `"start_time":42`) {
		t.Fatalf("checks: %s", r.body)
	}
}

// TestEventSearchesSayNotAvailable: SFTPGo's event search routes answer
// 501 with the reason, not 404.
func TestEventSearchesSayNotAvailable(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()
	for _, kind := range []string{"fs", "provider", "logs"} {
		r := e.expect(http.StatusNotImplemented, http.MethodGet, "/api/v2/events/"+kind+"?limit=10", adm, nil)
		if !strings.Contains(string(r.body), "eventsearcher plugin") {
			t.Fatalf("%s: %s", kind, r.body)
		}
	}
}
