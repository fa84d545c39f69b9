package objstore

import (
	"context"
	"maps"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// Metadata implements vfs.MetadataFs: the object's user metadata, as the
// store returns it on a HEAD request.
func (f *Fs) Metadata(ctx context.Context, name string) (map[string]string, error) {
	p, err := f.clean(ctx, "metadata", name)
	if err != nil {
		return nil, err
	}
	e, err := f.lookup(ctx, p)
	if err != nil {
		return nil, wrap(ctx, "metadata", name, err)
	}
	if !e.file {
		return nil, pathErr("metadata", name, vfs.ErrIsDir)
	}
	return maps.Clone(e.obj.Meta), nil
}

var _ vfs.MetadataFs = (*Fs)(nil)
