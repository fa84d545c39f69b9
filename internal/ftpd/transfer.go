package ftpd

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	ftpserver "github.com/fclairamb/ftpserverlib"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// transferBufferSize is the chunk size of data connection copies; the
// library's io.Copy would use 32 KiB.
const transferBufferSize = 256 * 1024

// transferBuffers are shared by all transfers: a buffer is only held while
// a data connection is copying, and a fresh 256 KiB per transfer (zeroed,
// then garbage) cost more than a whole 4 KiB upload's data.
var transferBuffers = sync.Pool{New: func() any { b := make([]byte, transferBufferSize); return &b }}

// file is an open transfer as the library sees it: sequential reads or
// writes from where the transfer was opened.
type file struct {
	t *common.Transfer
	// start is the offset the transfer was opened at (REST); the library
	// seeks there once, which is then a no-op.
	start int64
	read  int64 // bytes read so far (downloads)
}

func (f *file) Read(p []byte) (int, error) {
	n, err := f.t.Read(p)
	f.read += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		return n, ftpError(err)
	}
	return n, err
}

func (f *file) Write(p []byte) (int, error) {
	n, err := f.t.Write(p)
	return n, ftpError(err)
}

// WriteTo sends a download in large chunks (binary transfers; ASCII ones
// go through the library's line converter). A plain local file going to
// a plain TCP data connection is handed to the connection's ReadFrom
// (sendfile: the bytes never enter the process) unless the transfer must
// see them (bandwidth limit, data transfer allowance; Transfer.SendTo
// decides). Under TLS the library gives us a *tls.Conn, never this path.
func (f *file) WriteTo(w io.Writer) (int64, error) {
	if tc := plainTCP(w); tc != nil {
		n, handled, err := f.t.SendTo(tc, f.start+f.read, -1, nil)
		if handled {
			f.read += n
			return n, ftpError(err)
		}
	}
	bp := transferBuffers.Get().(*[]byte)
	defer transferBuffers.Put(bp)
	buf := *bp
	var total int64
	for {
		n, err := f.Read(buf)
		if n > 0 {
			wn, werr := w.Write(buf[:n])
			total += int64(wn)
			if werr != nil {
				return total, werr
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return total, nil
			}
			return total, err
		}
	}
}

// ReadFrom receives an upload in large chunks.
func (f *file) ReadFrom(r io.Reader) (int64, error) {
	bp := transferBuffers.Get().(*[]byte)
	defer transferBuffers.Put(bp)
	buf := *bp
	var total int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			wn, werr := f.Write(buf[:n])
			total += int64(wn)
			if werr != nil {
				return total, werr
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return total, nil
			}
			return total, err
		}
	}
}

// Seek accepts only the offset the transfer was opened at: the library
// seeks to the REST offset it already passed to GetHandle.
func (f *file) Seek(offset int64, whence int) (int64, error) {
	if whence == io.SeekStart && offset == f.start {
		return offset, nil
	}
	return 0, errNotImplemented
}

func (f *file) Close() error { return ftpError(f.t.Close()) }

// TransferError implements ftpserver.FileTransferError: an aborted or
// broken data connection fails the transfer, so an upload is not
// committed as complete.
func (f *file) TransferError(err error) { f.t.TransferError(err) }

// hashNames maps the library's algorithms to common.NewHash names.
var hashNames = map[ftpserver.HASHAlgo]string{
	ftpserver.HASHAlgoCRC32:  "crc32",
	ftpserver.HASHAlgoMD5:    "md5",
	ftpserver.HASHAlgoSHA1:   "sha1",
	ftpserver.HASHAlgoSHA256: "sha256",
	ftpserver.HASHAlgoSHA512: "sha512",
}

// ComputeHash implements ftpserver.ClientDriverExtensionHasher (HASH,
// XCRC, MD5/XMD5, XSHA/XSHA1, XSHA256, XSHA512). A whole file goes
// through common's Checksum (the storage's own hash when it keeps one);
// a range is read through a download. Either way the download
// permission and limits apply.
func (d *driver) ComputeHash(name string, algo ftpserver.HASHAlgo, start, end int64) (string, error) {
	algoName, ok := hashNames[algo]
	if !ok {
		return "", errors.New("unsupported hash algorithm")
	}
	if start < 0 || end < start {
		return "", errors.New("invalid range")
	}
	p := d.abs(name)
	ctx := d.conn.Context()
	d.conn.SetCommand("HASH " + name)
	if start == 0 {
		if fi, err := d.conn.Stat(ctx, p); err == nil && end >= fi.Size() {
			sum, err := d.conn.Checksum(ctx, p, algoName)
			return sum, ftpError(err)
		}
	}
	h := common.NewHash(algoName)
	t, err := d.conn.OpenForRead(ctx, p, start)
	if err != nil {
		return "", ftpError(err)
	}
	_, err = io.Copy(h, io.LimitReader(t, end-start))
	if cerr := t.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", ftpError(err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// GetAvailableSpace implements ftpserver.ClientDriverExtensionAvailableSpace
// (AVBL, and AVLB through the front): the smaller of the storage's free
// space and what the quota of dir still allows.
func (d *driver) GetAvailableSpace(dir string) (int64, error) {
	d.conn.SetCommand("AVBL " + dir)
	n, err := d.availableSpace(d.abs(dir))
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, errors.New("the available space cannot be determined")
	}
	return n, nil
}

// availableSpace returns the bytes that may still be written under
// vpath, -1 when neither a quota nor the storage tells. Under a size
// quota that is what the quota allows (common's StatVFS reports the
// quota too, rounded to blocks); otherwise the storage's free space.
func (d *driver) availableSpace(vpath string) (int64, error) {
	ctx := d.conn.Context()
	if q := d.quotaLeft(ctx, vpath); q >= 0 {
		return q, nil
	}
	st, err := d.conn.StatVFS(ctx, vpath)
	if err != nil {
		if errors.Is(err, vfs.ErrNotSupported) {
			return -1, nil
		}
		return 0, ftpError(err)
	}
	unit := st.FragSize
	if unit == 0 {
		unit = st.BlockSize
	}
	return int64(st.BlocksAvail * unit), nil
}

// quotaLeft returns the bytes the quota covering vpath still allows (0
// when its files quota is used up), -1 when no quota applies. A virtual
// folder with its own quota counts on its own; one with quota -1/-1
// counts in the user's.
func (d *driver) quotaLeft(ctx context.Context, vpath string) int64 {
	store := d.b.s.common.Store()
	u := &d.conn.User
	var limitSize, usedSize int64
	var limitFiles, usedFiles int
	if f, ok := u.GetVirtualFolderForPath(vpath); ok && !(f.QuotaSize == -1 && f.QuotaFiles == -1) {
		limitSize, limitFiles = f.QuotaSize, f.QuotaFiles
		usedSize, usedFiles = f.UsedQuotaSize, f.UsedQuotaFiles
		if bf, err := store.GetFolder(ctx, f.Name); err == nil {
			usedSize, usedFiles = bf.UsedQuotaSize, bf.UsedQuotaFiles
		}
	} else {
		limitSize, limitFiles = u.QuotaSize, u.QuotaFiles
		usedSize, usedFiles = u.UsedQuotaSize, u.UsedQuotaFiles
		if su, err := store.GetUser(ctx, u.Username); err == nil {
			usedSize, usedFiles = su.UsedQuotaSize, su.UsedQuotaFiles
		}
	}
	if limitFiles > 0 && usedFiles >= limitFiles {
		return 0
	}
	if limitSize <= 0 {
		return -1
	}
	return max(limitSize-usedSize, 0)
}

// AllocateSpace implements ftpserver.ClientDriverExtensionAllocate (ALLO):
// it fails when the announced size cannot fit in the space left in the
// working directory or exceeds max_upload_file_size.
func (d *driver) AllocateSpace(size int) error {
	if size <= 0 {
		return nil
	}
	d.conn.SetCommand(fmt.Sprintf("ALLO %d", size))
	if m := d.conn.User.Filters.MaxUploadFileSize; m > 0 && int64(size) > m {
		return &quotaErr{fmt.Errorf("%d bytes exceed the maximum upload size %d", size, m)}
	}
	avail, err := d.availableSpace(d.abs(d.cc.Path()))
	if err != nil {
		return err
	}
	if avail >= 0 && int64(size) > avail {
		return &quotaErr{fmt.Errorf("not enough space: %d bytes requested, %d available", size, avail)}
	}
	return nil
}

// quotaErr makes the library answer 552 (storage exceeded).
type quotaErr struct{ error }

func (e *quotaErr) Is(target error) bool { return target == ftpserver.ErrStorageExceeded }
func (e *quotaErr) Unwrap() error        { return e.error }

// insufficientStorage is the message of a full storage (vfs.ErrNoSpace); the
// front turns the library's 552 reply carrying it into 452.
const insufficientStorage = "Requested action not taken. Insufficient storage space"

// diskFullErr is a write that failed because the storage is full.
type diskFullErr struct{ error }

func (e *diskFullErr) Error() string        { return insufficientStorage }
func (e *diskFullErr) Is(target error) bool { return target == ftpserver.ErrStorageExceeded }
func (e *diskFullErr) Unwrap() error        { return e.error }

// ftpError adapts common's errors for the library's reply codes: quota
// errors become 552, a full disk 452 (through the front), everything
// else keeps its safe message (550).
func ftpError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, vfs.ErrQuotaExceeded) {
		return &quotaErr{err}
	}
	if errors.Is(err, vfs.ErrNoSpace) {
		return &diskFullErr{err}
	}
	return err
}

// plainTCP returns the TCP connection under a data connection with
// nothing in between that must see the bytes (a passive connection's
// gathered bytes are sent first), or nil.
func plainTCP(w io.Writer) *net.TCPConn {
	switch c := w.(type) {
	case *net.TCPConn:
		return c
	case *passiveConn:
		tc, ok := c.Conn.(*net.TCPConn)
		if !ok {
			return nil
		}
		c.mu.Lock()
		err := c.werr
		if err == nil {
			err = c.flushLocked()
		}
		c.mu.Unlock()
		if err != nil {
			return nil // the buffered path reports the error
		}
		return tc
	}
	return nil
}
