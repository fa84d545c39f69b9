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

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
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

// newWriter streams an upload as the body of one create call: the
// service's answer is the commit, and a body cut before its end (Cancel)
// leaves nothing on a service that commits only complete uploads (as the
// reference service does).
func (f *Fs) newWriter(ctx context.Context, c, name string) (*vfs.PipeWriter, error) {
	req, err := f.request(ctx, http.MethodPost, "create", c, nil, nil)
	if err != nil {
		return nil, mapErr("create", name, err)
	}
	req.ContentLength = -1 // streamed: chunked transfer encoding
	req.Header.Set("Content-Type", "application/octet-stream")
	consume := func(body io.Reader) error {
		// The file changes when the service commits (or refuses) it.
		defer f.changed(ctx)
		req.Body = io.NopCloser(body)
		resp, err := f.do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return resp.Body.Close()
	}
	return vfs.NewPipeWriter(ctx, consume, func(err error) error { return mapErr("create", name, cutShort(err)) }), nil
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
