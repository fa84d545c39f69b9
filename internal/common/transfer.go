package common

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/logger"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// Transfer is an open upload or download. It is registered on its
// connection (and shown in its active transfers) until Close. ReadAt and
// WriteAt may be called concurrently; Read and Write are sequential.
type Transfer struct {
	id       int64
	conn     *BaseConnection
	upload   bool
	vpath    string
	loc      *location
	start    time.Time
	throttle *throttle
	ctx      context.Context

	// downloads
	rat    vfs.ReaderAtCloser
	stream *streamReader

	// uploads
	wfile     vfs.RandomAccessFile
	writer    vfs.Writer
	reorder   *ReorderWriter
	tmpPath   string // backend path of the atomic-upload temp file
	tmpLocal  string // its host path, registered so sweeps leave it alone
	existed   bool
	existing  int64
	resume    bool
	sizeLimit int64 // largest final size, -1 unlimited
	maxEnd    atomic.Int64

	// quota claim in the user's (or folder's) scope; see quotaScopes
	claimMu     sync.Mutex
	scope       *quotaScope
	claimed     int64
	claimedFile bool

	allowance int64 // data transfer allowance, -1 unlimited
	bytes     atomic.Int64

	logProto   string // the transfer line's protocol, "" for the connection's
	logFTPMode string // "active" or "passive" for FTP transfers

	mu     sync.Mutex
	seqOff int64
	err    error
	closed bool
	// closing is closed once Close has finished; a second Close (the
	// protocol's cleanup racing the connection's) waits for it, so a
	// connection is unregistered only after its uploads are committed
	closing chan struct{}
	pending []func() // metadata changes applied after a successful upload

	openSlot func() // gives back the user's open-file slot (openfiles.go)
}

// afterCommit queues f to run once the upload has been committed.
func (t *Transfer) afterCommit(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending = append(t.pending, f)
}

// WriteOptions says how OpenForWrite opens a file.
type WriteOptions struct {
	// Truncate replaces any existing content. Without it an existing file
	// is written in place from the offsets given (resume), or, on
	// streaming storage, appended to from its current end.
	Truncate bool
	// Exclusive fails when the file exists.
	Exclusive bool
	// ReadWrite also allows ReadAt on the transfer. Storage without random
	// access opens the file write-only and fails reads with
	// vfs.ErrNotSupported (clients such as pkg/sftp open uploads O_RDWR).
	ReadWrite bool
	// Size is the expected final size, -1 when unknown.
	Size int64
	// Mode is the permission of a new file (0: 0666 minus umask).
	Mode os.FileMode
	// Offset, with Truncate false on an existing file, is where sequential
	// writes (Write) start, as FTP's REST before STOR: the file is cut
	// there first. 0 means the current end of the file. On streaming
	// storage only the current end is possible.
	Offset int64
}

func randomSuffix() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (c *BaseConnection) addTransfer(t *Transfer) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return newErr(ErrTransferAborted, "connection closed")
	}
	c.nextTrID++
	t.id = c.nextTrID
	c.transfers[t.id] = t
	return nil
}

func (c *BaseConnection) removeTransfer(t *Transfer) {
	t.releaseOpenSlot()
	c.mu.Lock()
	delete(c.transfers, t.id)
	c.mu.Unlock()
	c.UpdateLastActivity()
}

// uploadFor returns an open upload of vpath, if any.
func (c *BaseConnection) uploadFor(vpath string) *Transfer {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.transfers {
		if t.upload && t.vpath == vpath {
			return t
		}
	}
	return nil
}

// OpenForRead opens vpath for download from offset; it needs the download
// permission on the parent directory.
func (c *BaseConnection) OpenForRead(ctx context.Context, vpath string, offset int64) (*Transfer, error) {
	c.UpdateLastActivity()
	vpath = dataprovider.CleanVirtualPath(vpath)
	if err := c.requirePerm(dataprovider.PermDownload, parentDir(vpath)); err != nil {
		return nil, err
	}
	if err := c.checkPattern(vpath); err != nil {
		return nil, err
	}
	loc, err := c.resolve(vpath)
	if err != nil {
		return nil, err
	}
	fi, err := loc.fs.Stat(ctx, loc.fsPath)
	if err != nil {
		return nil, c.fail("download", vpath, err)
	}
	if fi.IsDir() {
		return nil, newErr(vfs.ErrIsDir, "is a directory")
	}
	c.readMetadata(ctx, loc)
	if err := c.preAction(ctx, ActionPreDownload, loc, fi.Size()); err != nil {
		return nil, err
	}
	allowance, err := c.transferAllowance(ctx, false)
	if err != nil {
		return nil, err
	}
	_, dl := c.bandwidth()
	t := &Transfer{conn: c, vpath: vpath, loc: loc, start: time.Now(), throttle: newThrottle(dl),
		ctx: c.ctx, allowance: allowance, seqOff: offset, sizeLimit: -1}
	if err := c.takeOpenSlot(t); err != nil {
		return nil, err
	}
	switch f := loc.fs.(type) {
	case vfs.ReaderAtFs:
		t.rat, err = f.OpenReaderAt(ctx, loc.fsPath)
	case vfs.RandomAccessFs:
		t.rat, err = f.OpenFile(ctx, loc.fsPath, os.O_RDONLY, 0)
	default:
		t.stream = &streamReader{ctx: c.ctx, fs: loc.fs, path: loc.fsPath}
		err = t.stream.open(offset)
	}
	if err != nil {
		t.releaseOpenSlot()
		return nil, c.fail("download", vpath, err)
	}
	if err := c.addTransfer(t); err != nil {
		t.closeReader()
		t.releaseOpenSlot()
		return nil, err
	}
	c.log.Debug("download started", "path", vpath, "offset", offset)
	return t, nil
}

// OpenForWrite opens vpath for upload. It needs upload on the parent for
// a new file and overwrite for an existing one, and checks file patterns,
// max_upload_file_size, quotas and data transfer limits. With upload_mode
// 1 or 2 on local storage a new content goes to a temp file renamed over
// vpath when the transfer closes successfully.
func (c *BaseConnection) OpenForWrite(ctx context.Context, vpath string, opts WriteOptions) (*Transfer, error) {
	c.UpdateLastActivity()
	vpath = dataprovider.CleanVirtualPath(vpath)
	if vpath == "/" || c.isMountPoint(vpath) {
		return nil, newErr(vfs.ErrIsDir, "is a directory")
	}
	if err := c.checkPattern(vpath); err != nil {
		return nil, err
	}
	loc, err := c.resolve(vpath)
	if err != nil {
		return nil, err
	}
	t := &Transfer{conn: c, upload: true, vpath: vpath, loc: loc, start: time.Now(), ctx: c.ctx}
	fi, err := loc.fs.Stat(ctx, loc.fsPath)
	switch {
	case err == nil:
		if fi.IsDir() {
			return nil, newErr(vfs.ErrIsDir, "is a directory")
		}
		if opts.Exclusive {
			return nil, newErr(fs.ErrExist, "file exists")
		}
		t.existed, t.existing = true, fi.Size()
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, c.fail("upload", vpath, err)
	}
	perm := dataprovider.PermUpload
	if t.existed {
		perm = dataprovider.PermOverwrite
	}
	if err := c.requirePerm(perm, parentDir(vpath)); err != nil {
		return nil, err
	}
	if opts.ReadWrite {
		if err := c.requirePerm(dataprovider.PermDownload, parentDir(vpath)); err != nil {
			return nil, err
		}
	}
	t.resume = t.existed && !opts.Truncate
	t.sizeLimit, err = c.sizeLimit(ctx, loc, t.existing, !t.existed)
	if err != nil {
		return nil, err
	}
	if m := c.User.Filters.MaxUploadFileSize; m > 0 && (t.sizeLimit < 0 || m < t.sizeLimit) {
		t.sizeLimit = m
	}
	if t.sizeLimit >= 0 && opts.Size > t.sizeLimit {
		return nil, errQuota()
	}
	if t.allowance, err = c.transferAllowance(ctx, true); err != nil {
		return nil, err
	}
	ul, _ := c.bandwidth()
	t.throttle = newThrottle(ul)
	mode := opts.Mode
	if mode == 0 {
		mode = 0o666
	}
	mode &^= c.srv.umask

	if err := c.preAction(ctx, ActionPreUpload, loc, t.existing); err != nil {
		return nil, err
	}
	if err := c.takeOpenSlot(t); err != nil {
		return nil, err
	}
	if err := c.claimQuota(ctx, t, opts.Size); err != nil {
		t.releaseOpenSlot()
		return nil, err
	}
	writePath := loc.fsPath
	if c.srv.cfg.UploadMode != UploadModeStandard && !t.resume {
		tmp := uploadTempName(loc.fsPath)
		if lp, local, lerr := vfs.LocalPath(loc.fs, tmp); local {
			t.tmpPath, writePath = tmp, tmp
			if lerr == nil {
				t.tmpLocal = lp
				c.srv.temps.active.Store(lp, struct{}{})
			}
		}
	}
	random := vfs.HasRandomAccess(loc.fs)
	if t.resume {
		t.seqOff = t.existing
		t.maxEnd.Store(t.existing)
		if opts.Offset > 0 && opts.Offset != t.existing {
			if !random || opts.Offset > t.existing {
				c.releaseQuota(t)
				t.releaseOpenSlot()
				return nil, newErr(vfs.ErrNotSupported, "resume is only possible from the end of the file on this storage")
			}
			t.seqOff = opts.Offset
		}
	}
	if random {
		flag := os.O_WRONLY | os.O_CREATE
		if opts.ReadWrite {
			flag = os.O_RDWR | os.O_CREATE
		}
		if !t.resume {
			flag |= os.O_TRUNC
		}
		if opts.Exclusive && t.tmpPath == "" {
			flag |= os.O_EXCL
		}
		t.wfile, err = vfs.OpenRandomAccess(ctx, loc.fs, writePath, flag, mode)
		if err == nil && t.resume && t.seqOff < t.existing {
			if err = t.wfile.Truncate(t.seqOff); err == nil {
				t.maxEnd.Store(t.seqOff)
			} else {
				t.wfile.Close()
			}
		}
	} else {
		wctx := vfs.ShareLookupCache(c.ctx, ctx)
		if t.resume {
			t.writer, err = c.createForResume(wctx, loc, writePath, t.existing, vfs.CreateOptions{Size: opts.Size, Mode: mode})
		} else {
			t.writer, err = loc.fs.Create(wctx, writePath, vfs.CreateOptions{Size: opts.Size, Mode: mode})
		}
		if err == nil {
			t.reorder = NewReorderWriter(t.writer, t.seqOff, 0, 0, c.srv.cfg.TempPath)
		}
	}
	if err != nil {
		c.releaseQuota(t)
		t.releaseOpenSlot()
		return nil, c.fail("upload", vpath, err)
	}
	if err := c.addTransfer(t); err != nil {
		t.err = err
		t.Close()
		return nil, err
	}
	c.log.Debug("upload started", "path", vpath, "resume", t.resume, "atomic", t.tmpPath != "")
	return t, nil
}

// Path returns the transfer's virtual path.
func (t *Transfer) Path() string { return t.vpath }

// IsUpload reports whether this is an upload.
func (t *Transfer) IsUpload() bool { return t.upload }

// BytesTransferred returns the bytes moved so far.
func (t *Transfer) BytesTransferred() int64 { return t.bytes.Load() }

func (t *Transfer) status() TransferStatus {
	op := "download"
	if t.upload {
		op = "upload"
	}
	return TransferStatus{OperationType: op, Path: t.vpath, StartTime: t.start.UnixMilli(), Size: t.bytes.Load()}
}

func (t *Transfer) firstErr() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// setErr records the first error; later writes and Close fail with it.
func (t *Transfer) setErr(err error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err == nil {
		t.err = err
	}
	return t.err
}

// TransferError marks the transfer failed (the connection went away
// while it was open); pkg/sftp calls it.
func (t *Transfer) TransferError(err error) {
	if err == nil {
		err = newErr(ErrTransferAborted, "transfer aborted")
	}
	t.setErr(err)
}

func (t *Transfer) account(n int) error {
	t.conn.UpdateLastActivity()
	total := t.bytes.Add(int64(n))
	if t.allowance >= 0 && total > t.allowance {
		return newErrQuota("data transfer quota exceeded")
	}
	return nil
}

// ReadAt reads downloaded data at off.
func (t *Transfer) ReadAt(p []byte, off int64) (int, error) {
	if err := t.firstErr(); err != nil {
		return 0, userError(err)
	}
	if err := t.throttle.wait(t.ctx, len(p)); err != nil {
		return 0, userError(err)
	}
	var n int
	var err error
	switch {
	case t.rat != nil:
		n, err = t.rat.ReadAt(p, off)
	case t.stream != nil:
		n, err = t.stream.ReadAt(p, off)
	case t.wfile != nil:
		n, err = t.wfile.ReadAt(p, off)
	default:
		return 0, errNotSupported()
	}
	if qerr := t.account(n); qerr != nil {
		return n, t.setErr(qerr)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		t.setErr(err)
		return n, t.conn.fail("read", t.vpath, err)
	}
	return n, err
}

// Read reads the download sequentially from the open offset.
func (t *Transfer) Read(p []byte) (int, error) {
	t.mu.Lock()
	off := t.seqOff
	t.mu.Unlock()
	n, err := t.ReadAt(p, off)
	t.mu.Lock()
	t.seqOff += int64(n)
	t.mu.Unlock()
	return n, err
}

// WriteAt writes uploaded data at off. Storage without random access gets
// the data through the reorder buffer.
func (t *Transfer) WriteAt(p []byte, off int64) (int, error) {
	if err := t.firstErr(); err != nil {
		return 0, userError(err)
	}
	end := off + int64(len(p))
	if t.sizeLimit >= 0 && end > t.sizeLimit {
		return 0, userError(t.setErr(errQuota()))
	}
	if err := t.claim(end); err != nil {
		return 0, userError(t.setErr(err))
	}
	if err := t.throttle.wait(t.ctx, len(p)); err != nil {
		return 0, userError(t.setErr(err))
	}
	var n int
	var err error
	switch {
	case t.wfile != nil:
		n, err = t.wfile.WriteAt(p, off)
	case t.reorder != nil:
		n, err = t.reorder.WriteAt(p, off)
	default:
		return 0, errNotSupported()
	}
	for {
		cur := t.maxEnd.Load()
		if off+int64(n) <= cur || t.maxEnd.CompareAndSwap(cur, off+int64(n)) {
			break
		}
	}
	if qerr := t.account(n); qerr != nil {
		return n, userError(t.setErr(qerr))
	}
	if err != nil {
		t.setErr(err)
		return n, t.conn.fail("write", t.vpath, err)
	}
	return n, nil
}

// Write appends sequentially from the open offset (the end of the file
// when resuming).
func (t *Transfer) Write(p []byte) (int, error) {
	t.mu.Lock()
	off := t.seqOff
	t.mu.Unlock()
	n, err := t.WriteAt(p, off)
	t.mu.Lock()
	t.seqOff += int64(n)
	t.mu.Unlock()
	return n, err
}

// Truncate changes the size of the file being uploaded.
func (t *Transfer) Truncate(size int64) error {
	if !t.upload {
		return errPermissionDenied()
	}
	if t.sizeLimit >= 0 && size > t.sizeLimit {
		return errQuota()
	}
	if err := t.claim(size); err != nil {
		return err
	}
	if t.wfile != nil {
		if err := t.wfile.Truncate(size); err != nil {
			return t.conn.fail("truncate", t.vpath, err)
		}
		t.maxEnd.Store(size)
		return nil
	}
	if t.reorder != nil && t.reorder.Offset() == size && t.reorder.Pending() == 0 {
		return nil
	}
	return errNotSupported()
}

// Stat describes the file being transferred.
func (t *Transfer) Stat() (os.FileInfo, error) {
	if t.wfile != nil {
		fi, err := t.wfile.Stat()
		if err != nil {
			return nil, t.conn.fail("stat", t.vpath, err)
		}
		return renamed(fi, path.Base(t.vpath)), nil
	}
	if t.upload {
		return &vfs.FileInfo{FName: path.Base(t.vpath), FSize: t.maxEnd.Load(), FMode: 0o644, FModTime: time.Now()}, nil
	}
	return t.conn.statNoCheck(t.ctx, t.vpath, false)
}

func (t *Transfer) closeReader() error {
	if t.rat != nil {
		return t.rat.Close()
	}
	if t.stream != nil {
		return t.stream.Close()
	}
	return nil
}

// Close ends the transfer. An upload is committed (renamed into place in
// atomic mode) unless it failed; a failed atomic upload leaves any
// previous file intact, upload_mode 2 keeps the partial data at the final
// path so the client can resume, and an upload stopped by a quota is
// removed. Quota and data transfer usage are updated in the store.
// A second call returns nil once the first one has finished.
func (t *Transfer) Close() error {
	t.mu.Lock()
	if t.closed {
		done := t.closing
		t.mu.Unlock()
		<-done
		return nil
	}
	t.closed = true
	t.closing = make(chan struct{})
	done := t.closing
	t.mu.Unlock()
	defer close(done)
	defer t.conn.removeTransfer(t)
	c := t.conn
	if !t.upload {
		err := t.closeReader()
		c.updateTransferQuota(0, t.bytes.Load())
		if err == nil {
			err = t.firstErr()
		}
		t.logLine(err, time.Since(t.start))
		if aerr := c.postAction(ActionDownload, t.loc, nil, t.bytes.Load(), time.Since(t.start), err); aerr != nil && err == nil {
			return errPermissionDenied()
		}
		if err == nil {
			c.firstTransfer(false, t.loc, t.bytes.Load(), time.Since(t.start))
		}
		if err != nil {
			return c.fail("close", t.vpath, err)
		}
		return nil
	}
	// the storage calls below (rename, remove, stat) get a context of
	// their own, made only when one is needed: most uploads need none
	var ctx context.Context
	cancel := func() {}
	defer func() { cancel() }()
	opCtx := func() context.Context {
		if ctx == nil {
			ctx, cancel = context.WithTimeout(context.Background(), 5*time.Minute)
		}
		return ctx
	}
	err := t.firstErr()
	var committed os.FileInfo // what the writer says it published
	if t.reorder != nil {
		if err == nil {
			if rerr := t.reorder.Close(); rerr != nil {
				err = t.setErr(rerr)
			}
		} else {
			t.reorder.Close()
		}
		if err == nil {
			if cerr := t.writer.Close(); cerr != nil {
				err = t.setErr(cerr)
			} else if cw, ok := t.writer.(vfs.CommittedWriter); ok && t.tmpPath == "" {
				committed, _ = cw.Committed()
			}
		} else {
			t.writer.Cancel()
		}
	}
	// final is what a successful upload leaves at the target: taken from
	// the open file, it spares a path lookup per upload
	final := committed
	if t.wfile != nil {
		if err == nil {
			final, _ = t.wfile.Stat()
		}
		if cerr := t.wfile.Close(); cerr != nil && err == nil {
			err = t.setErr(cerr)
		}
	}
	if err != nil {
		final = nil
	}
	fsys, target := t.loc.fs, t.loc.fsPath
	quotaErr := err != nil && errors.Is(err, vfs.ErrQuotaExceeded)
	if t.tmpPath != "" {
		keep := err == nil || (c.srv.cfg.UploadMode == UploadModeAtomicWithResume && !quotaErr)
		if keep {
			if rerr := fsys.Rename(opCtx(), t.tmpPath, target); rerr != nil {
				c.log.Warn("unable to rename upload into place", "path", t.vpath, "error", rerr)
				fsys.Remove(opCtx(), t.tmpPath)
				if err == nil {
					err = t.setErr(rerr)
				}
			}
		} else if rerr := fsys.Remove(opCtx(), t.tmpPath); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			c.log.Warn("unable to remove temp upload", "path", t.vpath, "error", rerr)
		}
	} else if quotaErr && !t.resume {
		if rerr := fsys.Remove(opCtx(), target); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			c.log.Warn("unable to remove upload over quota", "path", t.vpath, "error", rerr)
		}
	}
	if t.tmpLocal != "" {
		c.srv.temps.active.Delete(t.tmpLocal)
	}
	// usage follows what is at the target now
	var sizeDelta int64
	filesDelta := 0
	fi := final
	if fi == nil || err != nil {
		var serr error
		if fi, serr = fsys.Stat(opCtx(), target); serr != nil {
			fi = nil
		}
	}
	if fi != nil && fi.Mode().IsRegular() {
		sizeDelta, filesDelta = fi.Size(), 1
	}
	if t.existed {
		sizeDelta -= t.existing
		filesDelta--
	}
	c.updateQuota(t.loc, sizeDelta, filesDelta)
	c.releaseQuota(t)
	c.updateTransferQuota(t.bytes.Load(), 0)
	elapsed := time.Since(t.start)
	var size int64
	if fi != nil {
		size = fi.Size()
	}
	if aerr := c.postAction(ActionUpload, t.loc, nil, size, time.Since(t.start), err); aerr != nil && err == nil {
		// a failed synchronous upload hook takes the file back
		if rerr := fsys.Remove(opCtx(), target); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			c.log.Warn("unable to remove upload refused by the action hook", "path", t.vpath, "error", rerr)
		} else if fi != nil && fi.Mode().IsRegular() {
			c.updateQuota(t.loc, -fi.Size(), -1)
		}
		err = t.setErr(errPermissionDenied())
	}
	if err != nil {
		t.logLine(err, elapsed)
		return userError(err)
	}
	c.firstTransfer(true, t.loc, size, time.Since(t.start))
	t.mu.Lock()
	pending := t.pending
	t.pending = nil
	t.mu.Unlock()
	for _, f := range pending {
		f()
	}
	t.logLine(nil, elapsed)
	return nil
}

// SetLogProtocol names the protocol of the transfer's log line when it is
// more precise than the connection's: SFTP or SCP over an SSH connection,
// as SFTPGo's transfer lines say. Call it before the transfer is used.
func (t *Transfer) SetLogProtocol(p string) { t.logProto = p }

// SetLogFTPMode records the FTP data connection mode ("active" or
// "passive") for the transfer's log line. Call it before the transfer is
// used.
func (t *Transfer) SetLogFTPMode(mode string) { t.logFTPMode = mode }

// logLine writes the transfer's line (SFTPGo's Upload / Download line in
// JSON logs): file_path is the host path for local storage, the path in
// the backend otherwise.
func (t *Transfer) logLine(err error, elapsed time.Duration) {
	c := t.conn
	filePath := actionPath(t.loc)
	c.srv.deps.Metrics.TransferDone(cmp.Or(t.logProto, c.protocol), t.loc.fs.Name(), t.upload, t.bytes.Load(), err == nil)
	logger.Transfer(c.log, logger.TransferRecord{
		Upload:       t.upload,
		LocalAddr:    c.LocalAddr(),
		RemoteAddr:   c.remoteAddr,
		Elapsed:      elapsed,
		Size:         t.bytes.Load(),
		Username:     c.User.Username,
		FilePath:     filePath,
		VirtualPath:  t.vpath,
		ConnectionID: c.id,
		Protocol:     cmp.Or(t.logProto, c.protocol),
		FTPMode:      t.logFTPMode,
		Err:          err,
	})
}

func (c *BaseConnection) updateTransferQuota(ul, dl int64) {
	if ul == 0 && dl == 0 {
		return
	}
	u := &c.User
	limited := u.UploadDataTransfer > 0 || u.DownloadDataTransfer > 0 || u.TotalDataTransfer > 0 || len(u.Filters.DataTransferLimits) > 0
	if !limited {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.srv.deps.Store.UpdateUserTransferQuota(ctx, u.Username, ul, dl, false); err != nil {
		c.log.Warn("unable to update data transfer quota", "error", err)
	}
}
