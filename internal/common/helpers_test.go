package common

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/common/commontest"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// testFs builds a LocalFs for provider 0 and a streaming-only local
// backend for provider 4, so both write paths run against real files.
func testFs(fsConfig dataprovider.Filesystem, root string, _ Decrypter) (vfs.Fs, error) {
	l := commontest.NewLocalFs(root)
	if fsConfig.Provider == dataprovider.CryptedFilesystemProvider {
		return commontest.LocalStreamFs{Fs: l, Local: l}, nil
	}
	return l, nil
}

func newTestServer(t *testing.T, cfg config.CommonConfig) (*Server, *commontest.MemStore) {
	t.Helper()
	store := commontest.NewMemStore()
	var logger *slog.Logger
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := New(cfg, Deps{Store: store, Logger: logger, UsersBaseDir: t.TempDir(), NewFs: testFs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, store
}

func testUser(t *testing.T, name string) dataprovider.User {
	return dataprovider.User{
		Username:    name,
		Status:      dataprovider.StatusEnabled,
		HomeDir:     filepath.Join(t.TempDir(), name),
		Permissions: map[string][]string{"/": {dataprovider.PermAny}},
	}
}

func newTestConn(t *testing.T, s *Server, store *commontest.MemStore, u dataprovider.User) *BaseConnection {
	t.Helper()
	store.AddUser(u)
	if err := s.CheckLogin(&u, dataprovider.ProtocolSSH, dataprovider.LoginMethodPassword, "127.0.0.1:1234"); err != nil {
		t.Fatal(err)
	}
	c := s.NewConnection("c-"+u.Username+"-"+t.Name(), dataprovider.ProtocolSSH, "127.0.0.1:1234", "test", u, nil)
	if err := s.AddConnection(c); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func upload(t *testing.T, c *BaseConnection, vpath string, data []byte) error {
	t.Helper()
	tr, err := c.OpenForWrite(context.Background(), vpath, WriteOptions{Truncate: true, Size: -1})
	if err != nil {
		return err
	}
	if _, err := tr.WriteAt(data, 0); err != nil {
		tr.Close()
		return err
	}
	return tr.Close()
}

func download(t *testing.T, c *BaseConnection, vpath string) ([]byte, error) {
	t.Helper()
	tr, err := c.OpenForRead(context.Background(), vpath, 0)
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	var buf bytes.Buffer
	_, err = io.Copy(&buf, tr)
	return buf.Bytes(), err
}

func sum(b []byte) [32]byte { return sha256.Sum256(b) }

func newStoreOnly() *commontest.MemStore { return commontest.NewMemStore() }
