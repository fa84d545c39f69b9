package httpfs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
)

// ErrIncomplete: a transfer was cut short (the connection or the service
// went away). Stream errors never wrap io.EOF or io.ErrUnexpectedEOF, so
// no caller can take a cut transfer for the end of the file.
var ErrIncomplete = errors.New("httpfs: transfer cut short")

func cutShort(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w (%v)", ErrIncomplete, err)
	}
	return err
}

// reader is the body of an open call.
type reader struct {
	ctx  context.Context
	body io.ReadCloser
	name string
	once sync.Once
}

func (r *reader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := r.body.Read(p)
	if err != nil && err != io.EOF {
		if ctxErr := r.ctx.Err(); ctxErr != nil {
			return n, ctxErr
		}
		return n, mapErr("read", r.name, cutShort(err))
	}
	return n, err
}

// Close ends the download; closing a body before its end drops the
// connection, which is what stops the service from sending the rest.
func (r *reader) Close() error {
	r.once.Do(func() { r.body.Close() })
	return nil
}

// errCanceledWrite aborts the request body when the caller cancels.
var errCanceledWrite = errors.New("httpfs: upload cancelled")

// writer streams an upload as the body of one create call: Write feeds
// a pipe that the HTTP transport reads from, and Close waits for the
// service's answer, which is the commit.
type writer struct {
	ctx  context.Context
	name string
	pw   *io.PipeWriter
	done chan struct{}
	err  error // the outcome of the call, set before done closes
	stop func() bool

	mu       sync.Mutex
	finished bool
}

func (f *Fs) newWriter(ctx context.Context, c, name string) (*writer, error) {
	pr, pw := io.Pipe()
	req, err := f.request(ctx, http.MethodPost, "create", c, nil, pr)
	if err != nil {
		return nil, mapErr("create", name, err)
	}
	req.ContentLength = -1 // streamed: chunked transfer encoding
	req.Header.Set("Content-Type", "application/octet-stream")
	w := &writer{ctx: ctx, name: name, pw: pw, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		// The file changes when the service commits (or refuses) it.
		defer f.changed(ctx)
		resp, err := f.do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		switch {
		case err == nil:
		case errors.Is(err, errCanceledWrite):
			w.err = errCanceledWrite
		case ctx.Err() != nil:
			w.err = ctx.Err()
		default:
			w.err = mapErr("create", name, cutShort(err))
		}
		// The service answered (or the call failed): a Write still
		// waiting on the pipe must not block.
		if w.err != nil {
			pr.CloseWithError(w.err)
		} else {
			pr.CloseWithError(errAnsweredEarly)
		}
	}()
	w.stop = context.AfterFunc(ctx, func() { pw.CloseWithError(ctx.Err()) })
	return w, nil
}

// errAnsweredEarly fails a Write after the service has already answered
// the upload (a service that replies before reading the whole body).
var errAnsweredEarly = errors.New("httpfs: the storage service answered before the upload ended")

func (w *writer) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := w.pw.Write(p)
	if err != nil {
		if ctxErr := w.ctx.Err(); ctxErr != nil {
			return n, ctxErr
		}
		if errors.Is(err, io.ErrClosedPipe) {
			return n, mapErr("write", w.name, err)
		}
		return n, err
	}
	return n, nil
}

// Close ends the body and waits for the service's answer: a nil error
// means the service acknowledged the whole file.
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
			w.err = err
		}
	}
	return w.err
}

// Cancel aborts the call: the body is cut before its end, so a service
// that commits only complete uploads (as the reference service does)
// keeps nothing. Cancel after Close is a no-op.
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

// lister decodes the JSON array of a readdir reply as batches are asked for.
type lister struct {
	ctx  context.Context
	body io.ReadCloser
	dec  *json.Decoder
	name string
	done bool
	err  error
}

func newLister(ctx context.Context, body io.ReadCloser, name string) (*lister, error) {
	l := &lister{ctx: ctx, body: body, dec: json.NewDecoder(body), name: name}
	tok, err := l.dec.Token()
	if err != nil {
		body.Close()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, mapErr("readdir", name, ctxErr)
		}
		return nil, mapErr("readdir", name, fmt.Errorf("decode the reply: %w", cutShort(err)))
	}
	switch tok {
	case json.Delim('['):
	case nil: // "null": an empty directory
		l.done = true
	default:
		body.Close()
		return nil, mapErr("readdir", name, fmt.Errorf("the reply is not a JSON array"))
	}
	return l, nil
}

// Next implements vfs.DirLister.
func (l *lister) Next(limit int) ([]fs.FileInfo, error) {
	if l.err != nil {
		return nil, l.err
	}
	if l.done {
		return nil, io.EOF
	}
	if limit <= 0 {
		limit = 1000
	}
	var batch []fs.FileInfo
	for len(batch) < limit {
		if err := l.ctx.Err(); err != nil {
			l.err = mapErr("readdir", l.name, err)
			return batch, l.err
		}
		if !l.dec.More() {
			if _, err := l.dec.Token(); err != nil { // the closing ']'
				l.err = mapErr("readdir", l.name, fmt.Errorf("decode the reply: %w", cutShort(err)))
				return batch, l.err
			}
			l.done = true
			l.body.Close()
			return batch, io.EOF
		}
		var w wireInfo
		if err := l.dec.Decode(&w); err != nil {
			if ctxErr := l.ctx.Err(); ctxErr != nil {
				err = ctxErr
			} else {
				err = fmt.Errorf("decode the reply: %w", cutShort(err))
			}
			l.err = mapErr("readdir", l.name, err)
			return batch, l.err
		}
		// A base name is expected; keep the last element of anything else.
		w.Name = path.Base(strings.TrimRight(w.Name, "/"))
		if w.Name == "" || w.Name == "." || w.Name == ".." || w.Name == "/" {
			continue
		}
		batch = append(batch, w.info(w.Name))
	}
	return batch, nil
}

// Close implements vfs.DirLister.
func (l *lister) Close() error {
	l.done = true
	return l.body.Close()
}
