package dataprovider

import (
	"context"
	"slices"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

func TestEffectiveUserWithGroups(t *testing.T) {
	ctx := context.Background()
	forEachDriver(t, func(t *testing.T, s *Store) {
		for _, f := range []BaseVirtualFolder{{Name: "pf", MappedPath: "/data/%username%/pf"}, {Name: "sf", MappedPath: "/data/sf"},
			{Name: "sf2", MappedPath: "/data/sf2"}, {Name: "own", MappedPath: "/data/own"}, {Name: "mf", MappedPath: "/data/mf"}} {
			if err := s.AddFolder(ctx, &f); err != nil {
				t.Fatal(err)
			}
		}
		mount := func(name, p string) VirtualFolder {
			return VirtualFolder{BaseVirtualFolder: BaseVirtualFolder{Name: name}, VirtualPath: p}
		}
		primary := Group{Name: "primary", UserSettings: GroupUserSettings{
			HomeDir:     "/homes/%username%",
			MaxSessions: 3, QuotaSize: 1000, QuotaFiles: 10, UploadBandwidth: 50,
			Permissions: map[string][]string{"/": {PermListItems}, "/pub": {PermListItems, PermDownload}},
			Filters: UserFilters{DeniedProtocols: []string{ProtocolFTP}, AllowedIP: []string{"10.0.0.0/8"},
				StartDirectory: "/start/%username%", FilePatterns: []PatternsFilter{{Path: "/", DeniedPatterns: []string{"*.exe"}}},
				MaxUploadFileSize: 77},
			FsConfig: Filesystem{Provider: SFTPFilesystemProvider, SFTPConfig: SFTPConfig{Endpoint: "h:22",
				Username: "%username%", Prefix: "/users/%username%", Password: kms.NewPlainSecret("p")}},
		}, VirtualFolders: []VirtualFolder{mount("pf", "/%username%-files")}}
		secondary := Group{Name: "secondary", UserSettings: GroupUserSettings{
			MaxSessions: 99,
			Permissions: map[string][]string{"/": {PermAny}, "/pub": {PermAny}, "/sec": {PermUpload}},
			Filters: UserFilters{DeniedProtocols: []string{ProtocolFTP, ProtocolWebDAV}, DeniedIP: []string{"192.168.0.0/16"},
				FilePatterns: []PatternsFilter{{Path: "/", DeniedPatterns: []string{"*.bat"}}, {Path: "/sec", AllowedPatterns: []string{"*.txt"}}}},
		}, VirtualFolders: []VirtualFolder{mount("sf", "/shared"), mount("sf2", "/mine")}}
		membership := Group{Name: "membership", UserSettings: GroupUserSettings{MaxSessions: 1000,
			Permissions: map[string][]string{"/m": {PermAny}}}, VirtualFolders: []VirtualFolder{mount("mf", "/m")}}
		for _, g := range []*Group{&primary, &secondary, &membership} {
			if err := s.AddGroup(ctx, g); err != nil {
				t.Fatalf("add group %s: %v", g.Name, err)
			}
		}
		u := newUser("frank")
		u.HomeDir = "/own/home"
		u.QuotaFiles = 5
		u.Permissions = map[string][]string{"/": {PermAny}}
		u.VirtualFolders = []VirtualFolder{mount("own", "/mine")}
		u.Groups = []GroupMapping{{Name: "membership", Type: GroupTypeMembership}, {Name: "secondary", Type: GroupTypeSecondary},
			{Name: "primary", Type: GroupTypePrimary}}
		if err := s.AddUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		e, err := s.GetEffectiveUser(ctx, "frank")
		if err != nil {
			t.Fatal(err)
		}
		check := func(what string, ok bool) {
			t.Helper()
			if !ok {
				t.Errorf("%s: not applied", what)
			}
		}
		check("home from primary group", e.HomeDir == "/homes/frank")
		check("max sessions from primary only", e.MaxSessions == 3)
		check("own quota files kept", e.QuotaFiles == 5)
		check("quota size from group", e.QuotaSize == 1000)
		check("bandwidth from group", e.UploadBandwidth == 50)
		check("max upload size", e.Filters.MaxUploadFileSize == 77)
		check("fs from primary", e.FsConfig.Provider == SFTPFilesystemProvider && e.FsConfig.SFTPConfig.Username == "frank" &&
			e.FsConfig.SFTPConfig.Prefix == "/users/frank")
		check("start dir", e.Filters.StartDirectory == "/start/frank")
		check("own root perms kept", slices.Equal(e.Permissions["/"], []string{PermAny}))
		check("primary perms added", slices.Equal(e.Permissions["/pub"], []string{PermListItems, PermDownload}))
		check("secondary perms added", slices.Equal(e.Permissions["/sec"], []string{PermUpload}))
		check("membership perms ignored", e.Permissions["/m"] == nil)
		var paths []string
		for _, vf := range e.VirtualFolders {
			paths = append(paths, vf.VirtualPath+"="+vf.Name)
		}
		slices.Sort(paths)
		check("virtual folders merged", slices.Equal(paths, []string{"/frank-files=pf", "/mine=own", "/shared=sf"}))
		for _, vf := range e.VirtualFolders {
			if vf.Name == "pf" {
				check("mapped path placeholder", vf.MappedPath == "/data/frank/pf")
			}
		}
		check("denied protocols merged", slices.Equal(e.Filters.DeniedProtocols, []string{ProtocolFTP, ProtocolWebDAV}))
		check("ip lists merged", slices.Equal(e.Filters.AllowedIP, []string{"10.0.0.0/8"}) &&
			slices.Equal(e.Filters.DeniedIP, []string{"192.168.0.0/16"}))
		var fps []string
		for _, fp := range e.Filters.FilePatterns {
			fps = append(fps, fp.Path)
		}
		check("file patterns: primary '/', secondary non-root", slices.Equal(fps, []string{"/", "/sec"}) &&
			slices.Equal(e.Filters.FilePatterns[0].DeniedPatterns, []string{"*.exe"}))
		// the stored user is unchanged
		stored, _ := s.GetUser(ctx, "frank")
		if stored.HomeDir != "/own/home" || len(stored.VirtualFolders) != 1 || stored.MaxSessions != 0 {
			t.Fatalf("stored user changed: %+v", stored)
		}
		// authentication returns the effective user
		a, err := s.CheckUserPassword(ctx, "frank", "secret-frank")
		if err != nil || a.HomeDir != "/homes/frank" {
			t.Fatalf("login: %v %q", err, a.HomeDir)
		}
	})
}

func TestHomeDirFromPrimaryGroup(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, "memory")
	g := Group{Name: "g", UserSettings: GroupUserSettings{HomeDir: "/srv/%username%"}}
	if err := s.AddGroup(ctx, &g); err != nil {
		t.Fatal(err)
	}
	u := newUser("gina")
	u.HomeDir = ""
	u.Groups = []GroupMapping{{Name: "g", Type: GroupTypePrimary}}
	if err := s.AddUser(ctx, &u); err != nil {
		t.Fatalf("user without home in a primary group with one: %v", err)
	}
	e, _ := s.GetEffectiveUser(ctx, "gina")
	if e.HomeDir != "/srv/gina" {
		t.Fatalf("home %q", e.HomeDir)
	}
	u2 := newUser("hank")
	u2.HomeDir = ""
	u2.Groups = []GroupMapping{{Name: "g", Type: GroupTypeSecondary}}
	if err := s.AddUser(ctx, &u2); err == nil {
		t.Fatal("a secondary group's home must not satisfy home_dir")
	}
}
