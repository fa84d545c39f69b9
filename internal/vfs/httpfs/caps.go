package httpfs

import (
	"context"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// Chmod implements vfs.ChmodFs (PATCH chmod/{name}?mode=, the mode as
// Go's fs.FileMode bits).
func (f *Fs) Chmod(ctx context.Context, name string, mode fs.FileMode) error {
	c, err := clean(name)
	if err != nil {
		return mapErr("chmod", name, err)
	}
	q := url.Values{"mode": {strconv.FormatUint(uint64(mode), 10)}}
	defer f.changed(ctx)
	return mapErr("chmod", name, f.call(ctx, http.MethodPatch, "chmod", c, q))
}

// Chtimes implements vfs.ChtimesFs (PATCH chtimes/{name} with RFC 3339
// access_time and modification_time).
func (f *Fs) Chtimes(ctx context.Context, name string, atime, mtime time.Time) error {
	c, err := clean(name)
	if err != nil {
		return mapErr("chtimes", name, err)
	}
	q := url.Values{
		"access_time":       {atime.UTC().Format(time.RFC3339Nano)},
		"modification_time": {mtime.UTC().Format(time.RFC3339Nano)},
	}
	defer f.changed(ctx)
	return mapErr("chtimes", name, f.call(ctx, http.MethodPatch, "chtimes", c, q))
}

// Truncate implements vfs.TruncateFs (PATCH truncate/{name}?size=).
func (f *Fs) Truncate(ctx context.Context, name string, size int64) error {
	c, err := clean(name)
	if err != nil {
		return mapErr("truncate", name, err)
	}
	if size < 0 {
		return mapErr("truncate", name, fs.ErrInvalid)
	}
	q := url.Values{"size": {strconv.FormatInt(size, 10)}}
	defer f.changed(ctx)
	return mapErr("truncate", name, f.call(ctx, http.MethodPatch, "truncate", c, q))
}

// wireStatVFS is the StatVFS of the protocol (statvfs(3) names).
type wireStatVFS struct {
	BSize   uint64 `json:"bsize"`
	FrSize  uint64 `json:"frsize"`
	Blocks  uint64 `json:"blocks"`
	BFree   uint64 `json:"bfree"`
	BAvail  uint64 `json:"bavail"`
	Files   uint64 `json:"files"`
	FFree   uint64 `json:"ffree"`
	FAvail  uint64 `json:"favail"`
	FSID    uint64 `json:"fsid"`
	Flag    uint64 `json:"flag"`
	NameMax uint64 `json:"namemax"`
}

// StatVFS implements vfs.StatVFSFs (GET statvfs/{name}); a service
// without it answers 501, which is vfs.ErrNotSupported.
func (f *Fs) StatVFS(ctx context.Context, name string) (*vfs.StatVFS, error) {
	c, err := clean(name)
	if err != nil {
		return nil, mapErr("statvfs", name, err)
	}
	var w wireStatVFS
	if err := f.getJSON(ctx, "statvfs", c, &w); err != nil {
		return nil, mapErr("statvfs", name, err)
	}
	return &vfs.StatVFS{
		BlockSize: w.BSize, FragSize: w.FrSize, Blocks: w.Blocks, BlocksFree: w.BFree, BlocksAvail: w.BAvail,
		Files: w.Files, FilesFree: w.FFree, FilesAvail: w.FAvail, NameMaxLen: w.NameMax,
	}, nil
}

// DirSize asks the service for the number of files and their total size
// below dir, recursively (GET dirsize/{name}): one call instead of a
// walk, for quota scans.
func (f *Fs) DirSize(ctx context.Context, dir string) (files int, size int64, err error) {
	c, err := clean(dir)
	if err != nil {
		return 0, 0, mapErr("dirsize", dir, err)
	}
	var w struct {
		Files int   `json:"files"`
		Size  int64 `json:"size"`
	}
	if err := f.getJSON(ctx, "dirsize", c, &w); err != nil {
		return 0, 0, mapErr("dirsize", dir, err)
	}
	return w.Files, w.Size, nil
}

// MimeType asks the service for a file's content type (GET
// mimetype/{name}).
func (f *Fs) MimeType(ctx context.Context, name string) (string, error) {
	c, err := clean(name)
	if err != nil {
		return "", mapErr("mimetype", name, err)
	}
	var w struct {
		Mime string `json:"mime"`
	}
	if err := f.getJSON(ctx, "mimetype", c, &w); err != nil {
		return "", mapErr("mimetype", name, err)
	}
	return w.Mime, nil
}
