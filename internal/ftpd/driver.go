package ftpd

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// driver is the library's ClientDriver of a logged-in connection: every
// operation goes through the session's common.BaseConnection, which
// applies permissions, file patterns, quotas and bandwidth limits.
type driver struct {
	b    *binding
	sess *session
	conn *common.BaseConnection
	cc   ftpserver.ClientContext
	// glob is the wildcard path the last LIST/NLST stat accepted.
	glob string
}

func newDriver(b *binding, sess *session) *driver {
	return &driver{b: b, sess: sess, conn: sess.conn.Load(), cc: sess.cc}
}

var errNotImplemented = errors.New("not supported")

// abs makes a path from the library absolute: a few library paths (the
// argument of HASH) arrive relative to the working directory.
func (d *driver) abs(name string) string {
	if !path.IsAbs(name) {
		name = path.Join(d.cc.Path(), name)
	}
	return dataprovider.CleanVirtualPath(name)
}

// Name implements afero.Fs.
func (d *driver) Name() string { return "sftpgo" }

// Create implements afero.Fs; uploads go through GetHandle.
func (d *driver) Create(string) (afero.File, error) { return nil, errNotImplemented }

// Open implements afero.Fs; downloads and listings go through GetHandle
// and ReadDir.
func (d *driver) Open(string) (afero.File, error) { return nil, errNotImplemented }

// OpenFile implements afero.Fs; see Open.
func (d *driver) OpenFile(string, int, os.FileMode) (afero.File, error) {
	return nil, errNotImplemented
}

// MkdirAll implements afero.Fs (SITE MKDIR, not offered).
func (d *driver) MkdirAll(string, os.FileMode) error { return errNotImplemented }

// RemoveAll implements afero.Fs (SITE RMDIR, not offered).
func (d *driver) RemoveAll(string) error { return errNotImplemented }

// Chown implements afero.Fs (SITE CHOWN, not offered).
func (d *driver) Chown(string, int, int) error { return errNotImplemented }

// Mkdir implements afero.Fs (MKD).
func (d *driver) Mkdir(name string, _ os.FileMode) error {
	d.conn.SetCommand("MKD " + name)
	return ftpError(d.conn.Mkdir(d.conn.Context(), d.abs(name)))
}

// Remove implements afero.Fs (DELE).
func (d *driver) Remove(name string) error {
	d.conn.SetCommand("DELE " + name)
	return ftpError(d.conn.Remove(d.conn.Context(), d.abs(name)))
}

// RemoveDir implements ftpserver.ClientDriverExtensionRemoveDir (RMD).
func (d *driver) RemoveDir(name string) error {
	d.conn.SetCommand("RMD " + name)
	return ftpError(d.conn.RemoveDir(d.conn.Context(), d.abs(name)))
}

// Rename implements afero.Fs (RNFR/RNTO).
func (d *driver) Rename(oldname, newname string) error {
	d.conn.SetCommand("RNTO " + newname)
	return ftpError(d.conn.Rename(d.conn.Context(), d.abs(oldname), d.abs(newname)))
}

// Chmod implements afero.Fs (SITE CHMOD).
func (d *driver) Chmod(name string, mode os.FileMode) error {
	return ftpError(d.conn.Chmod(d.conn.Context(), d.abs(name), mode))
}

// Chtimes implements afero.Fs (MFMT).
func (d *driver) Chtimes(name string, atime, mtime time.Time) error {
	d.conn.SetCommand("MFMT " + name)
	return ftpError(d.conn.Chtimes(d.conn.Context(), d.abs(name), atime, mtime))
}

// Symlink implements ftpserver.ClientDriverExtensionSymlink (SITE SYMLINK).
func (d *driver) Symlink(oldname, newname string) error {
	return ftpError(d.conn.Symlink(d.conn.Context(), d.abs(oldname), d.abs(newname)))
}

func hasGlob(name string) bool { return strings.ContainsAny(path.Base(name), "*?[") }

func isListCommand(cmd string) bool { return cmd == "LIST" || cmd == "NLST" }

// Stat implements afero.Fs. For LIST and NLST, a last path element with
// shell wildcards that names no file is accepted as a directory; ReadDir
// then lists the matching entries of its parent.
func (d *driver) Stat(name string) (os.FileInfo, error) {
	p := d.abs(name)
	fi, err := d.conn.Stat(d.conn.Context(), p)
	if err == nil {
		return fi, nil
	}
	if errors.Is(err, fs.ErrNotExist) && hasGlob(p) && isListCommand(d.cc.GetLastCommand()) {
		if _, perr := path.Match(path.Base(p), ""); perr != nil {
			return nil, fmt.Errorf("invalid pattern %q", path.Base(p))
		}
		parent, perr := d.conn.Stat(d.conn.Context(), path.Dir(p))
		if perr == nil && parent.IsDir() {
			d.glob = p
			return &vfs.FileInfo{FName: path.Base(p), FMode: os.ModeDir | 0o755, FModTime: parent.ModTime()}, nil
		}
	}
	return nil, ftpError(err)
}

// ReadDir implements ftpserver.ClientDriverExtensionFileList.
func (d *driver) ReadDir(name string) ([]os.FileInfo, error) {
	p := d.abs(name)
	pattern := ""
	if d.glob != "" && d.glob == p {
		d.glob = ""
		pattern = path.Base(p)
		p = path.Dir(p)
		// NLST prints names relative to the listed directory
		d.cc.SetListPath(p)
	}
	d.conn.SetCommand(d.cc.GetLastCommand() + " " + name)
	l, err := d.conn.ListDir(d.conn.Context(), p)
	if err != nil {
		return nil, ftpError(err)
	}
	defer l.Close()
	var out []os.FileInfo
	for {
		batch, err := l.Next(1000)
		for _, fi := range batch {
			if pattern != "" {
				if ok, _ := path.Match(pattern, fi.Name()); !ok {
					continue
				}
			}
			out = append(out, fi)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, ftpError(err)
		}
	}
}

// GetHandle implements ftpserver.ClientDriverExtentionFileTransfer: RETR,
// STOR (with REST: resume at offset), APPE, and the parts of COMB.
func (d *driver) GetHandle(name string, flags int, offset int64) (ftpserver.FileTransfer, error) {
	p := d.abs(name)
	ctx := d.conn.Context()
	cmd := d.cc.GetLastCommand()
	if cmd == "COMB" && !d.isLocal(p) {
		return nil, errors.New("COMB is supported on local storage only")
	}
	if flags&(os.O_WRONLY|os.O_RDWR) == 0 {
		d.conn.SetCommand("RETR " + name)
		t, err := d.conn.OpenForRead(ctx, p, offset)
		if err != nil {
			return nil, ftpError(err)
		}
		t.SetLogFTPMode(ftpMode(d.cc))
		return &file{t: t, start: offset}, nil
	}
	d.conn.SetCommand(cmd + " " + name)
	opts := common.WriteOptions{Size: -1}
	switch {
	case flags&os.O_APPEND != 0:
		// APPE, and COMB into an existing file: from the current end
	case flags&os.O_TRUNC != 0 || offset == 0:
		opts.Truncate = true
	default:
		// REST n + STOR: rewrite from byte n of an existing file
		fi, err := d.conn.Stat(ctx, p)
		if err != nil {
			return nil, ftpError(err)
		}
		if offset > fi.Size() {
			return nil, fmt.Errorf("restart offset %d is beyond the file size %d", offset, fi.Size())
		}
		opts.Offset = offset
	}
	t, err := d.conn.OpenForWrite(ctx, p, opts)
	if err != nil {
		return nil, ftpError(err)
	}
	t.SetLogFTPMode(ftpMode(d.cc))
	return &file{t: t, start: opts.Offset}, nil
}

// ftpMode names the data connection mode for the transfer log line.
func ftpMode(cc ftpserver.ClientContext) string {
	switch cc.GetLastDataChannel() {
	case ftpserver.DataChannelActive:
		return "active"
	case ftpserver.DataChannelPassive:
		return "passive"
	}
	return ""
}

// isLocal reports whether vpath is on local (unencrypted) storage.
func (d *driver) isLocal(vpath string) bool {
	u := &d.conn.User
	provider := u.FsConfig.Provider
	if f, ok := u.GetVirtualFolderForPath(vpath); ok {
		provider = f.FsConfig.Provider
	}
	return provider == dataprovider.LocalFilesystemProvider
}

// siteErrorCode is 504 (not implemented for that parameter) when the
// storage lacks the capability, 550 otherwise.
func siteErrorCode(err error) int {
	if errors.Is(err, vfs.ErrNotSupported) {
		return ftpserver.StatusNotImplementedParam
	}
	return ftpserver.StatusActionNotTaken
}

// Site implements ftpserver.ClientDriverExtensionSite: SITE CHMOD and
// SITE SYMLINK (enable_site); other subcommands are refused.
func (d *driver) Site(param string) *ftpserver.AnswerCommand {
	sub, rest, _ := strings.Cut(strings.TrimSpace(param), " ")
	switch strings.ToUpper(sub) {
	case "CHMOD":
		modeStr, target, ok := strings.Cut(strings.TrimSpace(rest), " ")
		mode, err := strconv.ParseUint(modeStr, 8, 32)
		if !ok || err != nil || mode > 0o7777 || strings.TrimSpace(target) == "" {
			return &ftpserver.AnswerCommand{Code: ftpserver.StatusSyntaxErrorParameters, Message: "usage: SITE CHMOD <octal mode> <path>"}
		}
		d.conn.SetCommand("SITE CHMOD " + target)
		if err := d.Chmod(strings.TrimSpace(target), unixMode(mode)); err != nil {
			return &ftpserver.AnswerCommand{Code: siteErrorCode(err), Message: "SITE CHMOD failed: " + err.Error()}
		}
		return &ftpserver.AnswerCommand{Code: ftpserver.StatusOK, Message: "SITE CHMOD command successful"}
	case "SYMLINK":
		args, err := splitQuoted(rest)
		if err != nil || len(args) != 2 {
			return &ftpserver.AnswerCommand{Code: ftpserver.StatusSyntaxErrorParameters, Message: "usage: SITE SYMLINK <target> <link>"}
		}
		d.conn.SetCommand("SITE SYMLINK " + args[1])
		if err := d.Symlink(args[0], args[1]); err != nil {
			return &ftpserver.AnswerCommand{Code: siteErrorCode(err), Message: "SITE SYMLINK failed: " + err.Error()}
		}
		return &ftpserver.AnswerCommand{Code: ftpserver.StatusOK, Message: "SITE SYMLINK command successful"}
	}
	return &ftpserver.AnswerCommand{Code: ftpserver.StatusCommandNotImplemented, Message: "SITE " + strings.ToUpper(sub) + " is not supported"}
}

// unixMode turns octal permission bits, with setuid/setgid/sticky, into
// an os.FileMode.
func unixMode(m uint64) os.FileMode {
	mode := os.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		mode |= os.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= os.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= os.ModeSticky
	}
	return mode
}

// splitQuoted splits on spaces, keeping double-quoted parts together.
func splitQuoted(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inQuote, started := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inQuote = !inQuote
			started = true
		case r == ' ' && !inQuote:
			if started {
				out = append(out, cur.String())
				cur.Reset()
				started = false
			}
		default:
			cur.WriteRune(r)
			started = true
		}
	}
	if inQuote {
		return nil, errors.New("unbalanced quotes")
	}
	if started {
		out = append(out, cur.String())
	}
	return out, nil
}

var (
	_ ftpserver.ClientDriver                        = (*driver)(nil)
	_ ftpserver.ClientDriverExtensionFileList       = (*driver)(nil)
	_ ftpserver.ClientDriverExtentionFileTransfer   = (*driver)(nil)
	_ ftpserver.ClientDriverExtensionRemoveDir      = (*driver)(nil)
	_ ftpserver.ClientDriverExtensionSymlink        = (*driver)(nil)
	_ ftpserver.ClientDriverExtensionSite           = (*driver)(nil)
	_ ftpserver.ClientDriverExtensionHasher         = (*driver)(nil)
	_ ftpserver.ClientDriverExtensionAvailableSpace = (*driver)(nil)
	_ ftpserver.ClientDriverExtensionAllocate       = (*driver)(nil)
)
