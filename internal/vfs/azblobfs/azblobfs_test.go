package azblobfs

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

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/cloudtest"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

func testConfig(az *cloudtest.Azurite, prefix string) Config {
	return Config{
		Container:   az.Container,
		AccountName: cloudtest.AzureAccount,
		AccountKey:  cloudtest.AzureKey,
		Endpoint:    az.Endpoint,
		UseEmulator: true,
		KeyPrefix:   prefix,
		// Small blocks and ranges so the suite's files take the block
		// list and parallel paths.
		UploadPartSize:      1 << 20,
		UploadConcurrency:   3,
		DownloadPartSize:    1 << 20,
		DownloadConcurrency: 3,
		RetryDelay:          100 * time.Millisecond,
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
	az := cloudtest.StartAzurite(t, cloudtest.AzuriteOptions{})
	vfstest.Run(t, func(t *testing.T) vfs.Fs {
		return newFs(t, testConfig(az, "conformance/"+t.Name()))
	}, vfstest.ObjectStore...)
}

// TestKeyLayout: blobs under the prefix, markers for directories, MD5 of
// a block-list upload, renames and deletes visible in the container.
func TestKeyLayout(t *testing.T) {
	az := cloudtest.StartAzurite(t, cloudtest.AzuriteOptions{})
	f := newFs(t, testConfig(az, "users/carol"))
	defer f.Close()
	ctx := t.Context()
	if err := f.Mkdir(ctx, "/docs"); err != nil {
		t.Fatal(err)
	}
	data := vfstest.RandomData(t, 3<<20+11) // four blocks
	vfstest.WriteFile(t, f, "/docs/big.bin", data)
	want := []string{"users/carol/docs/", "users/carol/docs/big.bin"}
	if got := sorted(az.Blobs(t)); !slices.Equal(got, want) {
		t.Fatalf("container holds %q, want %q", got, want)
	}
	sum := md5.Sum(data)
	if got, err := f.Hash(ctx, "/docs/big.bin", "md5"); err != nil || got != hex.EncodeToString(sum[:]) {
		t.Fatalf("Hash(md5) = %q, %v; want %x", got, err, sum)
	}
	if err := f.Rename(ctx, "/docs", "/papers"); err != nil {
		t.Fatal(err)
	}
	want = []string{"users/carol/papers/", "users/carol/papers/big.bin"}
	if got := sorted(az.Blobs(t)); !slices.Equal(got, want) {
		t.Fatalf("after rename the container holds %q, want %q", got, want)
	}
	// The copy keeps the MD5, so Hash still needs no read.
	if got, err := f.Hash(ctx, "/papers/big.bin", "md5"); err != nil || got != hex.EncodeToString(sum[:]) {
		t.Fatalf("Hash(md5) after rename = %q, %v", got, err)
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
	if got := az.Blobs(t); len(got) != 0 {
		t.Fatalf("after removal the container holds %q", got)
	}
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}

// TestAzuriteKilledMidUpload stops Azurite while blocks are being
// staged: the writer fails with an error naming the file, and once
// Azurite is back on the same data, the staged blocks are there but no
// blob is visible.
func TestAzuriteKilledMidUpload(t *testing.T) {
	az := cloudtest.StartAzurite(t, cloudtest.AzuriteOptions{Persistent: true})
	cfg := testConfig(az, "p")
	f := newFs(t, cfg)
	defer f.Close()
	w, err := f.Create(t.Context(), "/victim", vfs.CreateOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	chunk := vfstest.RandomData(t, 1<<20)
	for range 5 {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	az.Stop()
	start := time.Now()
	var werr error
	for i := 0; i < 32 && werr == nil; i++ {
		_, werr = w.Write(chunk)
	}
	cerr := w.Close()
	if werr == nil && cerr == nil {
		t.Fatal("upload to a killed Azurite succeeded")
	}
	err = errors.Join(werr, cerr)
	t.Logf("error after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if !strings.Contains(err.Error(), "/victim") || !strings.Contains(err.Error(), "connect") {
		t.Fatalf("error %q does not name the file and the connection failure", err)
	}
	az.Restart(t)
	if got := az.Blobs(t); len(got) != 0 {
		t.Fatalf("after the failed upload the container holds %q", got)
	}
	// The blocks did reach the store; they stay invisible and Azure drops
	// uncommitted blocks after a week.
	if got := az.Blobs(t, true); !slices.Equal(got, []string{"p/victim"}) {
		t.Fatalf("blobs with staged blocks: %q, want the victim's", got)
	}
	if _, err := f.Stat(t.Context(), "/victim"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat after the failed upload: %v", err)
	}
}

func TestContainerURL(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{AccountName: "acct", Container: "c"}, "https://acct.blob.core.windows.net/c"},
		{Config{AccountName: "acct", Container: "c", Endpoint: "blob.core.chinacloudapi.cn"}, "https://acct.blob.core.chinacloudapi.cn/c"},
		{Config{AccountName: "acct", Container: "c", Endpoint: "http://example.test"}, "http://acct.example.test/c"},
		{Config{AccountName: "devstoreaccount1", Container: "c", UseEmulator: true}, "http://127.0.0.1:10000/devstoreaccount1/c"},
		{Config{AccountName: "devstoreaccount1", Container: "c", UseEmulator: true, Endpoint: "127.0.0.1:4000"}, "http://127.0.0.1:4000/devstoreaccount1/c"},
		{Config{SASURL: "https://acct.blob.core.windows.net/c?sv=x&sig=y"}, "https://acct.blob.core.windows.net/c"},
	} {
		got, err := c.cfg.ContainerURL()
		if err != nil || got != c.want {
			t.Errorf("ContainerURL(%+v) = %q, %v; want %q", c.cfg, got, err, c.want)
		}
	}
	if _, err := New(t.Context(), Config{AccountName: "a", Container: "c"}); err == nil {
		t.Error("a config without key or SAS URL was accepted")
	}
}

func BenchmarkWrite(b *testing.B) {
	az := cloudtest.StartAzurite(b, cloudtest.AzuriteOptions{})
	f := newFs(b, benchConfig(az))
	defer f.Close()
	vfstest.BenchmarkWrite(b, f)
}

func BenchmarkRead(b *testing.B) {
	az := cloudtest.StartAzurite(b, cloudtest.AzuriteOptions{})
	f := newFs(b, benchConfig(az))
	defer f.Close()
	vfstest.BenchmarkRead(b, f)
}

// benchConfig uses the defaults a user gets (5 MiB blocks, 4 at a time).
func benchConfig(az *cloudtest.Azurite) Config {
	cfg := testConfig(az, "bench")
	cfg.UploadPartSize, cfg.UploadConcurrency, cfg.DownloadPartSize, cfg.DownloadConcurrency = 0, 0, 0, 0
	return cfg
}

// The baselines move the same bytes with one plain SDK request each
// (Put Blob, one download stream), the peer the backend is measured
// against.

func rawPut(b *testing.B, az *cloudtest.Azurite, data []byte) {
	c, err := az.ContainerClient(az.Container)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.NewBlockBlobClient("bench").Upload(b.Context(), streaming.NopCloser(bytes.NewReader(data)), nil); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkBaselineWrite(b *testing.B) {
	az := cloudtest.StartAzurite(b, cloudtest.AzuriteOptions{})
	data := vfstest.RandomData(b, vfstest.BenchFileSize)
	b.SetBytes(vfstest.BenchFileSize)
	for b.Loop() {
		rawPut(b, az, data)
	}
}

func BenchmarkBaselineRead(b *testing.B) {
	az := cloudtest.StartAzurite(b, cloudtest.AzuriteOptions{})
	rawPut(b, az, vfstest.RandomData(b, vfstest.BenchFileSize))
	c, err := az.ContainerClient(az.Container)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, vfstest.BenchChunkSize)
	b.SetBytes(vfstest.BenchFileSize)
	for b.Loop() {
		resp, err := c.NewBlobClient("bench").DownloadStream(b.Context(), nil)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{resp.Body}, buf)
		resp.Body.Close()
		if err != nil || n != vfstest.BenchFileSize {
			b.Fatalf("read %d bytes: %v", n, err)
		}
	}
}
