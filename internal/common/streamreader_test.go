package common

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// cutFs serves a file whose stream fails after cut bytes with an error
// that wraps io.ErrUnexpectedEOF, as a dropped connection does.
type cutFs struct {
	vfs.Fs
	data []byte
	cut  int
}

var errCut = fmt.Errorf("connection reset mid-file: %w", io.ErrUnexpectedEOF)

type cutReader struct {
	r    io.Reader
	left int
}

func (c *cutReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errCut
	}
	if len(p) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= n
	return n, err
}

func (f *cutFs) Open(_ context.Context, _ string, off int64) (io.ReadCloser, error) {
	return io.NopCloser(&cutReader{r: bytes.NewReader(f.data[off:]), left: f.cut - int(off)}), nil
}

func TestStreamReaderReportsCutStreams(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	sr := &streamReader{ctx: context.Background(), fs: &cutFs{data: data, cut: 300 << 10}, path: "/f"}
	buf := make([]byte, 64<<10)
	var off int64
	var err error
	for err == nil {
		var n int
		n, err = sr.ReadAt(buf, off)
		off += int64(n)
	}
	if !errors.Is(err, errCut) {
		t.Fatalf("a stream cut at %d bytes ended with %v after %d bytes: the client would get a short file", 300<<10, err, off)
	}

	whole := &streamReader{ctx: context.Background(), fs: &cutFs{data: data, cut: len(data) + 1}, path: "/f"}
	got := make([]byte, 0, len(data))
	off = 0
	for {
		n, err := whole.ReadAt(buf, off)
		got = append(got, buf[:n]...)
		off += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("complete stream: got %d bytes, want %d", len(got), len(data))
	}
}
