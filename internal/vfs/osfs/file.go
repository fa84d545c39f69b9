package osfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// reader streams a file and stops once its context is done.
type reader struct {
	ctx context.Context
	f   *os.File
}

func (r *reader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.f.Read(p)
}

func (r *reader) Close() error { return r.f.Close() }

// writer writes straight into the final file.
type writer struct {
	ctx context.Context
	f   *os.File

	mu     sync.Mutex
	closed bool
	err    error
}

func (w *writer) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	return w.f.Write(p)
}

// Close implements vfs.Writer; a second call returns the first result.
func (w *writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.err
	}
	w.closed = true
	w.err = w.f.Close()
	return w.err
}

// Cancel implements vfs.Writer: the bytes written so far stay on disk for
// the caller's upload mode (resume, or removal of an atomic temp file).
func (w *writer) Cancel() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	w.err = w.f.Close()
	return w.err
}

// lister pages through a directory with (*os.File).ReadDir.
type lister struct {
	ctx  context.Context
	name string
	f    *os.File
}

func (l *lister) Next(limit int) ([]fs.FileInfo, error) {
	if err := l.ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = defaultBatch
	}
	for {
		entries, err := l.f.ReadDir(limit)
		if err != nil && err != io.EOF {
			return nil, mapErr("readdir", l.name, err, false)
		}
		infos := make([]fs.FileInfo, 0, len(entries))
		for _, e := range entries {
			fi, ierr := e.Info()
			if ierr != nil {
				if errors.Is(ierr, fs.ErrNotExist) {
					continue // removed while we listed
				}
				return infos, mapErr("readdir", l.name, ierr, false)
			}
			infos = append(infos, fi)
		}
		// Do not hand out an empty batch without EOF just because every
		// entry of this one vanished.
		if len(infos) == 0 && len(entries) > 0 && err == nil {
			continue
		}
		return infos, err
	}
}

func (l *lister) Close() error { return l.f.Close() }

var _ vfs.DirLister = (*lister)(nil)
