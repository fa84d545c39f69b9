package vfs

import (
	"context"
	"errors"
	"io"
	"sync"
)

// ErrUploadCanceled is what a PipeWriter's consumer reads after Cancel.
var ErrUploadCanceled = errors.New("vfs: upload cancelled")

// errConsumerDone fails a Write that comes after the consumer stopped
// reading without an error (a service that answered before the end of
// the body).
var errConsumerDone = errors.New("vfs: the storage stopped reading before the upload ended")

// PipeWriter streams an upload to a consumer running in its own
// goroutine, for backends whose upload is one call reading a stream (an
// HTTP request body, a remote file's ReadFrom): Write feeds a pipe the
// consumer reads; Close ends the stream and waits for the consumer's
// outcome, which is the commit; Cancel cuts the stream with
// ErrUploadCanceled. A cancelled context stops both sides.
type PipeWriter struct {
	ctx  context.Context
	pw   *io.PipeWriter
	done chan struct{}
	err  error // the consumer's outcome, set before done closes
	stop func() bool

	mu       sync.Mutex
	finished bool
}

// NewPipeWriter starts consume on the read side of a pipe. fail maps a
// consumer error into the backend's own (not called for a cancellation).
func NewPipeWriter(ctx context.Context, consume func(io.Reader) error, fail func(error) error) *PipeWriter {
	pr, pw := io.Pipe()
	w := &PipeWriter{ctx: ctx, pw: pw, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		err := consume(pr)
		switch {
		case err == nil:
		case errors.Is(err, ErrUploadCanceled):
			w.err = ErrUploadCanceled
		case ctx.Err() != nil:
			w.err = ctx.Err()
		default:
			w.err = fail(err)
		}
		// a Write still waiting on the pipe must not block
		if w.err != nil {
			pr.CloseWithError(w.err)
		} else {
			pr.CloseWithError(errConsumerDone)
		}
	}()
	w.stop = context.AfterFunc(ctx, func() {
		pw.CloseWithError(ctx.Err())
		pr.CloseWithError(ctx.Err())
	})
	return w
}

// Write implements io.Writer.
func (w *PipeWriter) Write(p []byte) (int, error) {
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

// Close ends the stream and waits for the consumer: nil means the whole
// upload was taken.
func (w *PipeWriter) Close() error {
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
		w.err = w.ctx.Err()
	}
	return w.err
}

// Cancel aborts the upload and waits for the consumer to stop; what a
// backend keeps of a cut stream is the backend's rule. Cancel after
// Close is a no-op.
func (w *PipeWriter) Cancel() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.finished {
		return nil
	}
	w.finished = true
	w.pw.CloseWithError(ErrUploadCanceled)
	<-w.done
	w.stop()
	return nil
}
