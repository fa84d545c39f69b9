package common

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"syscall"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/connpool"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/ftpfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/sftpfs"
)

const (
	// remoteLinger keeps a remote connection open after its last session
	// ends, so the next session (a WebDAV or HTTP request) reuses it.
	remoteLinger = time.Minute
	// remoteConnectTimeout bounds building a remote Fs (connect, TLS or
	// SSH handshake, login, prefix check).
	remoteConnectTimeout = 45 * time.Second
)

// remoteStorage is what remote SFTP and FTP backends share inside one
// Server: connections kept across the sessions of a user, and the list
// of this server's listeners that they must not point at.
type remoteStorage struct {
	conns     *connpool.Shared
	listeners *listenerSet
	allowSelf bool
	log       *slog.Logger
}

func newRemoteStorage(allowSelf bool, log *slog.Logger) *remoteStorage {
	return &remoteStorage{conns: connpool.NewShared(remoteLinger), listeners: newListenerSet(), allowSelf: allowSelf, log: log}
}

func (r *remoteStorage) close() error { return r.conns.Close() }

// newFs is the Server's FsFactory: remote backends get the shared
// connections and the self-connection guard, the rest is NewFs.
func (r *remoteStorage) newFs(fsConfig dataprovider.Filesystem, root string, kms Decrypter) (vfs.Fs, error) {
	switch fsConfig.Provider {
	case dataprovider.SFTPFilesystemProvider:
		return newSFTPFs(fsConfig.SFTPConfig, kms, r)
	case dataprovider.FTPFilesystemProvider:
		return newFTPFs(fsConfig.FTPConfig, kms, r)
	case dataprovider.HTTPFilesystemProvider:
		return newHTTPFs(fsConfig.HTTPConfig, kms, r)
	default:
		return NewFs(fsConfig, root, kms)
	}
}

// apply gives a remote backend the shared pieces; with r nil (NewFs
// called outside a Server) the Fs has connections of its own and no
// self-connection guard, since no listeners are known.
func (r *remoteStorage) apply(conns **connpool.Shared, control *func(string, string, syscall.RawConn) error, log **slog.Logger) {
	if r == nil {
		return
	}
	*conns = r.conns
	*log = r.log
	if !r.allowSelf {
		*control = r.listeners.dialControl
	}
}

func decryptAll(kmsd Decrypter, secrets map[string]*kms.Secret) (map[string]string, error) {
	out := make(map[string]string, len(secrets))
	for name, s := range secrets {
		if s.IsEmpty() {
			out[name] = ""
			continue
		}
		if kmsd == nil {
			return nil, fmt.Errorf("remote storage needs a KMS to decrypt its %s", name)
		}
		v, err := kmsd.Decrypt(s)
		if err != nil {
			return nil, fmt.Errorf("decrypt %s: %w", name, err)
		}
		out[name] = v
	}
	return out, nil
}

func newSFTPFs(c dataprovider.SFTPConfig, kmsd Decrypter, r *remoteStorage) (vfs.Fs, error) {
	sec, err := decryptAll(kmsd, map[string]*kms.Secret{
		"password": c.Password, "private key": c.PrivateKey, "key passphrase": c.KeyPassphrase,
	})
	if err != nil {
		return nil, err
	}
	cfg := sftpfs.Config{
		Endpoint:               c.Endpoint,
		Username:               c.Username,
		Password:               sec["password"],
		PrivateKey:             sec["private key"],
		KeyPassphrase:          sec["key passphrase"],
		Fingerprints:           c.Fingerprints,
		Prefix:                 c.Prefix,
		DisableConcurrentReads: c.DisableCouncurrentReads,
		BufferSize:             c.BufferSize,
	}
	r.apply(&cfg.Conns, &cfg.DialControl, &cfg.Logger)
	ctx, cancel := context.WithTimeout(context.Background(), remoteConnectTimeout)
	defer cancel()
	fsys, err := sftpfs.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return fsys, nil
}

func newFTPFs(c dataprovider.FTPConfig, kmsd Decrypter, r *remoteStorage) (vfs.Fs, error) {
	if c.Password.IsEmpty() {
		return nil, errors.New("remote FTP storage without a password")
	}
	sec, err := decryptAll(kmsd, map[string]*kms.Secret{"password": c.Password})
	if err != nil {
		return nil, err
	}
	cfg := ftpfs.Config{
		Endpoint:      c.Endpoint,
		Username:      c.Username,
		Password:      sec["password"],
		TLSMode:       c.TLSMode,
		SkipTLSVerify: c.SkipTLSVerify,
		Prefix:        c.Prefix,
	}
	r.apply(&cfg.Conns, &cfg.DialControl, &cfg.Logger)
	ctx, cancel := context.WithTimeout(context.Background(), remoteConnectTimeout)
	defer cancel()
	return ftpfs.New(ctx, cfg)
}
