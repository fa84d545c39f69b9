package common

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"syscall"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// ErrStorageUnavailable: a user's home storage or a virtual folder's
// storage cannot be built (remote down or refusing the credentials, a
// secret that cannot be decrypted, a self-connection refused). It wraps
// ErrGeneric, so protocols without a mapping of their own treat it as a
// plain failure.
var ErrStorageUnavailable = fmt.Errorf("storage unavailable: %w", ErrGeneric)

// storageReason says in a few words, safe to show a client (no endpoint,
// path or secret), why a storage could not be built.
func storageReason(err error) string {
	var te *textproto.Error
	var errno syscall.Errno
	var ne net.Error
	switch {
	case errors.Is(err, ErrSelfConnection):
		return "the storage endpoint is this server's own listener (common.allow_self_connections is 0)"
	case errors.Is(err, kms.ErrDecrypt), strings.Contains(err.Error(), "kms: cannot decrypt"),
		strings.Contains(err.Error(), "needs a KMS"):
		return "a storage secret cannot be decrypted"
	case errors.As(err, &te) && te.Code == 530:
		return "the remote storage refused the login credentials"
	// x/crypto/ssh has no sentinel for a refused client login
	case strings.Contains(err.Error(), "ssh: unable to authenticate"):
		return "the remote storage refused the login credentials"
	case strings.Contains(err.Error(), "host key"):
		return "the remote storage host key does not match"
	case errors.As(err, &errno) && (errno == syscall.ECONNREFUSED || errno == syscall.EHOSTUNREACH || errno == syscall.ENETUNREACH):
		return "the remote storage is unreachable"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "the remote storage did not answer in time"
	}
	return "the storage cannot be initialized"
}

// storageError logs why the storage of a user's home (folder "") or of a
// virtual folder could not be built and returns the error to show.
func (s *Server) storageError(username, folder, vpath string, err error) error {
	reason := storageReason(err)
	s.log.Error("unable to build storage", "user", username, "folder", folder, "reason", reason, "error", err)
	if folder == "" {
		return newErr(ErrStorageUnavailable, "unable to use the home storage: "+reason)
	}
	return newErr(ErrStorageUnavailable, fmt.Sprintf("virtual folder %q is not available: %s", vpath, reason))
}

// checkHomeStorage builds the storage of user's home once, as a session
// would, and releases it: a home that cannot be built refuses the login
// instead of showing an empty directory. Remote backends keep their
// connection for the session that follows (they share it for a while
// after the last user goes). Virtual folders are not checked here: each
// fails its own operations (see BaseConnection.getFs).
func (s *Server) checkHomeStorage(user *dataprovider.User) error {
	_, release, err := s.openFs(user.FsConfig, user.HomeDir)
	if err != nil {
		return s.storageError(user.Username, "", "/", err)
	}
	if err := release(); err != nil {
		s.log.Debug("close storage after the login check", "user", user.Username, "error", err)
	}
	return nil
}

// openFs returns the storage of fsConfig and the function that gives it
// back. Object stores are shared (see sharedBackends); the rest is built
// for the caller, and giving it back closes it.
func (s *Server) openFs(fsConfig dataprovider.Filesystem, root string) (vfs.Fs, func() error, error) {
	if s.deps.NewFs == nil && isShared(fsConfig.Provider) {
		if key, ok := sharedKey(fsConfig); ok {
			return s.shared.acquire(key, func() (vfs.Fs, error) { return s.countRequests(s.newFs(fsConfig, root, s.deps.KMS)) })
		}
	}
	f, err := s.countRequests(s.newFs(fsConfig, root, s.deps.KMS))
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

// countRequests makes a remote backend count its storage requests in the
// metrics.
func (s *Server) countRequests(f vfs.Fs, err error) (vfs.Fs, error) {
	if err == nil && s.deps.Metrics != nil {
		vfs.CountRequests(f, s.deps.Metrics)
	}
	return f, err
}

// storageError is getFs's error for a storage that cannot be built: key
// is "" for the home, else the folder name.
func (c *BaseConnection) storageError(key string, err error) error {
	vpath := "/"
	for _, f := range c.User.VirtualFolders {
		if f.Name == key {
			vpath = dataprovider.CleanVirtualPath(f.VirtualPath)
			break
		}
	}
	return c.srv.storageError(c.User.Username, key, vpath, err)
}
