package ftpfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/jlaffaye/ftp"
)

// reader is a download on a lent connection. The end of the data
// connection counts as the end of the file only once the server has
// confirmed the transfer (226), so a server that dies mid-transfer gives
// an error, not a short file.
type reader struct {
	ctx  context.Context
	f    *Fs
	c    *conn
	resp *ftp.Response
	stop func() bool
	name string

	mu       sync.Mutex
	released bool
	err      error // sticky result once released
}

func (r *reader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.released {
		if r.err == nil {
			return 0, io.EOF
		}
		return 0, r.err
	}
	if err := r.ctx.Err(); err != nil {
		r.release(false, err)
		return 0, err
	}
	n, err := r.resp.Read(p)
	switch {
	case err == nil:
		return n, nil
	case err == io.EOF:
		// jlaffaye reads the transfer's final reply on Close.
		if cerr := r.resp.Close(); cerr != nil {
			r.release(false, r.f.mapErr("read", r.name, fmt.Errorf("%w: not confirmed by the server (%v)", ErrIncomplete, cerr)))
			return n, r.err
		}
		r.release(true, nil)
		return n, io.EOF
	default:
		if ctxErr := r.ctx.Err(); ctxErr != nil {
			err = ctxErr
		} else {
			err = r.f.mapErr("read", r.name, cutShort(err))
		}
		r.release(false, err)
		return n, err
	}
}

// release gives the connection back: reusable only after a confirmed,
// complete transfer.
func (r *reader) release(complete bool, err error) {
	r.released, r.err = true, err
	aborted := !r.stop()
	if !complete || aborted {
		// Do not wait for the reply to an interrupted transfer: the
		// connection is dropped anyway.
		r.c.abort()
		r.resp.Close()
	}
	r.f.pool.put(r.c, nil)
}

// Close ends the download; closing early drops the connection.
func (r *reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.released {
		r.release(false, errors.New("ftpfs: download closed"))
	}
	return nil
}

// ErrIncomplete: a transfer was cut short (the server or the connection
// went away). Stream errors never wrap io.EOF or io.ErrUnexpectedEOF,
// so no caller can take a cut transfer for the end of the file.
var ErrIncomplete = errors.New("ftpfs: transfer cut short")

func cutShort(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w (%v)", ErrIncomplete, err)
	}
	return err
}

// errCanceledUpload ends the data stream of a cancelled upload.
var errCanceledUpload = errors.New("ftpfs: upload cancelled")

// writer is an upload on a lent connection: Write feeds a pipe that the
// STOR (or APPE) command drains.
type writer struct {
	ctx  context.Context
	f    *Fs
	c    *conn
	name string
	pw   *io.PipeWriter
	done chan struct{}
	err  error // result of the transfer
	stop func() bool

	mu       sync.Mutex
	finished bool
}

func newWriter(ctx context.Context, f *Fs, c *conn, name, remote string, appendTo bool) *writer {
	pr, pw := io.Pipe()
	w := &writer{ctx: ctx, f: f, c: c, name: name, pw: pw, done: make(chan struct{})}
	w.stop = context.AfterFunc(ctx, func() {
		c.abort()
		pr.CloseWithError(ctx.Err())
	})
	go func() {
		defer close(w.done)
		var err error
		if appendTo {
			err = c.sc.Append(remote, pr)
		} else {
			err = c.sc.Stor(remote, pr)
		}
		w.err = err
		// Writes waiting on a transfer that ended early fail with its error.
		if err != nil {
			pr.CloseWithError(f.mapErr("write", name, cutShort(err)))
		} else {
			pr.CloseWithError(errors.New("ftpfs: upload already finished"))
		}
	}()
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

// Close commits: it ends the data stream and waits for the server to
// confirm the file.
func (w *writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.finished {
		return w.result()
	}
	w.finished = true
	w.pw.Close()
	<-w.done
	if !w.stop() {
		w.c.abort()
	}
	w.f.pool.put(w.c, w.err)
	return w.result()
}

func (w *writer) result() error {
	if w.err == nil {
		return nil
	}
	if ctxErr := w.ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	return w.f.mapErr("close", w.name, cutShort(w.err))
}

// Cancel abandons the upload without waiting for the server; what it
// received stays, as with a local file. Cancel after Close is a no-op.
func (w *writer) Cancel() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.finished {
		return nil
	}
	w.finished = true
	w.c.abort()
	w.pw.CloseWithError(errCanceledUpload)
	<-w.done
	w.stop()
	w.f.pool.put(w.c, w.err)
	return nil
}
