package azblobfs

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/vfs/cloudtest"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/objstore"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

// TestETagPinAgainstAzurite: ranged reads pinned by ETag (If-Match) work
// against the Azurite program for a 12 MiB blob, and a blob replaced
// during the download fails it with "object changed", whether the
// replacement has the same size or a smaller one.
func TestETagPinAgainstAzurite(t *testing.T) {
	az := cloudtest.StartAzurite(t, cloudtest.AzuriteOptions{})
	f := newFs(t, testConfig(az, "pin"))
	defer f.Close()
	data := vfstest.RandomData(t, 12<<20+5)
	vfstest.WriteFile(t, f, "/big.bin", data)
	if got := vfstest.ReadFile(t, f, "/big.bin", 0); !bytes.Equal(got, data) {
		t.Fatal("12 MiB read back differs")
	}
	// replaced by the same size (only the version check catches it) and
	// by a smaller one (the remaining ranges are past its end)
	for _, size := range []int{len(data), 12 << 20} {
		r, err := f.Open(t.Context(), "/big.bin", 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(r, make([]byte, 10)); err != nil {
			t.Fatal(err)
		}
		vfstest.WriteFile(t, f, "/big.bin", vfstest.RandomData(t, size))
		_, err = io.ReadAll(r)
		r.Close()
		if !errors.Is(err, objstore.ErrChanged) {
			t.Fatalf("read across a replacement by %d bytes: %v, want ErrChanged", size, err)
		}
		data = vfstest.RandomData(t, len(data))
		vfstest.WriteFile(t, f, "/big.bin", data)
	}
}
