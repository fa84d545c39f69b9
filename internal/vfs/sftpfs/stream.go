package sftpfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/pkg/sftp"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
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

// newWriter streams an upload: a goroutine drains the pipe with
// File.ReadFromWithConcurrency, keeping several write requests in flight
// while the caller produces the next bytes; Close waits for every write
// to be acknowledged and closes the remote handle. What reached the
// server before a Cancel stays (a prefix of the data), like a local file.
func newWriter(ctx context.Context, f *Fs, s *session, name string, file *sftp.File) *vfs.PipeWriter {
	op := "write"
	consume := func(r io.Reader) error {
		_, err := file.ReadFromWithConcurrency(r, 0)
		if cerr := file.Close(); err == nil && cerr != nil {
			op, err = "close", cerr
		}
		return err
	}
	return vfs.NewPipeWriter(ctx, consume, func(err error) error { return f.fail(s, op, name, cutShort(err)) })
}
