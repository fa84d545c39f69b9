package httpd

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func TestAdminCRUD(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()

	body := map[string]any{
		"username": "ops", "password": "0ps-password!", "status": 1,
		"permissions": []string{"view_users", "manage_admins"}, "email": "ops@example.com",
	}
	r := e.expect(http.StatusCreated, http.MethodPost, "/api/v2/admins", adm, body)
	if strings.Contains(string(r.body), "password") {
		t.Fatalf("admin password returned: %s", r.body)
	}
	if r.header.Get("Location") != "/api/v2/admins/ops" {
		t.Fatalf("Location %q", r.header.Get("Location"))
	}
	var a dataprovider.Admin
	r.json(t, &a)
	if a.Username != "ops" || a.Email != "ops@example.com" || len(a.Permissions) != 2 {
		t.Fatalf("created: %+v", a)
	}
	e.expect(http.StatusConflict, http.MethodPost, "/api/v2/admins", adm, body).apiErr(t)
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/admins", adm, `{"username":"x","perms":[]}`).apiErr(t)
	r = e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/admins", adm,
		map[string]any{"username": "bad", "password": "x-Password-1", "status": 1, "permissions": []string{"fly"}})
	if !strings.Contains(r.apiErr(t).Error, "permission") {
		t.Errorf("validation error should name permissions: %s", r.body)
	}

	r = e.expect(http.StatusOK, http.MethodGet, "/api/v2/admins/ops", adm, nil)
	if strings.Contains(string(r.body), "password") {
		t.Fatalf("admin password returned: %s", r.body)
	}
	var list []dataprovider.Admin
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/admins?order=DESC", adm, nil).json(t, &list)
	if len(list) != 2 || list[0].Username != "ops" {
		t.Fatalf("list: %+v", list)
	}

	a.Description = "operator"
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/admins/ops", adm, a)
	// The password was kept: ops can still log in.
	ops := bearer(e.token("ops", "0ps-password!"))

	// Self-protection.
	a.Permissions = []string{"view_users"}
	e.expect(http.StatusBadRequest, http.MethodPut, "/api/v2/admins/ops", ops, a).apiErr(t)
	a.Permissions = []string{"view_users", "manage_admins"}
	a.Status = 0
	e.expect(http.StatusBadRequest, http.MethodPut, "/api/v2/admins/ops", ops, a).apiErr(t)
	e.expect(http.StatusBadRequest, http.MethodDelete, "/api/v2/admins/ops", ops, nil).apiErr(t)

	var self dataprovider.Admin
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/admins/"+testAdmin, adm, nil).json(t, &self)
	self.Permissions = []string{"manage_admins"}
	e.expect(http.StatusBadRequest, http.MethodPut, "/api/v2/admins/"+testAdmin, adm, self).apiErr(t)
	e.expect(http.StatusBadRequest, http.MethodDelete, "/api/v2/admins/"+testAdmin, adm, nil).apiErr(t)

	e.expect(http.StatusOK, http.MethodDelete, "/api/v2/admins/ops", adm, nil)
	e.expect(http.StatusNotFound, http.MethodGet, "/api/v2/admins/ops", adm, nil).apiErr(t)
	e.expect(http.StatusNotFound, http.MethodDelete, "/api/v2/admins/ops", adm, nil).apiErr(t)
	// A deleted admin's token dies with it.
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/version", ops, nil)
}

func TestAdminProfileAndPassword(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()

	e.expect(http.StatusOK, http.MethodPut, "/api/v2/admin/profile", adm,
		map[string]any{"email": "root@example.com", "description": "boss", "allow_api_key_auth": true})
	var p adminProfile
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/admin/profile", adm, nil).json(t, &p)
	if p.Email != "root@example.com" || p.Description != "boss" || !p.AllowAPIKeyAuth {
		t.Fatalf("profile: %+v", p)
	}
	e.expect(http.StatusBadRequest, http.MethodPut, "/api/v2/admin/profile", adm, `{"permissions":["*"]}`).apiErr(t)
	// The profile update kept the password.
	e.token(testAdmin, testPassword)

	r := e.expect(http.StatusBadRequest, http.MethodPut, "/api/v2/admin/changepwd", adm,
		map[string]string{"current_password": "wrong", "new_password": "N3w-password!"})
	if !strings.Contains(r.apiErr(t).Error, "current_password") {
		t.Fatalf("error should name current_password: %s", r.body)
	}
	r = e.expect(http.StatusBadRequest, http.MethodPut, "/api/v2/admin/changepwd", adm,
		map[string]string{"current_password": testPassword})
	if !strings.Contains(r.apiErr(t).Error, "new_password") {
		t.Fatalf("error should name new_password: %s", r.body)
	}
	e.expect(http.StatusBadRequest, http.MethodPut, "/api/v2/admin/changepwd", adm, `{"old":"x"}`).apiErr(t)
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/admin/changepwd", adm,
		map[string]string{"current_password": testPassword, "new_password": "N3w-password!"})
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/token", basic(testAdmin, testPassword), nil)
	// With the default token_validation, tokens outlive a password change.
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/version", adm, nil)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/version", bearer(e.token(testAdmin, "N3w-password!")), nil)
	if _, err := e.store.CheckAdminPassword(context.Background(), testAdmin, "N3w-password!"); err != nil {
		t.Fatal(err)
	}
}

func TestGroupCRUD(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()
	group := map[string]any{
		"name":        "staff",
		"description": "all staff",
		"user_settings": map[string]any{
			"max_sessions": 2,
			"filesystem": map[string]any{"provider": 5, "sftpconfig": map[string]any{
				"endpoint": "127.0.0.1:2022", "username": "remote",
				"password": map[string]any{"status": "Plain", "payload": "group-secret-value"},
			}},
		},
	}
	r := e.expect(http.StatusCreated, http.MethodPost, "/api/v2/groups", adm, group)
	if strings.Contains(string(r.body), "group-secret-value") || r.header.Get("Location") != "/api/v2/groups/staff" {
		t.Fatalf("create group: %s %v", r.body, r.header)
	}
	e.expect(http.StatusConflict, http.MethodPost, "/api/v2/groups", adm, group).apiErr(t)
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/groups", adm, `{"name":"g","members":[]}`).apiErr(t)

	var g dataprovider.Group
	r = e.expect(http.StatusOK, http.MethodGet, "/api/v2/groups/staff", adm, nil)
	if strings.Contains(string(r.body), "group-secret-value") {
		t.Fatalf("secret leaked: %s", r.body)
	}
	r.json(t, &g)
	g.Description = "changed"
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/groups/staff", adm, g)
	stored, err := e.store.GetGroup(context.Background(), "staff")
	if err != nil {
		t.Fatal(err)
	}
	if stored.Description != "changed" || stored.UserSettings.FsConfig.SFTPConfig.Password.IsEmpty() {
		t.Fatalf("group update: %+v", stored)
	}
	var list []dataprovider.Group
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/groups", adm, nil).json(t, &list)
	if len(list) != 1 {
		t.Fatalf("groups: %+v", list)
	}

	// A group with members cannot go.
	u := testUser("member")
	u["groups"] = []map[string]any{{"name": "staff", "type": dataprovider.GroupTypePrimary}}
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/users", adm, u)
	e.expect(http.StatusConflict, http.MethodDelete, "/api/v2/groups/staff", adm, nil).apiErr(t)
	e.expect(http.StatusOK, http.MethodDelete, "/api/v2/users/member", adm, nil)
	e.expect(http.StatusOK, http.MethodDelete, "/api/v2/groups/staff", adm, nil)
	e.expect(http.StatusNotFound, http.MethodGet, "/api/v2/groups/staff", adm, nil).apiErr(t)
	e.expect(http.StatusNotFound, http.MethodPut, "/api/v2/groups/staff", adm, g).apiErr(t)
}

func TestFolderCRUD(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()
	folder := map[string]any{"name": "shared", "mapped_path": "/srv/shared", "description": "team share"}
	r := e.expect(http.StatusCreated, http.MethodPost, "/api/v2/folders", adm, folder)
	if r.header.Get("Location") != "/api/v2/folders/shared" {
		t.Fatalf("Location %q", r.header.Get("Location"))
	}
	e.expect(http.StatusConflict, http.MethodPost, "/api/v2/folders", adm, folder).apiErr(t)
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/folders", adm, `{"name":"x","path":"/x"}`).apiErr(t)

	crypt := map[string]any{"name": "vault", "mapped_path": "/srv/vault", "filesystem": map[string]any{
		"provider": 4, "cryptconfig": map[string]any{"passphrase": map[string]any{"status": "Plain", "payload": "folder-secret-value"}}}}
	r = e.expect(http.StatusCreated, http.MethodPost, "/api/v2/folders", adm, crypt)
	if strings.Contains(string(r.body), "folder-secret-value") {
		t.Fatalf("secret leaked: %s", r.body)
	}

	var f dataprovider.BaseVirtualFolder
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/folders/vault", adm, nil).json(t, &f)
	f.Description = "encrypted"
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/folders/vault", adm, f)
	stored, err := e.store.GetFolder(context.Background(), "vault")
	if err != nil {
		t.Fatal(err)
	}
	if stored.Description != "encrypted" || stored.FsConfig.CryptConfig.Passphrase.IsEmpty() ||
		stored.FsConfig.CryptConfig.Passphrase.Payload == "" {
		t.Fatalf("folder update lost data: %+v", stored.FsConfig.CryptConfig.Passphrase)
	}

	// Mounted in a user: GET shows it.
	u := testUser("mounter")
	u["virtual_folders"] = []map[string]any{{"name": "shared", "virtual_path": "/team", "quota_size": -1, "quota_files": -1}}
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/users", adm, u)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/folders/shared", adm, nil).json(t, &f)
	if len(f.Users) != 1 || f.Users[0] != "mounter" {
		t.Fatalf("folder users: %+v", f.Users)
	}

	var list []dataprovider.BaseVirtualFolder
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/folders?limit=1", adm, nil).json(t, &list)
	if len(list) != 1 || list[0].Name != "shared" {
		t.Fatalf("folders: %+v", list)
	}
	e.expect(http.StatusOK, http.MethodDelete, "/api/v2/folders/vault", adm, nil)
	e.expect(http.StatusNotFound, http.MethodDelete, "/api/v2/folders/vault", adm, nil).apiErr(t)
	e.expect(http.StatusNotFound, http.MethodGet, "/api/v2/folders/vault", adm, nil).apiErr(t)
}

func TestAPIKeyCRUD(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()
	var created struct {
		Key string `json:"key"`
	}
	r := e.expect(http.StatusCreated, http.MethodPost, "/api/v2/apikeys", adm,
		map[string]any{"name": "ci", "scope": 1, "description": "for CI"})
	r.json(t, &created)
	id := strings.TrimPrefix(r.header.Get("Location"), "/api/v2/apikeys/")
	if id == "" || created.Key == "" {
		t.Fatalf("create: %s %v", r.body, r.header)
	}
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/apikeys", adm, `{"name":"x","secret":"y"}`).apiErr(t)

	var k dataprovider.APIKey
	r = e.expect(http.StatusOK, http.MethodGet, "/api/v2/apikeys/"+id, adm, nil)
	if strings.Contains(string(r.body), created.Key) {
		t.Fatalf("key returned again: %s", r.body)
	}
	r.json(t, &k)
	if k.Name != "ci" || k.KeyID != id || k.Key != "" {
		t.Fatalf("get: %+v", k)
	}
	k.Description = "changed"
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/apikeys/"+id, adm, k)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/apikeys/"+id, adm, nil).json(t, &k)
	if k.Description != "changed" {
		t.Fatalf("update: %+v", k)
	}
	var list []dataprovider.APIKey
	r = e.expect(http.StatusOK, http.MethodGet, "/api/v2/apikeys", adm, nil)
	if strings.Contains(string(r.body), created.Key) {
		t.Fatalf("key in list: %s", r.body)
	}
	r.json(t, &list)
	if len(list) != 1 {
		t.Fatalf("list: %+v", list)
	}
	e.expect(http.StatusOK, http.MethodDelete, "/api/v2/apikeys/"+id, adm, nil)
	e.expect(http.StatusNotFound, http.MethodGet, "/api/v2/apikeys/"+id, adm, nil).apiErr(t)
	e.expect(http.StatusNotFound, http.MethodPut, "/api/v2/apikeys/"+id, adm, k).apiErr(t)
	e.expect(http.StatusNotFound, http.MethodDelete, "/api/v2/apikeys/"+id, adm, nil).apiErr(t)
}
