package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/vfs/cloudtest"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

// TestGCSEmulatorProgramThroughBinary: a GCS user with automatic
// credentials, the binary pointed at fake-gcs-server (run as a program)
// by STORAGE_EMULATOR_HOST. 12 MiB put over SFTP comes back identical,
// and the object sits in the bucket under the key prefix.
func TestGCSEmulatorProgramThroughBinary(t *testing.T) {
	gcs := cloudtest.StartGCSProgram(t)
	in := newInstance(t, t.TempDir(), "STORAGE_EMULATOR_HOST="+gcs.Host)
	in.start()
	token := in.token("admin", "admin-pass")
	in.addUser(token, "on-gcs", "user-pass-1", map[string]any{
		"filesystem": map[string]any{"provider": 2, "gcsconfig": map[string]any{
			"bucket": gcs.Bucket, "key_prefix": "users/on-gcs/", "automatic_credentials": 1,
		}},
	})

	conn, c := dialSFTP(t, in.sftpPort, "on-gcs", "user-pass-1")
	t.Cleanup(func() { c.Close(); conn.Close() })
	data := vfstest.RandomData(t, 12<<20)
	f, err := c.Create("/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadFrom(bytes.NewReader(data)); err != nil {
		t.Fatalf("put: %v\n%s", err, in.log.String())
	}
	if err := f.Close(); err != nil {
		t.Fatalf("put close: %v\n%s", err, in.log.String())
	}
	r, err := c.Open("/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	_, err = r.WriteTo(&got)
	r.Close()
	if err != nil {
		t.Fatalf("get: %v\n%s", err, in.log.String())
	}
	if sha256.Sum256(got.Bytes()) != sha256.Sum256(data) {
		t.Fatalf("got %d bytes that differ from the %d put", got.Len(), len(data))
	}

	// the object, as the emulator stores it
	resp, err := http.Get(gcs.Endpoint + "/storage/v1/b/" + gcs.Bucket + "/o/" + url.PathEscape("users/on-gcs/big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var meta struct {
		Size string `json:"size"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&meta) != nil || meta.Size != "12582912" {
		t.Fatalf("object in the bucket: %s, size %q", resp.Status, meta.Size)
	}
}
