package common

import (
	"context"
	"io"
	"sync"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

const (
	// streamLookback is how much recently read data a stream download
	// keeps to answer reads that arrive slightly out of order.
	streamLookback = 1 << 20
	// streamMaxSkip is how far ahead a read may start and still be served
	// by reading on (keeping the skipped bytes) instead of reopening.
	streamMaxSkip = 1 << 20
)

// streamReader answers positioned reads from a streaming backend: it
// reads on while reads are sequential or close ahead, serves recent data
// from a small window, and reopens at the offset otherwise.
type streamReader struct {
	ctx  context.Context
	fs   vfs.Fs
	path string

	mu       sync.Mutex
	rc       io.ReadCloser
	pos      int64 // offset of rc
	win      []byte
	winStart int64 // offset of win[0]; win ends at pos
	eof      bool
}

func (s *streamReader) open(off int64) error {
	if s.rc != nil {
		s.rc.Close()
		s.rc = nil
	}
	rc, err := s.fs.Open(s.ctx, s.path, off)
	if err != nil {
		return err
	}
	s.rc, s.pos, s.winStart, s.win, s.eof = rc, off, off, s.win[:0], false
	return nil
}

// fill reads n more bytes (fewer at the end) into the window.
func (s *streamReader) fill(n int) error {
	if s.eof {
		return io.EOF
	}
	start := len(s.win)
	s.win = append(s.win, make([]byte, n)...)
	got, err := io.ReadFull(s.rc, s.win[start:])
	s.win = s.win[:start+got]
	s.pos += int64(got)
	// io.ReadFull reports the end of the stream with these exact values; a
	// backend error that merely wraps io.EOF (a connection cut mid-file)
	// must reach the client, or it would get a silently short file.
	if err == io.ErrUnexpectedEOF || err == io.EOF { //nolint:errorlint // exact sentinels from io.ReadFull
		s.eof = true
		err = nil
		if got == 0 {
			err = io.EOF
		}
	}
	if over := len(s.win) - 2*streamLookback; over > 0 {
		// keep the last streamLookback bytes
		drop := len(s.win) - streamLookback
		copy(s.win, s.win[drop:])
		s.win = s.win[:streamLookback]
		s.winStart += int64(drop)
	}
	return err
}

func (s *streamReader) ReadAt(p []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rc == nil {
		if err := s.open(off); err != nil {
			return 0, err
		}
	}
	if off < s.winStart || off > s.pos+streamMaxSkip {
		if err := s.open(off); err != nil {
			return 0, err
		}
	}
	need := off + int64(len(p)) - s.pos
	if need > 0 {
		if err := s.fill(int(need)); err != nil && err != io.EOF { //nolint:errorlint // see fill
			return 0, err
		}
	}
	if off < s.winStart {
		// the window moved past off while filling: read it afresh
		if err := s.open(off); err != nil {
			return 0, err
		}
		if err := s.fill(len(p)); err != nil && err != io.EOF { //nolint:errorlint // see fill
			return 0, err
		}
	}
	if off >= s.pos {
		return 0, io.EOF
	}
	n := copy(p, s.win[off-s.winStart:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (s *streamReader) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rc == nil {
		return nil
	}
	err := s.rc.Close()
	s.rc = nil
	return err
}
