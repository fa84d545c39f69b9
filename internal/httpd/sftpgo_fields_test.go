package httpd

import (
	"net/http"
	"strings"
	"testing"
)

// sftpgoSecret is a secret as SFTPGo clients send it, every member set.
func sftpgoSecret(v string) map[string]any {
	return map[string]any{"status": "Plain", "payload": v, "key": "", "additional_data": "", "mode": 0}
}

// sftpgoFilters carries every member of SFTPGo's user filters schema
// (2.x releases), so scripts and the Terraform provider written for it
// are accepted as they are.
func sftpgoFilters() map[string]any {
	return map[string]any{
		"allowed_ip":           []string{"127.0.0.0/8"},
		"denied_ip":            []string{"10.9.9.0/24"},
		"denied_login_methods": []string{"keyboard-interactive"},
		"denied_protocols":     []string{"DAV"},
		"file_patterns": []map[string]any{{
			"path": "/docs", "allowed_patterns": []string{"*.txt"}, "denied_patterns": []string{"*.exe"}, "deny_policy": 0,
		}},
		"max_upload_file_size":      1048576,
		"tls_username":              "None",
		"tls_certs":                 []string{},
		"hooks":                     map[string]any{"external_auth_disabled": false, "pre_login_disabled": false, "check_password_disabled": false},
		"disable_fs_checks":         false,
		"web_client":                []string{},
		"allow_api_key_auth":        true,
		"user_type":                 "",
		"bandwidth_limits":          []map[string]any{{"sources": []string{"127.0.0.0/8"}, "upload_bandwidth": 100, "download_bandwidth": 200}},
		"data_transfer_limits":      []map[string]any{{"sources": []string{"127.0.0.0/8"}, "upload_data_transfer": 1, "download_data_transfer": 2, "total_data_transfer": 0}},
		"external_auth_cache_time":  120,
		"start_directory":           "/docs",
		"two_factor_protocols":      []string{},
		"2fa_protocols":             []string{"SSH"},
		"ftp_security":              0,
		"is_anonymous":              false,
		"default_shares_expiration": 7,
		"max_shares_expiration":     30,
		"password_expiration":       0,
		"password_strength":         0,
		"access_time":               []map[string]any{},
		"require_password_change":   false,
		"totp_config":               map[string]any{"enabled": false, "config_name": "", "protocols": []string{}},
		"recovery_codes":            []any{},
	}
}

// sftpgoLocalFs is a local filesystem section with every backend section
// present, as SFTPGo's dumps and the Terraform provider send it.
func sftpgoLocalFs() map[string]any {
	return map[string]any{
		"provider": 0,
		"osconfig": map[string]any{"read_buffer_size": 2, "write_buffer_size": 3},
		"s3config": map[string]any{
			"bucket": "", "region": "", "access_key": "", "role_arn": "", "session_token": "",
			"endpoint": "", "storage_class": "", "acl": "", "upload_part_size": 0, "upload_concurrency": 0,
			"upload_part_max_time": 0, "download_part_size": 0, "download_concurrency": 0,
			"download_part_max_time": 0, "force_path_style": false, "key_prefix": "", "skip_tls_verify": false,
		},
		"gcsconfig": map[string]any{"bucket": "", "automatic_credentials": 0, "storage_class": "", "acl": "",
			"key_prefix": "", "upload_part_size": 0, "upload_part_max_time": 0},
		"azblobconfig": map[string]any{"container": "", "account_name": "", "endpoint": "", "upload_part_size": 0,
			"upload_concurrency": 0, "download_part_size": 0, "download_concurrency": 0, "access_tier": "",
			"key_prefix": "", "use_emulator": false},
		"cryptconfig": map[string]any{"read_buffer_size": 0, "write_buffer_size": 0},
		"sftpconfig": map[string]any{"endpoint": "", "username": "", "fingerprints": []string{}, "prefix": "",
			"disable_concurrent_reads": false, "buffer_size": 0, "equality_check_mode": 0},
		"httpconfig": map[string]any{"endpoint": "", "username": "", "skip_tls_verify": false, "equality_check_mode": 0},
	}
}

// TestSFTPGoFieldsAccepted sends every field of SFTPGo's user, group,
// folder, admin, API key and share schemas and checks the object is
// created and the fields we store come back; a name no SFTPGo version has
// is still refused.
func TestSFTPGoFieldsAccepted(t *testing.T) {
	e := newUserEnv(t)
	adm := e.adminAuth()
	home, shared := t.TempDir(), t.TempDir()

	folder := map[string]any{
		"id": 0, "name": "shared", "mapped_path": shared, "description": "d",
		"used_quota_size": 0, "used_quota_files": 0, "last_quota_update": 0, "users": []string{},
		"groups": []string{}, "filesystem": sftpgoLocalFs(),
	}
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/folders", adm, folder)

	group := map[string]any{
		"id": 0, "name": "team", "description": "d", "created_at": 0, "updated_at": 0,
		"user_settings": map[string]any{
			"home_dir": "", "max_sessions": 0, "quota_size": 0, "quota_files": 0,
			"permissions": map[string][]string{"/": {"*"}}, "upload_bandwidth": 0, "download_bandwidth": 0,
			"upload_data_transfer": 0, "download_data_transfer": 0, "total_data_transfer": 0, "expires_in": 0,
			"filters": sftpgoFilters(), "filesystem": sftpgoLocalFs(),
		},
		"virtual_folders": []map[string]any{{"name": "shared", "virtual_path": "/team", "quota_size": -1, "quota_files": -1}},
		"users":           []string{}, "admins": []string{},
	}
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/groups", adm, group)

	user := map[string]any{
		"id": 0, "status": 1, "username": "carol", "email": "carol@example.com", "description": "d",
		"expiration_date": 0, "password": "Us3r-password!", "public_keys": []string{}, "has_password": true,
		"home_dir": home, "uid": 0, "gid": 0, "max_sessions": 0, "quota_size": 0, "quota_files": 0,
		"permissions": map[string][]string{"/": {"*"}}, "used_quota_size": 0, "used_quota_files": 0,
		"last_quota_update": 0, "upload_bandwidth": 0, "download_bandwidth": 0, "upload_data_transfer": 0,
		"download_data_transfer": 0, "total_data_transfer": 0, "used_upload_data_transfer": 0,
		"used_download_data_transfer": 0, "created_at": 0, "updated_at": 0, "last_login": 0,
		"first_download": 0, "first_upload": 0, "last_password_change": 0,
		"filters": sftpgoFilters(), "filesystem": sftpgoLocalFs(),
		"virtual_folders": []map[string]any{{"name": "shared", "virtual_path": "/docs", "quota_size": 0, "quota_files": 0}},
		"groups":          []map[string]any{{"name": "team", "type": 2}},
		"additional_info": "x", "role": "", "oidc_custom_fields": map[string]any{},
	}
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/users", adm, user)
	var got struct {
		Filters struct {
			ExternalAuthCacheTime int      `json:"external_auth_cache_time"`
			TwoFactorProtocols    []string `json:"two_factor_protocols"`
			Legacy                []string `json:"2fa_protocols"`
		} `json:"filters"`
		Filesystem struct {
			OSConfig struct {
				Read  int `json:"read_buffer_size"`
				Write int `json:"write_buffer_size"`
			} `json:"osconfig"`
		} `json:"filesystem"`
	}
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/users/carol", adm, nil).json(t, &got)
	if got.Filters.ExternalAuthCacheTime != 120 {
		t.Errorf("external_auth_cache_time not returned: %+v", got.Filters)
	}
	if len(got.Filters.TwoFactorProtocols) != 1 || got.Filters.TwoFactorProtocols[0] != "SSH" || got.Filters.Legacy != nil {
		t.Errorf("2fa_protocols should land in two_factor_protocols: %+v", got.Filters)
	}
	if got.Filesystem.OSConfig.Read != 2 || got.Filesystem.OSConfig.Write != 3 {
		t.Errorf("osconfig not returned: %+v", got.Filesystem)
	}

	admin := map[string]any{
		"id": 0, "status": 1, "username": "ops", "description": "d", "password": "0ps-password!x",
		"email": "ops@example.com", "permissions": []string{"*"},
		"filters": map[string]any{
			"allow_list": []string{}, "allow_api_key_auth": true, "require_two_factor": false,
			"require_password_change": false, "totp_config": map[string]any{"enabled": false},
			"recovery_codes": []any{}, "preferences": map[string]any{"hide_user_page_sections": 0, "default_users_expiration": 0},
		},
		"additional_info": "", "groups": []map[string]any{{"name": "team", "options": map[string]any{"add_to_users_as": 0}}},
		"created_at": 0, "updated_at": 0, "last_login": 0, "role": "",
	}
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/admins", adm, admin)

	key := map[string]any{
		"id": "", "name": "k", "key": "", "scope": 1, "created_at": 0, "updated_at": 0, "last_use_at": 0,
		"expires_at": 0, "description": "d", "user": "", "admin": "ops",
	}
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/apikeys", adm, key)

	tok := e.userToken("carol", "Us3r-password!")
	share := map[string]any{
		"id": "", "name": "s", "description": "d", "scope": 1, "paths": []string{"/"}, "username": "carol",
		"created_at": 0, "updated_at": 0, "last_use_at": 0, "expires_at": 0, "password": "",
		"max_tokens": 0, "used_tokens": 0, "allow_from": []string{},
	}
	e.expect(http.StatusCreated, http.MethodPost, "/api/v2/user/shares", bearer(tok), share)

	// Names no SFTPGo version has are still refused, at any depth.
	bad := []struct{ path, body, field string }{
		{"/api/v2/users", `{"username":"x","filters":{"external_auth_cache":1}}`, "external_auth_cache"},
		{"/api/v2/users", `{"username":"x","filesystem":{"osconfig":{"buffer":1}}}`, "buffer"},
		{"/api/v2/folders", `{"name":"x","colour":"red"}`, "colour"},
		{"/api/v2/admins", `{"username":"x","filters":{"allowlist":[]}}`, "allowlist"},
	}
	for _, b := range bad {
		r := e.expect(http.StatusBadRequest, http.MethodPost, b.path, adm, b.body)
		if msg := r.apiErr(t).Error; !strings.Contains(msg, "unknown field") || !strings.Contains(msg, b.field) {
			t.Errorf("%s %s: %q", b.path, b.body, msg)
		}
	}
}
