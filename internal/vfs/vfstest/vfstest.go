// Package vfstest is the conformance suite every vfs backend must pass,
// in the manner of rclone's fstests: the same cases run against local,
// encrypted, object-store and remote backends, and capability cases run
// only where the backend offers the capability.
//
// A backend's own test calls Run with a constructor that returns a new,
// empty Fs for each case:
//
//	func TestConformance(t *testing.T) {
//		vfstest.Run(t, func(t *testing.T) vfs.Fs {
//			fsys, err := mybackend.New(...)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return fsys
//		})
//	}
//
// Run closes each Fs when its case ends.
package vfstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// Run runs the whole suite. newFs must return a new, empty Fs whose root
// exists; it may call t.Fatal or t.Skip. caps are the optional
// capabilities the backend has (RandomAccess, Copy, Append, ...): each
// must work, and the backend must have no other.
func Run(t *testing.T, newFs func(t *testing.T) vfs.Fs, caps ...string) {
	s := &suite{newFs: newFs, caps: map[string]bool{}}
	for _, c := range caps {
		s.caps[c] = true
	}
	t.Run("Capabilities", func(t *testing.T) {
		fsys := newFs(t)
		defer fsys.Close()
		got := implemented(fsys)
		var want []string
		for _, c := range caps {
			if c != Append {
				want = append(want, c)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%s implements %v, the test claims %v", fsys.Name(), got, want)
		}
	})
	cases := []struct {
		name string
		fn   func(t *testing.T, fsys vfs.Fs)
	}{
		{"RoundTrip", s.roundTrip},
		{"OpenOffset", s.openOffset},
		{"Stat", s.stat},
		{"StatRoot", s.statRoot},
		{"NotExist", s.notExist},
		{"Mkdir", s.mkdir},
		{"ReadDirPaging", s.readDirPaging},
		{"ReadDirEmpty", s.readDirEmpty},
		{"ReadDirEntries", s.readDirEntries},
		{"RenameFile", s.renameFile},
		{"RenameDir", s.renameDir},
		{"RenameOntoNonEmptyDir", s.renameOntoNonEmptyDir},
		{"Remove", s.remove},
		{"Overwrite", s.overwrite},
		{"Cancel", s.cancel},
		{"WriterCloseTwice", s.closeTwice},
		{"OpenDir", s.openDir},
		{"Names", s.names},
		{"ContextCanceled", s.contextCanceled},
		{"StreamContext", s.streamContext},
		{"Concurrent", s.concurrent},
		{"Append", s.appendCase},
		{"RandomAccess", s.randomAccess},
		{"ReaderAt", s.readerAt},
		{"Truncate", s.truncate},
		{"Chmod", s.chmod},
		{"Chown", s.chown},
		{"Chtimes", s.chtimes},
		{"Symlink", s.symlink},
		{"SymlinkEscape", s.symlinkEscape},
		{"Link", s.link},
		{"Copy", s.copy},
		{"Hash", s.hash},
		{"StatVFS", s.statVFS},
		{"LocalPath", s.localPath},
		{"Fallbacks", s.fallbacks},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := newFs(t)
			t.Cleanup(func() {
				if err := fsys.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			c.fn(t, fsys)
		})
	}
}

type suite struct {
	newFs func(t *testing.T) vfs.Fs
	caps  map[string]bool // claimed capabilities
}

// RandomData returns n random bytes.
func RandomData(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// WriteFile creates name with data and commits it.
func WriteFile(t testing.TB, fsys vfs.Fs, name string, data []byte) {
	t.Helper()
	w, err := fsys.Create(t.Context(), name, vfs.CreateOptions{Size: int64(len(data))})
	if err != nil {
		t.Fatalf("Create(%q): %v", name, err)
	}
	// Write in uneven pieces to exercise the backend's buffering.
	for rest := data; len(rest) > 0; {
		n := min(len(rest), 32<<10+7)
		if _, err := w.Write(rest[:n]); err != nil {
			_ = w.Cancel()
			t.Fatalf("Write(%q): %v", name, err)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close(%q): %v", name, err)
	}
}

// ReadFile reads name from offset to the end.
func ReadFile(t testing.TB, fsys vfs.Fs, name string, offset int64) []byte {
	t.Helper()
	r, err := fsys.Open(t.Context(), name, offset)
	if err != nil {
		t.Fatalf("Open(%q, %d): %v", name, offset, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %q at %d: %v", name, offset, err)
	}
	return b
}

func mustMkdir(t *testing.T, fsys vfs.Fs, name string) {
	t.Helper()
	if err := fsys.Mkdir(t.Context(), name); err != nil {
		t.Fatalf("Mkdir(%q): %v", name, err)
	}
}

func assertContent(t *testing.T, fsys vfs.Fs, name string, want []byte) {
	t.Helper()
	got := ReadFile(t, fsys, name, 0)
	if len(got) != len(want) || sum(got) != sum(want) {
		t.Fatalf("%q: read %d bytes (sha256 %s), want %d bytes (sha256 %s)", name, len(got), sum(got)[:12], len(want), sum(want)[:12])
	}
	fi, err := fsys.Stat(t.Context(), name)
	if err != nil {
		t.Fatalf("Stat(%q): %v", name, err)
	}
	if fi.Size() != int64(len(want)) {
		t.Fatalf("Stat(%q).Size() = %d, want %d", name, fi.Size(), len(want))
	}
}

func assertNotExist(t *testing.T, fsys vfs.Fs, name string) {
	t.Helper()
	if _, err := fsys.Stat(t.Context(), name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat(%q) error = %v, want fs.ErrNotExist", name, err)
	}
}

func assertErrIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error = %v, want %v", what, err, target)
	}
}

// ListNames lists dir with the given batch size and checks the lister's
// contract: no batch above limit, io.EOF at the end, no name twice.
func ListNames(t testing.TB, fsys vfs.Fs, dir string, limit int) []string {
	t.Helper()
	infos := ListInfos(t, fsys, dir, limit)
	names := make([]string, 0, len(infos))
	for _, fi := range infos {
		names = append(names, fi.Name())
	}
	sort.Strings(names)
	return names
}

// ListInfos is ListNames returning the entries.
func ListInfos(t testing.TB, fsys vfs.Fs, dir string, limit int) []fs.FileInfo {
	t.Helper()
	l, err := fsys.ReadDir(t.Context(), dir)
	if err != nil {
		t.Fatalf("ReadDir(%q): %v", dir, err)
	}
	defer l.Close()
	var all []fs.FileInfo
	seen := map[string]bool{}
	for calls := 0; ; calls++ {
		if calls > 100000 {
			t.Fatalf("ReadDir(%q): no io.EOF after %d calls", dir, calls)
		}
		batch, err := l.Next(limit)
		if len(batch) > limit {
			t.Fatalf("ReadDir(%q): batch of %d entries, limit %d", dir, len(batch), limit)
		}
		for _, fi := range batch {
			if seen[fi.Name()] {
				t.Fatalf("ReadDir(%q): %q listed twice", dir, fi.Name())
			}
			if fi.Name() == "." || fi.Name() == ".." || fi.Name() == "" {
				t.Fatalf("ReadDir(%q): bad entry name %q", dir, fi.Name())
			}
			seen[fi.Name()] = true
			all = append(all, fi)
		}
		if err == io.EOF {
			return all
		}
		if err != nil {
			t.Fatalf("ReadDir(%q).Next: %v", dir, err)
		}
	}
}

// roundTripSizes straddle the 64 KiB package size of the encrypted format
// and the chunk sizes of the streaming writers.
var roundTripSizes = []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 5 << 20}

func (s *suite) roundTrip(t *testing.T, fsys vfs.Fs) {
	for _, size := range roundTripSizes {
		name := fmt.Sprintf("/file-%d", size)
		data := RandomData(t, size)
		WriteFile(t, fsys, name, data)
		assertContent(t, fsys, name, data)
	}
}

func (s *suite) openOffset(t *testing.T, fsys vfs.Fs) {
	const size = 5<<20 + 123
	data := RandomData(t, size)
	WriteFile(t, fsys, "/big", data)
	for _, off := range []int64{0, 1, 32 << 10, 64<<10 - 1, 64 << 10, 64<<10 + 1, 3*64<<10 + 5, 1 << 20, size - 64<<10, size - 1, size} {
		got := ReadFile(t, fsys, "/big", off)
		if !bytes.Equal(got, data[off:]) {
			t.Fatalf("Open at %d: got %d bytes, want %d (content differs: %v)", off, len(got), size-off, len(got) == int(size-off))
		}
	}
	// A short read from an offset, closed early, must not disturb anything.
	r, err := fsys.Open(t.Context(), "/big", 100)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if _, err := io.ReadFull(r, buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf, data[100:110]) {
		t.Fatal("short read at offset 100: wrong bytes")
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close after partial read: %v", err)
	}
}

func (s *suite) stat(t *testing.T, fsys vfs.Fs) {
	ctx := t.Context()
	start := time.Now()
	data := RandomData(t, 1000)
	WriteFile(t, fsys, "/f", data)
	mustMkdir(t, fsys, "/d")
	fi, err := fsys.Stat(ctx, "/f")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Name() != "f" || fi.Size() != 1000 || !fi.Mode().IsRegular() || fi.IsDir() {
		t.Fatalf("Stat(/f) = name %q size %d mode %v, want f, 1000, regular", fi.Name(), fi.Size(), fi.Mode())
	}
	if mt := fi.ModTime(); mt.Before(start.Add(-5*time.Minute)) || mt.After(time.Now().Add(5*time.Minute)) {
		t.Fatalf("Stat(/f).ModTime() = %v, want about %v", mt, start)
	}
	for _, stat := range []func(context.Context, string) (fs.FileInfo, error){fsys.Stat, fsys.Lstat} {
		fi, err = stat(ctx, "/d")
		if err != nil {
			t.Fatal(err)
		}
		if fi.Name() != "d" || !fi.IsDir() || !fi.Mode().IsDir() {
			t.Fatalf("Stat(/d) = name %q mode %v, want a directory d", fi.Name(), fi.Mode())
		}
	}
	fi, err = fsys.Lstat(ctx, "/f")
	if err != nil || fi.Size() != 1000 || !fi.Mode().IsRegular() {
		t.Fatalf("Lstat(/f) = %v, %v", fi, err)
	}
}

func (s *suite) statRoot(t *testing.T, fsys vfs.Fs) {
	fi, err := fsys.Stat(t.Context(), "/")
	if err != nil {
		t.Fatalf("Stat(/): %v", err)
	}
	if !fi.IsDir() {
		t.Fatalf("Stat(/) mode %v: not a directory", fi.Mode())
	}
}

func (s *suite) notExist(t *testing.T, fsys vfs.Fs) {
	ctx := t.Context()
	_, err := fsys.Stat(ctx, "/missing")
	assertErrIs(t, "Stat missing", err, fs.ErrNotExist)
	_, err = fsys.Lstat(ctx, "/missing")
	assertErrIs(t, "Lstat missing", err, fs.ErrNotExist)
	_, err = fsys.Stat(ctx, "/missing/child")
	assertErrIs(t, "Stat missing/child", err, fs.ErrNotExist)
	r, err := fsys.Open(ctx, "/missing", 0)
	if err == nil {
		// A lazy backend may report it on the first read.
		_, err = r.Read(make([]byte, 1))
		r.Close()
	}
	assertErrIs(t, "Open missing", err, fs.ErrNotExist)
	assertErrIs(t, "Remove missing", fsys.Remove(ctx, "/missing"), fs.ErrNotExist)
	assertErrIs(t, "Rename missing", fsys.Rename(ctx, "/missing", "/other"), fs.ErrNotExist)
	l, err := fsys.ReadDir(ctx, "/missing")
	if err == nil {
		_, err = l.Next(10)
		l.Close()
	}
	assertErrIs(t, "ReadDir missing", err, fs.ErrNotExist)
}

func (s *suite) mkdir(t *testing.T, fsys vfs.Fs) {
	ctx := t.Context()
	mustMkdir(t, fsys, "/a")
	mustMkdir(t, fsys, "/a/b")
	assertErrIs(t, "Mkdir existing", fsys.Mkdir(ctx, "/a"), fs.ErrExist)
	WriteFile(t, fsys, "/file", []byte("x"))
	assertErrIs(t, "Mkdir over a file", fsys.Mkdir(ctx, "/file"), fs.ErrExist)
	if err := fsys.Mkdir(ctx, "/missing/child"); err == nil {
		t.Fatal("Mkdir in a missing parent succeeded")
	} else if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Mkdir in a missing parent: error = %v, want fs.ErrNotExist", err)
	}
	fi, err := fsys.Stat(ctx, "/a/b")
	if err != nil || !fi.IsDir() {
		t.Fatalf("Stat(/a/b) = %v, %v; want a directory", fi, err)
	}
}

func (s *suite) readDirPaging(t *testing.T, fsys vfs.Fs) {
	mustMkdir(t, fsys, "/many")
	var want []string
	for i := range 250 {
		name := fmt.Sprintf("f%03d", i)
		want = append(want, name)
		WriteFile(t, fsys, "/many/"+name, []byte{byte(i)})
	}
	// Exact batches: with 250 entries and limit 100, no more than three
	// non-empty batches are needed.
	l, err := fsys.ReadDir(t.Context(), "/many")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	seen := map[string]bool{}
	batches := 0
	for {
		batch, err := l.Next(100)
		if len(batch) > 100 {
			t.Fatalf("batch of %d entries, limit 100", len(batch))
		}
		if len(batch) > 0 {
			batches++
		}
		for _, fi := range batch {
			if seen[fi.Name()] {
				t.Fatalf("%q listed twice", fi.Name())
			}
			seen[fi.Name()] = true
			if fi.Size() != 1 || fi.IsDir() {
				t.Fatalf("entry %q: size %d dir %v, want a 1-byte file", fi.Name(), fi.Size(), fi.IsDir())
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if batches > 250 {
			t.Fatal("no io.EOF")
		}
	}
	got := slices.Sorted(func(yield func(string) bool) {
		for k := range seen {
			if !yield(k) {
				return
			}
		}
	})
	if !slices.Equal(got, want) {
		t.Fatalf("listed %d names, want %d", len(got), len(want))
	}
	if batches < 3 {
		t.Fatalf("250 entries came in %d batches of at most 100", batches)
	}
	// Small batches cover the same set.
	if got := ListNames(t, fsys, "/many", 7); !slices.Equal(got, want) {
		t.Fatalf("limit 7: listed %d names, want %d", len(got), len(want))
	}
}

func (s *suite) readDirEmpty(t *testing.T, fsys vfs.Fs) {
	mustMkdir(t, fsys, "/empty")
	if got := ListNames(t, fsys, "/empty", 100); len(got) != 0 {
		t.Fatalf("empty dir lists %v", got)
	}
	if got := ListNames(t, fsys, "/", 100); !slices.Equal(got, []string{"empty"}) {
		t.Fatalf("root lists %v, want [empty]", got)
	}
}

func (s *suite) readDirEntries(t *testing.T, fsys vfs.Fs) {
	mustMkdir(t, fsys, "/d")
	mustMkdir(t, fsys, "/d/sub")
	WriteFile(t, fsys, "/d/file", RandomData(t, 4321))
	WriteFile(t, fsys, "/d/sub/deep", []byte("deep"))
	infos := ListInfos(t, fsys, "/d", 10)
	if len(infos) != 2 {
		t.Fatalf("/d lists %d entries, want 2 (no recursion)", len(infos))
	}
	for _, fi := range infos {
		switch fi.Name() {
		case "sub":
			if !fi.IsDir() {
				t.Fatalf("sub: mode %v, want a directory", fi.Mode())
			}
		case "file":
			if fi.IsDir() || fi.Size() != 4321 {
				t.Fatalf("file: dir %v size %d, want a 4321-byte file", fi.IsDir(), fi.Size())
			}
		default:
			t.Fatalf("unexpected entry %q", fi.Name())
		}
	}
}

func (s *suite) renameFile(t *testing.T, fsys vfs.Fs) {
	ctx := t.Context()
	a, b := RandomData(t, 70000), RandomData(t, 100)
	WriteFile(t, fsys, "/a", a)
	WriteFile(t, fsys, "/b", b)
	if err := fsys.Rename(ctx, "/a", "/c"); err != nil {
		t.Fatal(err)
	}
	assertNotExist(t, fsys, "/a")
	assertContent(t, fsys, "/c", a)
	// Replace an existing file.
	if err := fsys.Rename(ctx, "/c", "/b"); err != nil {
		t.Fatalf("Rename onto an existing file: %v", err)
	}
	assertNotExist(t, fsys, "/c")
	assertContent(t, fsys, "/b", a)
	// Into a directory.
	mustMkdir(t, fsys, "/dir")
	if err := fsys.Rename(ctx, "/b", "/dir/b"); err != nil {
		t.Fatal(err)
	}
	assertContent(t, fsys, "/dir/b", a)
}

func (s *suite) renameDir(t *testing.T, fsys vfs.Fs) {
	ctx := t.Context()
	mustMkdir(t, fsys, "/src")
	mustMkdir(t, fsys, "/src/sub")
	one, two := RandomData(t, 1234), RandomData(t, 70000)
	WriteFile(t, fsys, "/src/one", one)
	WriteFile(t, fsys, "/src/sub/two", two)
	if err := fsys.Rename(ctx, "/src", "/dst"); err != nil {
		t.Fatal(err)
	}
	assertNotExist(t, fsys, "/src")
	assertNotExist(t, fsys, "/src/one")
	assertContent(t, fsys, "/dst/one", one)
	assertContent(t, fsys, "/dst/sub/two", two)
	if got := ListNames(t, fsys, "/dst", 10); !slices.Equal(got, []string{"one", "sub"}) {
		t.Fatalf("/dst lists %v", got)
	}
}

func (s *suite) renameOntoNonEmptyDir(t *testing.T, fsys vfs.Fs) {
	mustMkdir(t, fsys, "/a")
	mustMkdir(t, fsys, "/b")
	WriteFile(t, fsys, "/b/keep", []byte("keep"))
	assertErrIs(t, "Rename onto a non-empty directory", fsys.Rename(t.Context(), "/a", "/b"), vfs.ErrDirNotEmpty)
	assertContent(t, fsys, "/b/keep", []byte("keep"))
}

func (s *suite) remove(t *testing.T, fsys vfs.Fs) {
	ctx := t.Context()
	WriteFile(t, fsys, "/f", []byte("data"))
	if err := fsys.Remove(ctx, "/f"); err != nil {
		t.Fatal(err)
	}
	assertNotExist(t, fsys, "/f")
	mustMkdir(t, fsys, "/empty")
	if err := fsys.Remove(ctx, "/empty"); err != nil {
		t.Fatalf("Remove empty dir: %v", err)
	}
	assertNotExist(t, fsys, "/empty")
	mustMkdir(t, fsys, "/full")
	WriteFile(t, fsys, "/full/x", []byte("x"))
	assertErrIs(t, "Remove non-empty dir", fsys.Remove(ctx, "/full"), vfs.ErrDirNotEmpty)
	assertContent(t, fsys, "/full/x", []byte("x"))
}

func (s *suite) overwrite(t *testing.T, fsys vfs.Fs) {
	long, short := RandomData(t, 200000), RandomData(t, 10)
	WriteFile(t, fsys, "/f", long)
	WriteFile(t, fsys, "/f", short)
	assertContent(t, fsys, "/f", short)
	WriteFile(t, fsys, "/f", nil)
	assertContent(t, fsys, "/f", nil)
}

// cancel: object stores must leave nothing; a local backend may leave
// what was written (the caller's upload mode decides), but never more
// and never garbage.
func (s *suite) cancel(t *testing.T, fsys vfs.Fs) {
	data := RandomData(t, 300000)
	w, err := fsys.Create(t.Context(), "/partial", vfs.CreateOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Cancel(); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if err := w.Cancel(); err != nil {
		t.Fatalf("second Cancel: %v", err)
	}
	if _, err := fsys.Stat(t.Context(), "/partial"); errors.Is(err, fs.ErrNotExist) {
		return
	} else if err != nil {
		t.Fatalf("Stat after Cancel: %v", err)
	}
	got := ReadFile(t, fsys, "/partial", 0)
	if !bytes.HasPrefix(data, got) {
		t.Fatalf("after Cancel the file holds %d bytes that are not a prefix of what was written", len(got))
	}
	t.Logf("%s keeps %d of %d bytes after Cancel", fsys.Name(), len(got), len(data))
}

func (s *suite) closeTwice(t *testing.T, fsys vfs.Fs) {
	w, err := fsys.Create(t.Context(), "/f", vfs.CreateOptions{Size: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Cancel(); err != nil {
		t.Fatalf("Cancel after Close: %v, want a no-op", err)
	}
	assertContent(t, fsys, "/f", []byte("abc"))
}

func (s *suite) openDir(t *testing.T, fsys vfs.Fs) {
	mustMkdir(t, fsys, "/d")
	r, err := fsys.Open(t.Context(), "/d", 0)
	if err == nil {
		_, err = io.ReadAll(r)
		r.Close()
	}
	if err == nil {
		t.Fatal("Open of a directory read without error")
	}
	w, err := fsys.Create(t.Context(), "/d", vfs.CreateOptions{Size: 1})
	if err == nil {
		_, err = w.Write([]byte("x"))
		if err == nil {
			err = w.Close()
		} else {
			_ = w.Cancel()
		}
	}
	if err == nil {
		t.Fatal("Create over a directory succeeded")
	}
	fi, err := fsys.Stat(t.Context(), "/d")
	if err != nil || !fi.IsDir() {
		t.Fatalf("after Create over it, /d is %v, %v", fi, err)
	}
}

func (s *suite) names(t *testing.T, fsys vfs.Fs) {
	dirs := []string{"/dir with spaces", "/ünïcödé 日本語", "/dir with spaces/ emoji 🚀 "}
	for _, d := range dirs {
		mustMkdir(t, fsys, d)
	}
	files := map[string][]byte{
		"/dir with spaces/a file.txt":             RandomData(t, 10),
		"/ünïcödé 日本語/файл ü.bin":                 RandomData(t, 70000),
		"/dir with spaces/ emoji 🚀 /🚀 rocket":     RandomData(t, 1),
		"/name with 'quotes' & (parens) #%+=.txt": RandomData(t, 5),
	}
	for name, data := range files {
		WriteFile(t, fsys, name, data)
	}
	for name, data := range files {
		assertContent(t, fsys, name, data)
	}
	want := []string{" emoji 🚀 ", "a file.txt"}
	if got := ListNames(t, fsys, "/dir with spaces", 10); !slices.Equal(got, want) {
		t.Fatalf("listed %q, want %q", got, want)
	}
	if err := fsys.Rename(t.Context(), "/ünïcödé 日本語/файл ü.bin", "/dir with spaces/ü renamed"); err != nil {
		t.Fatal(err)
	}
	assertContent(t, fsys, "/dir with spaces/ü renamed", files["/ünïcödé 日本語/файл ü.bin"])
}

func (s *suite) contextCanceled(t *testing.T, fsys vfs.Fs) {
	WriteFile(t, fsys, "/f", []byte("data"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := fsys.Stat(ctx, "/f"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Stat with a cancelled context: error = %v, want context.Canceled", err)
	}
	w, err := fsys.Create(ctx, "/g", vfs.CreateOptions{Size: 1})
	if err == nil {
		_, err = w.Write([]byte("x"))
		if err == nil {
			err = w.Close()
		} else {
			_ = w.Cancel()
		}
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Create with a cancelled context: error = %v, want context.Canceled", err)
	}
}

// streamContext: the context given to Open and Create covers the stream,
// so a closed connection stops its transfer.
func (s *suite) streamContext(t *testing.T, fsys vfs.Fs) {
	data := RandomData(t, 1<<20)
	WriteFile(t, fsys, "/f", data)
	ctx, cancel := context.WithCancel(t.Context())
	r, err := fsys.Open(ctx, "/f", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadFull(r, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	cancel()
	n, err := io.Copy(io.Discard, r)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("read after cancel: %d bytes, error = %v, want context.Canceled", n, err)
	}

	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	w, err := fsys.Create(ctx, "/g", vfs.CreateOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data[:1000]); err != nil {
		t.Fatal(err)
	}
	cancel()
	for i := 0; err == nil && i < 64; i++ {
		_, err = w.Write(data[:32<<10])
	}
	_ = w.Cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("write after cancel: error = %v, want context.Canceled", err)
	}
}

func (s *suite) concurrent(t *testing.T, fsys vfs.Fs) {
	const n = 8
	data := make([][]byte, n)
	for i := range data {
		data[i] = RandomData(t, 256<<10+i)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprintf("/c%d", i)
			w, err := fsys.Create(t.Context(), name, vfs.CreateOptions{Size: int64(len(data[i]))})
			if err != nil {
				errs <- err
				return
			}
			for rest := data[i]; len(rest) > 0; {
				k := min(len(rest), 32<<10)
				if _, err := w.Write(rest[:k]); err != nil {
					_ = w.Cancel()
					errs <- err
					return
				}
				rest = rest[k:]
			}
			errs <- w.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		assertContent(t, fsys, fmt.Sprintf("/c%d", i), data[i])
	}
	if got := ListNames(t, fsys, "/", 100); len(got) != n {
		t.Fatalf("root lists %d files, want %d", len(got), n)
	}
}

func (s *suite) appendCase(t *testing.T, fsys vfs.Fs) {
	first, second := RandomData(t, 70000), RandomData(t, 5000)
	WriteFile(t, fsys, "/f", first)
	w, err := fsys.Create(t.Context(), "/f", vfs.CreateOptions{Size: -1, Append: true})
	if errors.Is(err, vfs.ErrNotSupported) {
		if s.caps[Append] {
			t.Fatalf("%s claims Append but does not support it", fsys.Name())
		}
		t.Skip("Append not supported")
	}
	if err != nil {
		t.Fatal(err)
	}
	if !s.caps[Append] {
		t.Errorf("%s supports Append: claim it", fsys.Name())
	}
	if _, err := w.Write(second); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	assertContent(t, fsys, "/f", append(slices.Clip(first), second...))
}
