package sftpfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/pkg/sftp"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// SFTP status codes (draft-ietf-secsh-filexfer-02 and later drafts).
const (
	fxNoSuchFile       = 2
	fxPermissionDenied = 3
	fxOpUnsupported    = 8
	fxFileExists       = 11
	fxNotEmpty         = 18
	fxNotADirectory    = 19
	fxFileIsADirectory = 24
)

// kindError keeps the server's message and adds the sentinel it stands
// for, so callers can test it with errors.Is.
type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string {
	if e.err == nil {
		return e.kind.Error()
	}
	return fmt.Sprintf("%v: %v", e.kind, e.err)
}

func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }

// mapErr turns a pkg/sftp error into one naming the Fs path (never the
// remote one) and wrapping the vfs sentinel it stands for.
func mapErr(op, name string, err error) error {
	if err == nil {
		return nil
	}
	// pkg/sftp wraps some errors in path errors holding remote paths.
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		err = le.Err
	}
	return &fs.PathError{Op: "sftpfs: " + op, Path: name, Err: classify(err)}
}

func classify(err error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrExist), errors.Is(err, fs.ErrPermission),
		errors.Is(err, fs.ErrInvalid), errors.Is(err, vfs.ErrNotSupported), errors.Is(err, vfs.ErrDirNotEmpty),
		errors.Is(err, vfs.ErrIsDir), errors.Is(err, vfs.ErrNotDir):
		return err
	}
	var se *sftp.StatusError
	if errors.As(err, &se) {
		switch se.FxCode() {
		case fxNoSuchFile:
			return &kindError{fs.ErrNotExist, err}
		case fxPermissionDenied:
			return &kindError{fs.ErrPermission, err}
		case fxOpUnsupported:
			return &kindError{vfs.ErrNotSupported, err}
		case fxFileExists:
			return &kindError{fs.ErrExist, err}
		case fxNotEmpty:
			return &kindError{vfs.ErrDirNotEmpty, err}
		case fxNotADirectory:
			return &kindError{vfs.ErrNotDir, err}
		case fxFileIsADirectory:
			return &kindError{vfs.ErrIsDir, err}
		}
	}
	return err
}
