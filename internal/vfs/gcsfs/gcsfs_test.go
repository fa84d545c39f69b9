package gcsfs

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"google.golang.org/api/option"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/cloudtest"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

func testConfig(srv *cloudtest.GCS, prefix string) Config {
	return Config{
		Bucket:    srv.Bucket,
		KeyPrefix: prefix,
		Endpoint:  srv.Endpoint(),
		// Small chunks and ranges so the suite's 5 MiB files take the
		// resumable and parallel paths.
		UploadPartSize:      1 << 20,
		DownloadPartSize:    1 << 20,
		DownloadConcurrency: 3,
	}
}

func newFs(t testing.TB, cfg Config) *Fs {
	t.Helper()
	f, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestConformance(t *testing.T) {
	srv := cloudtest.StartGCS(t)
	vfstest.Run(t, func(t *testing.T) vfs.Fs {
		return newFs(t, testConfig(srv, "conformance/"+t.Name()))
	}, vfstest.ObjectStore...)
}

// TestKeyLayout: objects under the prefix, markers for directories,
// renames and deletes visible in the bucket, MD5 from the store.
func TestKeyLayout(t *testing.T) {
	srv := cloudtest.StartGCS(t)
	f := newFs(t, testConfig(srv, "users/bob"))
	defer f.Close()
	ctx := t.Context()
	if err := f.Mkdir(ctx, "/docs"); err != nil {
		t.Fatal(err)
	}
	data := vfstest.RandomData(t, 3<<20+7)
	vfstest.WriteFile(t, f, "/docs/big.bin", data)
	want := []string{"users/bob/docs/", "users/bob/docs/big.bin"}
	if got := sorted(srv.Objects(t)); !slices.Equal(got, want) {
		t.Fatalf("bucket holds %q, want %q", got, want)
	}
	sum := md5.Sum(data)
	if got, err := f.Hash(ctx, "/docs/big.bin", "md5"); err != nil || got != hex.EncodeToString(sum[:]) {
		t.Fatalf("Hash(md5) = %q, %v; want %x", got, err, sum)
	}
	fi, err := f.Stat(ctx, "/docs/big.bin")
	if err != nil || time.Since(fi.ModTime()) > time.Minute {
		t.Fatalf("Stat: %v, %v", fi, err)
	}
	if err := f.Rename(ctx, "/docs", "/papers"); err != nil {
		t.Fatal(err)
	}
	want = []string{"users/bob/papers/", "users/bob/papers/big.bin"}
	if got := sorted(srv.Objects(t)); !slices.Equal(got, want) {
		t.Fatalf("after rename the bucket holds %q, want %q", got, want)
	}
	if got := vfstest.ReadFile(t, f, "/papers/big.bin", 0); !bytes.Equal(got, data) {
		t.Fatal("content differs after rename")
	}
	if err := f.Remove(ctx, "/papers/big.bin"); err != nil {
		t.Fatal(err)
	}
	if err := f.Remove(ctx, "/papers"); err != nil {
		t.Fatal(err)
	}
	if got := srv.Objects(t); len(got) != 0 {
		t.Fatalf("after removal the bucket holds %q", got)
	}
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}

// TestCancelLeavesNothing: an abandoned resumable upload never becomes an
// object.
func TestCancelLeavesNothing(t *testing.T) {
	srv := cloudtest.StartGCS(t)
	f := newFs(t, testConfig(srv, "p"))
	defer f.Close()
	w, err := f.Create(t.Context(), "/f", vfs.CreateOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(vfstest.RandomData(t, 5<<20)); err != nil {
		t.Fatal(err)
	}
	if err := w.Cancel(); err != nil {
		t.Fatal(err)
	}
	if got := srv.Objects(t); len(got) != 0 {
		t.Fatalf("after Cancel the bucket holds %q", got)
	}
}

// TestServerStopsMidUpload: the server dies during a resumable upload;
// the writer fails with an error naming the file.
func TestServerStopsMidUpload(t *testing.T) {
	srv := cloudtest.StartGCS(t)
	cfg := testConfig(srv, "p")
	cfg.UploadPartMaxTime = 2 * time.Second // do not retry for the SDK's default 32 s
	f := newFs(t, cfg)
	defer f.Close()
	w, err := f.Create(t.Context(), "/victim", vfs.CreateOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	chunk := vfstest.RandomData(t, 1<<20)
	for range 3 {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	before := srv.Objects(t)
	srv.Stop()
	var werr error
	for i := 0; i < 32 && werr == nil; i++ {
		_, werr = w.Write(chunk)
	}
	cerr := w.Close()
	if werr == nil && cerr == nil {
		t.Fatal("upload to a stopped server succeeded")
	}
	err = errors.Join(werr, cerr)
	t.Logf("error: %v", err)
	if !strings.Contains(err.Error(), "/victim") {
		t.Fatalf("error %q does not name the file", err)
	}
	if len(before) != 0 {
		t.Fatalf("objects visible before the upload completed: %q", before)
	}
}

// TestEmulatorHostEnvironment: without an endpoint in the config the SDK
// finds the emulator through STORAGE_EMULATOR_HOST.
func TestEmulatorHostEnvironment(t *testing.T) {
	srv := cloudtest.StartGCS(t)
	t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(srv.Endpoint(), "http://"))
	cfg := testConfig(srv, "env")
	cfg.Endpoint = ""
	f := newFs(t, cfg)
	defer f.Close()
	vfstest.WriteFile(t, f, "/x", []byte("through the environment"))
	if got := srv.Objects(t); !slices.Equal(got, []string{"env/x"}) {
		t.Fatalf("bucket holds %q", got)
	}
}

func TestCredentialsValidation(t *testing.T) {
	for _, creds := range []string{"not json", `{"type":"external_account"}`, `{}`} {
		if _, err := New(t.Context(), Config{Bucket: "b", CredentialsJSON: []byte(creds)}); err == nil {
			t.Errorf("credentials %q accepted", creds)
		}
	}
	if _, err := New(t.Context(), Config{}); err == nil {
		t.Error("an empty bucket was accepted")
	}
	if _, err := New(t.Context(), Config{Bucket: "b", KeyPrefix: "../x", Endpoint: "http://127.0.0.1:1"}); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("a prefix with .. : %v", err)
	}
}

func BenchmarkWrite(b *testing.B) {
	srv := cloudtest.StartGCS(b)
	f := newFs(b, Config{Bucket: srv.Bucket, Endpoint: srv.Endpoint(), KeyPrefix: "bench"})
	defer f.Close()
	vfstest.BenchmarkWrite(b, f)
}

func BenchmarkRead(b *testing.B) {
	srv := cloudtest.StartGCS(b)
	f := newFs(b, Config{Bucket: srv.Bucket, Endpoint: srv.Endpoint(), KeyPrefix: "bench"})
	defer f.Close()
	vfstest.BenchmarkRead(b, f)
}

// The baselines move the same bytes with plain SDK calls (one writer,
// one reader), the peer the backend is measured against.

func rawBucket(b *testing.B, srv *cloudtest.GCS) *storage.BucketHandle {
	c, err := storage.NewClient(b.Context(), option.WithEndpoint(srv.Endpoint()+"/storage/v1/"), option.WithoutAuthentication())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c.Bucket(srv.Bucket)
}

func rawPut(b *testing.B, bkt *storage.BucketHandle, data []byte) {
	w := bkt.Object("bench").NewWriter(b.Context())
	if _, err := w.Write(data); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkBaselineWrite(b *testing.B) {
	srv := cloudtest.StartGCS(b)
	bkt := rawBucket(b, srv)
	data := vfstest.RandomData(b, vfstest.BenchFileSize)
	b.SetBytes(vfstest.BenchFileSize)
	for b.Loop() {
		rawPut(b, bkt, data)
	}
}

func BenchmarkBaselineRead(b *testing.B) {
	srv := cloudtest.StartGCS(b)
	bkt := rawBucket(b, srv)
	rawPut(b, bkt, vfstest.RandomData(b, vfstest.BenchFileSize))
	buf := make([]byte, vfstest.BenchChunkSize)
	b.SetBytes(vfstest.BenchFileSize)
	for b.Loop() {
		r, err := bkt.Object("bench").NewReader(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf)
		r.Close()
		if err != nil || n != vfstest.BenchFileSize {
			b.Fatalf("read %d bytes: %v", n, err)
		}
	}
}
