package ftpfs_test

// ftpfs against our own FTP server (internal/ftpd), in process.

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/ftpd"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/connpool"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/ftpfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/remotetest"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

const ownPassword = "own-Pa55word"

// ownFTPD is our FTP server with one binding per TLS mode and one user.
type ownFTPD struct {
	addrs map[int]string // by ftpfs TLS mode
	home  string
	cfg   func(tlsMode int, prefix string) ftpfs.Config
}

func startOwnFTPD(t *testing.T) *ownFTPD {
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
	cs, err := common.New(config.CommonConfig{}, common.Deps{Store: store, KMS: km, Logger: logger, UsersBaseDir: filepath.Join(base, "users")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	certFile, keyFile, roots := remotetest.WriteCert(t, base)
	cfg := config.Default().FTPD
	cfg.PassivePortRange = config.PortRange{}
	cfg.CertificateFile, cfg.CertificateKeyFile = certFile, keyFile
	// Our binding TLS modes: 0 plain (AUTH TLS allowed), 1 explicit TLS
	// required, 2 implicit.
	modes := []int{ftpfs.TLSDisabled, ftpfs.TLSExplicit, ftpfs.TLSImplicit}
	cfg.Bindings = nil
	for _, m := range modes {
		b := config.Default().FTPD.Bindings[0]
		b.Address = "127.0.0.1"
		b.TLSMode = m
		cfg.Bindings = append(cfg.Bindings, b)
	}
	srv, err := ftpd.New(cfg, cs, store, base, logger)
	if err != nil {
		t.Fatal(err)
	}
	o := &ownFTPD{addrs: map[int]string{}, home: filepath.Join(base, "home")}
	for i, m := range modes {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Serve(i, l); err != nil {
			t.Fatal(err)
		}
		o.addrs[m] = l.Addr().String()
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	u := dataprovider.User{
		Username: "remote", Status: dataprovider.StatusEnabled, Password: ownPassword, HomeDir: o.home,
		Permissions: map[string][]string{"/": {dataprovider.PermAny}},
	}
	if err := store.AddUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	o.cfg = func(tlsMode int, prefix string) ftpfs.Config {
		return ftpfs.Config{Endpoint: o.addrs[tlsMode], Username: "remote", Password: ownPassword,
			TLSMode: tlsMode, RootCAs: roots, Prefix: prefix}
	}
	return o
}

func TestConformanceOwnServer(t *testing.T) {
	srv := startOwnFTPD(t)
	for _, mode := range []int{ftpfs.TLSDisabled, ftpfs.TLSExplicit, ftpfs.TLSImplicit} {
		t.Run([]string{"plain", "explicit TLS", "implicit TLS"}[mode], func(t *testing.T) {
			conns := connpool.NewShared(time.Minute)
			t.Cleanup(func() { conns.Close() })
			vfstest.Run(t, func(t *testing.T) vfs.Fs {
				cfg := srv.cfg(mode, "/"+remotetest.ShortName(t))
				cfg.Conns = conns
				fsys, err := ftpfs.New(t.Context(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				return fsys
			}, vfstest.Chtimes, vfstest.Append)
		})
	}
}
