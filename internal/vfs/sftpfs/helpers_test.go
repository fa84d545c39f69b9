package sftpfs_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
	"github.com/sftpgo-ng/sftpgo/internal/sftpd"
)

// sharedConfigDir keeps our server's generated host keys across tests.
var sharedConfigDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sftpfs-test-")
	if err != nil {
		panic(err)
	}
	sharedConfigDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// ownServer is our own SFTP server, in process, with one user.
type ownServer struct {
	addr     string
	user     string
	password string
	home     string
	common   *common.Server
	listener net.Listener
}

const ownPassword = "remote-Pa55"

func startOwnServer(t *testing.T) *ownServer {
	t.Helper()
	base := t.TempDir()
	logger := slog.New(slog.DiscardHandler)
	km, err := kms.NewManager(config.KMSConfig{}, base)
	if err != nil {
		t.Fatal(err)
	}
	pcfg := config.Default().DataProvider
	pcfg.Driver = "memory"
	pcfg.Name = ""
	pcfg.PasswordHashing.BcryptOptions.Cost = 4
	store, err := dataprovider.Open(context.Background(), dataprovider.Options{Config: pcfg, ConfigDir: base, KMS: km, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cs, err := common.New(config.CommonConfig{SymlinkMode: common.SymlinkModeLocal}, common.Deps{Store: store, KMS: km, Logger: logger, UsersBaseDir: filepath.Join(base, "users")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	srv, err := sftpd.New(config.SFTPDConfig{MaxAuthTries: 10, PasswordAuthentication: true, KeyboardInteractiveAuthentication: true},
		cs, store, sharedConfigDir, logger)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Serve(l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	home := filepath.Join(base, "home")
	u := dataprovider.User{
		Username:    "remote",
		Status:      dataprovider.StatusEnabled,
		Password:    ownPassword,
		HomeDir:     home,
		Permissions: map[string][]string{"/": {dataprovider.PermAny}},
	}
	if err := store.AddUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	return &ownServer{addr: l.Addr().String(), user: "remote", password: ownPassword, home: home, common: cs, listener: l}
}
