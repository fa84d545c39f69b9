package common

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"hash"
	"hash/crc32"
	"io"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// NewHash returns the hash for an algorithm name ("md5", "sha1",
// "sha256", "sha512", "crc32"), or nil.
func NewHash(algo string) hash.Hash {
	switch algo {
	case "md5":
		return md5.New()
	case "sha1":
		return sha1.New()
	case "sha256":
		return sha256.New()
	case "sha512":
		return sha512.New()
	case "crc32":
		return crc32.NewIEEE()
	}
	return nil
}

// Checksum returns the lowercase hex checksum of a file. It needs the
// download permission; a checksum the storage already holds (vfs.HashFs)
// is used when available, otherwise the file is read through a download
// transfer (bandwidth limits and transfer counters apply).
func (c *BaseConnection) Checksum(ctx context.Context, vpath, algo string) (string, error) {
	h := NewHash(algo)
	if h == nil {
		return "", newErr(vfs.ErrNotSupported, "unsupported hash algorithm")
	}
	vpath = dataprovider.CleanVirtualPath(vpath)
	if err := c.requirePerm(dataprovider.PermDownload, parentDir(vpath)); err != nil {
		return "", err
	}
	if err := c.checkPattern(vpath); err != nil {
		return "", err
	}
	loc, err := c.resolve(vpath)
	if err != nil {
		return "", err
	}
	sum, err := vfs.StoredHash(ctx, loc.fs, loc.fsPath, algo)
	if err == nil {
		return sum, nil
	}
	if !errors.Is(err, vfs.ErrNotSupported) {
		return "", c.fail("hash", vpath, err)
	}
	t, err := c.OpenForRead(ctx, vpath, 0)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(h, t)
	if cerr := t.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", userError(err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
