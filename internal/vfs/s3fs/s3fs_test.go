package s3fs

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/cloudtest"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

func TestMain(m *testing.M) {
	cloudtest.ClearAWSEnv()
	os.Exit(m.Run())
}

func testConfig(endpoint, bucket, prefix string) Config {
	return Config{
		Bucket:         bucket,
		KeyPrefix:      prefix,
		Region:         cloudtest.S3Region,
		AccessKey:      cloudtest.S3AccessKey,
		AccessSecret:   cloudtest.S3Secret,
		Endpoint:       endpoint,
		ForcePathStyle: true,
		// The smallest parts S3 allows, and small ranges, so the suite's
		// 5 MiB files take the multipart and parallel paths.
		UploadPartSize:      minPartSize,
		UploadConcurrency:   3,
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

// rawClient talks to the emulator directly, to check what is stored.
func rawClient(t testing.TB, endpoint string) *s3.Client {
	t.Helper()
	c, _, err := newClient(t.Context(), testConfig(endpoint, "test", ""))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func listKeys(t testing.TB, c *s3.Client, bucket, prefix string) []string {
	t.Helper()
	out, err := c.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	slices.Sort(keys)
	return keys
}

func pendingUploads(t testing.TB, c *s3.Client, bucket string) int {
	t.Helper()
	out, err := c.ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Uploads)
}

func TestConformance(t *testing.T) {
	srv := cloudtest.StartS3(t)
	vfstest.Run(t, func(t *testing.T) vfs.Fs {
		return newFs(t, testConfig(srv.Endpoint(), srv.Bucket, "conformance/"+t.Name()))
	}, vfstest.ObjectStore...)
}

// TestKeyLayout: objects sit under the key prefix, directories are marker
// objects, the modification time is in the metadata, and renames and
// deletes show in the bucket.
func TestKeyLayout(t *testing.T) {
	srv := cloudtest.StartS3(t)
	f := newFs(t, testConfig(srv.Endpoint(), srv.Bucket, "users/alice"))
	defer f.Close()
	raw := rawClient(t, srv.Endpoint())
	ctx := t.Context()
	if err := f.Mkdir(ctx, "/docs"); err != nil {
		t.Fatal(err)
	}
	data := vfstest.RandomData(t, 12<<20+3) // three parts
	vfstest.WriteFile(t, f, "/docs/big.bin", data)
	want := []string{"users/alice/docs/", "users/alice/docs/big.bin"}
	if got := listKeys(t, raw, srv.Bucket, ""); !slices.Equal(got, want) {
		t.Fatalf("bucket holds %q, want %q", got, want)
	}
	head, err := raw.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &srv.Bucket, Key: aws.String("users/alice/docs/big.bin")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt64(head.ContentLength) != int64(len(data)) {
		t.Fatalf("stored %d bytes, want %d", aws.ToInt64(head.ContentLength), len(data))
	}
	if mt, err := time.Parse(time.RFC3339Nano, head.Metadata["mtime"]); err != nil || time.Since(mt) > time.Minute {
		t.Fatalf("mtime metadata %q: %v", head.Metadata["mtime"], err)
	}
	if got := vfstest.ReadFile(t, f, "/docs/big.bin", 0); !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}
	if err := f.Rename(ctx, "/docs", "/papers"); err != nil {
		t.Fatal(err)
	}
	want = []string{"users/alice/papers/", "users/alice/papers/big.bin"}
	if got := listKeys(t, raw, srv.Bucket, ""); !slices.Equal(got, want) {
		t.Fatalf("after rename the bucket holds %q, want %q", got, want)
	}
	if err := f.Remove(ctx, "/papers/big.bin"); err != nil {
		t.Fatal(err)
	}
	if err := f.Remove(ctx, "/papers"); err != nil {
		t.Fatal(err)
	}
	if got := listKeys(t, raw, srv.Bucket, ""); len(got) != 0 {
		t.Fatalf("after removal the bucket holds %q", got)
	}
	if n := pendingUploads(t, raw, srv.Bucket); n != 0 {
		t.Fatalf("%d multipart uploads left", n)
	}
}

// TestCancelAbortsMultipartUpload: an upload abandoned after some parts
// leaves neither an object nor a pending multipart upload.
func TestCancelAbortsMultipartUpload(t *testing.T) {
	srv := cloudtest.StartS3(t)
	f := newFs(t, testConfig(srv.Endpoint(), srv.Bucket, "p"))
	defer f.Close()
	raw := rawClient(t, srv.Endpoint())
	w, err := f.Create(t.Context(), "/f", vfs.CreateOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(vfstest.RandomData(t, 17<<20)); err != nil {
		t.Fatal(err)
	}
	if err := w.Cancel(); err != nil {
		t.Fatal(err)
	}
	if got := listKeys(t, raw, srv.Bucket, ""); len(got) != 0 {
		t.Fatalf("after Cancel the bucket holds %q", got)
	}
	if n := pendingUploads(t, raw, srv.Bucket); n != 0 {
		t.Fatalf("%d multipart uploads left after Cancel", n)
	}
}

// TestServerStopsMidUpload kills the S3 server while a multipart upload
// is under way: the writer fails with a clear error and, once the server
// is back, no object is there.
func TestServerStopsMidUpload(t *testing.T) {
	srv := cloudtest.StartS3(t)
	f := newFs(t, testConfig(srv.Endpoint(), srv.Bucket, "p"))
	defer f.Close()
	w, err := f.Create(t.Context(), "/victim", vfs.CreateOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	chunk := vfstest.RandomData(t, 1<<20)
	for range 11 { // two parts sent, a third buffered
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	srv.Stop()
	start := time.Now()
	var werr error
	for i := 0; i < 64 && werr == nil; i++ {
		_, werr = w.Write(chunk)
	}
	cerr := w.Close()
	if werr == nil && cerr == nil {
		t.Fatal("upload to a stopped server succeeded")
	}
	err = errors.Join(werr, cerr)
	t.Logf("error after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if !strings.Contains(err.Error(), "/victim") || !strings.Contains(err.Error(), "connect") {
		t.Fatalf("error %q does not name the file and the connection failure", err)
	}
	srv.Restart(t)
	raw := rawClient(t, srv.Endpoint())
	if got := listKeys(t, raw, srv.Bucket, ""); len(got) != 0 {
		t.Fatalf("after the failed upload the bucket holds %q", got)
	}
	// The parts sent before the crash sit in an upload the abort could
	// not reach; S3 keeps it invisible until a lifecycle rule
	// (AbortIncompleteMultipartUpload) removes it.
	if n := pendingUploads(t, raw, srv.Bucket); n != 1 {
		t.Fatalf("%d pending multipart uploads, want the interrupted one", n)
	}
	f2 := newFs(t, testConfig(srv.Endpoint(), srv.Bucket, "p"))
	defer f2.Close()
	if _, err := f2.Stat(t.Context(), "/victim"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat after the failed upload: %v", err)
	}
}

// TestHash: a file stored with one request has its MD5 as ETag, which
// Hash returns without reading the data; a multipart object has none.
func TestHash(t *testing.T) {
	srv := cloudtest.StartS3(t)
	f := newFs(t, testConfig(srv.Endpoint(), srv.Bucket, "h"))
	defer f.Close()
	small := vfstest.RandomData(t, 1000)
	vfstest.WriteFile(t, f, "/small", small)
	sum := md5.Sum(small)
	got, err := f.Hash(t.Context(), "/small", "md5")
	if err != nil || got != hex.EncodeToString(sum[:]) {
		t.Fatalf("Hash(md5) = %q, %v; want %x", got, err, sum)
	}
	// A multipart object: S3 gives no MD5 (ETag "<hex>-<parts>"); the
	// emulator does give the content's, which must then be right.
	big := vfstest.RandomData(t, 6<<20)
	vfstest.WriteFile(t, f, "/big", big)
	sum = md5.Sum(big)
	if got, err := f.Hash(t.Context(), "/big", "md5"); !errors.Is(err, vfs.ErrNotSupported) && (err != nil || got != hex.EncodeToString(sum[:])) {
		t.Fatalf("Hash of a multipart object: %q, %v", got, err)
	}
	for etag, want := range map[string]bool{
		`"9e107d9d372bb6826bd81d3542a419d6"`:   true,
		`"9e107d9d372bb6826bd81d3542a419d6-2"`: false,
		`"not hex"`:                            false,
	} {
		if got := etagMD5(etag) != nil; got != want {
			t.Errorf("etagMD5(%s) found a digest: %v, want %v", etag, got, want)
		}
	}
	if _, err := f.Hash(t.Context(), "/small", "sha256"); !errors.Is(err, vfs.ErrNotSupported) {
		t.Fatalf("Hash(sha256): %v, want ErrNotSupported", err)
	}
}

// TestCABundleEnvironment: AWS_CA_BUNDLE set in the environment (as on
// many hosts) must not break the client.
func TestCABundleEnvironment(t *testing.T) {
	bundle := "/etc/ssl/certs/ca-certificates.crt"
	if _, err := os.Stat(bundle); err != nil {
		t.Skip("no system CA bundle")
	}
	srv := cloudtest.StartS3(t)
	t.Setenv("AWS_CA_BUNDLE", bundle)
	f := newFs(t, testConfig(srv.Endpoint(), srv.Bucket, "ca"))
	defer f.Close()
	vfstest.WriteFile(t, f, "/x", []byte("x"))
}

func TestPrefixValidation(t *testing.T) {
	if _, err := New(context.Background(), Config{Bucket: "b", KeyPrefix: "a/../b", Region: "x", AccessKey: "a", AccessSecret: "b"}); err == nil {
		t.Fatal("a prefix with .. was accepted")
	}
	if _, err := New(context.Background(), Config{}); err == nil {
		t.Fatal("an empty bucket was accepted")
	}
}

func BenchmarkWrite(b *testing.B) {
	srv := cloudtest.StartS3(b)
	f := newFs(b, benchConfig(srv))
	defer f.Close()
	vfstest.BenchmarkWrite(b, f)
}

func BenchmarkRead(b *testing.B) {
	srv := cloudtest.StartS3(b)
	f := newFs(b, benchConfig(srv))
	defer f.Close()
	vfstest.BenchmarkRead(b, f)
}

// benchConfig uses the defaults a user gets (5 MiB parts, 4 at a time).
func benchConfig(srv *cloudtest.S3) Config {
	cfg := testConfig(srv.Endpoint(), srv.Bucket, "bench")
	cfg.UploadPartSize, cfg.UploadConcurrency, cfg.DownloadPartSize, cfg.DownloadConcurrency = 0, 0, 0, 0
	return cfg
}

// TestConformanceS3rver runs the suite against a second S3
// implementation, s3rver, which checks signatures.
func TestConformanceS3rver(t *testing.T) {
	srv := cloudtest.StartS3rver(t)
	vfstest.Run(t, func(t *testing.T) vfs.Fs {
		cfg := testConfig(srv.Endpoint, srv.Bucket, "conformance/"+t.Name())
		cfg.AccessKey, cfg.AccessSecret = srv.AccessKey, srv.Secret
		return newFs(t, cfg)
	}, vfstest.ObjectStore...)
}

// The baselines move the same bytes with one plain SDK request each, the
// peer the backend's streaming (parts, ranges, checks) is measured
// against on the same emulator.

func BenchmarkBaselineWrite(b *testing.B) {
	srv := cloudtest.StartS3(b)
	c := rawClient(b, srv.Endpoint())
	data := vfstest.RandomData(b, vfstest.BenchFileSize)
	b.SetBytes(vfstest.BenchFileSize)
	for b.Loop() {
		if _, err := c.PutObject(b.Context(), &s3.PutObjectInput{Bucket: &srv.Bucket, Key: aws.String("bench"), Body: bytes.NewReader(data)}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBaselineRead(b *testing.B) {
	srv := cloudtest.StartS3(b)
	c := rawClient(b, srv.Endpoint())
	data := vfstest.RandomData(b, vfstest.BenchFileSize)
	if _, err := c.PutObject(b.Context(), &s3.PutObjectInput{Bucket: &srv.Bucket, Key: aws.String("bench"), Body: bytes.NewReader(data)}); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, vfstest.BenchChunkSize)
	b.SetBytes(vfstest.BenchFileSize)
	for b.Loop() {
		out, err := c.GetObject(b.Context(), &s3.GetObjectInput{Bucket: &srv.Bucket, Key: aws.String("bench")})
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{out.Body}, buf)
		out.Body.Close()
		if err != nil || n != vfstest.BenchFileSize {
			b.Fatalf("read %d bytes: %v", n, err)
		}
	}
}
