package httpd

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func TestConfidentialData(t *testing.T) {
	e := newTestEnv(t)
	adm := e.adminAuth()
	fs := map[string]any{"provider": dataprovider.CryptedFilesystemProvider,
		"cryptconfig": map[string]any{"passphrase": map[string]any{"status": "Plain", "payload": "the-passphrase"}}}
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/users", adm, map[string]any{"username": "conf",
		"password": "Conf-pass-123", "status": 1, "home_dir": t.TempDir(), "permissions": map[string][]string{"/": {"*"}},
		"filesystem": fs})
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/folders", adm, map[string]any{"name": "conf-f",
		"mapped_path": t.TempDir(), "filesystem": fs})
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/groups", adm, map[string]any{"name": "conf-g",
		"user_settings": map[string]any{"filesystem": fs}})
	e.addAdmin("viewer", dataprovider.AdminPermViewUsers, dataprovider.AdminPermManageGroups, dataprovider.AdminPermManageFolders)
	viewer := bearer(e.token("viewer", testPassword))

	type secret struct {
		Status         string `json:"status"`
		Payload        string `json:"payload"`
		Key            string `json:"key"`
		AdditionalData string `json:"additional_data"`
	}
	type doc struct {
		Password   string `json:"password"`
		Filesystem struct {
			CryptConfig struct {
				Passphrase secret `json:"passphrase"`
			} `json:"cryptconfig"`
		} `json:"filesystem"`
		UserSettings struct {
			Filesystem struct {
				CryptConfig struct {
					Passphrase secret `json:"passphrase"`
				} `json:"cryptconfig"`
			} `json:"filesystem"`
		} `json:"user_settings"`
	}
	get := func(a auth, path string) (doc, secret) {
		var d doc
		e.expect(http.StatusOK, http.MethodGet, path, a, nil).json(t, &d)
		sec := d.Filesystem.CryptConfig.Passphrase
		if strings.Contains(path, "/groups/") {
			sec = d.UserSettings.Filesystem.CryptConfig.Passphrase
		}
		return d, sec
	}
	for _, path := range []string{"/api/v2/users/conf", "/api/v2/folders/conf-f", "/api/v2/groups/conf-g"} {
		// redacted by default, and for an admin without "*"
		for _, c := range []struct {
			a    auth
			path string
		}{{adm, path}, {viewer, path + "?confidential_data=1"}} {
			d, sec := get(c.a, c.path)
			if sec.Status == "" || sec.Payload != "" || sec.Key != "" || d.Password != "" {
				t.Fatalf("%s: not redacted: %+v %q", c.path, sec, d.Password)
			}
		}
		d, sec := get(adm, path+"?confidential_data=1")
		if sec.Status == "" || sec.Status == "Plain" || sec.Payload == "" || strings.Contains(sec.Payload, "the-passphrase") {
			t.Fatalf("%s confidential: %+v", path, sec)
		}
		if path == "/api/v2/users/conf" && !strings.HasPrefix(d.Password, "$2") {
			t.Fatalf("user confidential: password hash %q", d.Password)
		}
	}
}
