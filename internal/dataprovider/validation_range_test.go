package dataprovider

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// TestRangeValidation: numbers outside what the store can keep and paths
// with a NUL byte are refused with a validation error naming the field.
func TestRangeValidation(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, "memory")
	over := MaxCounter + 1
	cases := []struct {
		name, field string
		mod         func(*User)
	}{
		{"uid 2^32", "uid", func(u *User) { u.UID = 1 << 32 }},
		{"uid 2^31", "uid", func(u *User) { u.UID = 1 << 31 }},
		{"gid 2^31", "gid", func(u *User) { u.GID = 1 << 31 }},
		{"quota_size", "quota_size", func(u *User) { u.QuotaSize = math.MaxInt64 }},
		{"quota_files", "quota_files", func(u *User) { u.QuotaFiles = math.MaxInt64 }},
		{"used_quota_size", "used_quota_size", func(u *User) { u.UsedQuotaSize = over }},
		{"upload_bandwidth", "upload_bandwidth", func(u *User) { u.UploadBandwidth = over }},
		{"total_data_transfer", "total_data_transfer", func(u *User) { u.TotalDataTransfer = over }},
		{"negative download_data_transfer", "download_data_transfer", func(u *User) { u.DownloadDataTransfer = -1 }},
		{"max_upload_file_size", "filters.max_upload_file_size", func(u *User) { u.Filters.MaxUploadFileSize = over }},
		{"bandwidth limit", "filters.bandwidth_limits[0].download_bandwidth", func(u *User) {
			u.Filters.BandwidthLimits = []BandwidthLimit{{Sources: []string{"10.0.0.0/8"}, DownloadBandwidth: over}}
		}},
		{"transfer limit", "filters.data_transfer_limits[0].total_data_transfer", func(u *User) {
			u.Filters.DataTransferLimits = []DataTransferLimit{{Sources: []string{"10.0.0.0/8"}, TotalDataTransfer: over}}
		}},
		{"NUL in home_dir", "home_dir", func(u *User) { u.HomeDir = "/srv/a\x00b" }},
		{"NUL in permissions path", "permissions", func(u *User) { u.Permissions["/a\x00"] = []string{PermAny} }},
		{"NUL in start_directory", "filters.start_directory", func(u *User) { u.Filters.StartDirectory = "/x\x00" }},
		{"NUL in file pattern path", "filters.file_patterns[0].path", func(u *User) {
			u.Filters.FilePatterns = []PatternsFilter{{Path: "/d\x00", DeniedPatterns: []string{"*.exe"}}}
		}},
		{"NUL in sftp prefix", "filesystem.prefix", func(u *User) {
			u.FsConfig = Filesystem{Provider: SFTPFilesystemProvider, SFTPConfig: SFTPConfig{Endpoint: "h:22",
				Username: "u", Prefix: "/p\x00", Password: kms.NewPlainSecret("pw")}}
		}},
		{"NUL in s3 key_prefix", "filesystem.s3config.key_prefix", func(u *User) {
			u.FsConfig = Filesystem{Provider: S3FilesystemProvider, S3Config: S3Config{Bucket: "b", KeyPrefix: "p\x00/"}}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := newUser("range")
			c.mod(&u)
			err := s.AddUser(ctx, &u)
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != c.field {
				t.Fatalf("AddUser: %v, want a validation error on %s", err, c.field)
			}
		})
	}
	// the limits themselves are accepted
	u := newUser("limits")
	u.UID, u.GID, u.QuotaSize, u.UploadBandwidth = MaxUnixID, MaxUnixID, MaxCounter, MaxCounter
	if err := s.AddUser(ctx, &u); err != nil {
		t.Fatalf("limits refused: %v", err)
	}

	folder := BaseVirtualFolder{Name: "f", MappedPath: "/srv/f\x00"}
	var ve *ValidationError
	if err := s.AddFolder(ctx, &folder); !errors.As(err, &ve) || ve.Field != "mapped_path" {
		t.Fatalf("folder with NUL in mapped_path: %v", err)
	}
	folder.MappedPath = "/srv/f"
	if err := s.AddFolder(ctx, &folder); err != nil {
		t.Fatal(err)
	}
	g := Group{Name: "g", UserSettings: GroupUserSettings{HomeDir: "/h\x00"}}
	if err := s.AddGroup(ctx, &g); !errors.As(err, &ve) || ve.Field != "user_settings.home_dir" {
		t.Fatalf("group with NUL in home_dir: %v", err)
	}
	g = Group{Name: "g", UserSettings: GroupUserSettings{QuotaSize: over}}
	if err := s.AddGroup(ctx, &g); !errors.As(err, &ve) || ve.Field != "user_settings.quota_size" {
		t.Fatalf("group with quota_size over the limit: %v", err)
	}
	mount := newUser("mount")
	mount.VirtualFolders = []VirtualFolder{{BaseVirtualFolder: BaseVirtualFolder{Name: "f"}, VirtualPath: "/v\x00"}}
	if err := s.AddUser(ctx, &mount); !errors.As(err, &ve) || ve.Field != "virtual_folders[0].virtual_path" {
		t.Fatalf("mount with NUL in virtual_path: %v", err)
	}
	mount.VirtualFolders = []VirtualFolder{{BaseVirtualFolder: BaseVirtualFolder{Name: "f"}, VirtualPath: "/v", QuotaSize: over}}
	if err := s.AddUser(ctx, &mount); !errors.As(err, &ve) || ve.Field != "virtual_folders[0].quota_size" {
		t.Fatalf("mount quota over the limit: %v", err)
	}
}

// TestQuotaCountersNeverOverflow: a used-quota update cannot take a
// counter past what the store keeps as an integer, on every driver.
func TestQuotaCountersNeverOverflow(t *testing.T) {
	ctx := context.Background()
	forEachDriver(t, func(t *testing.T, s *Store) {
		u := newUser("q")
		if err := s.AddUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		var ve *ValidationError
		if err := s.UpdateUserQuota(ctx, "q", math.MaxInt64, 0, true); !errors.As(err, &ve) {
			t.Fatalf("reset to MaxInt64: %v, want a validation error", err)
		}
		if err := s.UpdateUserQuota(ctx, "q", math.MaxInt64, 0, false); !errors.As(err, &ve) {
			t.Fatalf("add MaxInt64: %v, want a validation error", err)
		}
		if err := s.UpdateUserTransferQuota(ctx, "q", math.MaxInt64, 0, true); !errors.As(err, &ve) {
			t.Fatalf("transfer reset to MaxInt64: %v, want a validation error", err)
		}
		// adds that are each in range saturate instead of overflowing
		if err := s.UpdateUserQuota(ctx, "q", MaxCounter, 1, true); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := s.UpdateUserQuota(ctx, "q", MaxCounter, 1, false); err != nil {
				t.Fatal(err)
			}
			if err := s.UpdateUserTransferQuota(ctx, "q", MaxCounter, MaxCounter, false); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.GetUser(ctx, "q")
		if err != nil {
			t.Fatalf("get after saturating adds: %v", err)
		}
		if got.UsedQuotaSize != MaxCounter || got.UsedUploadDataTransfer != MaxCounter || got.UsedQuotaFiles != 4 {
			t.Fatalf("counters %d %d %d, want %d %d 4", got.UsedQuotaSize, got.UsedUploadDataTransfer,
				got.UsedQuotaFiles, MaxCounter, MaxCounter)
		}
		if _, err := s.ListUsers(ctx, 0, 0, "ASC"); err != nil {
			t.Fatal(err)
		}
		f := BaseVirtualFolder{Name: "qf", MappedPath: "/srv/qf"}
		if err := s.AddFolder(ctx, &f); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := s.UpdateFolderQuota(ctx, "qf", MaxCounter, 1, false); err != nil {
				t.Fatal(err)
			}
		}
		gf, err := s.GetFolder(ctx, "qf")
		if err != nil || gf.UsedQuotaSize != MaxCounter {
			t.Fatalf("folder after saturating adds: %v %d", err, gf.UsedQuotaSize)
		}
	})
}

// TestSQLiteCorruptRowDoesNotHideOthers: a user row whose counter is a
// REAL (what SQLite made of an overflowing sum before the fix) is left
// out of lists and reported, its own read names it, and a quota reset
// repairs it.
func TestSQLiteCorruptRowDoesNotHideOthers(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, "sqlite")
	for _, n := range []string{"a", "bad", "c"} {
		u := newUser(n)
		if err := s.AddUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	f := BaseVirtualFolder{Name: "badf", MappedPath: "/srv/badf"}
	if err := s.AddFolder(ctx, &f); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+dbPath(t, s))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("UPDATE users SET used_quota_size = 9223372036854775807.0 + 10000.0 WHERE username = 'bad'"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE folders SET used_quota_files = 1e30 WHERE name = 'badf'"); err != nil {
		t.Fatal(err)
	}
	var typ string
	if err := db.QueryRow("SELECT typeof(used_quota_size) FROM users WHERE username = 'bad'").Scan(&typ); err != nil || typ != "real" {
		t.Fatalf("setup: column type %q %v", typ, err)
	}

	users, err := s.ListUsers(ctx, 0, 0, "ASC")
	if err != nil {
		t.Fatalf("list with a corrupt row: %v", err)
	}
	var names []string
	for _, u := range users {
		names = append(names, u.Username)
	}
	if strings.Join(names, ",") != "a,c" {
		t.Fatalf("listed %v, want a,c", names)
	}
	_, err = s.GetUser(ctx, "bad")
	if !errors.Is(err, ErrCorruptRecord) || !strings.Contains(err.Error(), "used_quota_size") {
		t.Fatalf("get corrupt user: %v", err)
	}
	if _, err := s.ListFolders(ctx, 0, 0, "ASC"); err != nil {
		t.Fatalf("list folders with a corrupt row: %v", err)
	}
	if _, err := s.GetFolder(ctx, "badf"); !errors.Is(err, ErrCorruptRecord) {
		t.Fatalf("get corrupt folder: %v", err)
	}
	if _, err := s.Dump(ctx); err != nil {
		t.Fatalf("dump with a corrupt row: %v", err)
	}
	if err := s.UpdateUserQuota(ctx, "bad", 5, 1, true); err != nil {
		t.Fatal(err)
	}
	if u, err := s.GetUser(ctx, "bad"); err != nil || u.UsedQuotaSize != 5 {
		t.Fatalf("after reset: %v %d", err, u.UsedQuotaSize)
	}
}
