package cryptfs

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/sio"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

// fixturesDir is the SFTPGo fixture set (data written by SFTPGo itself);
// SFTPGO_FIXTURES_DIR overrides its location.
func fixturesDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SFTPGO_FIXTURES_DIR")
	if dir == "" {
		dir = "../../../../shared/sftpgo-fixtures" // shared/ sits beside the checkout
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if _, err := os.Stat(filepath.Join(dir, "dump.json")); err != nil {
		t.Fatalf("SFTPGo fixtures missing (set SFTPGO_FIXTURES_DIR): %v", err)
	}
	return dir
}

// fixturePassphrase decrypts devs-vault's passphrase from the fixture
// dump, a Secretbox secret SFTPGo wrote, the way the server does.
func fixturePassphrase(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "dump.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dump struct {
		Users []struct {
			Username   string
			Filesystem struct {
				Provider    int
				CryptConfig struct {
					Passphrase *kms.Secret
				} `json:"cryptconfig"`
			}
		}
	}
	if err := json.Unmarshal(data, &dump); err != nil {
		t.Fatal(err)
	}
	m, err := kms.NewManager(config.KMSConfig{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range dump.Users {
		if u.Username != "devs-vault" {
			continue
		}
		if u.Filesystem.Provider != 4 || u.Filesystem.CryptConfig.Passphrase == nil {
			t.Fatalf("devs-vault in the dump is not an encrypted-storage user: %+v", u.Filesystem)
		}
		p, err := m.Decrypt(u.Filesystem.CryptConfig.Passphrase)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Fatal("no devs-vault user in the fixture dump")
	return ""
}

// fixtureSHA256 is the payload's sha256 as the fixture README states it.
func fixtureSHA256(t *testing.T, dir string) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(dir, "README.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "Uploaded file payload.bin:") {
			if _, sum, ok := strings.Cut(line, "sha256 "); ok {
				return strings.TrimSpace(sum)
			}
		}
	}
	t.Fatal("README.txt names no payload sha256")
	return ""
}

// TestReadSFTPGoFixture reads the file SFTPGo's encrypted storage wrote,
// with the passphrase from SFTPGo's Secretbox, through every read path.
func TestReadSFTPGoFixture(t *testing.T) {
	dir := fixturesDir(t)
	pass := fixturePassphrase(t, dir)
	wantSum := fixtureSHA256(t, dir)
	fsys, err := New(filepath.Join(dir, "ondisk", "users", "devs-vault"), pass, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	ctx := t.Context()
	const size = 3145728
	fi, err := fsys.Stat(ctx, "/payload.bin")
	if err != nil || fi.Size() != size {
		t.Fatalf("Stat = %v, %v; want %d bytes", fi, err, size)
	}
	infos := vfstest.ListInfos(t, fsys, "/", 10)
	if len(infos) != 1 || infos[0].Size() != size {
		t.Fatalf("ReadDir: %v", infos)
	}
	data := vfstest.ReadFile(t, fsys, "/payload.bin", 0)
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != wantSum {
		t.Fatalf("sha256 %s, README says %s", got, wantSum)
	}
	// From an offset inside a package, and positioned reads.
	off := int64(5*payloadSize + 777)
	if got := vfstest.ReadFile(t, fsys, "/payload.bin", off); !bytes.Equal(got, data[off:]) {
		t.Fatalf("read from %d differs", off)
	}
	ra, err := fsys.OpenReaderAt(ctx, "/payload.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer ra.Close()
	buf := make([]byte, 100000)
	if _, err := ra.ReadAt(buf, 1000000); err != nil || !bytes.Equal(buf, data[1000000:1100000]) {
		t.Fatalf("ReadAt: %v", err)
	}
	bad, err := New(filepath.Join(dir, "ondisk", "users", "devs-vault"), pass+"x", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	if _, err := bad.Open(ctx, "/payload.bin", 0); err == nil || !strings.Contains(err.Error(), "wrong passphrase") {
		t.Fatalf("wrong passphrase on SFTPGo's file: error = %v", err)
	}
}

// readSFTPGo decrypts a file in SFTPGo's layout without this package's
// reading code: the layout as SFTPGO-COMPAT.md states it, straight on sio.
func readSFTPGo(t *testing.T, raw []byte, passphrase string) []byte {
	t.Helper()
	if len(raw) < 33 || raw[0] != 0x10 {
		t.Fatalf("not SFTPGo's layout: %d bytes, first %x", len(raw), raw[:min(len(raw), 8)])
	}
	key, err := hkdf.Key(sha256.New, []byte(passphrase), raw[1:33], "", 32)
	if err != nil {
		t.Fatal(err)
	}
	body := raw[33:]
	if len(body) == 0 {
		return nil // a 33-byte file is empty: sio has no empty stream
	}
	var out bytes.Buffer
	n, err := sio.Decrypt(&out, bytes.NewReader(body), sio.Config{
		MinVersion: sio.Version20, MaxVersion: sio.Version20, Key: key,
	})
	if err != nil {
		t.Fatalf("sio.Decrypt: %v", err)
	}
	if want, err := sio.DecryptedSize(uint64(len(body))); err != nil || want != uint64(n) {
		t.Fatalf("decrypted %d bytes, DecryptedSize says %d (%v)", n, want, err)
	}
	return out.Bytes()
}

// TestWrittenFilesAreSFTPGoLayout: what we write decrypts with an
// independent reading of SFTPGo's format, at every package boundary, and
// the empty file is the 33-byte header alone, as SFTPGo writes it.
func TestWrittenFilesAreSFTPGoLayout(t *testing.T) {
	fsys := newTestFs(t)
	for _, n := range boundarySizes {
		data := vfstest.RandomData(t, int(n))
		vfstest.WriteFile(t, fsys, "/f", data)
		raw := rawFile(t, fsys, "/f")
		if n == 0 && len(raw) != 33 {
			t.Fatalf("empty file takes %d bytes, want the 33-byte header", len(raw))
		}
		if got := readSFTPGo(t, raw, testPassphrase); !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: independent decryption differs", n)
		}
	}
	// A stream written through several short writes, as protocols do.
	w, err := fsys.Create(t.Context(), "/chunks", vfs.CreateOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	want := vfstest.RandomData(t, 300000)
	for rest := want; len(rest) > 0; {
		k := min(len(rest), 32768+7)
		if _, err := w.Write(rest[:k]); err != nil {
			t.Fatal(err)
		}
		rest = rest[k:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readSFTPGo(t, rawFile(t, fsys, "/chunks"), testPassphrase); !bytes.Equal(got, want) {
		t.Fatal("chunked write: independent decryption differs")
	}
}

// TestMixedLayouts: a directory holding files of both layouts lists each
// with its plaintext size and reads each intact.
func TestMixedLayouts(t *testing.T) {
	dir := t.TempDir()
	golden, err := os.ReadFile(filepath.Join("testdata", "v1.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "old"), golden, 0o600); err != nil {
		t.Fatal(err)
	}
	fsys, err := New(dir, "golden passphrase", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	sizes := map[string]int64{"old": 84000}
	for _, n := range []int64{0, 1, 84000, 2*payloadSize + 5} {
		name := "new-" + strings.Repeat("x", int(n%7)) + hex.EncodeToString([]byte{byte(n), byte(n >> 8), byte(n >> 16)})
		vfstest.WriteFile(t, fsys, "/"+name, vfstest.RandomData(t, int(n)))
		sizes[name] = n
	}
	infos := vfstest.ListInfos(t, fsys, "/", 2)
	if len(infos) != len(sizes) {
		t.Fatalf("ReadDir: %d entries, want %d", len(infos), len(sizes))
	}
	for _, fi := range infos {
		if fi.Size() != sizes[fi.Name()] {
			t.Errorf("ReadDir: %s size %d, want %d", fi.Name(), fi.Size(), sizes[fi.Name()])
		}
		r, err := fsys.Open(t.Context(), "/"+fi.Name(), 0)
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r)
		r.Close()
		if err != nil || n != sizes[fi.Name()] {
			t.Errorf("read %s: %d bytes, %v", fi.Name(), n, err)
		}
	}
}
