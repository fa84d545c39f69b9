package ftpd

import (
	"context"
	"crypto/md5"  //nolint:gosec // MD5/XMD5 are what clients ask for
	"crypto/sha1" //nolint:gosec // SHA-1/XSHA1 likewise
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"

	ftpserver "github.com/fclairamb/ftpserverlib"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// transferBufferSize is the chunk size of data connection copies; the
// library's io.Copy would use 32 KiB.
const transferBufferSize = 256 * 1024

// file is an open transfer as the library sees it: sequential reads or
// writes from an offset.
type file struct {
	t      *common.Transfer
	off    int64
	upload bool
}

func (f *file) Read(p []byte) (int, error) {
	n, err := f.t.ReadAt(p, f.off)
	f.off += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		return n, ftpError(err)
	}
	return n, err
}

func (f *file) Write(p []byte) (int, error) {
	n, err := f.t.WriteAt(p, f.off)
	f.off += int64(n)
	return n, ftpError(err)
}

// WriteTo sends a download in large chunks (binary transfers; ASCII ones
// go through the library's line converter).
func (f *file) WriteTo(w io.Writer) (int64, error) {
	buf := make([]byte, transferBufferSize)
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
	buf := make([]byte, transferBufferSize)
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

func (f *file) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		f.off = offset
	case io.SeekCurrent:
		f.off += offset
	default:
		return f.off, errNotImplemented
	}
	return f.off, nil
}

func (f *file) Close() error { return ftpError(f.t.Close()) }

// TransferError implements ftpserver.FileTransferError: an aborted or
// broken data connection fails the transfer, so an upload is not
// committed as complete.
func (f *file) TransferError(err error) { f.t.TransferError(err) }

// ComputeHash implements ftpserver.ClientDriverExtensionHasher (HASH,
// XCRC, MD5/XMD5, XSHA/XSHA1, XSHA256, XSHA512). It reads through a
// download, so the download permission and limits apply.
func (d *driver) ComputeHash(name string, algo ftpserver.HASHAlgo, start, end int64) (string, error) {
	var h hash.Hash
	switch algo {
	case ftpserver.HASHAlgoCRC32:
		h = crc32.NewIEEE()
	case ftpserver.HASHAlgoMD5:
		h = md5.New() //nolint:gosec
	case ftpserver.HASHAlgoSHA1:
		h = sha1.New() //nolint:gosec
	case ftpserver.HASHAlgoSHA256:
		h = sha256.New()
	case ftpserver.HASHAlgoSHA512:
		h = sha512.New()
	default:
		return "", errors.New("unsupported hash algorithm")
	}
	if start < 0 || end < start {
		return "", errors.New("invalid range")
	}
	p := d.abs(name)
	d.conn.SetCommand("HASH " + name)
	t, err := d.conn.OpenForRead(d.conn.Context(), p, start)
	if err != nil {
		return "", ftpError(err)
	}
	f := &file{t: t, off: start}
	_, err = io.Copy(h, io.LimitReader(f, end-start))
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
// vpath, -1 when neither the storage nor a quota tells.
func (d *driver) availableSpace(vpath string) (int64, error) {
	ctx := d.conn.Context()
	avail := int64(-1)
	if st, err := d.conn.StatVFS(ctx, vpath); err == nil {
		unit := st.FragSize
		if unit == 0 {
			unit = st.BlockSize
		}
		avail = int64(st.BlocksAvail * unit)
	} else if !errors.Is(err, vfs.ErrNotSupported) {
		return 0, ftpError(err)
	}
	if q := d.quotaLeft(ctx, vpath); q >= 0 && (avail < 0 || q < avail) {
		avail = q
	}
	return avail, nil
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

// ftpError adapts common's errors for the library's reply codes: quota
// errors become 552, everything else keeps its safe message (550).
func ftpError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, vfs.ErrQuotaExceeded) {
		return &quotaErr{err}
	}
	return err
}
