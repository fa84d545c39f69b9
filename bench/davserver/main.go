// Command davserver runs the WebDAV server alone (internal/webdavd over
// internal/common, local storage, an in-memory user store with one user)
// for bench/webdav.sh, so the benchmark measures the same code path as the
// full server without needing its REST API to create the user.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
	"github.com/sftpgo-ng/sftpgo/internal/webdavd"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	home := flag.String("home", "", "home directory of the user")
	user := flag.String("user", "bench", "username")
	password := flag.String("password", "bench", "password")
	configDir := flag.String("config-dir", "", "config dir (dead properties store)")
	uploadMode := flag.Int("upload-mode", 0, "common.upload_mode")
	flag.Parse()
	if err := run(*addr, *home, *user, *password, *configDir, *uploadMode); err != nil {
		fmt.Fprintln(os.Stderr, "davserver:", err)
		os.Exit(1)
	}
}

func run(addr, home, username, password, configDir string, uploadMode int) error {
	if home == "" || configDir == "" {
		return fmt.Errorf("-home and -config-dir are required")
	}
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	km, err := kms.NewManager(config.KMSConfig{}, configDir)
	if err != nil {
		return err
	}
	pcfg := config.Default().DataProvider
	pcfg.Driver, pcfg.Name = "memory", ""
	store, err := dataprovider.Open(ctx, dataprovider.Options{Config: pcfg, ConfigDir: configDir, KMS: km, Logger: logger})
	if err != nil {
		return err
	}
	defer store.Close()
	u := dataprovider.User{Username: username, Password: password, Status: dataprovider.StatusEnabled,
		HomeDir: home, Permissions: map[string][]string{"/": {dataprovider.PermAny}}}
	if err := store.AddUser(ctx, &u); err != nil {
		return err
	}
	ccfg := config.Default().Common
	ccfg.UploadMode = uploadMode
	ccfg.IdleTimeout = 0
	cs, err := common.New(ccfg, common.Deps{Store: store, KMS: km, Logger: logger, UsersBaseDir: filepath.Dir(home)})
	if err != nil {
		return err
	}
	defer cs.Close()
	cfg := config.Default().WebDAVD
	srv, err := webdavd.New(cfg, cs, store, configDir, logger)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if err := srv.Serve(l, cfg.Bindings[0]); err != nil {
		return err
	}
	fmt.Println(l.Addr().String())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
