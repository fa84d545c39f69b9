package common

import (
	"context"
	"errors"
	"io/fs"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// Error is a user-facing error: a short message that never names a
// backend or local path, wrapping the sentinel protocols map with
// errors.Is (fs.ErrNotExist, fs.ErrPermission, vfs.ErrNotSupported, ...).
type Error struct {
	msg  string
	kind error
}

func (e *Error) Error() string { return e.msg }

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.kind }

// Sentinels of this package, besides the fs and vfs ones.
var (
	// ErrGeneric is the kind of an error that has no better mapping; its
	// detail is logged, not shown.
	ErrGeneric = errors.New("operation failed")
	// ErrCrossFs: a rename, link or symlink between different storages.
	ErrCrossFs = errors.New("operation across different storages is not supported")
	// ErrConnectionLimit: a connection or session limit was reached.
	ErrConnectionLimit = errors.New("too many connections")
	// ErrLoginDenied: the account may not log in (disabled, expired, filters).
	ErrLoginDenied = errors.New("login denied")
	// ErrTransferAborted: the transfer was aborted (connection closed).
	ErrTransferAborted = errors.New("transfer aborted")
)

func newErr(kind error, msg string) error { return &Error{msg: msg, kind: kind} }

var (
	errPermissionDenied = func() error { return newErr(fs.ErrPermission, "permission denied") }
	errNotExist         = func() error { return newErr(fs.ErrNotExist, "no such file or directory") }
	errNotSupported     = func() error { return newErr(vfs.ErrNotSupported, "operation not supported") }
	errQuota            = func() error { return newErr(vfs.ErrQuotaExceeded, "denying write due to space limit") }
)

// userError turns a backend error into one safe to show: backend errors
// (os.PathError and friends) carry local paths, so only the kind survives.
func userError(err error) error {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		return ce
	}
	switch {
	case errors.Is(err, vfs.ErrQuotaExceeded):
		return errQuota()
	case isNoSpace(err):
		return newErr(vfs.ErrNoSpace, "no space left on device")
	case errors.Is(err, fs.ErrNotExist):
		return errNotExist()
	case errors.Is(err, fs.ErrPermission):
		return errPermissionDenied()
	case errors.Is(err, fs.ErrExist):
		return newErr(fs.ErrExist, "file exists")
	case errors.Is(err, vfs.ErrNotSupported):
		return errNotSupported()
	case errors.Is(err, vfs.ErrDirNotEmpty):
		return newErr(vfs.ErrDirNotEmpty, "directory not empty")
	case errors.Is(err, vfs.ErrIsDir):
		return newErr(vfs.ErrIsDir, "is a directory")
	case errors.Is(err, vfs.ErrNotDir):
		return newErr(vfs.ErrNotDir, "not a directory")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return newErr(ErrTransferAborted, "operation canceled")
	}
	return newErr(ErrGeneric, "operation failed")
}
