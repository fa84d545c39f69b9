package webdavd

import (
	"io"
	"net/http"
	"time"
)

// A transfer whose client stops sending or reading would hold its
// connection and transfer forever: the server has no overall read or
// write timeout, since large files take as long as they take. Instead each
// read of an upload body and each write of a download pushes a deadline
// forward by common.idle_timeout, so only a stalled transfer fails.

func (q *request) transferIdle() time.Duration {
	if q.s.transferIdle > 0 {
		return q.s.transferIdle
	}
	return time.Duration(q.s.common.Config().IdleTimeout) * time.Minute
}

type idleBody struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.rc.SetReadDeadline(time.Now().Add(b.idle))
	return b.r.Read(p)
}

// idleReader wraps a request body with the idle deadline.
func (q *request) idleReader(r io.Reader) io.Reader {
	idle := q.transferIdle()
	if idle <= 0 {
		return r
	}
	return &idleBody{r: r, rc: http.NewResponseController(q.w), idle: idle}
}

type idleResponse struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
	// sendfile: the connection is plain TCP, so net/http's ReadFrom
	// reaches the socket's (with TLS it would copy 32 KiB at a time)
	sendfile bool
}

func (w *idleResponse) Write(p []byte) (int, error) {
	w.pushDeadline()
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *idleResponse) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// idleWriter wraps the response writer with the idle deadline (if any)
// and big copy buffers.
func (q *request) idleWriter() http.ResponseWriter {
	return &idleResponse{ResponseWriter: q.w, rc: http.NewResponseController(q.w), idle: q.transferIdle(),
		sendfile: q.r.TLS == nil}
}

// ReadFrom copies with a large buffer: downloads come from the storage in
// big reads instead of io.Copy's 32 KiB. A download of a plain local file
// over a plain TCP connection (http.ServeContent copies it as a
// LimitedReader over our davFile) goes to the connection with sendfile:
// nothing needs to see the bytes unless a bandwidth limit or a data
// transfer allowance applies, which Transfer.SendTo checks.
func (w *idleResponse) ReadFrom(r io.Reader) (int64, error) {
	if lr, ok := r.(*io.LimitedReader); ok && w.sendfile {
		if f, ok := lr.R.(*davFile); ok && f.download != nil {
			if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
				n, handled, err := f.download.SendTo(rf, f.pos, lr.N, w.pushDeadline)
				if handled {
					f.pos += n
					lr.N -= n
					return n, err
				}
			}
		}
	}
	bufp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bufp)
	return io.CopyBuffer(writerOnly{w}, r, *bufp)
}

func (w *idleResponse) pushDeadline() {
	if w.idle > 0 {
		w.rc.SetWriteDeadline(time.Now().Add(w.idle))
	}
}
