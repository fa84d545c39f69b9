package common

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
	"github.com/sftpgo-ng/sftpgo/internal/kms"
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
		s, store := newTestServer(t, config.CommonConfig{SymlinkMode: SymlinkModeLocal})
		testBasicOperations(t, s, store, false)
	})
	t.Run("osfs", func(t *testing.T) {
		store := newStoreOnly()
		s, err := New(config.CommonConfig{SymlinkMode: SymlinkModeLocal}, Deps{Store: store})
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
		"upload into ro":                  upload(t, c, "/ro/new", []byte("x")),
		"mkdir in ro":                     c.Mkdir(bg, "/ro/d"),
		"remove in ro":                    c.Remove(bg, "/ro/f"),
		"overwrite in root":               upload(t, c, "/f", []byte("x")),
		"rename in root":                  c.Rename(bg, "/f", "/g"),
		"rename into rw":                  c.Rename(bg, "/f", "/rw/f"),
		"chmod in root":                   c.Chmod(bg, "/f", 0o600),
		"symlink in root":                 c.Symlink(bg, "/f", "/l"),
		"rmdir of ro":                     c.RemoveDir(bg, "/ro"),
		"delete root":                     c.RemoveDir(bg, "/"),
		"rename a dir with rules below":   c.Rename(bg, "/rw", "/rw2"),
		"rename a dir with its own rules": c.Rename(bg, "/ro", "/ro2"),
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
	if got := listNames(t, c, "/a"); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("/a/b listing: %v", got)
	}
	if fi, err := c.Stat(bg, "/a"); err != nil || !fi.IsDir() {
		t.Fatalf("stat of mount ancestor: %v %v", fi, err)
	}
	// the parents of a deep mount point are real directories in the home
	if fi, err := os.Stat(filepath.Join(u.HomeDir, "a", "b")); err != nil || !fi.IsDir() {
		t.Fatalf("mount parents not created: %v", err)
	}
	if err := upload(t, c, "/a/next-to-mount", []byte("x")); err != nil {
		t.Fatalf("upload next to a mount point: %v", err)
	}
	if err := c.Remove(bg, "/a/next-to-mount"); err != nil {
		t.Fatal(err)
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

// TestSetstatDuringUpload: clients set times and modes on the open handle
// before closing it (sftp put -p); in atomic mode they must land on the
// committed file.
func TestSetstatDuringUpload(t *testing.T) {
	for _, prov := range []dataprovider.FilesystemProvider{dataprovider.LocalFilesystemProvider, dataprovider.CryptedFilesystemProvider} {
		store := newStoreOnly()
		s, err := New(config.CommonConfig{UploadMode: UploadModeAtomic}, Deps{Store: store, KMS: plainKMS{}})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		u := testUser(t, "sam")
		u.FsConfig.Provider = prov
		u.FsConfig.CryptConfig.Passphrase = kms.NewPlainSecret("test passphrase")
		c := newTestConn(t, s, store, u)
		tr, err := c.OpenForWrite(bg, "/f", WriteOptions{Truncate: true, Size: -1})
		if err != nil {
			t.Fatal(err)
		}
		tr.WriteAt([]byte("data"), 0)
		mtime := time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)
		if err := c.Chtimes(bg, "/f", mtime, mtime); err != nil {
			t.Fatal(err)
		}
		if err := c.Chmod(bg, "/f", 0o600); err != nil {
			t.Fatal(err)
		}
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(u.HomeDir, "f"))
		if err != nil || !fi.ModTime().Equal(mtime) {
			t.Fatalf("provider %d: mtime %v %v", prov, fi.ModTime(), err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v", fi.Mode())
		}
	}
}

type plainKMS struct{}

func (plainKMS) Decrypt(s *kms.Secret) (string, error) { return s.Payload, nil }

func TestQuotaTracking(t *testing.T) {
	for _, tc := range []struct {
		mode      QuotaTracking
		quota     int64
		wantUsage bool
		wantLimit bool
	}{
		{TrackQuotaAlways, 0, true, false},
		{TrackQuotaAlways, 10, true, true},
		{TrackQuotaDisabled, 10, false, false},
		{TrackQuotaRestricted, 0, false, false},
		{TrackQuotaRestricted, 10, true, true},
	} {
		store := newStoreOnly()
		s, err := New(config.CommonConfig{}, Deps{Store: store, NewFs: testFs, TrackQuota: tc.mode})
		if err != nil {
			t.Fatal(err)
		}
		u := testUser(t, "tom")
		u.QuotaSize = tc.quota
		c := newTestConn(t, s, store, u)
		if err := upload(t, c, "/small", []byte("12345")); err != nil {
			t.Fatal(err)
		}
		err = upload(t, c, "/big", make([]byte, 20))
		if got := errors.Is(err, vfs.ErrQuotaExceeded); got != tc.wantLimit {
			t.Fatalf("mode %d quota %d: limit enforced=%v (%v)", tc.mode, tc.quota, got, err)
		}
		su, _ := store.GetUser(bg, "tom")
		if got := su.UsedQuotaFiles > 0; got != tc.wantUsage {
			t.Fatalf("mode %d quota %d: usage tracked=%v", tc.mode, tc.quota, got)
		}
		s.Close()
	}
	if QuotaTrackingFromConfig(0) != TrackQuotaDisabled || QuotaTrackingFromConfig(1) != TrackQuotaAlways || QuotaTrackingFromConfig(2) != TrackQuotaRestricted {
		t.Fatal("QuotaTrackingFromConfig")
	}
}

func TestStatVFSWithQuota(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{})
	u := testUser(t, "una")
	u.QuotaSize = 1 << 20
	u.QuotaFiles = 10
	c := newTestConn(t, s, store, u)
	if err := upload(t, c, "/f", make([]byte, 256<<10)); err != nil {
		t.Fatal(err)
	}
	st, err := c.StatVFS(bg, "/")
	if err != nil {
		t.Fatal(err)
	}
	if total, free := st.Blocks*st.FragSize, st.BlocksAvail*st.FragSize; total != 1<<20 || free != 768<<10 {
		t.Fatalf("space: total %d free %d", total, free)
	}
	if st.Files != 10 || st.FilesFree != 9 {
		t.Fatalf("files: %d free %d", st.Files, st.FilesFree)
	}
}

func TestChecksum(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{})
	u := testUser(t, "vera")
	u.Permissions["/nodl"] = []string{dataprovider.PermListItems, dataprovider.PermUpload}
	c := newTestConn(t, s, store, u)
	data := []byte("checksum me")
	upload(t, c, "/f", data)
	c.Mkdir(bg, "/nodl")
	upload(t, c, "/nodl/f", data)
	want := sum(data)
	if got, err := c.Checksum(bg, "/f", "sha256"); err != nil || got != fmt.Sprintf("%x", want) {
		t.Fatalf("sha256: %q %v", got, err)
	}
	if _, err := c.Checksum(bg, "/nodl/f", "md5"); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("without download: %v", err)
	}
	if _, err := c.Checksum(bg, "/f", "sha3"); !errors.Is(err, vfs.ErrNotSupported) {
		t.Fatalf("unknown algo: %v", err)
	}
}

func TestCopyDirAndRemoveAll(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{})
	u := testUser(t, "walt")
	c := newTestConn(t, s, store, u)
	c.Mkdir(bg, "/src")
	c.Mkdir(bg, "/src/sub")
	upload(t, c, "/src/a", []byte("aaa"))
	upload(t, c, "/src/sub/b", []byte("bb"))
	if err := c.Copy(bg, "/src", "/src/inner"); err == nil {
		t.Fatal("copy into itself accepted")
	}
	if err := c.Copy(bg, "/src", "/dst"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(u.HomeDir, "dst", "sub", "b")); string(b) != "bb" {
		t.Fatalf("copied tree: %q", b)
	}
	if err := c.Copy(bg, "/src", "/dst"); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("copy over an existing dir: %v", err)
	}
	if su, _ := store.GetUser(bg, "walt"); su.UsedQuotaFiles != 4 || su.UsedQuotaSize != 10 {
		t.Fatalf("usage after copy %d/%d", su.UsedQuotaFiles, su.UsedQuotaSize)
	}
	if err := c.RemoveAll(bg, "/src"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(u.HomeDir, "src")); !os.IsNotExist(err) {
		t.Fatalf("tree still there: %v", err)
	}
	if su, _ := store.GetUser(bg, "walt"); su.UsedQuotaFiles != 2 || su.UsedQuotaSize != 5 {
		t.Fatalf("usage after remove %d/%d", su.UsedQuotaFiles, su.UsedQuotaSize)
	}
	// a user without delete_files cannot remove a tree with files
	u2 := testUser(t, "xavi")
	u2.Permissions["/keep"] = []string{dataprovider.PermListItems, dataprovider.PermDeleteDirs}
	c2 := newTestConn(t, s, store, u2)
	os.MkdirAll(filepath.Join(u2.HomeDir, "keep"), 0o755)
	os.WriteFile(filepath.Join(u2.HomeDir, "keep", "f"), []byte("x"), 0o644)
	if err := c2.RemoveAll(bg, "/keep"); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("remove without delete_files: %v", err)
	}
	if _, err := os.Stat(filepath.Join(u2.HomeDir, "keep", "f")); err != nil {
		t.Fatal("file removed without permission")
	}
}

func TestResumeAtOffset(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{})
	u := testUser(t, "yuri")
	c := newTestConn(t, s, store, u)
	upload(t, c, "/f", []byte("0123456789"))
	tr, err := c.OpenForWrite(bg, "/f", WriteOptions{Offset: 4, Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	tr.Write([]byte("ab"))
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(u.HomeDir, "f")); string(b) != "0123ab" {
		t.Fatalf("after REST 4: %q", b)
	}
	if su, _ := store.GetUser(bg, "yuri"); su.UsedQuotaSize != 6 || su.UsedQuotaFiles != 1 {
		t.Fatalf("usage %d/%d", su.UsedQuotaSize, su.UsedQuotaFiles)
	}
	// streaming storage resumes only at the end
	u.FsConfig.Provider = dataprovider.CryptedFilesystemProvider
	u.Username = "yuri2"
	c2 := newTestConn(t, s, store, u)
	if _, err := c2.OpenForWrite(bg, "/f", WriteOptions{Offset: 4, Size: -1}); !errors.Is(err, vfs.ErrNotSupported) {
		t.Fatalf("stream resume in the middle: %v", err)
	}
}

// TestSymlinkCannotWidenPermissions: a link must not expose a directory
// with other permissions under the link's own rules.
func TestSymlinkCannotWidenPermissions(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{SymlinkMode: SymlinkModeLocal})
	u := testUser(t, "zoe")
	u.Permissions["/private"] = []string{dataprovider.PermListItems}
	u.Permissions["/tree"] = []string{dataprovider.PermAny}
	u.Permissions["/tree/locked"] = []string{dataprovider.PermListItems}
	os.MkdirAll(filepath.Join(u.HomeDir, "private"), 0o755)
	os.MkdirAll(filepath.Join(u.HomeDir, "tree", "locked"), 0o755)
	os.WriteFile(filepath.Join(u.HomeDir, "private", "secret"), []byte("s"), 0o644)
	c := newTestConn(t, s, store, u)
	for target, link := range map[string]string{
		"/private":        "/pub",
		"/private/secret": "/s",
		"/tree":           "/t",
	} {
		if err := c.Symlink(bg, target, link); !errors.Is(err, fs.ErrPermission) {
			t.Errorf("link %s -> %s: %v", link, target, err)
		}
	}
	if err := c.Rename(bg, "/private", "/open"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("renaming a directory with its own rules: %v", err)
	}
	if err := c.Hardlink(bg, "/private/secret", "/hard"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("hard link out of /private: %v", err)
	}
	os.MkdirAll(filepath.Join(u.HomeDir, "d"), 0o755)
	if err := c.Symlink(bg, "/d", "/ok"); err != nil {
		t.Fatalf("link with the same rules: %v", err)
	}
}

func TestFilesQuotaAndDataTransferLimits(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{})
	u := testUser(t, "abel")
	u.QuotaFiles = 1
	u.DownloadDataTransfer = 1 // MB
	c := newTestConn(t, s, store, u)
	data := randomData(t, 700<<10)
	if err := upload(t, c, "/a", data); err != nil {
		t.Fatal(err)
	}
	if err := upload(t, c, "/b", []byte("x")); !errors.Is(err, vfs.ErrQuotaExceeded) || !strings.Contains(err.Error(), "files") {
		t.Fatalf("files quota: %v", err)
	}
	if err := upload(t, c, "/a", []byte("overwrite")); err != nil {
		t.Fatalf("overwrite with a full files quota: %v", err)
	}
	upload(t, c, "/a", data)
	if _, err := download(t, c, "/a"); err != nil {
		t.Fatal(err)
	}
	// 700 KiB used of 1 MiB: the second download stops at the limit
	if _, err := download(t, c, "/a"); !errors.Is(err, vfs.ErrQuotaExceeded) {
		t.Fatalf("download over the data transfer limit: %v", err)
	}
	if _, err := c.OpenForRead(bg, "/a", 0); !errors.Is(err, vfs.ErrQuotaExceeded) {
		t.Fatalf("download with no allowance left: %v", err)
	}
	su, _ := store.GetUser(bg, "abel")
	if su.UsedDownloadDataTransfer < 1<<20 || su.UsedUploadDataTransfer == 0 {
		t.Fatalf("transfer counters: ul %d dl %d", su.UsedUploadDataTransfer, su.UsedDownloadDataTransfer)
	}
}

func TestTruncateDuringUpload(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{})
	u := testUser(t, "bert")
	c := newTestConn(t, s, store, u)
	tr, err := c.OpenForWrite(bg, "/f", WriteOptions{Truncate: true, Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	tr.WriteAt([]byte("0123456789"), 0)
	if err := c.Truncate(bg, "/f", 4); err != nil {
		t.Fatal(err)
	}
	if fi, err := tr.Stat(); err != nil || fi.Size() != 4 {
		t.Fatalf("stat of the open upload: %v %v", fi, err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(u.HomeDir, "f")); string(b) != "0123" {
		t.Fatalf("content %q", b)
	}
	if su, _ := store.GetUser(bg, "bert"); su.UsedQuotaSize != 4 {
		t.Fatalf("usage %d", su.UsedQuotaSize)
	}
}

// TestStreamReaderWindow reads a stream-only file in an order that needs
// the look-back window, a forward skip and a reopen.
func TestStreamReaderWindow(t *testing.T) {
	dir := t.TempDir()
	data := randomData(t, 5<<20)
	os.WriteFile(filepath.Join(dir, "f"), data, 0o644)
	sr := &streamReader{ctx: bg, fs: commontest.StreamFs{Fs: commontest.NewLocalFs(dir)}, path: "/f"}
	defer sr.Close()
	buf := make([]byte, 64<<10)
	for _, off := range []int64{0, 200 << 10, 100 << 10, 150 << 10, 3 << 20, 10, 5<<20 - 100, 4 << 20} {
		n, err := sr.ReadAt(buf, off)
		if err != nil && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
		want := data[off:min(off+int64(len(buf)), int64(len(data)))]
		if !bytes.Equal(buf[:n], want) {
			t.Fatalf("read at %d differs", off)
		}
		if n < len(buf) && !errors.Is(err, io.EOF) {
			t.Fatalf("short read at %d without EOF", off)
		}
	}
	if n, err := sr.ReadAt(buf, int64(len(data))); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("read at EOF: %d %v", n, err)
	}
}
