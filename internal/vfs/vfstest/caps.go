package vfstest

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// The optional capabilities a backend may have: the names of the vfs
// interfaces, and Append for vfs.CreateOptions.Append. Run takes the ones
// a backend claims, so a backend that loses one fails the suite instead of
// skipping its cases, and one that gains one must say so.
const (
	RandomAccess       = "RandomAccessFs"
	ReaderAt           = "ReaderAtFs"
	Truncate           = "TruncateFs"
	Chmod              = "ChmodFs"
	Chown              = "ChownFs"
	Chtimes            = "ChtimesFs"
	Symlink            = "SymlinkFs"
	Link               = "LinkFs"
	Copy               = "CopyFs"
	Hash               = "HashFs"
	StatVFS            = "StatVFSFs"
	LocalPath          = "LocalPathFs"
	RecursiveDirRename = "RecursiveDirRenameFs"
	Metadata           = "MetadataFs"
	Append             = "Append"
)

// ObjectStore are the capabilities of the backends built on objstore
// (S3, GCS, Azure Blob, the in-memory store).
var ObjectStore = []string{Chtimes, Copy, Hash, Metadata, RecursiveDirRename}

// implemented returns the capability interfaces fsys implements.
func implemented(fsys vfs.Fs) []string {
	var out []string
	add := func(ok bool, name string) {
		if ok {
			out = append(out, name)
		}
	}
	_, ok := fsys.(vfs.RandomAccessFs)
	add(ok, RandomAccess)
	_, ok = fsys.(vfs.ReaderAtFs)
	add(ok, ReaderAt)
	_, ok = fsys.(vfs.TruncateFs)
	add(ok, Truncate)
	_, ok = fsys.(vfs.ChmodFs)
	add(ok, Chmod)
	_, ok = fsys.(vfs.ChownFs)
	add(ok, Chown)
	_, ok = fsys.(vfs.ChtimesFs)
	add(ok, Chtimes)
	_, ok = fsys.(vfs.SymlinkFs)
	add(ok, Symlink)
	_, ok = fsys.(vfs.LinkFs)
	add(ok, Link)
	_, ok = fsys.(vfs.CopyFs)
	add(ok, Copy)
	_, ok = fsys.(vfs.HashFs)
	add(ok, Hash)
	_, ok = fsys.(vfs.StatVFSFs)
	add(ok, StatVFS)
	_, ok = fsys.(vfs.LocalPathFs)
	add(ok, LocalPath)
	_, ok = fsys.(vfs.RecursiveDirRenameFs)
	add(ok, RecursiveDirRename)
	_, ok = fsys.(vfs.MetadataFs)
	add(ok, Metadata)
	return out
}

// capability returns fsys as T: a claimed capability that is missing
// fails the test, an unclaimed one skips it.
func capability[T any](t *testing.T, s *suite, fsys vfs.Fs) T {
	t.Helper()
	c, ok := fsys.(T)
	name := reflect.TypeFor[T]().Name()
	if !ok {
		if s.caps[name] {
			t.Fatalf("%s claims %s but does not implement it", fsys.Name(), name)
		}
		t.Skipf("%s does not implement %s", fsys.Name(), name)
	}
	return c
}

func (s *suite) randomAccess(t *testing.T, fsys vfs.Fs) {
	ra := capability[vfs.RandomAccessFs](t, s, fsys)
	ctx := t.Context()
	data := RandomData(t, 4*64<<10+999)
	f, err := ra.OpenFile(ctx, "/ra", os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	// Out of order, uneven chunks, last chunk first.
	const chunk = 50000
	var offs []int
	for off := 0; off < len(data); off += chunk {
		offs = append(offs, off)
	}
	for i := len(offs) - 1; i >= 0; i -= 2 {
		writeChunk(t, f, data, offs[i], chunk)
	}
	for i := len(offs) - 2; i >= 0; i -= 2 {
		writeChunk(t, f, data, offs[i], chunk)
	}
	buf := make([]byte, 1000)
	if _, err := f.ReadAt(buf, 12345); err != nil || !bytes.Equal(buf, data[12345:13345]) {
		t.Fatalf("ReadAt on the open file: %v", err)
	}
	fi, err := f.Stat()
	if err != nil || fi.Size() != int64(len(data)) {
		t.Fatalf("Stat on the open file: %v, %v", fi, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	assertContent(t, fsys, "/ra", data)

	// Reopen without truncation, patch the middle, shrink.
	f, err = ra.OpenFile(ctx, "/ra", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	patch := RandomData(t, 777)
	if _, err := f.WriteAt(patch, 100000); err != nil {
		t.Fatal(err)
	}
	copy(data[100000:], patch)
	if err := f.Truncate(200000); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	assertContent(t, fsys, "/ra", data[:200000])

	_, err = ra.OpenFile(ctx, "/ra", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	assertErrIs(t, "OpenFile O_EXCL on an existing file", err, fs.ErrExist)
	_, err = ra.OpenFile(ctx, "/missing", os.O_RDWR, 0)
	assertErrIs(t, "OpenFile missing", err, fs.ErrNotExist)
}

func writeChunk(t *testing.T, f vfs.RandomAccessFile, data []byte, off, n int) {
	t.Helper()
	end := min(off+n, len(data))
	if _, err := f.WriteAt(data[off:end], int64(off)); err != nil {
		t.Fatalf("WriteAt %d: %v", off, err)
	}
}

func (s *suite) readerAt(t *testing.T, fsys vfs.Fs) {
	rfs := capability[vfs.ReaderAtFs](t, s, fsys)
	const size = 3*64<<10 + 17
	data := RandomData(t, size)
	WriteFile(t, fsys, "/f", data)
	r, err := rfs.OpenReaderAt(t.Context(), "/f")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, c := range []struct{ off, n int }{
		{0, 10}, {1, 64 << 10}, {64<<10 - 1, 2}, {64 << 10, 64 << 10}, {64<<10 + 1, 100000}, {size - 5, 5}, {0, size},
	} {
		buf := make([]byte, c.n)
		n, err := r.ReadAt(buf, int64(c.off))
		if err != nil && !(err == io.EOF && c.off+c.n == size) {
			t.Fatalf("ReadAt(%d, %d): %v", c.off, c.n, err)
		}
		if n != c.n || !bytes.Equal(buf, data[c.off:c.off+c.n]) {
			t.Fatalf("ReadAt(%d, %d): %d bytes, wrong content", c.off, c.n, n)
		}
	}
	// Past the end: fewer bytes and io.EOF.
	buf := make([]byte, 100)
	n, err := r.ReadAt(buf, size-10)
	if n != 10 || err != io.EOF || !bytes.Equal(buf[:10], data[size-10:]) {
		t.Fatalf("ReadAt across the end: n=%d err=%v, want 10, io.EOF", n, err)
	}
	if n, err := r.ReadAt(buf, size+10); n != 0 || err != io.EOF {
		t.Fatalf("ReadAt beyond the end: n=%d err=%v, want 0, io.EOF", n, err)
	}
	// Concurrent ReadAt calls on one reader are allowed by io.ReaderAt.
	done := make(chan error, 4)
	for i := range 4 {
		go func() {
			b := make([]byte, 1000)
			off := i * 60000
			_, err := r.ReadAt(b, int64(off))
			if err == nil && !bytes.Equal(b, data[off:off+1000]) {
				err = errors.New("wrong content")
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatalf("concurrent ReadAt: %v", err)
		}
	}
}

func (s *suite) truncate(t *testing.T, fsys vfs.Fs) {
	tfs := capability[vfs.TruncateFs](t, s, fsys)
	ctx := t.Context()
	data := RandomData(t, 100000)
	WriteFile(t, fsys, "/f", data)
	if err := tfs.Truncate(ctx, "/f", 70000); err != nil {
		t.Fatal(err)
	}
	assertContent(t, fsys, "/f", data[:70000])
	if err := tfs.Truncate(ctx, "/f", 70010); err != nil {
		t.Fatal(err)
	}
	assertContent(t, fsys, "/f", append(bytes.Clone(data[:70000]), make([]byte, 10)...))
	if err := tfs.Truncate(ctx, "/f", 0); err != nil {
		t.Fatal(err)
	}
	assertContent(t, fsys, "/f", nil)
	assertErrIs(t, "Truncate missing", tfs.Truncate(ctx, "/missing", 0), fs.ErrNotExist)
}

func (s *suite) chmod(t *testing.T, fsys vfs.Fs) {
	cfs := capability[vfs.ChmodFs](t, s, fsys)
	ctx := t.Context()
	WriteFile(t, fsys, "/f", []byte("x"))
	mustMkdir(t, fsys, "/d")
	for _, c := range []struct {
		name string
		mode fs.FileMode
	}{{"/f", 0o600}, {"/f", 0o640}, {"/d", 0o700}, {"/d", 0o750}} {
		if err := cfs.Chmod(ctx, c.name, c.mode); err != nil {
			t.Fatal(err)
		}
		fi, err := fsys.Stat(ctx, c.name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != c.mode {
			t.Fatalf("after Chmod(%q, %o) mode is %o", c.name, c.mode, fi.Mode().Perm())
		}
	}
	assertErrIs(t, "Chmod missing", cfs.Chmod(ctx, "/missing", 0o600), fs.ErrNotExist)
}

func (s *suite) chown(t *testing.T, fsys vfs.Fs) {
	cfs := capability[vfs.ChownFs](t, s, fsys)
	ctx := t.Context()
	WriteFile(t, fsys, "/f", []byte("x"))
	if err := cfs.Chown(ctx, "/f", -1, -1); err != nil {
		t.Fatalf("Chown(-1, -1) must leave the owner as is: %v", err)
	}
	assertErrIs(t, "Chown missing", cfs.Chown(ctx, "/missing", -1, -1), fs.ErrNotExist)
}

func (s *suite) chtimes(t *testing.T, fsys vfs.Fs) {
	cfs := capability[vfs.ChtimesFs](t, s, fsys)
	ctx := t.Context()
	WriteFile(t, fsys, "/f", []byte("x"))
	mustMkdir(t, fsys, "/d")
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	atime := time.Date(2021, 6, 7, 8, 9, 10, 0, time.UTC)
	for _, name := range []string{"/f", "/d"} {
		if err := cfs.Chtimes(ctx, name, atime, mtime); err != nil {
			t.Fatal(err)
		}
		fi, err := fsys.Stat(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.ModTime().Unix() != mtime.Unix() {
			t.Fatalf("after Chtimes(%q) ModTime is %v, want %v", name, fi.ModTime(), mtime)
		}
	}
	assertErrIs(t, "Chtimes missing", cfs.Chtimes(ctx, "/missing", atime, mtime), fs.ErrNotExist)
}

// resolveLink returns the absolute Fs path a link at name with text
// target points to.
func resolveLink(name, target string) string {
	if strings.HasPrefix(target, "/") {
		return path.Clean(target)
	}
	return path.Join(path.Dir(name), target)
}

func (s *suite) symlink(t *testing.T, fsys vfs.Fs) {
	sfs := capability[vfs.SymlinkFs](t, s, fsys)
	ctx := t.Context()
	data := RandomData(t, 1000)
	mustMkdir(t, fsys, "/d")
	mustMkdir(t, fsys, "/d/sub")
	WriteFile(t, fsys, "/d/f", data)
	cases := []struct{ target, name string }{
		{"/d/f", "/abs"},       // absolute, from the root
		{"f", "/d/rel"},        // relative, same directory
		{"../f", "/d/sub/up"},  // relative, upwards but inside
		{"/d/sub", "/dirlink"}, // to a directory
	}
	for _, c := range cases {
		if err := sfs.Symlink(ctx, c.target, c.name); err != nil {
			t.Fatalf("Symlink(%q, %q): %v", c.target, c.name, err)
		}
		fi, err := fsys.Lstat(ctx, c.name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			t.Fatalf("Lstat(%q) mode %v: not a symlink", c.name, fi.Mode())
		}
		got, err := sfs.Readlink(ctx, c.name)
		if err != nil {
			t.Fatal(err)
		}
		want := resolveLink(c.name, c.target)
		if r := resolveLink(c.name, got); r != want {
			t.Fatalf("Readlink(%q) = %q, resolving to %q; want a link to %q", c.name, got, r, want)
		}
	}
	for _, name := range []string{"/abs", "/d/rel", "/d/sub/up"} {
		assertContent(t, fsys, name, data)
	}
	fi, err := fsys.Stat(ctx, "/dirlink")
	if err != nil || !fi.IsDir() {
		t.Fatalf("Stat through a directory link: %v, %v", fi, err)
	}
	WriteFile(t, fsys, "/dirlink/through", []byte("t"))
	assertContent(t, fsys, "/d/sub/through", []byte("t"))
	// A dangling link inside the root is allowed; following it finds nothing.
	if err := sfs.Symlink(ctx, "/nowhere", "/dangling"); err != nil {
		t.Fatal(err)
	}
	assertNotExist(t, fsys, "/dangling")
	assertErrIs(t, "Symlink over an existing entry", sfs.Symlink(ctx, "/d/f", "/abs"), fs.ErrExist)
	if _, err := sfs.Readlink(ctx, "/d/f"); err == nil {
		t.Fatal("Readlink of a regular file succeeded")
	}
	// Removing the link leaves the target.
	if err := fsys.Remove(ctx, "/abs"); err != nil {
		t.Fatal(err)
	}
	assertContent(t, fsys, "/d/f", data)
}

func (s *suite) symlinkEscape(t *testing.T, fsys vfs.Fs) {
	sfs := capability[vfs.SymlinkFs](t, s, fsys)
	ctx := t.Context()
	mustMkdir(t, fsys, "/d")
	for _, c := range []struct{ target, name string }{
		{"..", "/up"},
		{"../../../../../../etc/passwd", "/passwd"},
		{"../../etc", "/d/etc"},
		{"sub/../../..", "/d/tricky"},
		{`..\..\..\etc`, "/backslash"},
	} {
		err := sfs.Symlink(ctx, c.target, c.name)
		if err == nil {
			t.Fatalf("Symlink(%q, %q) succeeded: the link leaves the root", c.target, c.name)
		}
		if !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("Symlink(%q, %q): error = %v, want fs.ErrPermission", c.target, c.name, err)
		}
		if _, err := fsys.Lstat(ctx, c.name); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("after a refused Symlink, Lstat(%q) = %v", c.name, err)
		}
	}
}

func (s *suite) link(t *testing.T, fsys vfs.Fs) {
	lfs := capability[vfs.LinkFs](t, s, fsys)
	ctx := t.Context()
	data := RandomData(t, 5000)
	WriteFile(t, fsys, "/f", data)
	if err := lfs.Link(ctx, "/f", "/hard"); err != nil {
		t.Fatal(err)
	}
	assertContent(t, fsys, "/hard", data)
	if err := fsys.Remove(ctx, "/f"); err != nil {
		t.Fatal(err)
	}
	assertContent(t, fsys, "/hard", data)
	assertErrIs(t, "Link missing", lfs.Link(ctx, "/missing", "/x"), fs.ErrNotExist)
	WriteFile(t, fsys, "/other", []byte("o"))
	assertErrIs(t, "Link onto an existing file", lfs.Link(ctx, "/hard", "/other"), fs.ErrExist)
}

func (s *suite) copy(t *testing.T, fsys vfs.Fs) {
	cfs := capability[vfs.CopyFs](t, s, fsys)
	ctx := t.Context()
	data := RandomData(t, 3<<20+5)
	WriteFile(t, fsys, "/src", data)
	if err := cfs.Copy(ctx, "/src", "/dst"); err != nil {
		t.Fatal(err)
	}
	assertContent(t, fsys, "/dst", data)
	// A real copy: changing the source leaves the copy alone.
	WriteFile(t, fsys, "/src", []byte("changed"))
	assertContent(t, fsys, "/dst", data)
	// Copy replaces an existing destination.
	if err := cfs.Copy(ctx, "/src", "/dst"); err != nil {
		t.Fatal(err)
	}
	assertContent(t, fsys, "/dst", []byte("changed"))
	mustMkdir(t, fsys, "/d")
	if err := cfs.Copy(ctx, "/src", "/d/in-dir"); err != nil {
		t.Fatal(err)
	}
	assertContent(t, fsys, "/d/in-dir", []byte("changed"))
	assertErrIs(t, "Copy missing", cfs.Copy(ctx, "/missing", "/x"), fs.ErrNotExist)
	assertNotExist(t, fsys, "/x")
}

func (s *suite) hash(t *testing.T, fsys vfs.Fs) {
	hfs := capability[vfs.HashFs](t, s, fsys)
	data := RandomData(t, 100000)
	WriteFile(t, fsys, "/f", data)
	algos := map[string]func() hash.Hash{"md5": md5.New, "sha1": sha1.New, "sha256": sha256.New}
	supported := 0
	for name, newHash := range algos {
		got, err := hfs.Hash(t.Context(), "/f", name)
		if errors.Is(err, vfs.ErrNotSupported) {
			continue
		}
		if err != nil {
			t.Fatalf("Hash(%s): %v", name, err)
		}
		supported++
		h := newHash()
		h.Write(data)
		if want := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, want) {
			t.Fatalf("Hash(%s) = %s, want %s", name, got, want)
		}
	}
	if _, err := hfs.Hash(t.Context(), "/f", "no-such-algo"); !errors.Is(err, vfs.ErrNotSupported) {
		t.Fatalf("Hash with an unknown algorithm: error = %v, want ErrNotSupported", err)
	}
	if supported == 0 {
		t.Skip("no checksum held for md5, sha1 or sha256")
	}
}

func (s *suite) statVFS(t *testing.T, fsys vfs.Fs) {
	sfs := capability[vfs.StatVFSFs](t, s, fsys)
	st, err := sfs.StatVFS(t.Context(), "/")
	if errors.Is(err, vfs.ErrNotSupported) {
		t.Skip("StatVFS not supported here")
	}
	if err != nil {
		t.Fatal(err)
	}
	if st.BlockSize == 0 || st.Blocks == 0 || st.BlocksAvail > st.Blocks || st.BlocksFree > st.Blocks {
		t.Fatalf("implausible StatVFS %+v", st)
	}
}

func (s *suite) localPath(t *testing.T, fsys vfs.Fs) {
	lfs := capability[vfs.LocalPathFs](t, s, fsys)
	mustMkdir(t, fsys, "/d")
	p, err := lfs.LocalPath("/d/x")
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(p) || filepath.Base(p) != "x" {
		t.Fatalf("LocalPath(/d/x) = %q", p)
	}
	fi, err := os.Stat(filepath.Dir(p))
	if err != nil || !fi.IsDir() {
		t.Fatalf("LocalPath(/d/x): parent %q: %v, %v", filepath.Dir(p), fi, err)
	}
}

// fallbacks runs the vfs helper functions on every backend: Copy and
// OpenReaderAt work everywhere they can (a read and a write where the
// backend cannot copy), and the helper of a capability the backend does
// not claim says ErrNotSupported.
func (s *suite) fallbacks(t *testing.T, fsys vfs.Fs) {
	ctx := t.Context()
	data := RandomData(t, 1<<20+3)
	WriteFile(t, fsys, "/src", data)
	if err := vfs.Copy(ctx, fsys, "/src", "/dst", int64(len(data))); err != nil {
		t.Fatal(err)
	}
	assertContent(t, fsys, "/dst", data)
	assertErrIs(t, "vfs.Copy missing", vfs.Copy(ctx, fsys, "/missing", "/x", -1), fs.ErrNotExist)
	assertNotExist(t, fsys, "/x")

	ra, err := vfs.OpenReaderAt(ctx, fsys, "/src")
	if s.caps[ReaderAt] || s.caps[RandomAccess] {
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 100)
		if _, err := ra.ReadAt(buf, 1000); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf, data[1000:1100]) {
			t.Fatal("vfs.OpenReaderAt reads other bytes")
		}
		ra.Close()
	} else {
		assertErrIs(t, "vfs.OpenReaderAt", err, vfs.ErrNotSupported)
	}
	if vfs.HasRandomAccess(fsys) != s.caps[RandomAccess] {
		t.Errorf("vfs.HasRandomAccess = %v", vfs.HasRandomAccess(fsys))
	}
	if vfs.RenamesDirsRecursively(fsys) != s.caps[RecursiveDirRename] {
		t.Errorf("vfs.RenamesDirsRecursively = %v", vfs.RenamesDirsRecursively(fsys))
	}
	if _, ok, _ := vfs.LocalPath(fsys, "/src"); ok != s.caps[LocalPath] {
		t.Errorf("vfs.LocalPath ok = %v", ok)
	}
	if !s.caps[Metadata] {
		if m, err := vfs.Metadata(ctx, fsys, "/src"); m != nil || err != nil {
			t.Errorf("vfs.Metadata without the capability: %v %v", m, err)
		}
	}
	unsupported := map[string]func() error{
		Chmod:   func() error { return vfs.Chmod(ctx, fsys, "/src", 0o600) },
		Chown:   func() error { return vfs.Chown(ctx, fsys, "/src", os.Getuid(), os.Getgid()) },
		Chtimes: func() error { return vfs.Chtimes(ctx, fsys, "/src", time.Now(), time.Now()) },
		Truncate: func() error {
			return vfs.Truncate(ctx, fsys, "/src", 1)
		},
		Symlink: func() error { return vfs.Symlink(ctx, fsys, "/src", "/l") },
		Link:    func() error { return vfs.Link(ctx, fsys, "/src", "/h") },
		StatVFS: func() error { _, err := vfs.Space(ctx, fsys, "/"); return err },
		Hash:    func() error { _, err := vfs.StoredHash(ctx, fsys, "/src", "sha256"); return err },
	}
	for name, call := range unsupported {
		if !s.caps[name] {
			assertErrIs(t, "helper of "+name, call(), vfs.ErrNotSupported)
		}
	}
	if !s.caps[Symlink] {
		_, err := vfs.Readlink(ctx, fsys, "/src")
		assertErrIs(t, "vfs.Readlink", err, vfs.ErrNotSupported)
	}
}
