package dataprovider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

const (
	plainFolderSecret = "folder-crypt-passphrase-plain"
	plainUserSecret   = "user-sftp-password-plain"
	plainTOTPSecret   = "JBSWY3DPEHPK3PXPplain"
)

// populate fills a store with one object of every kind.
func populate(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	f := BaseVirtualFolder{Name: "vault", MappedPath: "/vault", Description: "d",
		FsConfig: Filesystem{Provider: CryptedFilesystemProvider, CryptConfig: CryptConfig{Passphrase: kms.NewPlainSecret(plainFolderSecret)}}}
	must(t, s.AddFolder(ctx, &f))
	must(t, s.AddFolder(ctx, &BaseVirtualFolder{Name: "plain", MappedPath: "/plain"}))
	must(t, s.UpdateFolderQuota(ctx, "vault", 1000, 3, true))
	g := Group{Name: "grp", Description: "group", UserSettings: GroupUserSettings{MaxSessions: 2,
		Permissions: map[string][]string{"/g": {PermListItems}}},
		VirtualFolders: []VirtualFolder{{BaseVirtualFolder: BaseVirtualFolder{Name: "plain"}, VirtualPath: "/p", QuotaSize: -1, QuotaFiles: -1}}}
	must(t, s.AddGroup(ctx, &g))
	u := newUser("kate")
	u.PublicKeys = []string{strings.TrimSpace(testPublicKey(t))}
	u.Groups = []GroupMapping{{Name: "grp", Type: GroupTypeSecondary}}
	u.VirtualFolders = []VirtualFolder{{BaseVirtualFolder: BaseVirtualFolder{Name: "vault"}, VirtualPath: "/vault", QuotaSize: 100}}
	u.FsConfig = Filesystem{Provider: SFTPFilesystemProvider, SFTPConfig: SFTPConfig{Endpoint: "127.0.0.1:22", Username: "remote",
		Password: kms.NewPlainSecret(plainUserSecret), Fingerprints: []string{"SHA256:abc"}}}
	u.Filters.TOTPConfig = TOTPConfig{Enabled: true, ConfigName: "Default", Secret: kms.NewPlainSecret(plainTOTPSecret), Protocols: []string{"SSH"}}
	u.Filters.DeniedProtocols = []string{ProtocolFTP}
	u.Filters.FilePatterns = []PatternsFilter{{Path: "/", DeniedPatterns: []string{"*.exe"}, DenyPolicy: 1}}
	u.AdditionalInfo = "info"
	must(t, s.AddUser(ctx, &u))
	must(t, s.UpdateUserQuota(ctx, "kate", 4096, 7, false))
	must(t, s.UpdateUserTransferQuota(ctx, "kate", 10, 20, false))
	must(t, s.UpdateLastLogin(ctx, "kate"))
	u2 := newUser("leo")
	must(t, s.AddUser(ctx, &u2))
	a := Admin{Username: "boss", Password: "adminpw", Status: 1, Permissions: []string{AdminPermAny},
		Groups:  []AdminGroupMapping{{Name: "grp", Options: AdminGroupMappingOptions{AddToUsersAs: 2}}},
		Filters: AdminFilters{AllowList: []string{"10.0.0.0/8"}, AllowAPIKeyAuth: true}}
	must(t, s.AddAdmin(ctx, &a))
	k := APIKey{Name: "ci", Scope: APIKeyScopeAdmin, Admin: "boss", Description: "key"}
	must(t, s.AddAPIKey(ctx, &k))
	k2 := APIKey{Name: "anon", Scope: APIKeyScopeUser, ExpiresAt: 4102444800000}
	must(t, s.AddAPIKey(ctx, &k2))
	data := &BackupData{
		Shares:       []Share{{ShareID: "sh1", Name: "share", Scope: 1, Paths: []string{"/docs"}, Username: "kate", Password: "sharepw"}},
		EventRules:   []json.RawMessage{json.RawMessage(`{"name":"rule1","status":1,"trigger":1,"conditions":{"fs_events":["upload"],"options":{"fs_paths":[{"pattern":"/*.csv"}]}},"actions":[{"name":"action1","order":1}]}`)},
		EventActions: []json.RawMessage{json.RawMessage(`{"name":"action1","type":2,"options":{"cmd_config":{"cmd":"/usr/bin/true","timeout":10}}}`)},
		Roles:        []Role{{Name: "role1", Description: "first role"}},
		IPLists: []IPListEntry{{IPOrNet: "1.2.3.0/24", Type: IPListTypeAllowList, Mode: ListModeAllow},
			{IPOrNet: "2001:db8::1", Type: IPListTypeDefender, Mode: ListModeDeny, Protocols: IPListProtoSSH, Description: "blocked"}},
		Configs: json.RawMessage(`{"sftp":{"host_keys":["x"]}}`),
	}
	must(t, s.Restore(ctx, data, RestoreModeAddOnly))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// comparable strips what legitimately differs between two stores: ids
// and update times.
func comparable(t testing.TB, d *BackupData) string {
	t.Helper()
	c := deepCopy(*d)
	for i := range c.Users {
		c.Users[i].ID, c.Users[i].UpdatedAt = 0, 0
		for j := range c.Users[i].VirtualFolders {
			c.Users[i].VirtualFolders[j].ID = 0
		}
	}
	for i := range c.Groups {
		c.Groups[i].ID, c.Groups[i].UpdatedAt = 0, 0
		for j := range c.Groups[i].VirtualFolders {
			c.Groups[i].VirtualFolders[j].ID = 0
		}
	}
	for i := range c.Folders {
		c.Folders[i].ID = 0
	}
	for i := range c.Admins {
		c.Admins[i].ID, c.Admins[i].UpdatedAt = 0, 0
	}
	for i := range c.IPLists {
		c.IPLists[i].UpdatedAt = 0
	}
	for i := range c.Roles {
		c.Roles[i].ID, c.Roles[i].UpdatedAt = 0, 0
	}
	b, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDumpRestoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, from := range drivers {
		for _, to := range drivers {
			t.Run(from+"->"+to, func(t *testing.T) {
				src := newTestStore(t, from)
				populate(t, src)
				dump, err := src.Dump(ctx)
				must(t, err)
				raw, err := json.Marshal(dump)
				must(t, err)
				for _, plain := range []string{plainFolderSecret, plainUserSecret, plainTOTPSecret, "adminpw", "secret-kate", "sharepw"} {
					if strings.Contains(string(raw), plain) {
						t.Fatalf("dump holds %q in clear", plain)
					}
				}
				if len(dump.Users) != 2 || len(dump.Groups) != 1 || len(dump.Folders) != 2 || len(dump.Admins) != 1 ||
					len(dump.APIKeys) != 2 || len(dump.Shares) != 1 || len(dump.EventRules) != 1 || len(dump.Configs) == 0 {
					t.Fatalf("dump incomplete: %s", raw)
				}
				var decoded BackupData
				must(t, json.Unmarshal(raw, &decoded))
				dst := newTestStore(t, to)
				must(t, dst.Restore(ctx, &decoded, RestoreModeAddUpdate))
				again, err := dst.Dump(ctx)
				must(t, err)
				if a, b := comparable(t, dump), comparable(t, again); a != b {
					t.Fatalf("restored store differs:\n--- source\n%s\n--- restored\n%s", a, b)
				}
				// credentials keep working after the restore
				if _, err := dst.CheckUserPassword(ctx, "kate", "secret-kate"); err != nil {
					t.Fatalf("user login after restore: %v", err)
				}
				if _, err := dst.CheckAdminPassword(ctx, "boss", "adminpw"); err != nil {
					t.Fatalf("admin login after restore: %v", err)
				}
				u, _ := dst.GetUser(ctx, "kate")
				if p, err := dst.DecryptSecret(u.FsConfig.SFTPConfig.Password); err != nil || p != plainUserSecret {
					t.Fatalf("secret after restore: %q %v", p, err)
				}
				// restoring the same dump again is idempotent in add/update mode
				must(t, dst.Restore(ctx, &decoded, RestoreModeAddUpdate))
				third, _ := dst.Dump(ctx)
				if comparable(t, third) != comparable(t, dump) {
					t.Fatal("second restore changed the data")
				}
			})
		}
	}
}

func TestRestoreAPIKeysStillAuthenticate(t *testing.T) {
	ctx := context.Background()
	src := newTestStore(t, "memory")
	must(t, src.AddAdmin(ctx, &Admin{Username: "a", Password: "p", Status: 1, Permissions: []string{"*"}}))
	k := APIKey{Name: "k", Scope: APIKeyScopeAdmin, Admin: "a"}
	must(t, src.AddAPIKey(ctx, &k))
	dump, _ := src.Dump(ctx)
	forEachDriver(t, func(t *testing.T, dst *Store) {
		must(t, dst.Restore(ctx, dump, RestoreModeAddUpdate))
		if _, err := dst.AuthenticateAPIKey(ctx, k.Key); err != nil {
			t.Fatalf("restored key: %v", err)
		}
	})
}

func TestRestoreFailureLeavesStoreUnchanged(t *testing.T) {
	ctx := context.Background()
	for _, driver := range drivers {
		t.Run(driver, func(t *testing.T) {
			s := newTestStore(t, driver)
			existing := newUser("existing")
			must(t, s.AddUser(ctx, &existing))
			before, _ := s.Dump(ctx)
			changed := newUser("existing")
			changed.QuotaSize = 999
			good := newUser("newcomer")
			bad := newUser("broken")
			bad.Permissions = map[string][]string{"/": {"teleport"}}
			data := &BackupData{
				Folders: []BaseVirtualFolder{{Name: "newfolder", MappedPath: "/nf"}},
				Users:   []User{changed, good, bad},
				Roles:   []Role{{Name: "r"}},
			}
			err := s.Restore(ctx, data, RestoreModeAddUpdate)
			if !errors.Is(err, ErrValidation) || !strings.Contains(err.Error(), "broken") {
				t.Fatalf("restore error: %v", err)
			}
			after, _ := s.Dump(ctx)
			if comparable(t, before) != comparable(t, after) {
				t.Fatalf("failed restore changed the store:\n%s\n%s", comparable(t, before), comparable(t, after))
			}
		})
	}
}

func TestRestoreAddOnlyKeepsExisting(t *testing.T) {
	ctx := context.Background()
	forEachDriver(t, func(t *testing.T, s *Store) {
		u := newUser("mia")
		must(t, s.AddUser(ctx, &u))
		changed := newUser("mia")
		changed.QuotaSize = 5
		must(t, s.Restore(ctx, &BackupData{Users: []User{changed}}, RestoreModeAddOnly))
		got, _ := s.GetUser(ctx, "mia")
		if got.QuotaSize != 0 {
			t.Fatal("add-only restore updated an existing user")
		}
		must(t, s.Restore(ctx, &BackupData{Users: []User{changed}}, RestoreModeAddUpdate))
		got, _ = s.GetUser(ctx, "mia")
		if got.QuotaSize != 5 {
			t.Fatal("add/update restore did not update")
		}
		if err := s.Restore(ctx, &BackupData{}, 7); !errors.Is(err, ErrValidation) {
			t.Fatalf("unknown mode: %v", err)
		}
	})
}

// A dump written by the reference product: extra fields are ignored by the
// decoder, hashes and encrypted secrets are kept.
const referenceDump = `{
 "users": [{"id": 7, "status": 1, "username": "ref", "password": "$2a$04$tC1mKdLR7m32If2LVFloEuIEN4S9g/j7HSov1VscCeTLefpMTBqke",
   "public_keys": [], "home_dir": "/srv/ref", "uid": 0, "gid": 0, "max_sessions": 0, "quota_size": 0, "quota_files": 0,
   "permissions": {"/": ["*"]}, "used_quota_size": 12, "used_quota_files": 1, "last_quota_update": 1, "upload_bandwidth": 0,
   "download_bandwidth": 0, "expiration_date": 0, "last_login": 0, "filters": {"hooks": {}, "totp_config": {}, "web_client": [],
   "an_unknown_filter": true}, "filesystem": {"provider": 0, "osconfig": {"read_buffer_size": 0}}, "some_future_field": {"x": 1},
   "virtual_folders": [{"name": "rf", "virtual_path": "/rf", "quota_size": -1, "quota_files": -1}],
   "groups": [{"name": "rg", "type": 1}]}],
 "groups": [{"id": 3, "name": "rg", "description": "", "user_settings": {"home_dir": "", "permissions": {}, "filters": {},
   "filesystem": {"provider": 0}}, "virtual_folders": []}],
 "folders": [{"id": 4, "name": "rf", "mapped_path": "/srv/rf", "filesystem": {"provider": 0}}],
 "admins": [{"id": 1, "status": 1, "username": "refadmin", "password": "$2a$04$tC1mKdLR7m32If2LVFloEuIEN4S9g/j7HSov1VscCeTLefpMTBqke",
   "permissions": ["view_users", "some_future_permission"], "filters": {"preferences": {}}, "role": ""}],
 "api_keys": [], "shares": [],
 "event_actions": [{"id": 1, "name": "a1", "type": 3, "options": {"email_config": {"recipients": ["a@example.com"], "subject": "s", "body": "b"}}}], "event_rules": [], "roles": [], "ip_lists": [],
 "configs": {"sftpd": {"host_key_algos": []}}, "version": 17
}`

func TestRestoreReferenceDump(t *testing.T) {
	ctx := context.Background()
	forEachDriver(t, func(t *testing.T, s *Store) {
		var data BackupData
		must(t, json.Unmarshal([]byte(referenceDump), &data))
		must(t, s.Restore(ctx, &data, RestoreModeAddUpdate))
		u, err := s.GetUser(ctx, "ref")
		must(t, err)
		if u.UsedQuotaSize != 12 || len(u.VirtualFolders) != 1 || len(u.Groups) != 1 {
			t.Fatalf("restored user: %+v", u)
		}
		if _, err := s.CheckUserPassword(ctx, "ref", "password"); err != nil {
			t.Fatalf("reference bcrypt hash: %v", err)
		}
		a, err := s.GetAdmin(ctx, "refadmin")
		if err != nil || len(a.Permissions) != 1 || a.Permissions[0] != AdminPermViewUsers {
			t.Fatalf("restored admin permissions: %v %v", err, a.Permissions)
		}
		dump, _ := s.Dump(ctx)
		var compact bytes.Buffer
		must(t, json.Compact(&compact, dump.Configs))
		if len(dump.EventActions) != 1 || compact.String() != `{"sftpd":{"host_key_algos":[]}}` {
			t.Fatalf("opaque sections: %s %s", dump.EventActions, dump.Configs)
		}
	})
}
