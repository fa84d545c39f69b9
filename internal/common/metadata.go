package common

import (
	"context"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// readMetadata, with common.metadata.read 1, reads the user metadata of
// the file a download is about to read from a backend that keeps some
// (object stores), so the download's pre-download and download actions
// carry it (SFTPGO_ACTION_METADATA, "metadata"). A failure only costs
// the metadata: the download goes on.
func (c *BaseConnection) readMetadata(ctx context.Context, loc *location) {
	if c.srv.cfg.Metadata.Read != 1 {
		return
	}
	m, err := vfs.Metadata(ctx, loc.fs, loc.fsPath)
	if err != nil {
		c.log.Warn("unable to read the file's metadata", "path", loc.vpath, "error", err)
		return
	}
	loc.metadata = m
}
