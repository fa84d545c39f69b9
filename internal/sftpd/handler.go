package sftpd

import (
	"context"
	"errors"
	"io"
	"os"
	"path"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

func (s *Server) serveSFTP(conn *common.BaseConnection, ch ssh.Channel) {
	h := &handler{conn: conn, startDir: "/"}
	if sd := conn.User.Filters.StartDirectory; sd != "" {
		h.startDir = dataprovider.CleanVirtualPath(sd)
	}
	var rh requestHandler = h
	start := h.startDir
	if prefix := dataprovider.CleanVirtualPath(s.cfg.FolderPrefix); prefix != "/" {
		rh = &prefixHandler{h: h, prefix: prefix}
		start = dataprovider.CleanVirtualPath(prefix + h.startDir)
	}
	g := &guard{h: rh, conn: conn, handles: &handleLimit{max: maxHandlesPerSession}}
	handlers := sftp.Handlers{FileGet: g, FilePut: g, FileCmd: g, FileList: g}
	rs := sftp.NewRequestServer(newSFTPChannel(ch), handlers, sftp.WithStartDirectory(start),
		sftp.WithRSMaxTxPacket(maxSFTPData))
	conn.SetCommand("sftp")
	if err := rs.Serve(); err != nil && !errors.Is(err, io.EOF) {
		conn.Logger().Debug("sftp session ended", "error", err)
	}
	// not rs.Close(): it would close the channel before the exit status
	// that clients such as scp in SFTP mode wait for
}

// handler maps pkg/sftp requests onto a common.BaseConnection.
type handler struct {
	conn     *common.BaseConnection
	startDir string
}

var (
	_ sftp.FileReader           = (*handler)(nil)
	_ sftp.OpenFileWriter       = (*handler)(nil)
	_ sftp.PosixRenameFileCmder = (*handler)(nil)
	_ sftp.StatVFSFileCmder     = (*handler)(nil)
	_ sftp.LstatFileLister      = (*handler)(nil)
	_ sftp.RealPathFileLister   = (*handler)(nil)
	_ sftp.ReadlinkFileLister   = (*handler)(nil)
)

// file adapts a transfer to pkg/sftp, mapping errors to status codes.
type file struct {
	t *common.Transfer
}

func (f *file) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.t.ReadAt(p, off)
	return n, sftpError(err)
}

func (f *file) WriteAt(p []byte, off int64) (int, error) {
	n, err := f.t.WriteAt(p, off)
	return n, sftpError(err)
}

func (f *file) Close() error { return sftpError(f.t.Close()) }

// TransferError implements sftp.TransferError: the session ended with the
// file still open, so an upload is treated as failed.
func (f *file) TransferError(err error) { f.t.TransferError(err) }

func (h *handler) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	h.conn.SetCommand("download " + r.Filepath)
	t, err := h.conn.OpenForRead(reqContext(r), r.Filepath, 0)
	if err != nil {
		return nil, sftpError(err)
	}
	t.SetLogProtocol(logProtocolSFTP)
	return &file{t}, nil
}

func (h *handler) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	return h.openWrite(r, false)
}

func (h *handler) OpenFile(r *sftp.Request) (sftp.WriterAtReaderAt, error) {
	return h.openWrite(r, true)
}

func (h *handler) openWrite(r *sftp.Request, readWrite bool) (*file, error) {
	h.conn.SetCommand("upload " + r.Filepath)
	flags := r.Pflags()
	opts := common.WriteOptions{
		Truncate:  flags.Trunc,
		Exclusive: flags.Creat && flags.Excl,
		ReadWrite: readWrite,
		Size:      -1,
	}
	if !flags.Creat {
		if _, err := h.conn.Lstat(reqContext(r), r.Filepath); err != nil {
			return nil, sftpError(err)
		}
	}
	t, err := h.conn.OpenForWrite(reqContext(r), r.Filepath, opts)
	if err != nil {
		return nil, sftpError(err)
	}
	t.SetLogProtocol(logProtocolSFTP)
	return &file{t}, nil
}

func (h *handler) Filecmd(r *sftp.Request) error {
	ctx := reqContext(r)
	h.conn.SetCommand(r.Method + " " + r.Filepath)
	var err error
	switch r.Method {
	case "Setstat":
		err = h.setstat(r)
	case "Rename":
		err = h.conn.Rename(ctx, r.Filepath, r.Target)
	case "Rmdir":
		err = h.conn.RemoveDir(ctx, r.Filepath)
	case "Remove":
		err = h.conn.Remove(ctx, r.Filepath)
	case "Mkdir":
		err = h.conn.Mkdir(ctx, r.Filepath)
	case "Symlink":
		// pkg/sftp: Filepath is the link's target, Target the new link
		err = h.conn.Symlink(ctx, r.Filepath, r.Target)
	case "Link":
		err = h.conn.Hardlink(ctx, r.Filepath, r.Target)
	default:
		return sftp.ErrSSHFxOpUnsupported
	}
	return sftpError(err)
}

func (h *handler) setstat(r *sftp.Request) error {
	ctx := reqContext(r)
	flags := r.AttrFlags()
	attrs := r.Attributes()
	if attrs == nil {
		// the flags announce attributes the packet does not carry
		return sftp.ErrSSHFxBadMessage
	}
	if flags.Size {
		if err := h.conn.Truncate(ctx, r.Filepath, int64(attrs.Size)); err != nil {
			return err
		}
	}
	if flags.Permissions {
		if err := h.conn.Chmod(ctx, r.Filepath, attrs.FileMode().Perm()); err != nil {
			return err
		}
	}
	if flags.UidGid {
		if err := h.conn.Chown(ctx, r.Filepath, int(attrs.UID), int(attrs.GID)); err != nil {
			return err
		}
	}
	if flags.Acmodtime {
		if err := h.conn.Chtimes(ctx, r.Filepath, time.Unix(int64(attrs.Atime), 0), time.Unix(int64(attrs.Mtime), 0)); err != nil {
			return err
		}
	}
	return nil
}

func (h *handler) PosixRename(r *sftp.Request) error {
	h.conn.SetCommand("rename " + r.Filepath)
	return sftpError(h.conn.Rename(reqContext(r), r.Filepath, r.Target))
}

func (h *handler) StatVFS(r *sftp.Request) (*sftp.StatVFS, error) {
	st, err := h.conn.StatVFS(reqContext(r), r.Filepath)
	if err != nil {
		return nil, sftpError(err)
	}
	return &sftp.StatVFS{
		Bsize: st.BlockSize, Frsize: st.FragSize, Blocks: st.Blocks, Bfree: st.BlocksFree,
		Bavail: st.BlocksAvail, Files: st.Files, Ffree: st.FilesFree, Favail: st.FilesAvail,
		Namemax: st.NameMaxLen,
	}, nil
}

func (h *handler) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	ctx := reqContext(r)
	switch r.Method {
	case "List":
		h.conn.SetCommand("list " + r.Filepath)
		dl, err := h.conn.ListDir(ctx, r.Filepath)
		if err != nil {
			return nil, sftpError(err)
		}
		return &dirLister{dl: dl}, nil
	case "Stat":
		fi, err := h.conn.Stat(ctx, r.Filepath)
		if err != nil {
			return nil, sftpError(err)
		}
		return listOf{fi}, nil
	case "Readlink":
		target, err := h.Readlink(r.Filepath)
		if err != nil {
			return nil, err
		}
		return listOf{&linkInfo{name: target}}, nil
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}

func (h *handler) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	fi, err := h.conn.Lstat(reqContext(r), r.Filepath)
	if err != nil {
		return nil, sftpError(err)
	}
	return listOf{fi}, nil
}

// RealPath resolves a client path against the start directory; it never
// leaves "/".
func (h *handler) RealPath(p string) (string, error) {
	if !path.IsAbs(p) {
		p = path.Join(h.startDir, p)
	}
	return dataprovider.CleanVirtualPath(p), nil
}

func (h *handler) Readlink(p string) (string, error) {
	target, err := h.conn.Readlink(h.conn.Context(), p)
	return target, sftpError(err)
}

// listOf is a fixed listing.
type listOf []os.FileInfo

func (l listOf) ListAt(ls []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(ls, l[off:])
	if n < len(ls) {
		return n, io.EOF
	}
	return n, nil
}

// dirLister feeds pkg/sftp's paged reads from a common.DirLister.
type dirLister struct {
	mu  sync.Mutex
	dl  *common.DirLister
	buf []os.FileInfo
	eof bool
}

func (l *dirLister) ListAt(ls []os.FileInfo, _ int64) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for n < len(ls) {
		if len(l.buf) == 0 {
			if l.eof {
				break
			}
			batch, err := l.dl.Next(len(ls) - n)
			l.buf = batch
			if errors.Is(err, io.EOF) {
				l.eof = true
			} else if err != nil {
				return n, sftpError(err)
			}
			continue
		}
		c := copy(ls[n:], l.buf)
		l.buf = l.buf[c:]
		n += c
	}
	if n < len(ls) && l.eof {
		return n, io.EOF
	}
	return n, nil
}

func (l *dirLister) Close() error { return l.dl.Close() }

// linkInfo names a symlink target in a Readlink reply.
type linkInfo struct{ name string }

func (l *linkInfo) Name() string       { return l.name }
func (l *linkInfo) Size() int64        { return 0 }
func (l *linkInfo) Mode() os.FileMode  { return os.ModeSymlink }
func (l *linkInfo) ModTime() time.Time { return time.Time{} }
func (l *linkInfo) IsDir() bool        { return false }
func (l *linkInfo) Sys() any           { return nil }

// reqContext is the context of one SFTP request, with a lookup cache so
// the checks of one request ask an object store once (vfs.LookupCache).
func reqContext(r *sftp.Request) context.Context {
	return vfs.WithLookupCache(r.Context())
}
