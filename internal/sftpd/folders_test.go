package sftpd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

func TestEncryptedVirtualFolder(t *testing.T) {
	e := newEnv(t, envOpts{})
	mapped := filepath.Join(e.base, "encrypted")
	folder := dataprovider.BaseVirtualFolder{
		Name:       "vault",
		MappedPath: mapped,
		FsConfig: dataprovider.Filesystem{
			Provider:    dataprovider.CryptedFilesystemProvider,
			CryptConfig: dataprovider.CryptConfig{Passphrase: kms.NewPlainSecret("a long test passphrase")},
		},
	}
	if err := e.store.AddFolder(context.Background(), &folder); err != nil {
		t.Fatal(err)
	}
	e.addUser(t, "jane", userKey{}, func(u *dataprovider.User) {
		u.VirtualFolders = []dataprovider.VirtualFolder{{
			BaseVirtualFolder: dataprovider.BaseVirtualFolder{Name: "vault"},
			VirtualPath:       "/vault", QuotaSize: -1, QuotaFiles: -1,
		}}
	})
	c := e.sftpClient(t, "jane", ssh.Password(testPassword))
	entries, err := c.ReadDir("/")
	if err != nil || len(entries) != 1 || entries[0].Name() != "vault" || !entries[0].IsDir() {
		t.Fatalf("root listing: %v %v", entries, err)
	}
	data := randomBytes(t, 3<<20)
	// pkg/sftp sends concurrent, out-of-order writes: the reorder buffer
	// turns them into the stream the encrypted backend needs
	if err := put(c, "/vault/secret.bin", data); err != nil {
		t.Fatal(err)
	}
	got, err := get(c, "/vault/secret.bin")
	if err != nil || sha(got) != sha(data) {
		t.Fatalf("download: %v, equal=%v", err, sha(got) == sha(data))
	}
	fi, err := c.Stat("/vault/secret.bin")
	if err != nil || fi.Size() != int64(len(data)) {
		t.Fatalf("plaintext size: %v %v", fi, err)
	}
	raw, err := os.ReadFile(filepath.Join(mapped, "secret.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(raw, data) || bytes.Contains(raw, data[:4096]) {
		t.Fatal("data stored in clear")
	}
	if err := c.Rename("/vault/secret.bin", "/secret.bin"); err == nil {
		t.Fatal("rename across storages succeeded")
	}
	if err := c.RemoveDirectory("/vault"); err == nil {
		t.Fatal("removed a mount point")
	}
	if f, _ := e.store.GetFolder(context.Background(), "vault"); f.UsedQuotaFiles != 1 || f.UsedQuotaSize != int64(len(data)) {
		t.Fatalf("folder usage %d/%d", f.UsedQuotaFiles, f.UsedQuotaSize)
	}
}

// TestDroppedUploadLeavesNothing cuts the connection in the middle of an
// atomic upload: neither the target nor a temp file may remain.
func TestDroppedUploadLeavesNothing(t *testing.T) {
	e := newEnv(t, envOpts{common: config.CommonConfig{UploadMode: 1}})
	u := e.addUser(t, "karl", userKey{}, nil)
	os.MkdirAll(u.HomeDir, 0o755)
	os.WriteFile(filepath.Join(u.HomeDir, "keep"), []byte("old"), 0o644)
	conn, err := e.dial(t, "karl", ssh.Password(testPassword))
	if err != nil {
		t.Fatal(err)
	}
	c, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.Create("/keep")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(randomBytes(t, 1<<20)); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for len(e.common.Connections()) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	entries, _ := os.ReadDir(u.HomeDir)
	if len(entries) != 1 || entries[0].Name() != "keep" {
		t.Fatalf("home after a dropped upload: %v", entries)
	}
	if b, _ := os.ReadFile(filepath.Join(u.HomeDir, "keep")); string(b) != "old" {
		t.Fatalf("target changed: %q", b)
	}
}

// TestResumeAfterDroppedUpload: with upload_mode 2 a dropped upload keeps
// its data at the final path and the client resumes from its size.
func TestResumeAfterDroppedUpload(t *testing.T) {
	e := newEnv(t, envOpts{common: config.CommonConfig{UploadMode: 2}})
	u := e.addUser(t, "lena", userKey{}, nil)
	data := randomBytes(t, 2<<20)
	conn, err := e.dial(t, "lena", ssh.Password(testPassword))
	if err != nil {
		t.Fatal(err)
	}
	c, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.Create("/part.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data[:1<<20]); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for len(e.common.Connections()) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	c2 := e.sftpClient(t, "lena", ssh.Password(testPassword))
	fi, err := c2.Stat("/part.bin")
	if err != nil || fi.Size() != 1<<20 {
		t.Fatalf("partial file: %v %v", fi, err)
	}
	f, err = c2.OpenFile("/part.bin", os.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(data[fi.Size():], fi.Size()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(u.HomeDir, "part.bin"))
	if sha(got) != sha(data) {
		t.Fatal("resumed file differs")
	}
	if entries, _ := os.ReadDir(u.HomeDir); len(entries) != 1 {
		t.Fatalf("leftovers: %v", entries)
	}
	if su, _ := e.store.GetUser(t.Context(), "lena"); su.UsedQuotaFiles != 1 || su.UsedQuotaSize != int64(len(data)) {
		t.Fatalf("usage %d/%d", su.UsedQuotaFiles, su.UsedQuotaSize)
	}
}
