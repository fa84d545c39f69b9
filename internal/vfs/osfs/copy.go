package osfs

import (
	"context"
	"io"
	"os"
)

// copyChunk bounds each kernel copy so a cancelled context stops a large
// copy between chunks.
const copyChunk = 64 << 20

// Copy implements vfs.CopyFs: a real copy of a regular file's bytes (the
// kernel may share extents on file systems that support it), with the
// source's permission bits. A failed copy leaves no destination behind.
func (f *Fs) Copy(ctx context.Context, src, dst string) error {
	in, err := f.openRegular(ctx, "copy", src, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer in.Close()
	sfi, err := in.Stat()
	if err != nil {
		return mapErr("copy", src, err, false)
	}
	d, err := rel("copy", dst)
	if err != nil {
		return err
	}
	if dfi, err := f.root.Stat(d); err == nil && os.SameFile(sfi, dfi) {
		return nil // truncating dst would destroy src
	}
	out, err := f.openRegular(ctx, "copy", dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, sfi.Mode().Perm())
	if err != nil {
		return err
	}
	err = copyFile(ctx, out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = f.root.Remove(d)
		return mapErr("copy", dst, err, false)
	}
	return nil
}

func copyFile(ctx context.Context, out, in *os.File) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		// io.CopyN goes through (*os.File).ReadFrom, which uses
		// copy_file_range where available.
		n, err := io.CopyN(out, in, copyChunk)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if n < copyChunk {
			return nil
		}
	}
}
