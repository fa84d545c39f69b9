package objstore

import (
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"path"
	"sync"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// abortTimeout bounds the clean-up of a failed or cancelled upload, which
// runs after the caller's context may already be done.
const abortTimeout = time.Minute

// ErrTooLarge: the upload would need more parts than the store allows.
var ErrTooLarge = errors.New("file too large for the object store's part limit")

const (
	wOpen = iota
	wClosed
	wCanceled
)

// writer streams a file into the store. Up to UploadConcurrency parts are
// in flight while the next one fills, so memory stays within
// (UploadConcurrency+1) parts whatever the file size. A file that fits in
// one part is stored with a single request.
type writer struct {
	f      *Fs
	name   string
	key    string
	parent context.Context
	ctx    context.Context
	cancel context.CancelFunc
	mtime  time.Time
	base   int64 // size of the first part
	sum    hash.Hash

	op    sync.Mutex // serialises Write, Close and Cancel
	state int
	buf   []byte
	parts int
	up    Upload
	sem   chan struct{}
	wg    sync.WaitGroup

	mu   sync.Mutex // guards err and free
	err  error
	free [][]byte

	size int64 // bytes accepted by Write
	done bool  // Close published the object
}

var _ vfs.CommittedWriter = (*writer)(nil)

// Committed implements vfs.CommittedWriter.
func (w *writer) Committed() (fs.FileInfo, bool) {
	w.op.Lock()
	defer w.op.Unlock()
	if !w.done {
		return nil, false
	}
	return fileInfo(path.Base(w.name), Object{Key: w.key, Size: w.size, ModTime: w.mtime}), true
}

func (f *Fs) newWriter(ctx context.Context, name, key string, size int64) *writer {
	wctx, cancel := context.WithCancel(ctx)
	base := f.opts.UploadPartSize
	if size > 0 {
		// Parts large enough for the announced size to fit the limit.
		need := (size + int64(f.feat.MaxParts) - 1) / int64(f.feat.MaxParts)
		need = (need + 1<<20 - 1) &^ (1<<20 - 1)
		base = max(base, need)
		if f.feat.MaxPartSize > 0 {
			base = min(base, f.feat.MaxPartSize)
		}
	}
	w := &writer{
		f: f, name: name, key: key, parent: ctx, ctx: wctx, cancel: cancel,
		mtime: time.Now().Round(0), base: base,
		sem: make(chan struct{}, f.opts.UploadConcurrency),
	}
	if f.feat.ContentMD5 {
		w.sum = md5.New()
	}
	return w
}

// partSize grows with the part number when the size was not announced, so
// a stream of any length fits the store's part limit: the first tenth of
// the parts have the base size, the next tenth twice it, and so on.
func (w *writer) partSize(n int) int64 {
	s := w.base
	if step := w.f.feat.MaxParts / 10; step > 0 {
		s *= int64(1 + (n-1)/step)
	}
	if m := w.f.feat.MaxPartSize; m > 0 && s > m {
		s = m
	}
	return s
}

func (w *writer) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *writer) fail(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
	w.cancel() // stop the other parts
}

func (w *writer) getBuf(size int64) []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, b := range w.free {
		if int64(cap(b)) >= size {
			w.free = append(w.free[:i], w.free[i+1:]...)
			return b[:0:size]
		}
	}
	return make([]byte, 0, size)
}

func (w *writer) putBuf(b []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.free) < cap(w.sem)+1 {
		w.free = append(w.free, b[:0])
	}
}

// Write implements vfs.Writer.
func (w *writer) Write(p []byte) (int, error) {
	w.op.Lock()
	defer w.op.Unlock()
	if w.state != wOpen {
		return 0, pathErr("write", w.name, fs.ErrClosed)
	}
	if err := w.ctx.Err(); err != nil {
		return 0, w.writeErr()
	}
	if err := w.failed(); err != nil {
		return 0, pathErr("write", w.name, err)
	}
	written := 0
	for len(p) > 0 {
		if w.buf != nil && len(w.buf) == cap(w.buf) {
			// Full, and more is coming: send it.
			if err := w.flush(); err != nil {
				return written, err
			}
		}
		if w.buf == nil {
			w.buf = w.getBuf(w.partSize(w.parts + 1))
		}
		n := min(len(p), cap(w.buf)-len(w.buf))
		w.buf = append(w.buf, p[:n]...)
		p = p[n:]
		written += n
	}
	w.size += int64(written)
	return written, nil
}

// writeErr reports why the writer stopped: the caller's context, or the
// first failed part.
func (w *writer) writeErr() error {
	if err := w.parent.Err(); err != nil {
		return pathErr("write", w.name, err)
	}
	if err := w.failed(); err != nil {
		return pathErr("write", w.name, err)
	}
	return pathErr("write", w.name, w.ctx.Err())
}

// flush hands the current buffer to an upload worker, starting the
// multipart upload on the first part. It blocks while all workers are
// busy, which is what bounds memory.
func (w *writer) flush() error {
	if w.up == nil {
		up, err := w.f.store.NewUpload(w.ctx, w.key, w.mtime)
		if err != nil {
			w.fail(err)
			return w.writeErr()
		}
		w.up = up
	}
	if w.parts >= w.f.feat.MaxParts {
		w.fail(ErrTooLarge)
		return w.writeErr()
	}
	select {
	case w.sem <- struct{}{}:
	case <-w.ctx.Done():
		return w.writeErr()
	}
	w.parts++
	n, data, up := w.parts, w.buf, w.up
	w.buf = nil
	if w.sum != nil {
		w.sum.Write(data)
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		ctx, cancel := w.ctx, context.CancelFunc(func() {})
		if t := w.f.opts.UploadPartTimeout; t > 0 {
			ctx, cancel = context.WithTimeout(ctx, t)
		}
		err := up.Part(ctx, n, data)
		cancel()
		if err != nil {
			w.fail(fmt.Errorf("upload part %d: %w", n, err))
		}
		w.putBuf(data)
		<-w.sem
	}()
	return nil
}

// Close implements vfs.Writer: it sends what is left and publishes the
// object. On failure the upload is aborted and nothing is published.
func (w *writer) Close() error {
	w.op.Lock()
	defer w.op.Unlock()
	switch w.state {
	case wClosed:
		return nil
	case wCanceled:
		return pathErr("close", w.name, fs.ErrClosed)
	}
	w.state = wClosed
	defer w.cancel()
	defer func() {
		w.f.changed(w.parent)
		if w.done {
			// what this request knows now: the object it just wrote
			w.f.remember(w.parent, w.key, Object{Key: w.key, Size: w.size, ModTime: w.mtime})
		}
	}()
	if err := w.ctx.Err(); err != nil {
		err = w.writeErr()
		w.abort()
		return err
	}
	if w.up == nil {
		// Small file: one request.
		data := w.buf
		if err := w.f.store.Put(w.ctx, w.key, data, w.mtime); err != nil {
			return wrap(w.parent, "close", w.name, err)
		}
		w.done = true
		return nil
	}
	if len(w.buf) > 0 {
		if err := w.flush(); err != nil {
			w.abort()
			return err
		}
	}
	w.wg.Wait()
	if err := w.failed(); err != nil {
		w.abort()
		return wrap(w.parent, "close", w.name, err)
	}
	var sum []byte
	if w.sum != nil {
		sum = w.sum.Sum(nil)
	}
	if err := w.up.Complete(w.ctx, w.parts, sum); err != nil {
		w.abort()
		return wrap(w.parent, "close", w.name, fmt.Errorf("complete upload: %w", err))
	}
	w.done = true
	return nil
}

// abort stops the workers and discards the parts sent so far.
func (w *writer) abort() {
	w.cancel()
	w.wg.Wait()
	w.buf = nil
	if w.up == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.parent), abortTimeout)
	defer cancel()
	_ = w.up.Abort(ctx) // best effort: a store that is down keeps the parts until its own clean-up
	w.up = nil
}

// Cancel implements vfs.Writer: the upload is aborted, nothing appears.
func (w *writer) Cancel() error {
	w.cancel() // unblocks a Write waiting for a worker
	w.op.Lock()
	defer w.op.Unlock()
	if w.state != wOpen {
		return nil
	}
	w.state = wCanceled
	w.abort()
	return nil
}
