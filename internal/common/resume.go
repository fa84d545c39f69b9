package common

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// createForResume opens the stream that continues an existing file of
// size existing at name. Backends that append (remote SFTP and FTP) do
// it natively. Object stores cannot change an object, so, as in SFTPGo,
// a resume there rewrites it: a new upload that first copies the
// existing content, allowed only for files up to common.resume_max_size
// (0, the default, refuses). Until the new upload commits, the old
// object stays as it was.
func (c *BaseConnection) createForResume(ctx context.Context, fsys vfs.Fs, name string, existing int64, opts vfs.CreateOptions) (vfs.Writer, error) {
	opts.Append = true
	w, err := fsys.Create(ctx, name, opts)
	if !errors.Is(err, vfs.ErrNotSupported) {
		return w, err
	}
	limit := c.srv.cfg.ResumeMaxSize
	if limit <= 0 {
		return nil, newErr(vfs.ErrNotSupported, "resuming uploads is not enabled on this storage (common.resume_max_size)")
	}
	if existing > limit {
		return nil, newErr(vfs.ErrNotSupported,
			fmt.Sprintf("this file is too large to resume on this storage: %d bytes, the limit (common.resume_max_size) is %d", existing, limit))
	}
	r, err := fsys.Open(ctx, name, 0)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	opts.Append = false
	if opts.Size >= 0 && opts.Size < existing {
		opts.Size = -1
	}
	w, err = fsys.Create(ctx, name, opts)
	if err != nil {
		return nil, err
	}
	n, err := io.Copy(w, io.LimitReader(r, existing))
	if err == nil && n != existing {
		err = fmt.Errorf("the stored file shrank while resuming: read %d of %d bytes", n, existing)
	}
	if err != nil {
		_ = w.Cancel()
		return nil, err
	}
	c.log.Debug("resume by rewrite", "path", name, "existing", existing)
	return w, nil
}
