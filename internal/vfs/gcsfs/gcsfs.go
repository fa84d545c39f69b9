// Package gcsfs is the Google Cloud Storage backend: a bucket, optionally
// under a key prefix, served as a vfs.Fs through objstore. Uploads are
// resumable uploads streamed from the client, downloads ranged reads
// pinned to one object generation, renames server-side rewrites.
package gcsfs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/objstore"
)

// DefaultChunkSize is the default upload part size: each part is one
// request of the resumable upload.
const DefaultChunkSize = 16 << 20

// Config describes a bucket. Sizes are in bytes.
type Config struct {
	Bucket    string
	KeyPrefix string
	// CredentialsJSON is a service account (or other Google credentials)
	// JSON file's content. Empty means automatic credentials (the
	// environment's application default credentials).
	CredentialsJSON []byte
	// Endpoint selects an emulator ("http://127.0.0.1:4443"); without it
	// the SDK honours STORAGE_EMULATOR_HOST.
	Endpoint     string
	StorageClass string
	// ACL is a predefined ACL ("private", "publicRead", ...).
	ACL               string
	UploadPartSize    int64
	UploadPartMaxTime time.Duration
	// Download settings, as for the other object stores.
	DownloadPartSize    int64
	DownloadConcurrency int
}

// Fs is a GCS bucket as a vfs.Fs.
type Fs struct {
	*objstore.Fs
}

var (
	_ vfs.Fs        = (*Fs)(nil)
	_ vfs.CopyFs    = (*Fs)(nil)
	_ vfs.ChtimesFs = (*Fs)(nil)
	_ vfs.HashFs    = (*Fs)(nil)
)

// credentialTypes maps the "type" of a credentials file to the SDK's
// name; only these are accepted, so a file cannot point the SDK at
// arbitrary URLs or executables.
var credentialTypes = map[string]option.CredentialsType{
	"service_account":              option.ServiceAccount,
	"authorized_user":              option.AuthorizedUser,
	"impersonated_service_account": option.ImpersonatedServiceAccount,
}

// New connects to the bucket described by cfg. It sends no request.
func New(ctx context.Context, cfg Config) (*Fs, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("gcsfs: bucket is required")
	}
	// Reads go through the JSON API (alt=media), like every other call.
	// The SDK's default XML API reads are answered by fake-gcs-server run
	// as a program only when addressed to its -public-host
	// (storage.googleapis.com unless set): at the emulator's own address
	// every XML read is a 404, pinned or not. The real service serves
	// both APIs alike.
	opts := []option.ClientOption{storage.WithJSONReads()}
	switch {
	case len(cfg.CredentialsJSON) > 0:
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(cfg.CredentialsJSON, &head); err != nil {
			return nil, fmt.Errorf("gcsfs: credentials are not JSON: %w", err)
		}
		ct, ok := credentialTypes[head.Type]
		if !ok {
			return nil, fmt.Errorf("gcsfs: unsupported credentials type %q", head.Type)
		}
		opts = append(opts, option.WithAuthCredentialsJSON(ct, cfg.CredentialsJSON))
	case cfg.Endpoint != "":
		opts = append(opts, option.WithoutAuthentication())
	}
	if cfg.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(strings.TrimSuffix(cfg.Endpoint, "/")+"/storage/v1/"))
	}
	client, err := storage.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("gcsfs: %w", err)
	}
	chunk := cfg.UploadPartSize
	if chunk <= 0 {
		chunk = DefaultChunkSize
	}
	st := &store{
		client: client, bucket: client.Bucket(cfg.Bucket), name: cfg.Bucket,
		storageClass: cfg.StorageClass, acl: cfg.ACL, chunkSize: int(chunk),
		chunkDeadline: cfg.UploadPartMaxTime,
	}
	ofs, err := objstore.New(st, objstore.Options{
		Name:                "gcsfs",
		Prefix:              cfg.KeyPrefix,
		UploadPartSize:      chunk,
		DownloadPartSize:    cfg.DownloadPartSize,
		DownloadConcurrency: cfg.DownloadConcurrency,
	})
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("gcsfs: %w", err)
	}
	return &Fs{Fs: ofs}, nil
}

// store implements objstore.Store over the GCS client.
type store struct {
	client       *storage.Client
	bucket       *storage.BucketHandle
	name         string
	storageClass string
	acl          string
	chunkSize    int
	// chunkDeadline bounds the retries of one chunk (0: the SDK's 32 s).
	chunkDeadline time.Duration
}

func (s *store) Features() objstore.Features {
	// A resumable upload takes its chunks in order; GCS has no part
	// count limit worth the name (objects up to 5 TiB).
	return objstore.Features{MinPartSize: googleapi.MinUploadChunkSize, MaxParts: 1 << 30, Sequential: true, ListModTime: true}
}

func (s *store) Close() error { return s.client.Close() }

func mapErr(op, key string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, storage.ErrObjectNotExist) {
		return fmt.Errorf("gcs %s %q: %w", op, key, fs.ErrNotExist)
	}
	if errors.Is(err, storage.ErrBucketNotExist) {
		return fmt.Errorf("gcs %s %q: bucket does not exist: %w", op, key, err)
	}
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		switch gerr.Code {
		case http.StatusNotFound:
			return fmt.Errorf("gcs %s %q: %w", op, key, fs.ErrNotExist)
		case http.StatusPreconditionFailed:
			return fmt.Errorf("gcs %s %q: %w", op, key, objstore.ErrChanged)
		case http.StatusForbidden:
			return fmt.Errorf("gcs %s %q: %w: %w", op, key, fs.ErrPermission, err)
		}
	}
	return fmt.Errorf("gcs %s %q: %w", op, key, err)
}

func object(a *storage.ObjectAttrs) objstore.Object {
	o := objstore.Object{
		Key:     a.Name,
		Size:    a.Size,
		ModTime: objstore.ModTime(a.Metadata, a.Updated),
		ETag:    strconv.FormatInt(a.Generation, 10),
		Meta:    a.Metadata,
	}
	// Composite objects have no MD5, only a CRC32C.
	if len(a.MD5) == 16 {
		o.MD5 = a.MD5
	}
	return o
}

func (s *store) Head(ctx context.Context, key string) (objstore.Object, error) {
	a, err := s.bucket.Object(key).Attrs(ctx)
	if err != nil {
		return objstore.Object{}, mapErr("stat", key, err)
	}
	return object(a), nil
}

func (s *store) List(ctx context.Context, prefix, delimiter, token string, max int) (objstore.Page, error) {
	it := s.bucket.Objects(ctx, &storage.Query{Prefix: prefix, Delimiter: delimiter})
	var attrs []*storage.ObjectAttrs
	next, err := iterator.NewPager(it, max, token).NextPage(&attrs)
	if err != nil {
		return objstore.Page{}, mapErr("list", prefix, err)
	}
	page := objstore.Page{Next: next}
	for _, a := range attrs {
		if a.Prefix != "" {
			page.Prefixes = append(page.Prefixes, a.Prefix)
			continue
		}
		page.Objects = append(page.Objects, object(a))
	}
	return page, nil
}

func (s *store) Get(ctx context.Context, key string, off, length int64, etag string) (io.ReadCloser, error) {
	obj := s.bucket.Object(key)
	gen := int64(0)
	if etag != "" {
		if g, err := strconv.ParseInt(etag, 10, 64); err == nil {
			gen = g
			obj = obj.Generation(gen)
		}
	}
	r, err := obj.NewRangeReader(ctx, off, length)
	if err != nil {
		err = mapErr("read", key, err)
		if gen != 0 && errors.Is(err, fs.ErrNotExist) {
			return nil, s.pinnedReadMissing(ctx, key, gen, err)
		}
		return nil, err
	}
	if gen != 0 && r.Attrs.Generation != 0 && r.Attrs.Generation != gen {
		// a server that ignored the pin served another generation
		r.Close()
		return nil, fmt.Errorf("gcs read %q: generation %d, expected %d: %w", key, r.Attrs.Generation, gen, objstore.ErrChanged)
	}
	return r, nil
}

// pinnedReadMissing explains a 404 for a read pinned to generation gen:
// "object changed" only when the object now has another generation or is
// gone; if gen is still the live one the 404 is the server's, not a
// change, and is reported as such.
func (s *store) pinnedReadMissing(ctx context.Context, key string, gen int64, readErr error) error {
	a, err := s.bucket.Object(key).Attrs(ctx)
	switch {
	case errors.Is(err, storage.ErrObjectNotExist):
		return fmt.Errorf("gcs read %q: removed while being read: %w", key, objstore.ErrChanged)
	case err != nil:
		return mapErr("read", key, err)
	case a.Generation != gen:
		return fmt.Errorf("gcs read %q: generation %d replaced by %d: %w", key, gen, a.Generation, objstore.ErrChanged)
	}
	// not wrapped: the 404 must not read as "no such file" either
	return fmt.Errorf("gcs read %q: the server has no generation %d although its metadata names it: %v", key, gen, readErr)
}

func (s *store) newWriter(ctx context.Context, key string, mtime time.Time, chunkSize int) *storage.Writer {
	w := s.bucket.Object(key).NewWriter(ctx)
	w.ChunkSize = chunkSize
	w.Metadata = map[string]string{objstore.MetaModTime: objstore.FormatModTime(mtime)}
	w.StorageClass = s.storageClass
	w.PredefinedACL = s.acl
	if s.chunkDeadline > 0 {
		w.ChunkRetryDeadline = s.chunkDeadline
	}
	if strings.HasSuffix(key, "/") {
		w.ContentType = "application/x-directory"
	}
	return w
}

// Put sends a small object in a single request (ChunkSize 0).
func (s *store) Put(ctx context.Context, key string, data []byte, mtime time.Time) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := s.newWriter(ctx, key, mtime, 0)
	if _, err := w.Write(data); err != nil {
		cancel()
		_ = w.Close()
		return mapErr("write", key, err)
	}
	return mapErr("write", key, w.Close())
}

// NewUpload starts a resumable upload; parts arrive in order (the store
// is Sequential) and are written to the SDK's writer.
func (s *store) NewUpload(ctx context.Context, key string, mtime time.Time) (objstore.Upload, error) {
	uctx, cancel := context.WithCancel(ctx)
	return &upload{key: key, w: s.newWriter(uctx, key, mtime, s.chunkSize), cancel: cancel}, nil
}

type upload struct {
	key    string
	w      *storage.Writer
	cancel context.CancelFunc
}

func (u *upload) Part(ctx context.Context, _ int, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// Write blocks until the SDK has taken the data (sent it, or copied
	// it into its chunk buffer).
	if _, err := u.w.Write(data); err != nil {
		return mapErr("write", u.key, err)
	}
	return nil
}

func (u *upload) Complete(ctx context.Context, _ int, _ []byte) error {
	if err := ctx.Err(); err != nil {
		u.cancel()
		return err
	}
	defer u.cancel()
	return mapErr("write", u.key, u.w.Close())
}

// Abort cancels the upload's context: the resumable session is never
// finalised, so no object appears.
func (u *upload) Abort(context.Context) error {
	u.cancel()
	_ = u.w.Close()
	return nil
}

func (s *store) Copy(ctx context.Context, src objstore.Object, dst string) error {
	from := s.bucket.Object(src.Key)
	if gen, err := strconv.ParseInt(src.ETag, 10, 64); err == nil {
		from = from.Generation(gen)
	}
	_, err := s.bucket.Object(dst).CopierFrom(from).Run(ctx)
	return mapErr("copy", src.Key, err)
}

func (s *store) SetModTime(ctx context.Context, obj objstore.Object, mtime time.Time) error {
	_, err := s.bucket.Object(obj.Key).Update(ctx, storage.ObjectAttrsToUpdate{
		Metadata: map[string]string{objstore.MetaModTime: objstore.FormatModTime(mtime)},
	})
	return mapErr("update", obj.Key, err)
}

func (s *store) Delete(ctx context.Context, key string) error {
	err := s.bucket.Object(key).Delete(ctx)
	if errors.Is(err, storage.ErrObjectNotExist) {
		return nil
	}
	return mapErr("delete", key, err)
}
