package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
)

// ErrChanged: the object was replaced while it was being read. Stores map
// a failed ETag precondition to it.
var ErrChanged = errors.New("object changed while being read")

// readRetries is how many times a failed range is asked again.
const readRetries = 2

// reader streams an object from an offset. Large reads fetch
// DownloadConcurrency ranges of DownloadPartSize at once and hand them out
// in order; memory stays within DownloadConcurrency ranges. Small reads,
// or a concurrency of 1, use one streaming request.
type reader struct {
	f      *Fs
	name   string
	obj    Object
	ctx    context.Context
	cancel context.CancelFunc
	pos    int64 // next offset handed to the caller
	end    int64

	mu     sync.Mutex
	closed bool
	err    error // sticky

	// streaming mode
	body    io.ReadCloser
	retries int

	// parallel mode
	parallel bool
	queue    chan *chunk
	sem      chan struct{}
	wg       sync.WaitGroup
	cur      *chunk
	curOff   int
	bufs     chan []byte
}

type chunk struct {
	off  int64
	n    int64
	buf  []byte
	err  error
	done chan struct{}
}

func (f *Fs) newReader(ctx context.Context, name string, obj Object, off int64) *reader {
	rctx, cancel := context.WithCancel(ctx)
	r := &reader{f: f, name: name, obj: obj, ctx: rctx, cancel: cancel, pos: off, end: obj.Size}
	conc := f.opts.DownloadConcurrency
	if conc > 1 && obj.Size-off > f.opts.DownloadPartSize {
		r.parallel = true
		r.queue = make(chan *chunk, conc)
		r.sem = make(chan struct{}, conc)
		r.bufs = make(chan []byte, conc+1)
		r.wg.Add(1)
		go r.produce()
	}
	return r
}

// Read implements io.Reader.
func (r *reader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, pathErr("read", r.name, fs.ErrClosed)
	}
	if r.err != nil {
		return 0, r.err
	}
	if err := r.ctx.Err(); err != nil {
		r.err = pathErr("read", r.name, err)
		return 0, r.err
	}
	if r.pos >= r.end {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var err error
	if r.parallel {
		n, err = r.readChunk(p)
	} else {
		n, err = r.readStream(p)
	}
	if err != nil && err != io.EOF {
		r.err = wrap(r.ctx, "read", r.name, err)
		return n, r.err
	}
	return n, err
}

// readStream reads from a single request, reopening it at the current
// offset when the connection breaks.
func (r *reader) readStream(p []byte) (int, error) {
	for {
		if r.body == nil {
			body, err := r.f.store.Get(r.ctx, r.obj.Key, r.pos, r.end-r.pos, r.obj.ETag)
			if err != nil {
				return 0, err
			}
			r.body = body
		}
		n, err := r.body.Read(p[:min(int64(len(p)), r.end-r.pos)])
		r.pos += int64(n)
		if err == nil || (err == io.EOF && r.pos >= r.end) {
			if r.pos >= r.end {
				return n, io.EOF
			}
			return n, nil
		}
		r.body.Close()
		r.body = nil
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if r.ctx.Err() != nil || r.retries >= readRetries || errors.Is(err, ErrChanged) {
			return n, err
		}
		r.retries++
		if n > 0 {
			return n, nil
		}
	}
}

// produce schedules the ranges; a slot of sem is held from the start of
// a range's fetch until the caller has read all of it.
func (r *reader) produce() {
	defer r.wg.Done()
	defer close(r.queue)
	for off := r.pos; off < r.end; off += r.f.opts.DownloadPartSize {
		select {
		case r.sem <- struct{}{}:
		case <-r.ctx.Done():
			return
		}
		c := &chunk{off: off, n: min(r.f.opts.DownloadPartSize, r.end-off), done: make(chan struct{})}
		r.queue <- c // never blocks: the queue holds as many as sem allows
		r.wg.Add(1)
		go r.fetch(c)
	}
}

func (r *reader) getBuf(n int64) []byte {
	select {
	case b := <-r.bufs:
		if int64(cap(b)) >= n {
			return b[:n]
		}
	default:
	}
	return make([]byte, n)
}

func (r *reader) fetch(c *chunk) {
	defer r.wg.Done()
	defer close(c.done)
	buf := r.getBuf(c.n)
	for attempt := 0; ; attempt++ {
		ctx, cancel := r.ctx, context.CancelFunc(func() {})
		if t := r.f.opts.DownloadPartTimeout; t > 0 {
			ctx, cancel = context.WithTimeout(ctx, t)
		}
		rc, err := r.f.store.Get(ctx, r.obj.Key, c.off, c.n, r.obj.ETag)
		if err == nil {
			_, err = io.ReadFull(rc, buf)
			rc.Close()
		}
		cancel()
		if err == nil {
			c.buf = buf
			return
		}
		if r.ctx.Err() != nil || attempt >= readRetries || errors.Is(err, ErrChanged) || errors.Is(err, fs.ErrNotExist) {
			c.err = fmt.Errorf("range at %d: %w", c.off, err)
			return
		}
	}
}

func (r *reader) readChunk(p []byte) (int, error) {
	if r.cur == nil {
		var c *chunk
		var ok bool
		select {
		case c, ok = <-r.queue:
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		}
		if !ok {
			return 0, io.ErrUnexpectedEOF
		}
		select {
		case <-c.done:
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		}
		if c.err != nil {
			return 0, c.err
		}
		r.cur, r.curOff = c, 0
	}
	n := copy(p, r.cur.buf[r.curOff:])
	r.curOff += n
	r.pos += int64(n)
	if r.curOff == len(r.cur.buf) {
		select {
		case r.bufs <- r.cur.buf:
		default:
		}
		r.cur = nil
		<-r.sem
	}
	if r.pos >= r.end {
		return n, io.EOF
	}
	return n, nil
}

// Close implements io.Closer; it stops the fetches in flight.
func (r *reader) Close() error {
	r.cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
	r.wg.Wait()
	return nil
}
