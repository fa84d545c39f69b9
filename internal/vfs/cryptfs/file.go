package cryptfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sync"

	"github.com/minio/sio"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// cipherFile is an open encrypted file with a verified key. It is the
// vfs.ReaderAtCloser of OpenReaderAt and the source of Open's stream.
type cipherFile struct {
	f         vfs.RandomAccessFile
	name      string
	layout    layout
	hdrLen    int64
	suites    []byte // accepted DARE cipher suites, nil: sio's defaults
	key       []byte
	size      int64 // plaintext
	cipherLen int64 // DARE stream length, header excluded
}

// verify authenticates the package holding plaintext offset off, proving
// the key right (or the file damaged) before any data is handed out.
func (c *cipherFile) verify(off int64) error {
	seq := off / payloadSize
	start := seq * packageSize
	src := io.NewSectionReader(c.f, c.hdrLen+start, min(packageSize, c.cipherLen-start))
	r, err := sio.DecryptReader(src, sioConfig(c.key, uint32(seq), c.suites))
	if err == nil {
		// sio authenticates a whole package before it returns any byte of it.
		_, err = io.ReadFull(r, make([]byte, 1))
	}
	var se sio.Error
	if errors.As(err, &se) || err == io.ErrUnexpectedEOF || err == io.EOF {
		return &errAuth{detail: err}
	}
	return err
}

// readerFrom returns a plaintext stream from offset: it starts decrypting
// at the package holding offset (DARE authenticates each package with its
// sequence number, so packages can be opened in isolation) and discards
// the part of that package before offset.
func (c *cipherFile) readerFrom(offset int64) (io.Reader, error) {
	if offset >= c.size {
		return bytes.NewReader(nil), nil
	}
	seq := offset / payloadSize
	start := seq * packageSize
	src := io.NewSectionReader(c.f, c.hdrLen+start, c.cipherLen-start)
	r, err := sio.DecryptReader(src, sioConfig(c.key, uint32(seq), c.suites))
	if err != nil {
		return nil, err
	}
	if skip := offset - seq*payloadSize; skip > 0 {
		if _, err := io.CopyN(io.Discard, r, skip); err != nil {
			return nil, c.wrap(err)
		}
	}
	return r, nil
}

// wrap marks decryption failures with ErrCorrupt.
func (c *cipherFile) wrap(err error) error {
	var se sio.Error
	if errors.As(err, &se) {
		return &fs.PathError{Op: "read", Path: c.name, Err: fmt.Errorf("%w: %v", ErrCorrupt, se)}
	}
	return err
}

// ReadAt implements io.ReaderAt; it is safe for concurrent calls.
func (c *cipherFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: c.name, Err: fs.ErrInvalid}
	}
	if off >= c.size {
		return 0, io.EOF
	}
	want := int(min(int64(len(p)), c.size-off))
	r, err := c.readerFrom(off)
	if err != nil {
		return 0, err
	}
	n, err := io.ReadFull(r, p[:want])
	if err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			// The stream ended before its stated size: cut short.
			return n, &fs.PathError{Op: "read", Path: c.name, Err: fmt.Errorf("%w: unexpected end of stream", ErrCorrupt)}
		}
		return n, c.wrap(err)
	}
	if want < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (c *cipherFile) Close() error { return c.f.Close() }

// reader is Open's stream.
type reader struct {
	ctx context.Context
	r   io.Reader
	cf  *cipherFile
}

func (r *reader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = r.cf.wrap(err)
	}
	return n, err
}

func (r *reader) Close() error { return r.cf.Close() }

// writer encrypts into the underlying osfs writer.
type writer struct {
	ctx  context.Context
	name string
	w    vfs.Writer
	enc  io.WriteCloser

	mu     sync.Mutex
	closed bool
	err    error
}

// plainWriter hides the underlying writer's Close from sio, which would
// otherwise call it when the encryption stream is closed.
type plainWriter struct{ w io.Writer }

func (p plainWriter) Write(b []byte) (int, error) { return p.w.Write(b) }

func newWriter(ctx context.Context, name string, w vfs.Writer, hdr, key []byte) (*writer, error) {
	if _, err := w.Write(hdr); err != nil {
		return nil, err
	}
	enc, err := sio.EncryptWriter(plainWriter{w}, sioConfig(key, 0, writeSuites))
	if err != nil {
		return nil, err
	}
	return &writer{ctx: ctx, name: name, w: w, enc: enc}, nil
}

func (w *writer) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, &fs.PathError{Op: "write", Path: w.name, Err: fs.ErrClosed}
	}
	return w.enc.Write(p)
}

// Close seals the last package and closes the file.
func (w *writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.err
	}
	w.closed = true
	w.err = w.enc.Close()
	if err := w.w.Close(); w.err == nil {
		w.err = err
	}
	return w.err
}

// Cancel seals what was written so far, so the partial file is a valid
// encrypted prefix, then lets the underlying writer cancel.
func (w *writer) Cancel() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.enc.Close()
	if cerr := w.w.Cancel(); err == nil {
		err = cerr
	}
	w.err = err
	return err
}

// lister reports plaintext sizes.
type lister struct {
	vfs.DirLister
	fs  *Fs
	ctx context.Context
	dir string
}

func (l *lister) Next(limit int) ([]fs.FileInfo, error) {
	infos, err := l.DirLister.Next(limit)
	for i, fi := range infos {
		infos[i] = l.fs.toPlain(l.ctx, path.Join(l.dir, fi.Name()), fi)
	}
	return infos, err
}
