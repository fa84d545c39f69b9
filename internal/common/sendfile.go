package common

import (
	"io"
	"os"
)

// sendChunk bounds one ReadFrom call of SendTo, so a caller's per-chunk
// hook (an idle write deadline) runs at least once per chunk.
const sendChunk = 4 << 20

// SendTo copies n bytes of the download (n < 0: up to the end of the
// file), starting at off, into w through
// w's ReadFrom and hands it the local *os.File itself: for a plain TCP
// connection that is sendfile(2), and the bytes never enter the process.
// It reports ok=false, having sent nothing, when the bytes must pass
// through the transfer: a bandwidth limit or a data transfer allowance
// to enforce while sending, or a backend whose reader is not a plain
// local file (encrypted, remote). before, when set, runs before each chunk
// of at most 4 MiB. Bytes sent are accounted as ReadAt accounts them.
func (t *Transfer) SendTo(w io.ReaderFrom, off, n int64, before func()) (sent int64, ok bool, err error) {
	f, isFile := t.rat.(*os.File)
	if !isFile || t.upload || t.throttle != nil || t.allowance >= 0 {
		return 0, false, nil
	}
	if err := t.firstErr(); err != nil {
		return 0, true, userError(err)
	}
	// The transfer reads this file only with pread (ReadAt), so its
	// offset is free for sendfile, which starts there.
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return 0, false, nil
	}
	for n < 0 || sent < n {
		chunk := int64(sendChunk)
		if n >= 0 {
			chunk = min(n-sent, sendChunk)
		}
		if before != nil {
			before()
		}
		m, err := w.ReadFrom(&io.LimitedReader{R: f, N: chunk})
		sent += m
		_ = t.account(int(m)) // no allowance here (checked above)
		if err != nil {
			t.setErr(err)
			return sent, true, err
		}
		if m < chunk {
			if n < 0 {
				return sent, true, nil // the end of the file
			}
			// the file got shorter since it was opened
			return sent, true, io.ErrUnexpectedEOF
		}
	}
	return sent, true, nil
}
