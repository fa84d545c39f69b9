package sftpd

import (
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/pkg/sftp"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// prefixHandler implements sftpd.folder_prefix: SFTP clients see the
// user's tree under the prefix (for example "/files"); permissions, file
// patterns and virtual folders keep using paths without it. The prefix's
// ancestors are read-only directories holding only the next component;
// anything else outside the prefix does not exist.
type prefixHandler struct {
	h      *handler
	prefix string // clean, not "/"
}

var (
	_ sftp.FileReader           = (*prefixHandler)(nil)
	_ sftp.OpenFileWriter       = (*prefixHandler)(nil)
	_ sftp.PosixRenameFileCmder = (*prefixHandler)(nil)
	_ sftp.StatVFSFileCmder     = (*prefixHandler)(nil)
	_ sftp.LstatFileLister      = (*prefixHandler)(nil)
	_ sftp.RealPathFileLister   = (*prefixHandler)(nil)
	_ sftp.ReadlinkFileLister   = (*prefixHandler)(nil)
)

// strip maps a client path to a virtual path. ancestor reports a path
// above the prefix ("/" included); ok is false outside the prefix.
func (p *prefixHandler) strip(client string) (vpath string, ancestor, ok bool) {
	c := dataprovider.CleanVirtualPath(client)
	if c == p.prefix {
		return "/", false, true
	}
	if rest, found := strings.CutPrefix(c, p.prefix+"/"); found {
		return "/" + rest, false, true
	}
	if c == "/" || strings.HasPrefix(p.prefix, c+"/") {
		return "", true, false
	}
	return "", false, false
}

// translate returns a copy of r with virtual paths; Target is translated
// for renames and links, a symlink's target only when absolute.
func (p *prefixHandler) translate(r *sftp.Request) (*sftp.Request, error) {
	vp, anc, ok := p.strip(r.Filepath)
	if r.Method == "Symlink" {
		// Filepath is the link's target: relative ones stay as they are
		vp, anc, ok = r.Filepath, false, true
		if path.IsAbs(r.Filepath) {
			if vp, anc, ok = p.strip(r.Filepath); !ok {
				return nil, sftp.ErrSSHFxNoSuchFile
			}
		}
	}
	if anc {
		return nil, sftp.ErrSSHFxPermissionDenied
	}
	if !ok {
		return nil, outsideError(r.Method)
	}
	r2 := r.WithContext(r.Context())
	r2.Filepath = vp
	if r.Target != "" {
		tp, tanc, tok := p.strip(r.Target)
		if tanc {
			return nil, sftp.ErrSSHFxPermissionDenied
		}
		if !tok {
			return nil, sftp.ErrSSHFxPermissionDenied
		}
		r2.Target = tp
	}
	return r2, nil
}

// outsideError: reads outside the prefix find nothing, changes are denied.
func outsideError(method string) error {
	switch method {
	case "Get", "Stat", "Lstat", "List", "Readlink":
		return sftp.ErrSSHFxNoSuchFile
	}
	return sftp.ErrSSHFxPermissionDenied
}

func (p *prefixHandler) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	r2, err := p.translate(r)
	if err != nil {
		return nil, err
	}
	return p.h.Fileread(r2)
}

func (p *prefixHandler) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	r2, err := p.translate(r)
	if err != nil {
		return nil, err
	}
	return p.h.Filewrite(r2)
}

func (p *prefixHandler) OpenFile(r *sftp.Request) (sftp.WriterAtReaderAt, error) {
	r2, err := p.translate(r)
	if err != nil {
		return nil, err
	}
	return p.h.OpenFile(r2)
}

func (p *prefixHandler) Filecmd(r *sftp.Request) error {
	r2, err := p.translate(r)
	if err != nil {
		return err
	}
	return p.h.Filecmd(r2)
}

func (p *prefixHandler) PosixRename(r *sftp.Request) error {
	r2, err := p.translate(r)
	if err != nil {
		return err
	}
	return p.h.PosixRename(r2)
}

func (p *prefixHandler) StatVFS(r *sftp.Request) (*sftp.StatVFS, error) {
	vp, anc, ok := p.strip(r.Filepath)
	if anc {
		vp, ok = "/", true
	}
	if !ok {
		return nil, sftp.ErrSSHFxNoSuchFile
	}
	r2 := r.WithContext(r.Context())
	r2.Filepath = vp
	return p.h.StatVFS(r2)
}

// ancestorList answers List/Stat/Lstat on a directory above the prefix.
func (p *prefixHandler) ancestorList(r *sftp.Request) (sftp.ListerAt, error) {
	c := dataprovider.CleanVirtualPath(r.Filepath)
	if r.Method != "List" {
		name := path.Base(c)
		return listOf{dirEntry(name)}, nil
	}
	rest := strings.TrimPrefix(p.prefix, c)
	rest = strings.TrimPrefix(rest, "/")
	next, _, _ := strings.Cut(rest, "/")
	return listOf{dirEntry(next)}, nil
}

func dirEntry(name string) os.FileInfo {
	return &dirInfoEntry{name: name}
}

type dirInfoEntry struct{ name string }

func (d *dirInfoEntry) Name() string       { return d.name }
func (d *dirInfoEntry) Size() int64        { return 0 }
func (d *dirInfoEntry) Mode() os.FileMode  { return os.ModeDir | 0o555 }
func (d *dirInfoEntry) ModTime() time.Time { return time.Now() }
func (d *dirInfoEntry) IsDir() bool        { return true }
func (d *dirInfoEntry) Sys() any           { return nil }

func (p *prefixHandler) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	if _, anc, _ := p.strip(r.Filepath); anc && r.Method != "Readlink" {
		return p.ancestorList(r)
	}
	r2, err := p.translate(r)
	if err != nil {
		return nil, err
	}
	if r.Method == "Readlink" {
		target, err := p.Readlink(r.Filepath)
		if err != nil {
			return nil, err
		}
		return listOf{&linkInfo{name: target}}, nil
	}
	return p.h.Filelist(r2)
}

func (p *prefixHandler) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	if _, anc, _ := p.strip(r.Filepath); anc {
		return p.ancestorList(r)
	}
	r2, err := p.translate(r)
	if err != nil {
		return nil, err
	}
	return p.h.Lstat(r2)
}

func (p *prefixHandler) RealPath(client string) (string, error) {
	if !path.IsAbs(client) {
		client = path.Join(p.prefix+p.h.startDir, client)
	}
	return dataprovider.CleanVirtualPath(client), nil
}

func (p *prefixHandler) Readlink(client string) (string, error) {
	vp, _, ok := p.strip(client)
	if !ok {
		return "", sftp.ErrSSHFxNoSuchFile
	}
	target, err := p.h.Readlink(vp)
	if err != nil {
		return "", err
	}
	if path.IsAbs(target) {
		target = path.Join(p.prefix, target)
	}
	return target, nil
}
