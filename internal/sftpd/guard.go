package sftpd

import (
	"io"
	"os"
	"runtime/debug"
	"sync"

	"github.com/pkg/sftp"

	"github.com/sftpgo-ng/sftpgo/internal/common"
)

// requestHandler is everything serveSFTP hands to pkg/sftp.
type requestHandler interface {
	sftp.FileReader
	sftp.OpenFileWriter
	sftp.PosixRenameFileCmder
	sftp.StatVFSFileCmder
	sftp.LstatFileLister
	sftp.RealPathFileLister
	sftp.ReadlinkFileLister
}

// guard runs every request of one SFTP session behind a recover. pkg/sftp
// calls handlers, and the ReaderAt/WriterAt/ListerAt they return, on its
// own goroutines, where an unrecovered panic would end the whole process
// and every other user's session with it. A panic instead logs its stack,
// fails that request with SSH_FX_FAILURE and closes only this session.
type guard struct {
	h       requestHandler
	conn    *common.BaseConnection
	handles *handleLimit
}

// maxHandlesPerSession caps the files and directory listings one SFTP
// session may hold open at once, so a single client cannot exhaust the
// process's file descriptors.
const maxHandlesPerSession = 1024

// errTooManyHandles fails the open request over the cap.
var errTooManyHandles = &statusError{msg: "too many open handles", code: sftp.ErrSSHFxFailure}

// handleLimit counts the open handles of one SFTP session.
type handleLimit struct {
	mu   sync.Mutex
	open int
	max  int
}

// acquire takes a handle slot and returns its release function (safe to
// call more than once), or errTooManyHandles.
func (l *handleLimit) acquire() (func(), error) {
	if l == nil {
		return func() {}, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open >= l.max {
		return nil, errTooManyHandles
	}
	l.open++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			l.open--
			l.mu.Unlock()
		})
	}, nil
}

var _ requestHandler = (*guard)(nil)

// recovered is deferred by every guarded call; it turns a panic into err.
func (g *guard) recovered(err *error) {
	r := recover()
	if r == nil {
		return
	}
	g.conn.Logger().Error("panic while serving an SFTP request; closing the session",
		"panic", r, "stack", string(debug.Stack()))
	*err = sftp.ErrSSHFxFailure
	// Disconnect closes the SSH connection; not from this goroutine's
	// stack, which pkg/sftp may hold locks on.
	go g.conn.Disconnect()
}

func (g *guard) Fileread(r *sftp.Request) (_ io.ReaderAt, err error) {
	release, err := g.handles.acquire()
	if err != nil {
		return nil, err
	}
	defer releaseOnError(release, &err)
	defer g.recovered(&err)
	rd, err := g.h.Fileread(r)
	if err != nil {
		return nil, err
	}
	return &guardedFile{g: g, f: rd, release: release}, nil
}

func (g *guard) Filewrite(r *sftp.Request) (_ io.WriterAt, err error) {
	release, err := g.handles.acquire()
	if err != nil {
		return nil, err
	}
	defer releaseOnError(release, &err)
	defer g.recovered(&err)
	w, err := g.h.Filewrite(r)
	if err != nil {
		return nil, err
	}
	return &guardedFile{g: g, f: w, release: release}, nil
}

func (g *guard) OpenFile(r *sftp.Request) (_ sftp.WriterAtReaderAt, err error) {
	release, err := g.handles.acquire()
	if err != nil {
		return nil, err
	}
	defer releaseOnError(release, &err)
	defer g.recovered(&err)
	rw, err := g.h.OpenFile(r)
	if err != nil {
		return nil, err
	}
	return &guardedFile{g: g, f: rw, release: release}, nil
}

func (g *guard) Filecmd(r *sftp.Request) (err error) {
	defer g.recovered(&err)
	return g.h.Filecmd(r)
}

func (g *guard) PosixRename(r *sftp.Request) (err error) {
	defer g.recovered(&err)
	return g.h.PosixRename(r)
}

func (g *guard) StatVFS(r *sftp.Request) (_ *sftp.StatVFS, err error) {
	defer g.recovered(&err)
	return g.h.StatVFS(r)
}

func (g *guard) Filelist(r *sftp.Request) (_ sftp.ListerAt, err error) {
	if r.Method != "List" {
		// Stat and Readlink answer at once and keep no handle
		defer g.recovered(&err)
		return g.lister(g.h.Filelist(r))
	}
	release, err := g.handles.acquire()
	if err != nil {
		return nil, err
	}
	defer releaseOnError(release, &err)
	defer g.recovered(&err)
	l, err := g.lister(g.h.Filelist(r))
	if err != nil {
		return nil, err
	}
	l.(*guardedLister).release = release
	return l, nil
}

// releaseOnError gives the handle slot back when the open failed or
// panicked (deferred before recovered, so it runs after it and sees the
// error a panic became).
func releaseOnError(release func(), err *error) {
	if *err != nil {
		release()
	}
}

func (g *guard) Lstat(r *sftp.Request) (_ sftp.ListerAt, err error) {
	defer g.recovered(&err)
	return g.lister(g.h.Lstat(r))
}

func (g *guard) lister(l sftp.ListerAt, err error) (sftp.ListerAt, error) {
	if err != nil {
		return nil, err
	}
	return &guardedLister{g: g, l: l}, nil
}

func (g *guard) RealPath(p string) (_ string, err error) {
	defer g.recovered(&err)
	return g.h.RealPath(p)
}

func (g *guard) Readlink(p string) (_ string, err error) {
	defer g.recovered(&err)
	return g.h.Readlink(p)
}

// guardedFile recovers panics in an open file's methods. f is an
// io.ReaderAt, io.WriterAt or both, and may be an io.Closer and an
// sftp.TransferError.
type guardedFile struct {
	g       *guard
	f       any
	release func() // frees the session's handle slot; nil for none
}

func (f *guardedFile) ReadAt(p []byte, off int64) (n int, err error) {
	defer f.g.recovered(&err)
	r, ok := f.f.(io.ReaderAt)
	if !ok {
		return 0, sftp.ErrSSHFxOpUnsupported
	}
	return r.ReadAt(p, off)
}

func (f *guardedFile) WriteAt(p []byte, off int64) (n int, err error) {
	defer f.g.recovered(&err)
	w, ok := f.f.(io.WriterAt)
	if !ok {
		return 0, sftp.ErrSSHFxOpUnsupported
	}
	return w.WriteAt(p, off)
}

func (f *guardedFile) Close() (err error) {
	if f.release != nil {
		defer f.release()
	}
	defer f.g.recovered(&err)
	if c, ok := f.f.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

func (f *guardedFile) TransferError(e error) {
	var err error
	defer f.g.recovered(&err)
	if t, ok := f.f.(sftp.TransferError); ok {
		t.TransferError(e)
	}
}

// guardedLister recovers panics while paging a listing.
type guardedLister struct {
	g       *guard
	l       sftp.ListerAt
	release func() // frees the session's handle slot; nil for none
}

func (l *guardedLister) ListAt(ls []os.FileInfo, off int64) (n int, err error) {
	defer l.g.recovered(&err)
	return l.l.ListAt(ls, off)
}

func (l *guardedLister) Close() (err error) {
	if l.release != nil {
		defer l.release()
	}
	defer l.g.recovered(&err)
	if c, ok := l.l.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
