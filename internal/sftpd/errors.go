package sftpd

import (
	"errors"
	"io"
	"io/fs"

	"github.com/pkg/sftp"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// statusError carries a safe message and the SFTP status code pkg/sftp
// sends for it.
type statusError struct {
	msg  string
	code error
}

func (e *statusError) Error() string { return e.msg }
func (e *statusError) Unwrap() error { return e.code }

// sftpError maps the kinds of common's errors onto SFTP status codes.
// Quota and disk-full errors are SSH_FX_FAILURE with their message
// (pkg/sftp speaks SFTP v3, which has no quota or no-space code).
func sftpError(err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return err
	}
	if errors.Is(err, vfs.ErrNoSpace) {
		// a full disk is named, whatever the backend's wording
		return &statusError{msg: "no space left on device", code: sftp.ErrSSHFxFailure}
	}
	code := sftp.ErrSSHFxFailure
	switch {
	case errors.Is(err, fs.ErrNotExist):
		code = sftp.ErrSSHFxNoSuchFile
	case errors.Is(err, fs.ErrPermission):
		code = sftp.ErrSSHFxPermissionDenied
	case errors.Is(err, vfs.ErrNotSupported):
		code = sftp.ErrSSHFxOpUnsupported
	}
	return &statusError{msg: err.Error(), code: code}
}
