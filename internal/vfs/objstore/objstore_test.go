package objstore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

// Small parts so that the suite's 5 MiB files take the multipart and
// parallel paths.
var testOpts = Options{Name: "memobj", Prefix: "home/user", UploadPartSize: 64 << 10, UploadConcurrency: 3, DownloadPartSize: 100 << 10, DownloadConcurrency: 3}

func newTestFs(t testing.TB, opts Options) (*Fs, *memStore) {
	t.Helper()
	m := newMemStore()
	f, err := New(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	return f, m
}

func TestConformance(t *testing.T) {
	vfstest.Run(t, func(t *testing.T) vfs.Fs {
		f, _ := newTestFs(t, testOpts)
		return f
	}, vfstest.ObjectStore...)
}

func TestConformanceSingleStream(t *testing.T) {
	opts := testOpts
	opts.DownloadConcurrency = 1
	opts.UploadConcurrency = 1
	vfstest.Run(t, func(t *testing.T) vfs.Fs {
		f, _ := newTestFs(t, opts)
		return f
	}, vfstest.ObjectStore...)
}

func TestNormalizePrefix(t *testing.T) {
	for in, want := range map[string]string{"": "", "/": "", "a": "a/", "/a/b/": "a/b/", "a/b": "a/b/"} {
		got, err := NormalizePrefix(in)
		if err != nil || got != want {
			t.Errorf("NormalizePrefix(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"a//b", "a/../b", "./a", "a/.."} {
		if _, err := NormalizePrefix(in); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("NormalizePrefix(%q) error = %v, want fs.ErrInvalid", in, err)
		}
	}
}

// TestKeysUnderPrefix: the Fs never writes outside its prefix and lays
// out keys as documented.
func TestKeysUnderPrefix(t *testing.T) {
	f, m := newTestFs(t, testOpts)
	ctx := t.Context()
	m.put("other/secret", []byte("x"), time.Now())
	if err := f.Mkdir(ctx, "/d"); err != nil {
		t.Fatal(err)
	}
	vfstest.WriteFile(t, f, "/d/f", []byte("data"))
	vfstest.WriteFile(t, f, "/big", vfstest.RandomData(t, 300<<10))
	want := []string{"home/user/big", "home/user/d/", "home/user/d/f", "other/secret"}
	if got := m.keys(); !slices.Equal(got, want) {
		t.Fatalf("keys %q, want %q", got, want)
	}
	if _, err := f.Stat(ctx, "/../other/secret"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a path climbing out of the prefix reached another key: %v", err)
	}
}

// TestUploadBoundedConcurrency: parts go out in parallel, never more than
// the configured number, and the object is complete.
func TestUploadBoundedConcurrency(t *testing.T) {
	f, m := newTestFs(t, testOpts)
	m.partDelay = 20 * time.Millisecond
	data := vfstest.RandomData(t, 40*64<<10+5)
	vfstest.WriteFile(t, f, "/f", data)
	if got := m.maxInFlight.Load(); got < 2 || got > int32(testOpts.UploadConcurrency) {
		t.Fatalf("%d parts in flight at most, want 2..%d", got, testOpts.UploadConcurrency)
	}
	if got := vfstest.ReadFile(t, f, "/f", 0); !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}
}

// TestPartFailureAborts: a failing part fails the upload with its error,
// the multipart upload is aborted and no object appears.
func TestPartFailureAborts(t *testing.T) {
	f, m := newTestFs(t, testOpts)
	boom := errors.New("connection reset by peer")
	m.failPart = func(n int) error {
		if n == 3 {
			return boom
		}
		return nil
	}
	w, err := f.Create(t.Context(), "/f", vfs.CreateOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	data := vfstest.RandomData(t, 64<<10)
	var werr error
	for i := 0; i < 50 && werr == nil; i++ {
		_, werr = w.Write(data)
	}
	cerr := w.Close()
	if !errors.Is(werr, boom) && !errors.Is(cerr, boom) {
		t.Fatalf("write error %v, close error %v; want the part's error", werr, cerr)
	}
	if n := m.pendingUploads(); n != 0 {
		t.Fatalf("%d multipart uploads left behind", n)
	}
	if _, err := f.Stat(t.Context(), "/f"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat after a failed upload: %v", err)
	}
}

func TestCancelAbortsMultipart(t *testing.T) {
	f, m := newTestFs(t, testOpts)
	w, err := f.Create(t.Context(), "/f", vfs.CreateOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(vfstest.RandomData(t, 500<<10)); err != nil {
		t.Fatal(err)
	}
	if err := w.Cancel(); err != nil {
		t.Fatal(err)
	}
	if n := m.pendingUploads(); n != 0 {
		t.Fatalf("%d multipart uploads left after Cancel", n)
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close after Cancel succeeded")
	}
	if _, err := f.Stat(t.Context(), "/f"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat after Cancel: %v", err)
	}
}

// TestPartSizeGrows: a stream of unknown size never needs more parts than
// the store allows.
func TestPartSizeGrows(t *testing.T) {
	f, _ := newTestFs(t, Options{UploadPartSize: 5 << 20})
	w := f.newWriter(t.Context(), "/x", "x", -1)
	defer w.Cancel()
	var total int64
	for n := 1; n <= f.feat.MaxParts; n++ {
		total += w.partSize(n)
	}
	if total < 5<<40/20 {
		t.Fatalf("10000 parts hold %d bytes, want a few TiB", total)
	}
	// An announced size picks parts large enough from the start.
	w2 := f.newWriter(t.Context(), "/y", "y", 200<<30)
	defer w2.Cancel()
	if got := w2.partSize(1) * int64(f.feat.MaxParts); got < 200<<30 {
		t.Fatalf("part size %d cannot hold 200 GiB in %d parts", w2.partSize(1), f.feat.MaxParts)
	}
}

// TestReadRetriesAndFails: a range that fails once is fetched again; one
// that keeps failing fails the read with its error.
func TestReadRetriesAndFails(t *testing.T) {
	f, m := newTestFs(t, testOpts)
	data := vfstest.RandomData(t, 1<<20)
	vfstest.WriteFile(t, f, "/f", data)
	var failed atomic.Bool
	m.failGet = func(off int64) error {
		if off == 200<<10 && failed.CompareAndSwap(false, true) {
			return errors.New("transient")
		}
		return nil
	}
	if got := vfstest.ReadFile(t, f, "/f", 0); !bytes.Equal(got, data) {
		t.Fatal("content differs after a retried range")
	}
	boom := errors.New("store down")
	m.failGet = func(off int64) error {
		if off >= 500<<10 {
			return boom
		}
		return nil
	}
	r, err := f.Open(t.Context(), "/f", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadAll(r); !errors.Is(err, boom) {
		t.Fatalf("read error %v, want the store's", err)
	}
}

// TestReadSeesOneVersion: an object replaced during a download fails the
// download instead of mixing two versions.
func TestReadSeesOneVersion(t *testing.T) {
	f, _ := newTestFs(t, testOpts)
	vfstest.WriteFile(t, f, "/f", vfstest.RandomData(t, 1<<20))
	opts := testOpts
	r, err := f.Open(t.Context(), "/f", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]byte, opts.DownloadPartSize*int64(opts.DownloadConcurrency+1))
	if _, err := io.ReadFull(r, buf[:10]); err != nil {
		t.Fatal(err)
	}
	vfstest.WriteFile(t, f, "/f", vfstest.RandomData(t, 1<<20))
	if _, err := io.ReadAll(r); !errors.Is(err, ErrChanged) {
		t.Fatalf("read across a replacement: %v, want ErrChanged", err)
	}
}

func TestNoRequestForEmptyRead(t *testing.T) {
	f, m := newTestFs(t, testOpts)
	vfstest.WriteFile(t, f, "/empty", nil)
	before := m.gets.Load()
	if got := vfstest.ReadFile(t, f, "/empty", 0); len(got) != 0 {
		t.Fatal("empty file read back data")
	}
	if m.gets.Load() != before {
		t.Fatal("reading an empty file sent a GET")
	}
}

func TestChtimesImplicitDir(t *testing.T) {
	f, m := newTestFs(t, testOpts)
	m.put("home/user/implicit/file", []byte("x"), time.Now())
	mtime := time.Date(2019, 5, 6, 7, 8, 9, 0, time.UTC)
	if err := f.Chtimes(t.Context(), "/implicit", mtime, mtime); err != nil {
		t.Fatal(err)
	}
	fi, err := f.Stat(t.Context(), "/implicit")
	if err != nil || !fi.IsDir() || !fi.ModTime().Equal(mtime) {
		t.Fatalf("Stat: %v %v", fi, err)
	}
}

func TestRenameDirIntoItself(t *testing.T) {
	f, _ := newTestFs(t, testOpts)
	ctx := context.Background()
	if err := f.Mkdir(ctx, "/a"); err != nil {
		t.Fatal(err)
	}
	if err := f.Mkdir(ctx, "/a/b"); err != nil {
		t.Fatal(err)
	}
	if err := f.Rename(ctx, "/a", "/a/b/c"); !errors.Is(err, fs.ErrInvalid) {
		t.Fatalf("rename into itself: %v", err)
	}
}
