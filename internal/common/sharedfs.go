package common

import (
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/connpool"
)

// cloudLinger keeps an object-store backend after its last session ends,
// so the next session (a WebDAV or HTTP request, a reconnecting client)
// reuses its client and its pooled TCP connections.
const cloudLinger = 2 * time.Minute

// sharedBackends holds the object-store backends (S3, GCS, Azure Blob):
// one per filesystem configuration, built once and shared by every
// session that uses that configuration, whichever user or protocol. The
// SDK clients are safe for concurrent use and costly to build (loading
// the AWS configuration alone reads files and the environment), and each
// owns a connection pool that only pays off when it lives on.
//
// A backend is closed when nobody has used it for cloudLinger. A changed
// configuration (another bucket, key, endpoint, a re-encrypted secret) is
// another key, so it gets a backend of its own at once; the old one goes
// when its last session does.
type sharedBackends struct{ reg *connpool.Shared }

func newSharedBackends(linger time.Duration) *sharedBackends {
	return &sharedBackends{reg: connpool.NewShared(linger)}
}

// isShared reports whether backends of this provider are shared.
func isShared(provider dataprovider.FilesystemProvider) bool {
	switch provider {
	case dataprovider.S3FilesystemProvider, dataprovider.GCSFilesystemProvider, dataprovider.AzureBlobFilesystemProvider:
		return true
	}
	return false
}

// sharedKey identifies a filesystem configuration. Secrets are in it as
// stored (encrypted), which is enough to tell configurations apart.
func sharedKey(fsConfig dataprovider.Filesystem) (string, bool) {
	b, err := json.Marshal(fsConfig)
	if err != nil {
		return "", false
	}
	return strconv.Itoa(int(fsConfig.Provider)) + ":" + string(b), true
}

// acquire returns the backend for key, building it with build when there
// is none; release gives it back. Concurrent callers for a key that is
// being built wait for that one build; nothing is built under a lock. A
// build that fails is not kept: the next caller tries again.
func (s *sharedBackends) acquire(key string, build func() (vfs.Fs, error)) (vfs.Fs, func() error, error) {
	v, release, err := s.reg.Acquire(key, func() (io.Closer, error) { return build() })
	if errors.Is(err, connpool.ErrClosed) {
		return nil, nil, newErr(ErrTransferAborted, "server is shutting down")
	}
	if err != nil {
		return nil, nil, err
	}
	return v.(vfs.Fs), func() error { release(); return nil }, nil
}

// close closes the idle backends and makes the busy ones close when
// released.
func (s *sharedBackends) close() { _ = s.reg.CloseIdle() }

// len is the number of backends kept (tests).
func (s *sharedBackends) len() int { return s.reg.Len() }
