package common

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// Defaults for the reorder buffer of a streaming upload.
const (
	// DefaultReorderMemory is how much out-of-order data is kept in memory
	// before spilling to a temp file.
	DefaultReorderMemory = 8 << 20
	// DefaultReorderMaxPending caps memory plus spilled data; a client
	// that leaves a larger gap fails the upload.
	DefaultReorderMaxPending = 256 << 20
)

// ErrWriteGap is returned by ReorderWriter.Close when some offsets before
// data that was received never arrived.
var ErrWriteGap = errors.New("upload has a gap: data missing before the last write")

// ReorderWriter turns positioned writes that arrive out of order (SFTP
// clients keep many write requests in flight) into the ordered stream a
// vfs.Writer expects. Writes at the next expected offset go straight
// through; others wait in memory up to a limit, then in a temp file.
type ReorderWriter struct {
	mu         sync.Mutex
	w          io.Writer
	next       int64
	chunks     []pending // sorted by off
	memUsed    int64
	memLimit   int64
	maxPending int64
	spillDir   string
	spill      *os.File
	spillEnd   int64 // end of used space in the spill file
	spilled    int64 // pending bytes held in the spill file
	err        error
}

type pending struct {
	off      int64
	n        int64
	data     []byte // nil when spilled
	spillOff int64
}

// NewReorderWriter writes to w, expecting the first write at start.
// memLimit and maxPending of 0 take the defaults; spillDir "" is the
// system temp directory.
func NewReorderWriter(w io.Writer, start, memLimit, maxPending int64, spillDir string) *ReorderWriter {
	if memLimit <= 0 {
		memLimit = DefaultReorderMemory
	}
	if maxPending <= 0 {
		maxPending = DefaultReorderMaxPending
	}
	maxPending = max(maxPending, memLimit)
	return &ReorderWriter{w: w, next: start, memLimit: memLimit, maxPending: maxPending, spillDir: spillDir}
}

// Offset returns the offset up to which data was written to the stream.
func (r *ReorderWriter) Offset() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.next
}

// Pending returns how many bytes wait for a gap to fill.
func (r *ReorderWriter) Pending() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.memUsed + r.spilled
}

// WriteAt accepts data at off. Rewriting an offset already sent to the
// stream is not possible and fails with vfs.ErrNotSupported.
func (r *ReorderWriter) WriteAt(p []byte, off int64) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return 0, r.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	switch {
	case off < r.next:
		return 0, fmt.Errorf("write at offset %d already streamed (at %d): %w", off, r.next, vfs.ErrNotSupported)
	case off == r.next:
		if err := r.emit(p); err != nil {
			return 0, err
		}
		if err := r.drain(); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	n := int64(len(p))
	if r.memUsed+r.spilled+n > r.maxPending {
		r.err = fmt.Errorf("too much out-of-order data (more than %d bytes pending): %w", r.maxPending, vfs.ErrNotSupported)
		return 0, r.err
	}
	c := pending{off: off, n: n}
	if r.memUsed+n <= r.memLimit {
		c.data = append([]byte(nil), p...)
		r.memUsed += n
	} else {
		if err := r.toSpill(&c, p); err != nil {
			r.err = err
			return 0, err
		}
	}
	i := sort.Search(len(r.chunks), func(i int) bool { return r.chunks[i].off > off })
	r.chunks = append(r.chunks, pending{})
	copy(r.chunks[i+1:], r.chunks[i:])
	r.chunks[i] = c
	return len(p), nil
}

func (r *ReorderWriter) emit(p []byte) error {
	n, err := r.w.Write(p)
	r.next += int64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		r.err = err
	}
	return err
}

func (r *ReorderWriter) toSpill(c *pending, p []byte) error {
	if r.spill == nil {
		f, err := os.CreateTemp(r.spillDir, "sftpgo-reorder-*")
		if err != nil {
			return fmt.Errorf("reorder spill file: %w", err)
		}
		// the name is not needed: the data lives as long as the descriptor
		os.Remove(f.Name())
		r.spill = f
	}
	if _, err := r.spill.WriteAt(p, r.spillEnd); err != nil {
		return fmt.Errorf("reorder spill write: %w", err)
	}
	c.spillOff = r.spillEnd
	r.spillEnd += int64(len(p))
	r.spilled += int64(len(p))
	return nil
}

// drain writes every pending chunk that now continues the stream.
func (r *ReorderWriter) drain() error {
	for len(r.chunks) > 0 && r.chunks[0].off <= r.next {
		c := r.chunks[0]
		r.chunks = r.chunks[1:]
		data := c.data
		if data == nil {
			r.spilled -= c.n
			if end := c.off + c.n; end > r.next {
				data = make([]byte, c.n)
				if _, err := r.spill.ReadAt(data, c.spillOff); err != nil {
					r.err = fmt.Errorf("reorder spill read: %w", err)
					return r.err
				}
			}
			if r.spilled == 0 {
				r.spillEnd = 0 // nothing left in the file: reuse it from the start
			}
		} else {
			r.memUsed -= c.n
		}
		if end := c.off + c.n; end > r.next {
			if err := r.emit(data[r.next-c.off:]); err != nil {
				return err
			}
		}
	}
	if len(r.chunks) == 0 {
		r.chunks = nil
	}
	return nil
}

// Close releases the spill file. It fails with ErrWriteGap when data is
// still waiting for earlier offsets. It does not close the stream.
func (r *ReorderWriter) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.spill != nil {
		r.spill.Close()
		r.spill = nil
	}
	if r.err != nil {
		return r.err
	}
	if len(r.chunks) > 0 {
		r.err = fmt.Errorf("%w (stream at %d, next data at %d)", ErrWriteGap, r.next, r.chunks[0].off)
		r.chunks = nil
		r.memUsed, r.spilled = 0, 0
		return r.err
	}
	return nil
}
