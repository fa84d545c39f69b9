package osfs

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// kindError keeps the system error and adds the vfs sentinel it means, so
// errors.Is works for both syscall.ENOTEMPTY and vfs.ErrDirNotEmpty.
type kindError struct {
	err  error
	kind error
}

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.err, e.kind} }

// os.Root reports an escape with an unexported errors.New value; match its
// text so the escape can be reported as a permission error.
const pathEscapesMsg = "path escapes from parent"

// mapErr turns an error from os.Root into a *fs.PathError naming the vfs
// path (never the host path) whose chain holds the matching vfs or io/fs
// sentinel. notEmptyOnExist is set for remove and rename, where EEXIST is
// how some systems say "directory not empty".
func mapErr(op, name string, err error, notEmptyOnExist bool) error {
	if err == nil {
		return nil
	}
	inner := err
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		inner = pe.Err
	case errors.As(err, &le):
		inner = le.Err
	}
	var kind error
	var errno syscall.Errno
	switch {
	case inner.Error() == pathEscapesMsg:
		kind = fs.ErrPermission
	case errors.As(inner, &errno):
		switch errno {
		case syscall.ENOTEMPTY:
			kind = vfs.ErrDirNotEmpty
		case syscall.EEXIST:
			if notEmptyOnExist {
				kind = vfs.ErrDirNotEmpty
			}
		case syscall.ENOSPC, syscall.EDQUOT:
			kind = vfs.ErrNoSpace
		case syscall.EISDIR:
			kind = vfs.ErrIsDir
		case syscall.ENOTDIR:
			kind = vfs.ErrNotDir
		case syscall.ELOOP:
			// Too many links, or a final symlink refused by O_NOFOLLOW.
			kind = fs.ErrPermission
		}
	}
	if kind != nil {
		inner = &kindError{err: inner, kind: kind}
	}
	return &fs.PathError{Op: op, Path: name, Err: inner}
}

func pathErr(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: name, Err: err}
}
