package common

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common/commontest"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

var bg = context.Background()

func listNames(t *testing.T, c *BaseConnection, vpath string) []string {
	t.Helper()
	l, err := c.ListDir(bg, vpath)
	if err != nil {
		t.Fatalf("list %s: %v", vpath, err)
	}
	defer l.Close()
	var names []string
	for {
		batch, err := l.Next(2)
		for _, fi := range batch {
			names = append(names, fi.Name())
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(names)
	return names
}

func TestBasicOperations(t *testing.T) {
	t.Run("testfs", func(t *testing.T) {
		s, store := newTestServer(t, config.CommonConfig{})
		testBasicOperations(t, s, store, false)
	})
	t.Run("osfs", func(t *testing.T) {
		store := newStoreOnly()
		s, err := New(config.CommonConfig{}, Deps{Store: store})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		testBasicOperations(t, s, store, true)
	})
}

func testBasicOperations(t *testing.T, s *Server, store *commontest.MemStore, statvfs bool) {
	c := newTestConn(t, s, store, testUser(t, "alice"))
	data := randomData(t, 100_000)
	if err := c.Mkdir(bg, "/d"); err != nil {
		t.Fatal(err)
	}
	if err := upload(t, c, "/d/f.bin", data); err != nil {
		t.Fatal(err)
	}
	got, err := download(t, c, "/d/f.bin")
	if err != nil || sum(got) != sum(data) {
		t.Fatalf("download: %v, equal=%v", err, bytes.Equal(got, data))
	}
	fi, err := c.Stat(bg, "/d/f.bin")
	if err != nil || fi.Size() != int64(len(data)) || fi.Name() != "f.bin" {
		t.Fatalf("stat: %v %v", fi, err)
	}
	if err := c.Rename(bg, "/d/f.bin", "/g.bin"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stat(bg, "/d/f.bin"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("old name: %v", err)
	}
	if err := c.RemoveDir(bg, "/d"); err != nil {
		t.Fatal(err)
	}
	if err := c.Symlink(bg, "g.bin", "/link"); err != nil {
		t.Fatal(err)
	}
	if target, err := c.Readlink(bg, "/link"); err != nil || (target != "/g.bin" && target != "g.bin") {
		t.Fatalf("readlink: %q %v", target, err)
	}
	if err := c.Chmod(bg, "/g.bin", 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, _ := c.Stat(bg, "/g.bin"); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := c.Chtimes(bg, "/g.bin", mtime, mtime); err != nil {
		t.Fatal(err)
	}
	if fi, _ := c.Stat(bg, "/g.bin"); !fi.ModTime().Equal(mtime) {
		t.Fatalf("mtime %v", fi.ModTime())
	}
	if err := c.Truncate(bg, "/g.bin", 10); err != nil {
		t.Fatal(err)
	}
	if err := c.Copy(bg, "/g.bin", "/copy.bin"); err != nil {
		t.Fatal(err)
	}
	if err := c.Hardlink(bg, "/g.bin", "/hard"); err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, c, "/"); !slices.Equal(got, []string{"copy.bin", "g.bin", "hard", "link"}) {
		t.Fatalf("list: %v", got)
	}
	if err := c.Remove(bg, "/copy.bin"); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove(bg, "/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("remove missing: %v", err)
	}
	if st, err := c.StatVFS(bg, "/"); statvfs != (err == nil) || (statvfs && st.Blocks == 0) {
		t.Fatalf("statvfs: %v %v", st, err)
	}
	// a target above the root is taken within the user's tree, as in a chroot
	if err := c.Symlink(bg, "../../../../etc/passwd", "/evil"); err != nil {
		t.Fatal(err)
	}
	if target, err := c.Readlink(bg, "/evil"); err != nil || strings.TrimPrefix(target, "/") != "etc/passwd" {
		t.Fatalf("confined symlink: %q %v", target, err)
	}
	c.Remove(bg, "/evil")
}

func TestErrorsDoNotLeakPaths(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{})
	u := testUser(t, "bob")
	c := newTestConn(t, s, store, u)
	os.MkdirAll(filepath.Join(u.HomeDir, "sub"), 0o755)
	os.WriteFile(filepath.Join(u.HomeDir, "sub", "x"), []byte("x"), 0o644)
	errs := []error{
		c.Remove(bg, "/missing"),
		c.RemoveDir(bg, "/sub"),
		c.Mkdir(bg, "/sub"),
		c.Rename(bg, "/missing", "/other"),
	}
	for i, err := range errs {
		if err == nil {
			t.Fatalf("case %d: no error", i)
		}
		if strings.Contains(err.Error(), u.HomeDir) || strings.Contains(err.Error(), "/tmp") {
			t.Fatalf("case %d leaks a path: %v", i, err)
		}
	}
	if !errors.Is(errs[1], vfs.ErrDirNotEmpty) {
		t.Fatalf("rmdir non-empty: %v", errs[1])
	}
	if !errors.Is(errs[2], fs.ErrExist) {
		t.Fatalf("mkdir existing: %v", errs[2])
	}
}

func TestPermissions(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{})
	u := testUser(t, "carol")
	u.Permissions = map[string][]string{
		"/":   {dataprovider.PermListItems, dataprovider.PermDownload, dataprovider.PermUpload, dataprovider.PermCreateDirs},
		"/ro": {dataprovider.PermListItems, dataprovider.PermDownload},
		"/rw": {dataprovider.PermAny},
	}
	os.MkdirAll(filepath.Join(u.HomeDir, "ro"), 0o755)
	os.MkdirAll(filepath.Join(u.HomeDir, "rw"), 0o755)
	os.WriteFile(filepath.Join(u.HomeDir, "ro", "f"), []byte("data"), 0o644)
	os.WriteFile(filepath.Join(u.HomeDir, "f"), []byte("data"), 0o644)
	c := newTestConn(t, s, store, u)
	denied := map[string]error{
		"upload into ro":                upload(t, c, "/ro/new", []byte("x")),
		"mkdir in ro":                   c.Mkdir(bg, "/ro/d"),
		"remove in ro":                  c.Remove(bg, "/ro/f"),
		"overwrite in root":             upload(t, c, "/f", []byte("x")),
		"rename in root":                c.Rename(bg, "/f", "/g"),
		"rename into rw":                c.Rename(bg, "/f", "/rw/f"),
		"chmod in root":                 c.Chmod(bg, "/f", 0o600),
		"symlink in root":               c.Symlink(bg, "/f", "/l"),
		"rmdir of ro":                   c.RemoveDir(bg, "/ro"),
		"delete root":                   c.RemoveDir(bg, "/"),
		"rename a dir with rules below": c.Rename(bg, "/rw", "/rw2"),
	}
	for name, err := range denied {
		if !errors.Is(err, fs.ErrPermission) {
			t.Errorf("%s: %v, want permission denied", name, err)
		}
	}
	if err := upload(t, c, "/new", []byte("x")); err != nil {
		t.Fatalf("upload new in root: %v", err)
	}
	if err := upload(t, c, "/rw/x", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename(bg, "/rw/x", "/rw/y"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(u.HomeDir, "ro", "new")); !os.IsNotExist(err) {
		t.Fatal("denied upload left a file")
	}
}

func TestFilePatterns(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{})
	u := testUser(t, "dave")
	u.Filters.FilePatterns = []dataprovider.PatternsFilter{
		{Path: "/", DeniedPatterns: []string{"*.exe"}},
		{Path: "/hidden", DeniedPatterns: []string{"*.secret"}, DenyPolicy: dataprovider.DenyPolicyHide},
	}
	os.MkdirAll(filepath.Join(u.HomeDir, "hidden"), 0o755)
	os.WriteFile(filepath.Join(u.HomeDir, "hidden", "a.secret"), []byte("s"), 0o644)
	os.WriteFile(filepath.Join(u.HomeDir, "hidden", "b.txt"), []byte("b"), 0o644)
	os.WriteFile(filepath.Join(u.HomeDir, "x.exe"), []byte("b"), 0o644)
	c := newTestConn(t, s, store, u)
	if err := upload(t, c, "/virus.exe", []byte("x")); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("denied upload: %v", err)
	}
	if got := listNames(t, c, "/hidden"); !slices.Equal(got, []string{"b.txt"}) {
		t.Fatalf("hidden listing: %v", got)
	}
	if got := listNames(t, c, "/"); !slices.Contains(got, "x.exe") {
		t.Fatalf("default policy lists denied files: %v", got)
	}
	if _, err := download(t, c, "/hidden/a.secret"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("hidden download: %v", err)
	}
	if _, err := download(t, c, "/x.exe"); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("denied download: %v", err)
	}
}

func withFolders(t *testing.T, u dataprovider.User) dataprovider.User {
	u.VirtualFolders = []dataprovider.VirtualFolder{
		{BaseVirtualFolder: dataprovider.BaseVirtualFolder{Name: "shared", MappedPath: filepath.Join(t.TempDir(), "shared")},
			VirtualPath: "/shared", QuotaSize: -1, QuotaFiles: -1},
		{BaseVirtualFolder: dataprovider.BaseVirtualFolder{Name: "deep", MappedPath: filepath.Join(t.TempDir(), "deep"),
			FsConfig: dataprovider.Filesystem{Provider: dataprovider.CryptedFilesystemProvider}},
			VirtualPath: "/a/b/deep", QuotaSize: 1000, QuotaFiles: 2},
	}
	return u
}

func TestVirtualFolders(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{})
	u := withFolders(t, testUser(t, "erin"))
	c := newTestConn(t, s, store, u)
	if got := listNames(t, c, "/"); !slices.Equal(got, []string{"a", "shared"}) {
		t.Fatalf("root listing: %v", got)
	}
	if got := listNames(t, c, "/a/b"); !slices.Equal(got, []string{"deep"}) {
		t.Fatalf("/a/b listing: %v", got)
	}
	if fi, err := c.Stat(bg, "/a"); err != nil || !fi.IsDir() {
		t.Fatalf("stat of mount ancestor: %v %v", fi, err)
	}
	data := []byte("hello folder")
	if err := upload(t, c, "/shared/f", data); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(u.VirtualFolders[0].MappedPath, "f")); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("folder file: %q %v", b, err)
	}
	if err := c.Rename(bg, "/shared/f", "/f"); !errors.Is(err, vfs.ErrNotSupported) {
		t.Fatalf("cross-storage rename: %v", err)
	}
	for _, err := range []error{c.RemoveDir(bg, "/shared"), c.Rename(bg, "/shared", "/x"), c.RemoveDir(bg, "/a"), c.Remove(bg, "/shared")} {
		if !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("mount point change: %v", err)
		}
	}
	// quota: the included folder counts in the user's usage, the other in its own
	if su, _ := store.GetUser(bg, "erin"); su.UsedQuotaFiles != 1 || su.UsedQuotaSize != int64(len(data)) {
		t.Fatalf("user quota %d/%d", su.UsedQuotaFiles, su.UsedQuotaSize)
	}
	if err := upload(t, c, "/a/b/deep/1", make([]byte, 600)); err != nil {
		t.Fatal(err)
	}
	if err := upload(t, c, "/a/b/deep/2", make([]byte, 600)); !errors.Is(err, vfs.ErrQuotaExceeded) {
		t.Fatalf("folder quota: %v", err)
	}
	if _, err := os.Stat(filepath.Join(u.VirtualFolders[1].MappedPath, "2")); !os.IsNotExist(err) {
		t.Fatalf("over-quota upload left a file: %v", err)
	}
	if f, _ := store.GetFolder(bg, "deep"); f.UsedQuotaFiles != 1 || f.UsedQuotaSize != 600 {
		t.Fatalf("folder usage %d/%d", f.UsedQuotaFiles, f.UsedQuotaSize)
	}
	if err := c.Remove(bg, "/a/b/deep/1"); err != nil {
		t.Fatal(err)
	}
	if f, _ := store.GetFolder(bg, "deep"); f.UsedQuotaFiles != 0 || f.UsedQuotaSize != 0 {
		t.Fatalf("folder usage after remove %d/%d", f.UsedQuotaFiles, f.UsedQuotaSize)
	}
}

// TestStreamingOutOfOrder uploads through the reorder buffer (storage
// without random access) with chunks in reverse order, then downloads
// with non-sequential reads.
func TestStreamingOutOfOrder(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{})
	u := testUser(t, "frank")
	u.FsConfig.Provider = dataprovider.CryptedFilesystemProvider
	c := newTestConn(t, s, store, u)
	data := randomData(t, 1<<20)
	tr, err := c.OpenForWrite(bg, "/big", WriteOptions{Truncate: true, Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	if tr.wfile != nil || tr.reorder == nil {
		t.Fatal("expected the streaming path")
	}
	chunks := chunksOf(len(data), 32*1024)
	slices.Reverse(chunks)
	for _, ch := range chunks {
		if _, err := tr.WriteAt(data[ch.off:ch.end], int64(ch.off)); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Connections(); len(st) != 1 || len(st[0].ActiveTransfers) != 1 || st[0].ActiveTransfers[0].OperationType != "upload" {
		t.Fatalf("status: %+v", st)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(u.HomeDir, "big")); sum(b) != sum(data) {
		t.Fatal("stored data differs")
	}
	rd, err := c.OpenForRead(bg, "/big", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	buf := make([]byte, 32*1024)
	for _, off := range []int64{0, 65536, 32768, 500000, 100, 1<<20 - 10} {
		n, err := rd.ReadAt(buf, off)
		if err != nil && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
		if !bytes.Equal(buf[:n], data[off:min(off+int64(len(buf)), int64(len(data)))]) {
			t.Fatalf("read at %d differs", off)
		}
	}
}

func TestUploadGapFails(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{UploadMode: UploadModeAtomic})
	u := testUser(t, "gina")
	u.FsConfig.Provider = dataprovider.CryptedFilesystemProvider
	c := newTestConn(t, s, store, u)
	tr, err := c.OpenForWrite(bg, "/gap", WriteOptions{Truncate: true, Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	tr.WriteAt([]byte("abc"), 0)
	tr.WriteAt([]byte("xyz"), 10)
	if err := tr.Close(); err == nil {
		t.Fatal("upload with a gap succeeded")
	}
	entries, _ := os.ReadDir(u.HomeDir)
	if len(entries) != 0 {
		t.Fatalf("failed atomic upload left %v", entries)
	}
}

func TestUploadModes(t *testing.T) {
	old := []byte("previous content")
	for _, tc := range []struct {
		mode     int
		wantFile string // content at the target after a failed upload
	}{
		{UploadModeStandard, "partial"},
		{UploadModeAtomic, string(old)},
		{UploadModeAtomicWithResume, "partial"},
	} {
		s, store := newTestServer(t, config.CommonConfig{UploadMode: tc.mode})
		u := testUser(t, "henry")
		os.MkdirAll(u.HomeDir, 0o755)
		os.WriteFile(filepath.Join(u.HomeDir, "f"), old, 0o644)
		c := newTestConn(t, s, store, u)
		tr, err := c.OpenForWrite(bg, "/f", WriteOptions{Truncate: true, Size: -1})
		if err != nil {
			t.Fatal(err)
		}
		tr.WriteAt([]byte("partial"), 0)
		if tc.mode != UploadModeStandard {
			// atomic: nothing visible before close
			if b, _ := os.ReadFile(filepath.Join(u.HomeDir, "f")); !bytes.Equal(b, old) {
				t.Fatalf("mode %d: target changed before close: %q", tc.mode, b)
			}
		}
		tr.TransferError(errors.New("client went away"))
		if err := tr.Close(); err == nil {
			t.Fatalf("mode %d: failed upload closed without error", tc.mode)
		}
		b, _ := os.ReadFile(filepath.Join(u.HomeDir, "f"))
		if string(b) != tc.wantFile {
			t.Fatalf("mode %d: target %q, want %q", tc.mode, b, tc.wantFile)
		}
		if entries, _ := os.ReadDir(u.HomeDir); len(entries) != 1 {
			t.Fatalf("mode %d: leftovers %v", tc.mode, entries)
		}
		// a successful atomic upload replaces the file
		if err := upload(t, c, "/f", []byte("new")); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(filepath.Join(u.HomeDir, "f")); string(b) != "new" {
			t.Fatalf("mode %d: after success %q", tc.mode, b)
		}
	}
}

func TestQuotaMidUpload(t *testing.T) {
	for _, mode := range []int{UploadModeStandard, UploadModeAtomic, UploadModeAtomicWithResume} {
		s, store := newTestServer(t, config.CommonConfig{UploadMode: mode})
		u := testUser(t, "ivy")
		u.QuotaSize = 100_000
		c := newTestConn(t, s, store, u)
		err := upload(t, c, "/big", make([]byte, 200_000))
		if !errors.Is(err, vfs.ErrQuotaExceeded) {
			t.Fatalf("mode %d: %v", mode, err)
		}
		if entries, _ := os.ReadDir(u.HomeDir); len(entries) != 0 {
			t.Fatalf("mode %d: over-quota upload left %v", mode, entries)
		}
		if su, _ := store.GetUser(bg, "ivy"); su.UsedQuotaSize != 0 || su.UsedQuotaFiles != 0 {
			t.Fatalf("mode %d: usage %d/%d", mode, su.UsedQuotaSize, su.UsedQuotaFiles)
		}
		if err := upload(t, c, "/small", make([]byte, 50_000)); err != nil {
			t.Fatal(err)
		}
		if err := upload(t, c, "/small", make([]byte, 90_000)); err != nil {
			t.Fatalf("overwrite within quota: %v", err)
		}
		if su, _ := store.GetUser(bg, "ivy"); su.UsedQuotaSize != 90_000 || su.UsedQuotaFiles != 1 {
			t.Fatalf("mode %d: usage after overwrite %d/%d", mode, su.UsedQuotaSize, su.UsedQuotaFiles)
		}
	}
}

func TestMaxUploadFileSize(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{})
	u := testUser(t, "jack")
	u.Filters.MaxUploadFileSize = 10
	c := newTestConn(t, s, store, u)
	if err := upload(t, c, "/f", make([]byte, 11)); !errors.Is(err, vfs.ErrQuotaExceeded) {
		t.Fatalf("over max size: %v", err)
	}
	if err := upload(t, c, "/f", make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
}

func TestResumeUpload(t *testing.T) {
	for _, prov := range []dataprovider.FilesystemProvider{dataprovider.LocalFilesystemProvider, dataprovider.CryptedFilesystemProvider} {
		s, store := newTestServer(t, config.CommonConfig{UploadMode: UploadModeAtomicWithResume})
		u := testUser(t, "kim")
		u.FsConfig.Provider = prov
		c := newTestConn(t, s, store, u)
		if err := upload(t, c, "/f", []byte("hello ")); err != nil {
			t.Fatal(err)
		}
		tr, err := c.OpenForWrite(bg, "/f", WriteOptions{Size: -1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Write([]byte("world")); err != nil {
			t.Fatal(err)
		}
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(filepath.Join(u.HomeDir, "f")); string(b) != "hello world" {
			t.Fatalf("provider %d: %q", prov, b)
		}
		if su, _ := store.GetUser(bg, "kim"); su.UsedQuotaSize != 11 || su.UsedQuotaFiles != 1 {
			t.Fatalf("usage %d/%d", su.UsedQuotaSize, su.UsedQuotaFiles)
		}
	}
}

func TestBandwidthLimit(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{})
	u := testUser(t, "liam")
	u.UploadBandwidth = 1024 // KB/s
	u.Filters.BandwidthLimits = []dataprovider.BandwidthLimit{{Sources: []string{"10.0.0.0/8"}, UploadBandwidth: 1}}
	c := newTestConn(t, s, store, u)
	start := time.Now()
	// burst is 100 KiB, so 612 KiB need at least ~0.5 s
	if err := upload(t, c, "/f", make([]byte, 612*1024)); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 400*time.Millisecond || el > 3*time.Second {
		t.Fatalf("upload of 612 KiB at 1 MiB/s took %v", el)
	}
}

func TestSetstatModes(t *testing.T) {
	for _, mode := range []int{SetstatModeApply, SetstatModeIgnore, SetstatModeIgnoreCloud} {
		s, store := newTestServer(t, config.CommonConfig{SetstatMode: mode})
		u := testUser(t, "mia")
		u.FsConfig.Provider = dataprovider.CryptedFilesystemProvider // no chmod capability
		c := newTestConn(t, s, store, u)
		upload(t, c, "/f", []byte("x"))
		err := c.Chmod(bg, "/f", 0o600)
		if mode == SetstatModeApply && !errors.Is(err, vfs.ErrNotSupported) {
			t.Fatalf("mode %d: %v", mode, err)
		}
		if mode != SetstatModeApply && err != nil {
			t.Fatalf("mode %d: %v", mode, err)
		}
	}
}

func TestCheckLogin(t *testing.T) {
	s, _ := newTestServer(t, config.CommonConfig{})
	base := testUser(t, "nina")
	base.HomeDir = ""
	cases := []struct {
		name   string
		mutate func(*dataprovider.User)
		ok     bool
	}{
		{"ok", func(*dataprovider.User) {}, true},
		{"disabled", func(u *dataprovider.User) { u.Status = dataprovider.StatusDisabled }, false},
		{"expired", func(u *dataprovider.User) { u.ExpirationDate = time.Now().Add(-time.Hour).UnixMilli() }, false},
		{"protocol", func(u *dataprovider.User) { u.Filters.DeniedProtocols = []string{"SSH"} }, false},
		{"method", func(u *dataprovider.User) { u.Filters.DeniedLoginMethods = []string{"password"} }, false},
		{"ip", func(u *dataprovider.User) { u.Filters.DeniedIP = []string{"127.0.0.0/8"} }, false},
	}
	for _, tc := range cases {
		u := base
		u.Filters = dataprovider.UserFilters{}
		tc.mutate(&u)
		err := s.CheckLogin(&u, "SSH", "password", "127.0.0.1:22")
		if (err == nil) != tc.ok {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.ok {
			if fi, err := os.Stat(u.HomeDir); err != nil || !fi.IsDir() {
				t.Fatalf("home not created: %v", err)
			}
		} else if !errors.Is(err, ErrLoginDenied) {
			t.Fatalf("%s: wrong kind %v", tc.name, err)
		}
	}
}
