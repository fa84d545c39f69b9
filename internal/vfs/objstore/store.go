// Package objstore turns a flat object store (S3, Google Cloud Storage,
// Azure Blob) into a vfs.Fs: directories emulated over key prefixes with
// marker objects for empty ones, modification times kept in object
// metadata, uploads streamed as multipart uploads with bounded memory,
// downloads as parallel ranged reads, renames as server-side copies.
//
// A backend implements the small Store interface over its SDK; everything
// that is the same for every store lives here once.
package objstore

import (
	"context"
	"io"
	"time"
)

// Object describes one stored object.
type Object struct {
	// Key is the full object key, store prefix included.
	Key  string
	Size int64
	// ModTime is the modification time kept in metadata when the store
	// returned it, the store's last-modified time otherwise.
	ModTime time.Time
	// ETag identifies this version of the content; Get uses it so that a
	// download in several requests never mixes two versions.
	ETag string
	// MD5 is the digest of the whole content when the store vouches for
	// it, nil otherwise.
	MD5 []byte
	// Meta is the object's user metadata when the store returned it
	// (Head does; listings may not).
	Meta map[string]string
}

// Page is one page of a listing.
type Page struct {
	Objects []Object
	// Prefixes are the common prefixes ("sub-directories", ending in the
	// delimiter) of a delimited listing.
	Prefixes []string
	// Next continues the listing; empty on the last page.
	Next string
}

// Features are a store's limits and abilities.
type Features struct {
	// MinPartSize is the smallest part but the last of a multipart upload.
	MinPartSize int64
	// MaxPartSize is the largest part (0: no limit worth mentioning).
	MaxPartSize int64
	// MaxParts is the largest number of parts of one upload.
	MaxParts int
	// Sequential stores take the parts of an upload one at a time, in
	// order (a resumable upload); the writer then uploads no part
	// concurrently with another.
	Sequential bool
	// ContentMD5 stores keep the MD5 given to Upload.Complete.
	ContentMD5 bool
	// ListModTime stores return the metadata modification time in
	// listings; for the others a directory's marker is read with Head.
	ListModTime bool
}

// Store is the object API a backend provides. Keys are full keys; errors
// for missing objects wrap fs.ErrNotExist. Every method honours ctx.
type Store interface {
	Features() Features
	// Head returns an object's attributes.
	Head(ctx context.Context, key string) (Object, error)
	// List returns up to max entries under prefix. With delimiter "/" it
	// groups deeper keys into Prefixes; with "" it lists recursively.
	List(ctx context.Context, prefix, delimiter, token string, max int) (Page, error)
	// Get reads length bytes (to the end when length < 0) from off. A
	// non-empty etag makes the read fail if the object changed since.
	Get(ctx context.Context, key string, off, length int64, etag string) (io.ReadCloser, error)
	// Put stores a small object in one request.
	Put(ctx context.Context, key string, data []byte, mtime time.Time) error
	// NewUpload starts a multipart upload; nothing is visible before
	// Complete.
	NewUpload(ctx context.Context, key string, mtime time.Time) (Upload, error)
	// Copy copies src to dst server-side, metadata included.
	Copy(ctx context.Context, src Object, dst string) error
	// SetModTime replaces the modification time kept in obj's metadata.
	SetModTime(ctx context.Context, obj Object, mtime time.Time) error
	// Delete removes one object; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	Close() error
}

// Upload is a multipart upload in progress.
type Upload interface {
	// Part uploads part number n (from 1). Parts may arrive concurrently
	// and out of order unless Features.Sequential is set; data is only
	// borrowed for the call.
	Part(ctx context.Context, n int, data []byte) error
	// Complete publishes the object from parts 1..n; md5 is the digest of
	// the whole content, for stores with Features.ContentMD5.
	Complete(ctx context.Context, n int, md5 []byte) error
	// Abort discards the parts.
	Abort(ctx context.Context) error
}
