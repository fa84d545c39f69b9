package dataprovider

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/sio"

	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

func TestLoadDataFileOptions(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, "sqlite")
	dir := t.TempDir()
	home, plainHome, folder := filepath.Join(dir, "crypt"), filepath.Join(dir, "plain"), filepath.Join(dir, "folder")
	for _, d := range []string{home, plainHome, folder} {
		must(t, os.MkdirAll(filepath.Join(d, "sub"), 0o755))
	}
	// a file in SFTPGo's cryptfs layout: 33-byte header, DARE 2.0 body
	var body bytes.Buffer
	plain := bytes.Repeat([]byte("x"), 200000)
	_, err := sio.Encrypt(&body, bytes.NewReader(plain), sio.Config{MinVersion: sio.Version20, MaxVersion: sio.Version20,
		Key: bytes.Repeat([]byte{1}, 32)})
	must(t, err)
	must(t, os.WriteFile(filepath.Join(home, "sub", "enc.bin"), append(make([]byte, 33), body.Bytes()...), 0o644))
	must(t, os.WriteFile(filepath.Join(home, "empty.bin"), make([]byte, 33), 0o644))
	must(t, os.WriteFile(filepath.Join(plainHome, "a"), make([]byte, 10), 0o644))
	must(t, os.WriteFile(filepath.Join(folder, "sub", "b"), make([]byte, 7), 0o644))

	enc := newUser("enc")
	enc.HomeDir = home
	enc.QuotaSize = 1 << 30
	enc.FsConfig = Filesystem{Provider: CryptedFilesystemProvider}
	enc.FsConfig.CryptConfig.Passphrase = kms.NewPlainSecret("pp")
	unlimited := newUser("unlimited")
	unlimited.HomeDir = plainHome
	unlimited.UsedQuotaSize, unlimited.UsedQuotaFiles = 999, 9
	data := BackupData{Users: []User{enc, unlimited}, Folders: []BaseVirtualFolder{{Name: "f", MappedPath: folder}}}
	b, err := json.Marshal(data)
	must(t, err)
	file := filepath.Join(dir, "dump.json")
	must(t, os.WriteFile(file, b, 0o600))

	for _, bad := range []LoadDataOptions{{From: "dump.json"}, {From: file, Mode: 2}, {From: file, Scan: 3}} {
		if err := s.LoadDataFile(ctx, bad); err == nil {
			t.Fatalf("load accepted %+v", bad)
		}
	}
	must(t, s.LoadDataFile(ctx, LoadDataOptions{From: file, Mode: RestoreModeAddOnly, Scan: QuotaScanRestricted, Clean: true}))
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("dump not removed: %v", err)
	}
	got, err := s.GetUser(ctx, "enc")
	must(t, err)
	if got.UsedQuotaSize != int64(len(plain)) || got.UsedQuotaFiles != 2 {
		t.Fatalf("encrypted user scanned: %d bytes %d files, want %d plaintext bytes 2 files", got.UsedQuotaSize, got.UsedQuotaFiles, len(plain))
	}
	// mode 2 leaves users without a quota limit alone
	got, err = s.GetUser(ctx, "unlimited")
	must(t, err)
	if got.UsedQuotaSize != 999 || got.UsedQuotaFiles != 9 {
		t.Fatalf("unrestricted user scanned in mode 2: %d %d", got.UsedQuotaSize, got.UsedQuotaFiles)
	}
	f, err := s.GetFolder(ctx, "f")
	must(t, err)
	if f.UsedQuotaSize != 7 || f.UsedQuotaFiles != 1 {
		t.Fatalf("folder scanned: %d %d", f.UsedQuotaSize, f.UsedQuotaFiles)
	}
	// mode 1 scans every user
	must(t, s.ScanRestoredQuota(ctx, &data, QuotaScanAll))
	got, err = s.GetUser(ctx, "unlimited")
	must(t, err)
	if got.UsedQuotaSize != 10 || got.UsedQuotaFiles != 1 {
		t.Fatalf("user scanned in mode 1: %d %d", got.UsedQuotaSize, got.UsedQuotaFiles)
	}
	if err := s.LoadDataFile(ctx, LoadDataOptions{From: filepath.Join(dir, "missing.json")}); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("missing file: %v", err)
	}
}
