package httpd

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func (b *browser) adminLogin() {
	b.t.Helper()
	b.get("/web/admin/login")
	if code, body := b.post("/web/admin/login", url.Values{"username": {testAdmin}, "password": {testPassword}}); code != http.StatusOK {
		b.t.Fatalf("admin login: %d %s", code, excerpt(body))
	}
}

func TestWebAdminObjects(t *testing.T) {
	e := newUserEnv(t)
	b := e.browser()
	b.adminLogin()

	// folder
	b.get("/web/admin/folder")
	code, body := b.post("/web/admin/folder", url.Values{"name": {"shared"}, "mapped_path": {"relative/path"}, "filesystem.provider": {"0"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "has-error") {
		t.Fatalf("relative mapped path accepted: %d", code)
	}
	mustContain(t, body, `value="relative/path"`)
	dir := t.TempDir()
	if code, body := b.post("/web/admin/folder", url.Values{"name": {"shared"}, "mapped_path": {dir}, "filesystem.provider": {"0"}}); code != http.StatusOK {
		t.Fatalf("folder: %d %s", code, excerpt(body))
	}
	// group mounting the folder, with S3 settings for members
	b.get("/web/admin/group")
	form := url.Values{"name": {"staff"}, "description": {"the staff"}, "user_settings.max_sessions": {"3"},
		"user_settings.permissions./": {"list", "download"}, "user_settings.permissions": {"/in: upload, list"},
		"user_settings.filesystem.provider": {"1"}, "user_settings.filesystem.s3config.bucket": {"bkt"},
		"user_settings.filesystem.s3config.region": {"eu-west-1"}, "user_settings.filesystem.s3config.access_key": {"AK"},
		"user_settings.filesystem.s3config.access_secret": {"SECRET"},
		"virtual_folders.name":                            {"shared", ""}, "virtual_folders.virtual_path": {"/shared", ""},
		"virtual_folders.quota_size": {"-1", ""}, "virtual_folders.quota_files": {"-1", ""}}
	if code, body := b.post("/web/admin/group", form); code != http.StatusOK {
		t.Fatalf("group: %d %s", code, excerpt(body))
	}
	g, err := e.store.GetGroup(t.Context(), "staff")
	if err != nil {
		t.Fatal(err)
	}
	if g.UserSettings.MaxSessions != 3 || g.UserSettings.FsConfig.S3Config.Bucket != "bkt" || len(g.VirtualFolders) != 1 ||
		g.VirtualFolders[0].QuotaSize != -1 || len(g.UserSettings.Permissions["/in"]) != 2 {
		t.Fatalf("group stored: %+v", g)
	}
	if s := g.UserSettings.FsConfig.S3Config.AccessSecret; s == nil || s.Payload == "SECRET" || s.Payload == "" {
		t.Fatalf("secret not encrypted: %+v", s)
	}
	_, body = b.get("/web/admin/group/staff")
	mustContain(t, body, `value="bkt"`, "stored — leave empty to keep", `/in: upload, list`)
	if strings.Contains(body, "SECRET") {
		t.Fatal("secret shown in the form")
	}
	// user in the group
	home := t.TempDir()
	if code, body := b.post("/web/admin/user", url.Values{"username": {"member"}, "password": {"M3mber-pass"}, "status": {"1"},
		"home_dir": {home}, "permissions./": {"*"}, "filesystem.provider": {"0"}, "groups.primary": {"staff"}}); code != http.StatusOK {
		t.Fatalf("member: %d %s", code, excerpt(body))
	}
	code, _ = b.post("/web/admin/group/staff/delete", url.Values{})
	if code != http.StatusOK || !strings.Contains(b.last, "still has members") {
		t.Fatalf("deleting a group in use: %d", code)
	}

	// admin with limited permissions
	b.get("/web/admin/admin")
	if code, body := b.post("/web/admin/admin", url.Values{"username": {"viewer"}, "password": {"V1ewer-pass"}, "status": {"1"},
		"permissions": {"view_users", "view_status"}, "filters.allow_list": {"127.0.0.0/8"}}); code != http.StatusOK {
		t.Fatalf("admin: %d %s", code, excerpt(body))
	}
	// the admin cannot lock itself out
	code, body = b.post("/web/admin/admin/"+testAdmin, url.Values{"status": {"0"}, "permissions": {"*"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "cannot disable yourself") {
		t.Fatalf("self disable: %d", code)
	}
	// the viewer sees only what it may
	v := e.browser()
	v.get("/web/admin/login")
	v.post("/web/admin/login", url.Values{"username": {"viewer"}, "password": {"V1ewer-pass"}})
	_, body = v.get("/web/admin/users")
	if strings.Contains(body, `href="/web/admin/admins"`) || strings.Contains(body, "Add user") || !strings.Contains(body, "member") {
		t.Fatal("navigation does not follow permissions")
	}
	if code, _ := v.get("/web/admin/admins"); code != http.StatusForbidden {
		t.Fatalf("viewer opens admins: %d", code)
	}
	if code, _ := v.post("/web/admin/user/member/delete", url.Values{}); code != http.StatusForbidden {
		t.Fatalf("viewer deletes a user: %d", code)
	}

	// API key, shown once
	b.get("/web/admin/apikey")
	_, body = b.post("/web/admin/apikey", url.Values{"name": {"ci"}, "scope": {"1"}, "admin": {testAdmin}})
	m := regexp.MustCompile(`data-testid="api-key"[^>]*value="([^"]+)"|value="([^"]+)" readonly data-testid="api-key"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("key not shown: %s", excerpt(body))
	}
	key := m[1] + m[2]
	admin, _ := e.store.GetAdmin(t.Context(), testAdmin)
	admin.Filters.AllowAPIKeyAuth = true
	admin.Password = ""
	if err := e.store.UpdateAdmin(t.Context(), &admin); err != nil {
		t.Fatal(err)
	}
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/version", apiKey(key), nil)
}

func TestWebAdminBackupRestore(t *testing.T) {
	e := newUserEnv(t)
	e.addUser("keepme")
	b := e.browser()
	b.adminLogin()
	b.get("/web/admin/maintenance")
	code, body := b.get("/web/admin/backup")
	if code != http.StatusOK {
		t.Fatal(code)
	}
	var dump dataprovider.BackupData
	if err := json.Unmarshal([]byte(body), &dump); err != nil || len(dump.Users) != 1 {
		t.Fatalf("backup: %v %d users", err, len(dump.Users))
	}
	dump.Users[0].Username = "restored"
	dump.Users[0].ID = 0
	data, _ := json.Marshal(dump)

	send := func(token string) int {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("_form_token", token)
		_ = mw.WriteField("mode", "0")
		fw, _ := mw.CreateFormFile("backup_file", "backup.json")
		_, _ = fw.Write(data)
		_ = mw.Close()
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/web/admin/restore", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := b.keep(resp)
		return code
	}
	b.get("/web/admin/maintenance")
	token := b.csrf
	if code := send("forged"); code != http.StatusForbidden {
		t.Fatalf("restore with a forged token: %d", code)
	}
	if _, err := e.store.GetUser(t.Context(), "restored"); err == nil {
		t.Fatal("forged restore applied")
	}
	if code := send(token); code != http.StatusOK || !strings.Contains(b.last, "Backup restored (users 1,") {
		i := strings.Index(b.last, "alert")
		t.Fatalf("restore: %d %s", code, b.last[max(i, 0):min(len(b.last), max(i, 0)+600)])
	}
	if _, err := e.store.GetUser(t.Context(), "restored"); err != nil {
		t.Fatal(err)
	}
}

func TestWebPublicShareUpload(t *testing.T) {
	e := newUserEnv(t)
	u := e.addUser("ula")
	a := bearer(e.userToken("ula", testUserPassword))
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/user/dirs?path=%2Fdrop", a, nil)
	id := e.addShare(a, map[string]any{"name": "drop", "scope": 2, "paths": []string{"/drop"}})
	anon := e.browser()
	_, body := anon.get("/web/client/pubshares/" + id)
	mustContain(t, body, "You can upload files")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("filenames", "gift.txt")
	_, _ = fw.Write([]byte("for you"))
	_ = mw.Close()
	up := func(token string) int {
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/web/client/pubshares/"+id+"/upload", bytes.NewReader(buf.Bytes()))
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set(csrfHeader, token)
		resp, err := anon.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := anon.keep(resp)
		return code
	}
	if code := up("nope"); code != http.StatusForbidden {
		t.Fatalf("share upload with a bad token: %d", code)
	}
	anon.get("/web/client/pubshares/" + id)
	if code := up(anon.csrf); code != http.StatusCreated {
		t.Fatalf("share upload: %d %s", code, anon.last)
	}
	if _, err := e.store.GetShare(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	stored, _ := e.store.GetShare(t.Context(), id)
	if stored.UsedTokens != 1 {
		t.Fatalf("used tokens %d", stored.UsedTokens)
	}
	_ = u
}
