package ftpfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/textproto"
	"strings"

	"github.com/jlaffaye/ftp"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// replyError is a server reply given the meaning it has in context (a
// 550 after which the entry was found missing is fs.ErrNotExist).
type replyError struct {
	kind error
	err  error
}

func (e *replyError) Error() string { return fmt.Sprintf("%v: %v", e.kind, e.err) }

func (e *replyError) Unwrap() []error { return []error{e.kind, e.err} }

// isCode reports whether err is exactly the server reply code.
func isCode(err error, code int) bool {
	te, ok := err.(*textproto.Error)
	return ok && te.Code == code
}

// inStep reports whether the control connection can carry another
// command after err: no error, a reply from a server that keeps the
// session, or a conclusion drawn from such replies. Network errors, and
// failed transfers (joined errors), leave it in an unknown state.
func inStep(err error) bool {
	switch e := err.(type) {
	case nil:
		return true
	case *textproto.Error:
		return e.Code != ftp.StatusNotAvailable
	case *replyError:
		return inStep(e.err)
	}
	for _, s := range []error{fs.ErrNotExist, fs.ErrExist, fs.ErrPermission, fs.ErrInvalid,
		vfs.ErrNotSupported, vfs.ErrDirNotEmpty, vfs.ErrIsDir, vfs.ErrNotDir} {
		if err == s {
			return true
		}
	}
	return false
}

// mapErr names the Fs path (never the remote one) and wraps the vfs
// sentinel the reply stands for.
func (f *Fs) mapErr(op, name string, err error) error {
	if err == nil {
		return nil
	}
	return &fs.PathError{Op: "ftpfs: " + op, Path: name, Err: f.classify(err)}
}

func (f *Fs) classify(err error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrExist), errors.Is(err, fs.ErrPermission),
		errors.Is(err, fs.ErrInvalid), errors.Is(err, vfs.ErrNotSupported), errors.Is(err, vfs.ErrDirNotEmpty),
		errors.Is(err, vfs.ErrIsDir), errors.Is(err, vfs.ErrNotDir), errors.Is(err, vfs.ErrQuotaExceeded):
		return f.scrub(err)
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		var kind error
		switch te.Code {
		case ftp.StatusExceededStorage, ftp.Status452:
			kind = vfs.ErrQuotaExceeded
		case ftp.StatusBadFileName, ftp.StatusNotLoggedIn:
			kind = fs.ErrPermission
		case ftp.StatusBadCommand, ftp.StatusNotImplemented, ftp.StatusNotImplementedParameter:
			kind = vfs.ErrNotSupported
		}
		if kind != nil {
			return &replyError{kind: kind, err: f.scrub(err)}
		}
	}
	return f.scrub(err)
}

// scrub removes the prefix from server messages (some servers quote the
// full path), so errors show Fs paths only.
func (f *Fs) scrub(err error) error {
	if f.prefix == "/" || !strings.Contains(err.Error(), f.prefix) {
		return err
	}
	return &scrubbed{msg: strings.ReplaceAll(err.Error(), f.prefix, ""), err: err}
}

type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }

func (e *scrubbed) Unwrap() error { return e.err }
