package httpd

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

func s3User(name string) map[string]any {
	u := testUser(name)
	u["filesystem"] = map[string]any{
		"provider": 1,
		"s3config": map[string]any{
			"bucket":        "bucket",
			"region":        "eu-west-1",
			"access_key":    "AKIA",
			"access_secret": map[string]any{"status": "Plain", "payload": "s3-secret-value"},
		},
	}
	return u
}

// checkNoSecrets fails if a user as returned by the API shows its password
// or any secret payload.
func checkNoSecrets(t *testing.T, raw []byte) {
	t.Helper()
	for _, leak := range []string{"s3-secret-value", "Us3r-password!", `"password":`, `"payload":`} {
		if strings.Contains(string(raw), leak) {
			t.Fatalf("response leaks %q: %s", leak, raw)
		}
	}
}

func TestUserCRUD(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()
	ctx := context.Background()

	r := e.expect(http.StatusCreated, http.MethodPost, "/api/v2/users", adm, s3User("alice"))
	checkNoSecrets(t, r.body)
	if loc := r.header.Get("Location"); loc != "/api/v2/users/alice" {
		t.Fatalf("Location %q", loc)
	}
	var u dataprovider.User
	r.json(t, &u)
	if u.Username != "alice" || !u.HasPassword || u.ID == 0 {
		t.Fatalf("created user: %+v", u)
	}
	sec := u.FsConfig.S3Config.AccessSecret
	if sec == nil || sec.Payload != "" || sec.Status == kms.StatusPlain || sec.Status == "" {
		t.Fatalf("access_secret not redacted: %+v", sec)
	}

	r = e.expect(http.StatusOK, http.MethodGet, "/api/v2/users/alice", adm, nil)
	checkNoSecrets(t, r.body)
	r.json(t, &u)

	stored, err := e.store.GetUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	before := stored.FsConfig.S3Config.AccessSecret.Clone()
	if before == nil || before.Payload == "" || before.Status == kms.StatusPlain {
		t.Fatalf("the store should hold the secret encrypted: %+v", before)
	}

	// Round trip: send back what GET returned, with a change.
	u.QuotaSize = 12345
	u.Description = "updated"
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/users/alice", adm, u)
	stored, err = e.store.GetUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if stored.QuotaSize != 12345 || stored.Description != "updated" {
		t.Fatalf("update not applied: %+v", stored)
	}
	if after := stored.FsConfig.S3Config.AccessSecret; after == nil || after.Payload != before.Payload {
		t.Fatalf("a redacted secret must keep the stored one: before %+v after %+v", before, after)
	}
	// The password survives an update without one.
	if _, err := e.store.CheckUserPassword(ctx, "alice", "Us3r-password!"); err != nil {
		t.Fatalf("password lost on update: %v", err)
	}

	// A new plain secret replaces it.
	u.FsConfig.S3Config.AccessSecret = kms.NewPlainSecret("rotated")
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/users/alice", adm, u)
	stored, _ = e.store.GetUser(ctx, "alice")
	if after := stored.FsConfig.S3Config.AccessSecret; after == nil || after.Payload == before.Payload || after.Status == kms.StatusPlain {
		t.Fatalf("secret not replaced: %+v", after)
	}

	var list []dataprovider.User
	r = e.expect(http.StatusOK, http.MethodGet, "/api/v2/users", adm, nil)
	checkNoSecrets(t, r.body)
	r.json(t, &list)
	if len(list) != 1 || list[0].Username != "alice" {
		t.Fatalf("list: %+v", list)
	}

	e.expect(http.StatusOK, http.MethodDelete, "/api/v2/users/alice", adm, nil)
	e.expect(http.StatusNotFound, http.MethodGet, "/api/v2/users/alice", adm, nil).apiErr(t)
	e.expect(http.StatusNotFound, http.MethodDelete, "/api/v2/users/alice", adm, nil).apiErr(t)
	e.expect(http.StatusNotFound, http.MethodPut, "/api/v2/users/alice", adm, u).apiErr(t)
}

func TestUserPaging(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()
	for _, n := range []string{"u1", "u2", "u3"} {
		e.expect(http.StatusCreated, http.MethodPost, "/api/v2/users", adm, testUser(n))
	}
	names := func(q string) string {
		var list []dataprovider.User
		e.expect(http.StatusOK, http.MethodGet, "/api/v2/users"+q, adm, nil).json(t, &list)
		var out []string
		for _, u := range list {
			out = append(out, u.Username)
		}
		return strings.Join(out, ",")
	}
	for q, want := range map[string]string{
		"":                            "u1,u2,u3",
		"?order=DESC":                 "u3,u2,u1",
		"?limit=2":                    "u1,u2",
		"?limit=2&offset=2":           "u3",
		"?offset=1&limit=1&order=ASC": "u2",
		"?limit=100000":               "u1,u2,u3",
	} {
		if got := names(q); got != want {
			t.Errorf("users%s = %q, want %q", q, got, want)
		}
	}
	for _, q := range []string{"?limit=0", "?limit=x", "?offset=-1", "?order=UP"} {
		e.expect(http.StatusBadRequest, http.MethodGet, "/api/v2/users"+q, adm, nil).apiErr(t)
	}
}

func TestUserBadInput(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/users", adm, testUser("bob"))

	// Duplicate.
	e.expect(http.StatusConflict, http.MethodPost, "/api/v2/users", adm, testUser("bob")).apiErr(t)

	cases := []struct {
		name, body, wantInError string
		status                  int
	}{
		{"malformed", `{"username": "x",`, "malformed JSON", 400},
		{"not json", `hello`, "malformed JSON", 400},
		{"empty", ``, "empty", 400},
		{"trailing", `{"username":"x"} {}`, "unexpected data", 400},
		{"unknown field", `{"username":"x","colour":"red"}`, `"colour"`, 400},
		{"nested unknown field", `{"username":"x","filters":{"nope":1}}`, `"nope"`, 400},
		{"wrong type", `{"username":"x","quota_size":"big"}`, "quota_size", 400},
		{"nested wrong type", `{"username":"x","filesystem":{"provider":"s3"}}`, "filesystem.provider", 400},
		{"validation", `{"username":"","permissions":{"/":["*"]}}`, "username", 400},
	}
	for _, c := range cases {
		r := e.expect(c.status, http.MethodPost, "/api/v2/users", adm, c.body)
		if got := r.apiErr(t).Error; !strings.Contains(got, c.wantInError) {
			t.Errorf("%s: error %q lacks %q", c.name, got, c.wantInError)
		}
	}

	big := `{"username":"x","description":"` + strings.Repeat("a", maxObjectBodySize) + `"}`
	e.expect(http.StatusRequestEntityTooLarge, http.MethodPost, "/api/v2/users", adm, big).apiErr(t)

	// A rejected update leaves the user unchanged.
	before, err := e.store.GetUser(context.Background(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	bad := testUser("bob")
	bad["quota_size"] = 99
	bad["permissions"] = map[string][]string{"/": {"fly"}}
	r := e.expect(http.StatusBadRequest, http.MethodPut, "/api/v2/users/bob", adm, bad)
	if !strings.Contains(r.apiErr(t).Error, "permission") {
		t.Errorf("validation error should name the permissions: %s", r.body)
	}
	e.expect(http.StatusBadRequest, http.MethodPut, "/api/v2/users/bob", adm, `{"quota_size": 99, "bogus": 1}`)
	after, err := e.store.GetUser(context.Background(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	if after.QuotaSize != before.QuotaSize || after.UpdatedAt != before.UpdatedAt {
		t.Fatalf("failed update changed the user: %+v -> %+v", before, after)
	}
	// Nothing was created by the failed POSTs.
	var list []dataprovider.User
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/users", adm, nil).json(t, &list)
	if len(list) != 1 {
		t.Fatalf("failed creates left users behind: %d", len(list))
	}
}

func TestUserDeleteDisconnects(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/users", adm, testUser("carol"))
	e.conns.list = []ConnectionStatus{
		{Username: "carol", ConnectionID: "c1", Protocol: "SFTP"},
		{Username: "dave", ConnectionID: "d1", Protocol: "FTP"},
	}
	u := testUser("carol")
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/users/carol", adm, u)
	if len(e.conns.closed) != 0 {
		t.Fatal("update without disconnect=1 closed connections")
	}
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/users/carol?disconnect=1", adm, u)
	if len(e.conns.closed) != 1 || e.conns.closed[0] != "c1" {
		t.Fatalf("closed %v", e.conns.closed)
	}
	e.conns.list = append(e.conns.list, ConnectionStatus{Username: "carol", ConnectionID: "c2"})
	e.expect(http.StatusOK, http.MethodDelete, "/api/v2/users/carol", adm, nil)
	if len(e.conns.closed) != 2 || e.conns.closed[1] != "c2" {
		t.Fatalf("delete did not disconnect: %v", e.conns.closed)
	}
}

func TestRoleAdminSeesOnlyItsUsers(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()
	for _, role := range []string{"eu", "us"} {
		e.expect(http.StatusCreated, http.MethodPost, "/api/v2/roles", adm, map[string]any{"name": role})
	}
	for _, c := range []struct{ name, role string }{{"eu1", "eu"}, {"us1", "us"}, {"eu2", "eu"}, {"none", ""}} {
		u := testUser(c.name)
		if c.role != "" {
			u["role"] = c.role
		}
		e.expect(http.StatusCreated, http.MethodPost, "/api/v2/users", adm, u)
	}
	a := dataprovider.Admin{Username: "euadmin", Password: testPassword, Status: 1, Role: "eu",
		Permissions: []string{"view_users", "add_users", "edit_users", "del_users"}}
	if err := e.store.AddAdmin(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	eu := bearer(e.token("euadmin", testPassword))

	var list []dataprovider.User
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/users", eu, nil).json(t, &list)
	if got := names(list, func(u dataprovider.User) string { return u.Username }); strings.Join(got, ",") != "eu1,eu2" {
		t.Fatalf("role admin sees %v", got)
	}
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/users?offset=1&limit=1", eu, nil).json(t, &list)
	if len(list) != 1 || list[0].Username != "eu2" {
		t.Fatalf("paged: %+v", list)
	}
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/users/eu1", eu, nil)
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/api/v2/users/us1"},
		{http.MethodPut, "/api/v2/users/us1"},
		{http.MethodDelete, "/api/v2/users/us1"},
		{http.MethodGet, "/api/v2/users/none"},
	} {
		e.expect(http.StatusNotFound, c.method, c.path, eu, testUser("us1")).apiErr(t)
	}
	// Users it creates or updates get its role, whatever the body says.
	u := testUser("new")
	u["role"] = "us"
	var created dataprovider.User
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/users", eu, u).json(t, &created)
	if created.Role != "eu" {
		t.Fatalf("created with role %q", created.Role)
	}
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/users/new", eu, u)
	if got, _ := e.store.GetUser(context.Background(), "new"); got.Role != "eu" {
		t.Fatalf("updated to role %q", got.Role)
	}
	if _, err := e.store.GetUser(context.Background(), "us1"); err != nil {
		t.Fatalf("us1 touched: %v", err)
	}
}
