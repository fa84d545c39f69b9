package httpd

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func TestVersion(t *testing.T) {
	e := newTestEnv(t)
	var v VersionInfo
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/version", e.adminAuth(), nil).json(t, &v)
	if v.Version != "9.9.9" || v.CommitHash != "abc" || v.BuildDate != "2026-01-01" || !slices.Equal(v.Features, []string{"+sftp"}) {
		t.Fatalf("version: %+v", v)
	}
}

type fakeStatus struct{}

func (fakeStatus) ServicesStatus(context.Context) map[string]any {
	return map[string]any{"ssh": map[string]any{"is_active": true, "bindings": []map[string]any{{"port": 2022}}}}
}

func TestStatus(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.Status = fakeStatus{} })
	var st map[string]map[string]any
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/status", e.adminAuth(), nil).json(t, &st)
	if st["ssh"]["is_active"] != true || st["ftp"]["is_active"] != false || st["webdav"]["is_active"] != false {
		t.Fatalf("services: %+v", st)
	}
	if st["data_provider"]["is_active"] != true || st["data_provider"]["driver"] != "memory" {
		t.Fatalf("data provider: %+v", st["data_provider"])
	}
	// Without a provider, every service is reported inactive.
	e2 := newTestEnv(t)
	e2.expect(http.StatusOK, http.MethodGet, "/api/v2/status", e2.adminAuth(), nil).json(t, &st)
	if st["ssh"]["is_active"] != false {
		t.Fatalf("nil provider: %+v", st)
	}
}

func TestQuotaUsage(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()
	ctx := context.Background()
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/users", adm, testUser("q"))
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/folders", adm, map[string]any{"name": "qf", "mapped_path": "/srv/qf"})

	e.expect(http.StatusOK, http.MethodPut, "/api/v2/quotas/users/q/usage", adm, map[string]any{"used_quota_size": 100, "used_quota_files": 2})
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/quotas/users/q/usage?mode=add", adm, map[string]any{"used_quota_size": 50, "used_quota_files": 1})
	u, err := e.store.GetUser(ctx, "q")
	if err != nil {
		t.Fatal(err)
	}
	if u.UsedQuotaSize != 150 || u.UsedQuotaFiles != 3 {
		t.Fatalf("quota: %d/%d", u.UsedQuotaSize, u.UsedQuotaFiles)
	}
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/quotas/users/q/usage?mode=reset", adm, map[string]any{"used_quota_size": 7})
	u, _ = e.store.GetUser(ctx, "q")
	if u.UsedQuotaSize != 7 || u.UsedQuotaFiles != 0 {
		t.Fatalf("quota after reset: %d/%d", u.UsedQuotaSize, u.UsedQuotaFiles)
	}

	e.expect(http.StatusOK, http.MethodPut, "/api/v2/quotas/users/q/transfer-usage", adm,
		map[string]any{"used_upload_data_transfer": 10, "used_download_data_transfer": 20})
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/quotas/users/q/transfer-usage?mode=add", adm,
		map[string]any{"used_upload_data_transfer": 1})
	u, _ = e.store.GetUser(ctx, "q")
	if u.UsedUploadDataTransfer != 11 || u.UsedDownloadDataTransfer != 20 {
		t.Fatalf("transfer: %d/%d", u.UsedUploadDataTransfer, u.UsedDownloadDataTransfer)
	}

	// Replacing the user through PUT /users does not touch its usage.
	body := testUser("q")
	body["used_quota_size"], body["used_upload_data_transfer"] = 0, 0
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/users/q", adm, body)
	u, _ = e.store.GetUser(ctx, "q")
	if u.UsedQuotaSize != 7 || u.UsedUploadDataTransfer != 11 {
		t.Fatalf("PUT /users changed usage: %d/%d", u.UsedQuotaSize, u.UsedUploadDataTransfer)
	}

	e.expect(http.StatusOK, http.MethodPut, "/api/v2/quotas/folders/qf/usage", adm, map[string]any{"used_quota_size": 5, "used_quota_files": 1})
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/quotas/folders/qf/usage?mode=add", adm, map[string]any{"used_quota_size": 5, "used_quota_files": 1})
	f, err := e.store.GetFolder(ctx, "qf")
	if err != nil {
		t.Fatal(err)
	}
	if f.UsedQuotaSize != 10 || f.UsedQuotaFiles != 2 {
		t.Fatalf("folder quota: %d/%d", f.UsedQuotaSize, f.UsedQuotaFiles)
	}

	for _, c := range []struct {
		path   string
		body   any
		status int
		field  string
	}{
		{"/api/v2/quotas/users/q/usage?mode=double", map[string]any{}, 400, "mode"},
		{"/api/v2/quotas/users/q/usage", map[string]any{"used_quota_size": -1}, 400, "used_quota_size"},
		{"/api/v2/quotas/users/q/usage", `{"used_size": 1}`, 400, "used_size"},
		{"/api/v2/quotas/users/q/usage", `{"used_quota_files": "many"}`, 400, "used_quota_files"},
		{"/api/v2/quotas/users/q/transfer-usage", map[string]any{"used_download_data_transfer": -1}, 400, "used_download_data_transfer"},
		{"/api/v2/quotas/folders/qf/usage", map[string]any{"used_quota_files": -1}, 400, "used_quota_files"},
		{"/api/v2/quotas/users/nobody/usage", map[string]any{}, 404, ""},
		{"/api/v2/quotas/users/nobody/transfer-usage", map[string]any{}, 404, ""},
		{"/api/v2/quotas/folders/nothing/usage", map[string]any{}, 404, ""},
	} {
		r := e.expect(c.status, http.MethodPut, c.path, adm, c.body)
		if msg := r.apiErr(t).Error; !strings.Contains(msg, c.field) {
			t.Errorf("%s: error %q lacks %q", c.path, msg, c.field)
		}
	}
	for _, p := range []string{"/api/v2/quotas/users/scans", "/api/v2/quotas/folders/scans"} {
		r := e.expect(http.StatusOK, http.MethodGet, p, adm, nil)
		if strings.TrimSpace(string(r.body)) != "[]" {
			t.Fatalf("%s: %s", p, r.body)
		}
	}
}

func TestConnections(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()
	r := e.expect(http.StatusOK, http.MethodGet, "/api/v2/connections", adm, nil)
	if strings.TrimSpace(string(r.body)) != "[]" {
		t.Fatalf("empty list: %s", r.body)
	}
	e.conns.list = []ConnectionStatus{{
		Username: "alice", ConnectionID: "SFTP_1", ClientVersion: "SSH-2.0-OpenSSH", RemoteAddress: "192.0.2.1:5000",
		ConnectionTime: 1, LastActivity: 2, Protocol: "SFTP", Command: "",
		ActiveTransfers: []Transfer{{OperationType: "upload", Path: "/f", StartTime: 3, Size: 4}},
	}}
	r = e.expect(http.StatusOK, http.MethodGet, "/api/v2/connections", adm, nil)
	var raw []map[string]any
	r.json(t, &raw)
	if len(raw) != 1 {
		t.Fatalf("list: %s", r.body)
	}
	for _, k := range []string{"username", "connection_id", "client_version", "remote_address", "connection_time", "last_activity", "protocol", "active_transfers"} {
		if _, ok := raw[0][k]; !ok {
			t.Errorf("connection lacks %q: %s", k, r.body)
		}
	}
	tr := raw[0]["active_transfers"].([]any)[0].(map[string]any)
	for _, k := range []string{"operation_type", "path", "start_time", "size"} {
		if _, ok := tr[k]; !ok {
			t.Errorf("transfer lacks %q", k)
		}
	}
	e.expect(http.StatusNotFound, http.MethodDelete, "/api/v2/connections/unknown", adm, nil).apiErr(t)
	e.expect(http.StatusOK, http.MethodDelete, "/api/v2/connections/SFTP_1", adm, nil)
	if len(e.conns.Connections()) != 0 {
		t.Fatal("connection not closed")
	}

	// A nil provider: empty list, nothing to close.
	e2 := newTestEnv(t, func(o *Options) { o.Connections = nil })
	adm2 := e2.adminAuth()
	r = e2.expect(http.StatusOK, http.MethodGet, "/api/v2/connections", adm2, nil)
	if strings.TrimSpace(string(r.body)) != "[]" {
		t.Fatalf("nil provider: %s", r.body)
	}
	e2.expect(http.StatusNotFound, http.MethodDelete, "/api/v2/connections/x", adm2, nil)
}

// populate creates one object of each kind through the API.
func populate(t *testing.T, e *testEnv, adm auth) {
	t.Helper()
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/folders", adm, map[string]any{"name": "f1", "mapped_path": "/srv/f1"})
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/groups", adm, map[string]any{"name": "g1", "description": "group"})
	u := s3User("u1")
	u["groups"] = []map[string]any{{"name": "g1", "type": dataprovider.GroupTypeSecondary}}
	u["virtual_folders"] = []map[string]any{{"name": "f1", "virtual_path": "/f1", "quota_size": -1, "quota_files": -1}}
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/users", adm, u)
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/admins", adm, map[string]any{
		"username": "a2", "password": "A2-password!", "status": 1, "permissions": []string{"view_users"}})
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/apikeys", adm, map[string]any{"name": "k1", "scope": 1, "admin": "a2"})
}

func names[T any](items []T, name func(T) string) []string {
	var out []string
	for _, it := range items {
		out = append(out, name(it))
	}
	slices.Sort(out)
	return out
}

func TestDumpAndLoad(t *testing.T) {
	for _, c := range []struct{ from, to string }{{"memory", "sqlite"}, {"sqlite", "memory"}} {
		t.Run(c.from+"_to_"+c.to, func(t *testing.T) { testDumpAndLoad(t, c.from, c.to) })
	}
}

func testDumpAndLoad(t *testing.T, from, to string) {
	src := newTestEnv(t, driverEnv(from))
	adm := src.adminAuth()
	populate(t, src, adm)

	r := src.expect(http.StatusOK, http.MethodGet, "/api/v2/dumpdata?output-data=1&indent=1", adm, nil)
	var dump dataprovider.BackupData
	r.json(t, &dump)
	if len(dump.Users) != 1 || len(dump.Groups) != 1 || len(dump.Folders) != 1 || len(dump.Admins) != 2 || len(dump.APIKeys) != 1 {
		t.Fatalf("dump: %d users %d groups %d folders %d admins %d keys",
			len(dump.Users), len(dump.Groups), len(dump.Folders), len(dump.Admins), len(dump.APIKeys))
	}

	// Load into a fresh store, through the API, with fields from the
	// reference product this build does not model.
	var generic map[string]any
	if err := json.Unmarshal(r.body, &generic); err != nil {
		t.Fatal(err)
	}
	generic["unknown_top_level"] = true
	generic["users"].([]any)[0].(map[string]any)["custom_reference_field"] = "x"
	generic["configs"] = map[string]any{"sftpd": map[string]any{"algo": "x"}}
	dst := newTestEnv(t, driverEnv(to))
	dadm := dst.adminAuth()
	dst.expect(http.StatusOK, http.MethodPost, "/api/v2/loaddata?mode=0&scan-quota=0", dadm, generic)

	ctx := context.Background()
	got, err := dst.store.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	userName := func(u dataprovider.User) string { return u.Username }
	if a, b := names(dump.Users, userName), names(got.Users, userName); !slices.Equal(a, b) {
		t.Fatalf("users %v != %v", a, b)
	}
	groupName := func(g dataprovider.Group) string { return g.Name }
	folderName := func(f dataprovider.BaseVirtualFolder) string { return f.Name }
	adminName := func(a dataprovider.Admin) string { return a.Username }
	keyName := func(k dataprovider.APIKey) string { return k.KeyID + "/" + k.Name }
	if !slices.Equal(names(dump.Groups, groupName), names(got.Groups, groupName)) ||
		!slices.Equal(names(dump.Folders, folderName), names(got.Folders, folderName)) ||
		!slices.Equal(names(dump.Admins, adminName), names(got.Admins, adminName)) ||
		!slices.Equal(names(dump.APIKeys, keyName), names(got.APIKeys, keyName)) {
		t.Fatalf("restore mismatch:\nwant %+v\ngot  %+v", dump, got)
	}
	// The restored user is the same user: settings, secret, password.
	want, gotU := dump.Users[0], got.Users[0]
	if want.HomeDir != gotU.HomeDir || !reflect.DeepEqual(want.Permissions, gotU.Permissions) ||
		len(gotU.VirtualFolders) != 1 || len(gotU.Groups) != 1 ||
		gotU.FsConfig.S3Config.Bucket != "bucket" || gotU.FsConfig.S3Config.AccessSecret.IsEmpty() {
		t.Fatalf("restored user differs:\nwant %+v\ngot  %+v", want, gotU)
	}
	if _, err := dst.store.CheckUserPassword(ctx, "u1", "Us3r-password!"); err != nil {
		t.Fatalf("restored password: %v", err)
	}
	if _, err := dst.store.CheckAdminPassword(ctx, "a2", "A2-password!"); err != nil {
		t.Fatalf("restored admin password: %v", err)
	}

	// The restore replaced "admin" (same password, new hash): with the
	// default token_validation its token still works.
	dst.expect(http.StatusOK, http.MethodGet, "/api/v2/version", dadm, nil)
	// Bad restores change nothing.
	dst.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/loaddata?mode=7", dadm, generic).apiErr(t)
	dst.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/loaddata?scan-quota=x", dadm, generic).apiErr(t)
	dst.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/loaddata", dadm, `{"users": [`).apiErr(t)
	dst.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/loaddata", dadm, `{"users": [{"username": 5}]}`).apiErr(t)
}

func TestLoadDataFailureLeavesStoreUnchanged(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/users", adm, testUser("keep"))
	before, err := e.store.Dump(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// A valid user followed by an invalid one: the whole restore fails.
	bad := map[string]any{"users": []any{testUser("new1"), map[string]any{"username": "", "permissions": map[string]any{}}}}
	r := e.do(http.MethodPost, "/api/v2/loaddata", adm, bad)
	if r.status < 400 {
		t.Fatalf("invalid restore accepted: %d %s", r.status, r.body)
	}
	r.apiErr(t)
	after, err := e.store.Dump(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Users) != len(before.Users) {
		t.Fatalf("failed restore changed users: %d -> %d", len(before.Users), len(after.Users))
	}
}

func TestDumpToFile(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()
	populate(t, e, adm)
	backups := e.srv.backupsPath

	e.expect(http.StatusOK, http.MethodGet, "/api/v2/dumpdata?output-file=mybackup.json", adm, nil)
	data, err := os.ReadFile(filepath.Join(backups, "mybackup.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dump dataprovider.BackupData
	if err := json.Unmarshal(data, &dump); err != nil || len(dump.Users) != 1 {
		t.Fatalf("backup file: %v %d", err, len(dump.Users))
	}
	// Default name.
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/dumpdata", adm, nil)
	entries, _ := os.ReadDir(backups)
	if len(entries) != 2 {
		t.Fatalf("backups dir: %v", entries)
	}
	for _, bad := range []string{"../escape.json", "/tmp/abs.json", "sub/dir.json", "..", `a\b.json`} {
		e.expect(http.StatusBadRequest, http.MethodGet, "/api/v2/dumpdata?output-file="+bad, adm, nil).apiErr(t)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(backups), "escape.json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("path traversal wrote a file")
	}

	// Load it back by name and by absolute path into a fresh server that
	// shares the backups directory.
	dst := newTestEnv(t, func(o *Options) { o.BackupsPath = backups })
	dadm := dst.adminAuth()
	dst.expect(http.StatusOK, http.MethodGet, "/api/v2/loaddata?input-file=mybackup.json", dadm, nil)
	if _, err := dst.store.GetUser(context.Background(), "u1"); err != nil {
		t.Fatalf("user not restored from file: %v", err)
	}
	dst.expect(http.StatusOK, http.MethodGet, "/api/v2/loaddata?mode=1&input-file="+filepath.Join(backups, "mybackup.json"), dadm, nil)
	dst.expect(http.StatusBadRequest, http.MethodGet, "/api/v2/loaddata?input-file=../x.json", dadm, nil).apiErr(t)
	dst.expect(http.StatusBadRequest, http.MethodGet, "/api/v2/loaddata", dadm, nil).apiErr(t)
	dst.expect(http.StatusNotFound, http.MethodGet, "/api/v2/loaddata?input-file=missing.json", dadm, nil).apiErr(t)
}

func TestServeAndShutdown(t *testing.T) {
	e := newTestEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Serve(ln)
	url := "http://" + ln.Addr().String()
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("healthz over TCP: %d %q", resp.StatusCode, body)
	}
	resp, err = http.Get(url + "/openapi/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(body), "openapi: 3.0.3") {
		t.Fatalf("spec not served: %.40q", body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Fatal("still serving after Shutdown")
	}
}

func TestStartBindings(t *testing.T) {
	// Find a free port, then let Start bind it; port 0 means disabled.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	e := newTestEnv(t, func(o *Options) {
		o.Config.Bindings = []config.HTTPDBinding{
			{Address: "127.0.0.1", Port: 0, EnableRESTAPI: true},
			{Address: "127.0.0.1", Port: port, EnableRESTAPI: false},
		}
	})
	if err := e.srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.srv.Shutdown(context.Background()) })
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
	// enable_rest_api false: no API on this binding.
	resp, err = http.Get(base + "/api/v2/token")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("REST API served on a binding without it: %d", resp.StatusCode)
	}
	// HTTPS without a certificate is a start error.
	e2 := newTestEnv(t, func(o *Options) {
		o.Config.Bindings = []config.HTTPDBinding{{Address: "127.0.0.1", Port: port + 1, EnableHTTPS: true}}
	})
	if err := e2.srv.Start(context.Background()); err == nil {
		_ = e2.srv.Shutdown(context.Background())
		t.Fatal("HTTPS without a certificate must fail")
	}
}
