package common

import (
	"context"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/cryptfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/httpfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/osfs"
)

func newLocalFs(root string) (vfs.Fs, error) {
	return osfs.New(root, osfs.Options{})
}

func newCryptFs(root, passphrase string) (vfs.Fs, error) {
	return cryptfs.New(root, passphrase, cryptfs.Options{})
}

// newOwnedLocalFs is newLocalFs whose new entries belong to uid/gid.
func newOwnedLocalFs(root string, uid, gid int) (vfs.Fs, error) {
	return osfs.New(root, osfs.Options{UID: uid, GID: gid})
}

// newHTTPFs builds HTTP storage (provider 6). Inside a Server (r not
// nil) every Fs with the same configuration shares one HTTP client, and
// TCP endpoints that are this server's own listeners are refused unless
// common.allow_self_connections is set.
func newHTTPFs(c dataprovider.HTTPConfig, kmsd Decrypter, r *remoteStorage) (vfs.Fs, error) {
	sec, err := decryptAll(kmsd, map[string]*kms.Secret{"password": c.Password, "API key": c.APIKey})
	if err != nil {
		return nil, err
	}
	cfg := httpfs.Config{
		Endpoint:      c.Endpoint,
		Username:      c.Username,
		Password:      sec["password"],
		APIKey:        sec["API key"],
		SkipTLSVerify: c.SkipTLSVerify,
	}
	r.apply(&cfg.Conns, &cfg.DialControl, &cfg.Logger)
	ctx, cancel := context.WithTimeout(context.Background(), remoteConnectTimeout)
	defer cancel()
	return httpfs.New(ctx, cfg)
}
