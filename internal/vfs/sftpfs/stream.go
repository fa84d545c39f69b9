package sftpfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/pkg/sftp"
)

// reader streams a download: a goroutine copies the remote file into a
// pipe with File.WriteTo, which keeps several read requests in flight.
type reader struct {
	ctx  context.Context
	pr   *io.PipeReader
	file *sftp.File
	done chan struct{}
	stop func() bool
	once sync.Once
}

func newReader(ctx context.Context, f *Fs, s *session, name string, file *sftp.File) *reader {
	pr, pw := io.Pipe()
	r := &reader{ctx: ctx, pr: pr, file: file, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		_, err := file.WriteTo(pw)
		if err != nil && !errors.Is(err, io.ErrClosedPipe) {
			pw.CloseWithError(f.fail(s, "read", name, cutShort(err)))
			return
		}
		pw.Close()
	}()
	// A cancelled context unblocks the copy (its next pipe write fails).
	r.stop = context.AfterFunc(ctx, func() { pr.CloseWithError(ctx.Err()) })
	return r
}

func (r *reader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := r.pr.Read(p)
	if err != nil && err != io.EOF {
		if ctxErr := r.ctx.Err(); ctxErr != nil {
			return n, ctxErr
		}
	}
	return n, err
}

// Close stops the read-ahead and closes the remote handle.
func (r *reader) Close() error {
	r.once.Do(func() {
		r.stop()
		r.pr.Close()
		<-r.done
		r.file.Close()
	})
	return nil
}

// ErrIncomplete: a transfer was cut short (the connection went away).
// Stream errors never wrap io.EOF or io.ErrUnexpectedEOF, so no caller
// can take a cut transfer for the end of the file.
var ErrIncomplete = errors.New("sftpfs: transfer cut short")

func cutShort(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w (%v)", ErrIncomplete, err)
	}
	return err
}

// writer streams an upload: Write feeds a pipe that a goroutine drains
// with File.ReadFromWithConcurrency, keeping several write requests in
// flight while the caller produces the next bytes.
type writer struct {
	ctx  context.Context
	pw   *io.PipeWriter
	pr   *io.PipeReader
	done chan struct{}
	err  error // result of the copy and of closing the handle
	stop func() bool

	mu       sync.Mutex
	finished bool
}

// errCanceledWrite aborts the copy when the caller cancels.
var errCanceledWrite = errors.New("sftpfs: upload cancelled")

func newWriter(ctx context.Context, f *Fs, s *session, name string, file *sftp.File) *writer {
	pr, pw := io.Pipe()
	w := &writer{ctx: ctx, pw: pw, pr: pr, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		_, err := file.ReadFromWithConcurrency(pr, 0)
		cerr := file.Close()
		switch {
		case err != nil && (errors.Is(err, errCanceledWrite) || w.ctx.Err() != nil):
			w.err = err
		case err != nil:
			w.err = f.fail(s, "write", name, cutShort(err))
		case cerr != nil:
			w.err = f.fail(s, "close", name, cutShort(cerr))
		}
		// Unblock a Write waiting on a copy that stopped early.
		if w.err != nil {
			pr.CloseWithError(w.err)
		}
	}()
	w.stop = context.AfterFunc(ctx, func() {
		pw.CloseWithError(ctx.Err())
		pr.CloseWithError(ctx.Err())
	})
	return w
}

func (w *writer) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := w.pw.Write(p)
	if err != nil {
		if ctxErr := w.ctx.Err(); ctxErr != nil {
			return n, ctxErr
		}
	}
	return n, err
}

// Close commits: it waits for every write request to be acknowledged and
// closes the remote handle.
func (w *writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.finished {
		return w.err
	}
	w.finished = true
	w.pw.Close()
	<-w.done
	w.stop()
	if w.err == nil {
		if err := w.ctx.Err(); err != nil {
			return err
		}
	}
	return w.err
}

// Cancel stops the upload; what reached the server stays (a prefix of
// the data), like a local file.
func (w *writer) Cancel() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.finished {
		return nil
	}
	w.finished = true
	w.pw.CloseWithError(errCanceledWrite)
	<-w.done
	w.stop()
	return nil
}
