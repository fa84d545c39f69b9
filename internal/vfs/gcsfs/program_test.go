package gcsfs

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/vfs/cloudtest"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/objstore"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

// TestEmulatorProgram: fake-gcs-server run as a program serves the
// whole round trip, with STORAGE_EMULATOR_HOST (automatic credentials)
// and with an explicit endpoint, in both the streaming and the parallel
// download paths.
func TestEmulatorProgram(t *testing.T) {
	srv := cloudtest.StartGCSProgram(t)
	data := vfstest.RandomData(t, 12<<20+5)
	for _, tc := range []struct {
		name string
		cfg  Config
		env  bool
	}{
		{"STORAGE_EMULATOR_HOST", Config{Bucket: srv.Bucket, KeyPrefix: "env/"}, true},
		{"endpoint parallel", Config{Bucket: srv.Bucket, KeyPrefix: "ep/", Endpoint: srv.Endpoint,
			UploadPartSize: 1 << 20, DownloadPartSize: 1 << 20, DownloadConcurrency: 3}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env {
				t.Setenv("STORAGE_EMULATOR_HOST", srv.Host)
			}
			f := newFs(t, tc.cfg)
			defer f.Close()
			vfstest.WriteFile(t, f, "/big.bin", data)
			got := vfstest.ReadFile(t, f, "/big.bin", 0)
			if !bytes.Equal(got, data) {
				t.Fatalf("read back %d bytes, differ from the %d written\n%s", len(got), len(data), srv.Logs())
			}
		})
	}
}

// TestEmulatorProgramReplacedWhileReading: against the program too, a
// download across a replacement fails with "object changed", and only
// then.
func TestEmulatorProgramReplacedWhileReading(t *testing.T) {
	srv := cloudtest.StartGCSProgram(t)
	f := newFs(t, Config{Bucket: srv.Bucket, Endpoint: srv.Endpoint,
		DownloadPartSize: 1 << 20, DownloadConcurrency: 2})
	defer f.Close()
	vfstest.WriteFile(t, f, "/f", vfstest.RandomData(t, 8<<20))
	r, err := f.Open(t.Context(), "/f", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadFull(r, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	vfstest.WriteFile(t, f, "/f", vfstest.RandomData(t, 8<<20))
	if _, err := io.ReadAll(r); !errors.Is(err, objstore.ErrChanged) {
		t.Fatalf("read across a replacement: %v, want ErrChanged", err)
	}
}
