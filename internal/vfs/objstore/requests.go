package objstore

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"time"
)

// countingStore reports every request of a Store to the Fs's counter
// (vfs.Requests). Request kinds are named as SFTPGo's metrics name them
// where it has one (head_object, list_objects, copy_object,
// delete_object). A missing key is an answer, not a failed request.
type countingStore struct {
	Store
	f *Fs
}

func (s countingStore) done(op string, err error) error {
	counted := err
	if errors.Is(err, fs.ErrNotExist) {
		counted = nil
	}
	s.f.Requests.Done(s.f.opts.Name, op, counted)
	return err
}

func (s countingStore) Head(ctx context.Context, key string) (Object, error) {
	o, err := s.Store.Head(ctx, key)
	return o, s.done("head_object", err)
}

func (s countingStore) List(ctx context.Context, prefix, delimiter, token string, max int) (Page, error) {
	p, err := s.Store.List(ctx, prefix, delimiter, token, max)
	return p, s.done("list_objects", err)
}

func (s countingStore) Get(ctx context.Context, key string, off, length int64, etag string) (io.ReadCloser, error) {
	r, err := s.Store.Get(ctx, key, off, length, etag)
	return r, s.done("get_object", err)
}

func (s countingStore) Put(ctx context.Context, key string, data []byte, mtime time.Time) error {
	return s.done("put_object", s.Store.Put(ctx, key, data, mtime))
}

func (s countingStore) NewUpload(ctx context.Context, key string, mtime time.Time) (Upload, error) {
	u, err := s.Store.NewUpload(ctx, key, mtime)
	if err != nil {
		return nil, s.done("create_multipart_upload", err)
	}
	s.done("create_multipart_upload", nil)
	return countingUpload{Upload: u, s: s}, nil
}

func (s countingStore) Copy(ctx context.Context, src Object, dst string) error {
	return s.done("copy_object", s.Store.Copy(ctx, src, dst))
}

func (s countingStore) SetModTime(ctx context.Context, obj Object, mtime time.Time) error {
	return s.done("set_mod_time", s.Store.SetModTime(ctx, obj, mtime))
}

func (s countingStore) Delete(ctx context.Context, key string) error {
	return s.done("delete_object", s.Store.Delete(ctx, key))
}

type countingUpload struct {
	Upload
	s countingStore
}

func (u countingUpload) Part(ctx context.Context, n int, data []byte) error {
	return u.s.done("upload_part", u.Upload.Part(ctx, n, data))
}

func (u countingUpload) Complete(ctx context.Context, n int, md5 []byte) error {
	return u.s.done("complete_multipart_upload", u.Upload.Complete(ctx, n, md5))
}

func (u countingUpload) Abort(ctx context.Context) error {
	return u.s.done("abort_multipart_upload", u.Upload.Abort(ctx))
}
