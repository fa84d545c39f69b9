package dataprovider

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

func TestFolderAndGroupCRUD(t *testing.T) {
	ctx := context.Background()
	forEachDriver(t, func(t *testing.T, s *Store) {
		f := BaseVirtualFolder{Name: "shared", MappedPath: "/srv/shared"}
		if err := s.AddFolder(ctx, &f); err != nil {
			t.Fatalf("add folder: %v", err)
		}
		if err := s.AddFolder(ctx, &BaseVirtualFolder{Name: "shared", MappedPath: "/x"}); !errors.Is(err, ErrConflict) {
			t.Fatalf("duplicate folder: %v", err)
		}
		if err := s.AddFolder(ctx, &BaseVirtualFolder{Name: "nopath"}); !errors.Is(err, ErrValidation) {
			t.Fatalf("local folder without mapped path: %v", err)
		}
		g := Group{Name: "staff", VirtualFolders: []VirtualFolder{{BaseVirtualFolder: BaseVirtualFolder{Name: "shared"},
			VirtualPath: "/team", QuotaSize: -1, QuotaFiles: -1}}}
		if err := s.AddGroup(ctx, &g); err != nil {
			t.Fatalf("add group: %v", err)
		}
		if len(g.VirtualFolders) != 1 || g.VirtualFolders[0].MappedPath != "/srv/shared" {
			t.Fatalf("group folders not resolved: %+v", g.VirtualFolders)
		}
		if err := s.AddGroup(ctx, &Group{Name: "staff"}); !errors.Is(err, ErrConflict) {
			t.Fatalf("duplicate group: %v", err)
		}
		if err := s.UpdateGroup(ctx, &Group{Name: "nogroup"}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("update missing group: %v", err)
		}
		if err := s.UpdateFolder(ctx, &BaseVirtualFolder{Name: "nofolder", MappedPath: "/x"}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("update missing folder: %v", err)
		}
		if err := s.AddGroup(ctx, &Group{Name: "badperm", UserSettings: GroupUserSettings{
			Permissions: map[string][]string{"/x": {"fly"}}}}); !errors.Is(err, ErrValidation) {
			t.Fatalf("group with a bad permission: %v", err)
		}
		// updating a folder keeps its used quota
		must(t, s.UpdateFolderQuota(ctx, "shared", 10, 1, false))
		f.Description = "changed"
		must(t, s.UpdateFolder(ctx, &f))
		if f.UsedQuotaSize != 10 || f.Description != "changed" {
			t.Fatalf("folder update: %+v", f)
		}
		bad := Group{Name: "bad", VirtualFolders: []VirtualFolder{{BaseVirtualFolder: BaseVirtualFolder{Name: "missing"}, VirtualPath: "/m"}}}
		if err := s.AddGroup(ctx, &bad); !errors.Is(err, ErrValidation) {
			t.Fatalf("group with missing folder: %v", err)
		}
		u := newUser("carol")
		u.Groups = []GroupMapping{{Name: "staff", Type: GroupTypePrimary}}
		u.VirtualFolders = []VirtualFolder{{BaseVirtualFolder: BaseVirtualFolder{Name: "shared"}, VirtualPath: "/own"}}
		if err := s.AddUser(ctx, &u); err != nil {
			t.Fatalf("add user: %v", err)
		}
		gotF, err := s.GetFolder(ctx, "shared")
		if err != nil || !slices.Equal(gotF.Users, []string{"carol"}) || !slices.Equal(gotF.Groups, []string{"staff"}) {
			t.Fatalf("folder mounts: %v %+v", err, gotF)
		}
		gotG, _ := s.GetGroup(ctx, "staff")
		if !slices.Equal(gotG.Users, []string{"carol"}) {
			t.Fatalf("group members: %+v", gotG.Users)
		}
		// a group with members cannot be deleted
		if err := s.DeleteGroup(ctx, "staff"); !errors.Is(err, ErrConflict) {
			t.Fatalf("delete group with members: %v", err)
		}
		// deleting a folder unmounts it everywhere
		if err := s.DeleteFolder(ctx, "shared"); err != nil {
			t.Fatalf("delete folder: %v", err)
		}
		gu, _ := s.GetUser(ctx, "carol")
		gg, _ := s.GetGroup(ctx, "staff")
		if len(gu.VirtualFolders) != 0 || len(gg.VirtualFolders) != 0 {
			t.Fatalf("folder still mounted: user %+v group %+v", gu.VirtualFolders, gg.VirtualFolders)
		}
		gu.Groups = nil
		gu.Password = ""
		if err := s.UpdateUser(ctx, &gu); err != nil {
			t.Fatalf("remove user from group: %v", err)
		}
		if err := s.DeleteGroup(ctx, "staff"); err != nil {
			t.Fatalf("delete empty group: %v", err)
		}
		if _, err := s.GetGroup(ctx, "staff"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleted group: %v", err)
		}
		if err := s.DeleteFolder(ctx, "shared"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("delete missing folder: %v", err)
		}
		folders, err := s.ListFolders(ctx, 0, 0, "DESC")
		if err != nil || len(folders) != 0 {
			t.Fatalf("list folders: %v %d", err, len(folders))
		}
		if _, err := s.ListGroups(ctx, 0, 0, "sideways"); !errors.Is(err, ErrValidation) {
			t.Fatalf("bad order: %v", err)
		}
	})
}

func TestListPaging(t *testing.T) {
	ctx := context.Background()
	forEachDriver(t, func(t *testing.T, s *Store) {
		for _, n := range []string{"d", "b", "a", "c", "e"} {
			u := newUser(n)
			u.Password = ""
			if err := s.AddUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
		}
		names := func(us []User) (out []string) {
			for _, u := range us {
				out = append(out, u.Username)
			}
			return out
		}
		asc, _ := s.ListUsers(ctx, 2, 1, "ASC")
		desc, _ := s.ListUsers(ctx, 2, 0, "DESC")
		all, _ := s.ListUsers(ctx, 0, 0, "")
		past, _ := s.ListUsers(ctx, 10, 10, "ASC")
		if !slices.Equal(names(asc), []string{"b", "c"}) || !slices.Equal(names(desc), []string{"e", "d"}) ||
			len(all) != 5 || len(past) != 0 {
			t.Fatalf("paging: asc %v desc %v all %d past %d", names(asc), names(desc), len(all), len(past))
		}
	})
}

func TestUserValidation(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, "memory", func(c *config.DataProviderConfig) { c.NamingRules = 0 })
	if err := s.AddFolder(ctx, &BaseVirtualFolder{Name: "f1", MappedPath: "/f1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddFolder(ctx, &BaseVirtualFolder{Name: "f2", MappedPath: "/f2"}); err != nil {
		t.Fatal(err)
	}
	vf := func(name, p string) VirtualFolder {
		return VirtualFolder{BaseVirtualFolder: BaseVirtualFolder{Name: name}, VirtualPath: p}
	}
	cases := []struct {
		name  string
		field string
		mod   func(u *User)
	}{
		{"empty username", "username", func(u *User) { u.Username = "" }},
		{"unicode username without rule", "username", func(u *User) { u.Username = "jürgen" }},
		{"slash in username", "username", func(u *User) { u.Username = "a/b" }},
		{"bad status", "status", func(u *User) { u.Status = 2 }},
		{"relative home", "home_dir", func(u *User) { u.HomeDir = "relative/dir" }},
		{"no home", "home_dir", func(u *User) { u.HomeDir = "" }},
		{"negative quota", "quota_size", func(u *User) { u.QuotaSize = -1 }},
		{"negative bandwidth", "upload_bandwidth", func(u *User) { u.UploadBandwidth = -5 }},
		{"no root perms", "permissions", func(u *User) { u.Permissions = map[string][]string{"/sub": {PermAny}} }},
		{"unknown perm", "permissions", func(u *User) { u.Permissions["/"] = []string{"fly"} }},
		{"relative perm path", "permissions", func(u *User) { u.Permissions["sub"] = []string{PermListItems} }},
		{"empty perm list", "permissions", func(u *User) { u.Permissions["/x"] = nil }},
		{"bad public key", "public_keys[0]", func(u *User) { u.PublicKeys = []string{"ssh-rsa notakey"} }},
		{"bad allowed ip", "filters.allowed_ip", func(u *User) { u.Filters.AllowedIP = []string{"10.0.0.1"} }},
		{"bad denied ip", "filters.denied_ip", func(u *User) { u.Filters.DeniedIP = []string{"nonsense/8"} }},
		{"bad login method", "filters.denied_login_methods", func(u *User) { u.Filters.DeniedLoginMethods = []string{"telepathy"} }},
		{"bad protocol", "filters.denied_protocols", func(u *User) { u.Filters.DeniedProtocols = []string{"GOPHER"} }},
		{"relative pattern path", "filters.file_patterns[0].path", func(u *User) {
			u.Filters.FilePatterns = []PatternsFilter{{Path: "rel", DeniedPatterns: []string{"*.exe"}}}
		}},
		{"bad pattern", "filters.file_patterns[0]", func(u *User) {
			u.Filters.FilePatterns = []PatternsFilter{{Path: "/", DeniedPatterns: []string{"[a-"}}}
		}},
		{"pattern without lists", "filters.file_patterns[0]", func(u *User) {
			u.Filters.FilePatterns = []PatternsFilter{{Path: "/"}}
		}},
		{"vfolder root", "virtual_folders[0].virtual_path", func(u *User) { u.VirtualFolders = []VirtualFolder{vf("f1", "/")} }},
		{"vfolder relative", "virtual_folders[0].virtual_path", func(u *User) { u.VirtualFolders = []VirtualFolder{vf("f1", "x")} }},
		{"vfolder overlap", "virtual_folders", func(u *User) {
			u.VirtualFolders = []VirtualFolder{vf("f1", "/a"), vf("f2", "/a/b")}
		}},
		{"vfolder same path", "virtual_folders", func(u *User) {
			u.VirtualFolders = []VirtualFolder{vf("f1", "/a"), vf("f2", "/a/")}
		}},
		{"vfolder missing", "virtual_folders[0].name", func(u *User) { u.VirtualFolders = []VirtualFolder{vf("nope", "/n")} }},
		{"unknown group", "groups[0].name", func(u *User) { u.Groups = []GroupMapping{{Name: "ghost", Type: GroupTypeSecondary}} }},
		{"bad group type", "groups[0].type", func(u *User) { u.Groups = []GroupMapping{{Name: "ghost", Type: 7}} }},
		{"unknown provider", "filesystem.provider", func(u *User) { u.FsConfig.Provider = 42 }},
		{"crypt without passphrase", "filesystem.cryptconfig.passphrase", func(u *User) { u.FsConfig.Provider = CryptedFilesystemProvider }},
		{"s3 without bucket", "filesystem.s3config.bucket", func(u *User) { u.FsConfig.Provider = S3FilesystemProvider }},
		{"s3 key prefix absolute", "filesystem.s3config.key_prefix", func(u *User) {
			u.FsConfig = Filesystem{Provider: S3FilesystemProvider, S3Config: S3Config{Bucket: "b", KeyPrefix: "/abs"}}
		}},
		{"gcs without credentials", "filesystem.gcsconfig.credentials", func(u *User) {
			u.FsConfig = Filesystem{Provider: GCSFilesystemProvider, GCSConfig: GCSConfig{Bucket: "b"}}
		}},
		{"sftp without auth", "filesystem.sftpconfig", func(u *User) {
			u.FsConfig = Filesystem{Provider: SFTPFilesystemProvider, SFTPConfig: SFTPConfig{Endpoint: "h:22", Username: "x"}}
		}},
		{"ftp without password", "filesystem.ftpconfig.password", func(u *User) {
			u.FsConfig = Filesystem{Provider: FTPFilesystemProvider, FTPConfig: FTPConfig{Endpoint: "h:21", Username: "x"}}
		}},
		{"ftp without endpoint", "filesystem.ftpconfig.endpoint", func(u *User) {
			u.FsConfig = Filesystem{Provider: FTPFilesystemProvider, FTPConfig: FTPConfig{Username: "x", Password: kms.NewPlainSecret("p")}}
		}},
		{"bad tls username", "filters.tls_username", func(u *User) { u.Filters.TLSUsername = "Serial" }},
		{"bad access time", "filters.access_time[0]", func(u *User) {
			u.Filters.AccessTime = []TimePeriod{{DayOfWeek: 1, From: "18:00", To: "08:00"}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newUser("valid")
			tc.mod(&u)
			err := s.AddUser(ctx, &u)
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrValidation) {
				t.Fatalf("want a validation error, got %v", err)
			}
			if ve.Field != tc.field {
				t.Fatalf("field %q, want %q (%v)", ve.Field, tc.field, err)
			}
			if _, err := s.GetUser(ctx, u.Username); !errors.Is(err, ErrNotFound) && u.Username != "" {
				t.Fatalf("invalid user was stored: %v", err)
			}
		})
	}
	// accepted forms are normalized
	u := newUser("ok")
	u.Permissions["/sub/../dir/"] = []string{PermListItems, PermDownload, PermListItems}
	u.PublicKeys = []string{"", testPublicKey(t)}
	u.FsConfig = Filesystem{Provider: HTTPFilesystemProvider, HTTPConfig: HTTPConfig{Endpoint: "https://x"}}
	u.Filters.FilePatterns = []PatternsFilter{{Path: "/a/./b/", AllowedPatterns: []string{"*.txt"}}}
	if err := s.AddUser(ctx, &u); err != nil {
		t.Fatalf("valid user rejected: %v", err)
	}
	if !slices.Equal(u.Permissions["/dir"], []string{PermListItems, PermDownload}) || len(u.PublicKeys) != 1 ||
		u.Filters.FilePatterns[0].Path != "/a/b" {
		t.Fatalf("not normalized: %+v %v %+v", u.Permissions, u.PublicKeys, u.Filters.FilePatterns)
	}
}

func TestNamingRules(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, "memory", func(c *config.DataProviderConfig) {
		c.NamingRules = NamingRuleAllowUTF8 | NamingRuleLowercase | NamingRuleTrim
	})
	u := newUser("  Jürgen ")
	if err := s.AddUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	if u.Username != "jürgen" {
		t.Fatalf("username %q, want trimmed and lowercased", u.Username)
	}
	if _, err := s.CheckUserPassword(ctx, "JÜRGEN", "secret-  Jürgen "); err != nil {
		t.Fatalf("case-insensitive login: %v", err)
	}
	strict := newTestStore(t, "memory", func(c *config.DataProviderConfig) { c.NamingRules = 0 })
	for _, name := range []string{"a-b_c.d~e", "UPPER09"} {
		u := newUser(name)
		if err := strict.AddUser(ctx, &u); err != nil {
			t.Fatalf("%q rejected: %v", name, err)
		}
	}
	if _, err := strict.GetUser(ctx, "upper09"); !errors.Is(err, ErrNotFound) {
		t.Fatal("names are case-sensitive without the lowercase rule")
	}
}

func TestUsersBaseDir(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, "memory", func(c *config.DataProviderConfig) { c.UsersBaseDir = "/home/sftp" })
	u := newUser("dave")
	u.HomeDir = ""
	if err := s.AddUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	if u.HomeDir != "/home/sftp/dave" {
		t.Fatalf("home %q", u.HomeDir)
	}
}
