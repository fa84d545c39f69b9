package azblobfs

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/sftpgo-ng/sftpgo/internal/vfs/objstore"
)

// copyPoll is how often a pending server-side copy is checked.
const copyPoll = 200 * time.Millisecond

// store implements objstore.Store over a container client.
type store struct {
	client *container.Client
	tier   *blob.AccessTier
}

func (s *store) Features() objstore.Features {
	return objstore.Features{MinPartSize: 1, MaxPartSize: maxBlockSize, MaxParts: maxBlocks, ContentMD5: true, ListModTime: true}
}

func (s *store) Close() error { return nil }

func mapErr(op, key string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case bloberror.HasCode(err, bloberror.BlobNotFound):
		return fmt.Errorf("azure %s %q: %w", op, key, fs.ErrNotExist)
	case bloberror.HasCode(err, bloberror.ContainerNotFound):
		return fmt.Errorf("azure %s %q: container does not exist: %w", op, key, err)
	case bloberror.HasCode(err, bloberror.ConditionNotMet):
		return fmt.Errorf("azure %s %q: %w", op, key, objstore.ErrChanged)
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		switch re.StatusCode {
		case http.StatusNotFound:
			return fmt.Errorf("azure %s %q: %w", op, key, fs.ErrNotExist)
		case http.StatusPreconditionFailed:
			return fmt.Errorf("azure %s %q: %w", op, key, objstore.ErrChanged)
		case http.StatusForbidden:
			return fmt.Errorf("azure %s %q: %w: %w", op, key, fs.ErrPermission, err)
		}
	}
	return fmt.Errorf("azure %s %q: %w", op, key, err)
}

func metadata(mtime time.Time) map[string]*string {
	return map[string]*string{objstore.MetaModTime: to.Ptr(objstore.FormatModTime(mtime))}
}

func headers(key string, sum []byte) *blob.HTTPHeaders {
	h := &blob.HTTPHeaders{BlobContentMD5: sum}
	if strings.HasSuffix(key, "/") {
		h.BlobContentType = to.Ptr("application/x-directory")
	}
	return h
}

func etag(e *azcore.ETag) string {
	if e == nil {
		return ""
	}
	return string(*e)
}

func (s *store) Head(ctx context.Context, key string) (objstore.Object, error) {
	p, err := s.client.NewBlobClient(key).GetProperties(ctx, nil)
	if err != nil {
		return objstore.Object{}, mapErr("stat", key, err)
	}
	o := objstore.Object{
		Key:     key,
		Size:    deref(p.ContentLength),
		ModTime: objstore.ModTimePtr(p.Metadata, deref(p.LastModified)),
		ETag:    etag(p.ETag),
		Meta:    derefMap(p.Metadata),
	}
	if len(p.ContentMD5) == md5.Size {
		o.MD5 = p.ContentMD5
	}
	return o, nil
}

func (s *store) List(ctx context.Context, prefix, delimiter, token string, max int) (objstore.Page, error) {
	include := container.ListBlobsInclude{Metadata: true}
	var marker *string
	if token != "" {
		marker = &token
	}
	var items []*container.BlobItem
	var prefixes []string
	var next *string
	if delimiter == "" {
		resp, err := s.client.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{
			Include: include, Prefix: &prefix, Marker: marker, MaxResults: to.Ptr(int32(max)),
		}).NextPage(ctx)
		if err != nil {
			return objstore.Page{}, mapErr("list", prefix, err)
		}
		items, next = resp.Segment.BlobItems, resp.NextMarker
	} else {
		resp, err := s.client.NewListBlobsHierarchyPager(delimiter, &container.ListBlobsHierarchyOptions{
			Include: include, Prefix: &prefix, Marker: marker, MaxResults: to.Ptr(int32(max)),
		}).NextPage(ctx)
		if err != nil {
			return objstore.Page{}, mapErr("list", prefix, err)
		}
		items, next = resp.Segment.BlobItems, resp.NextMarker
		for _, bp := range resp.Segment.BlobPrefixes {
			prefixes = append(prefixes, deref(bp.Name))
		}
	}
	page := objstore.Page{Prefixes: prefixes, Next: deref(next)}
	for _, it := range items {
		o := objstore.Object{Key: deref(it.Name)}
		if p := it.Properties; p != nil {
			o.Size = deref(p.ContentLength)
			o.ModTime = deref(p.LastModified)
			o.ETag = etag(p.ETag)
		}
		o.ModTime = objstore.ModTimePtr(it.Metadata, o.ModTime)
		page.Objects = append(page.Objects, o)
	}
	return page, nil
}

func (s *store) Get(ctx context.Context, key string, off, length int64, tag string) (io.ReadCloser, error) {
	opts := &blob.DownloadStreamOptions{Range: blob.HTTPRange{Offset: off}}
	if length > 0 {
		opts.Range.Count = length
	}
	if tag != "" {
		e := azcore.ETag(tag)
		opts.AccessConditions = &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: &e}}
	}
	resp, err := s.client.NewBlobClient(key).DownloadStream(ctx, opts)
	if err != nil {
		return nil, mapErr("read", key, err)
	}
	return resp.Body, nil
}

func (s *store) Put(ctx context.Context, key string, data []byte, mtime time.Time) error {
	sum := md5.Sum(data)
	_, err := s.client.NewBlockBlobClient(key).Upload(ctx, streaming.NopCloser(bytes.NewReader(data)), &blockblob.UploadOptions{
		Metadata:    metadata(mtime),
		HTTPHeaders: headers(key, sum[:]),
		Tier:        s.tier,
	})
	return mapErr("write", key, err)
}

// NewUpload stages blocks under IDs unique to this upload; nothing is
// visible until the block list is committed, and blocks never committed
// are discarded by the service (after a week).
func (s *store) NewUpload(_ context.Context, key string, mtime time.Time) (objstore.Upload, error) {
	var id [12]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, err
	}
	return &upload{s: s, key: key, mtime: mtime, id: hex.EncodeToString(id[:]), client: s.client.NewBlockBlobClient(key)}, nil
}

type upload struct {
	s      *store
	key    string
	mtime  time.Time
	id     string
	client *blockblob.Client
}

// blockID is the n-th block's ID; all IDs of a blob have the same length.
func (u *upload) blockID(n int) string {
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%s-%06d", u.id, n))
}

func (u *upload) Part(ctx context.Context, n int, data []byte) error {
	_, err := u.client.StageBlock(ctx, u.blockID(n), streaming.NopCloser(bytes.NewReader(data)), nil)
	return mapErr("stage block", u.key, err)
}

func (u *upload) Complete(ctx context.Context, n int, sum []byte) error {
	ids := make([]string, n)
	for i := range n {
		ids[i] = u.blockID(i + 1)
	}
	_, err := u.client.CommitBlockList(ctx, ids, &blockblob.CommitBlockListOptions{
		Metadata:    metadata(u.mtime),
		HTTPHeaders: headers(u.key, sum),
		Tier:        u.s.tier,
	})
	return mapErr("commit", u.key, err)
}

// Abort has nothing to send: Azure has no call to drop staged blocks.
func (u *upload) Abort(context.Context) error { return nil }

// Copy starts a server-side copy and waits for it; metadata, content MD5
// included, go with it.
func (s *store) Copy(ctx context.Context, src objstore.Object, dst string) error {
	srcURL := s.client.NewBlobClient(src.Key).URL()
	opts := &blob.StartCopyFromURLOptions{Tier: s.tier}
	if src.ETag != "" {
		e := azcore.ETag(src.ETag)
		opts.SourceModifiedAccessConditions = &blob.SourceModifiedAccessConditions{SourceIfMatch: &e}
	}
	dstClient := s.client.NewBlobClient(dst)
	resp, err := dstClient.StartCopyFromURL(ctx, srcURL, opts)
	if err != nil {
		return mapErr("copy", src.Key, err)
	}
	status := deref(resp.CopyStatus)
	for status == blob.CopyStatusTypePending {
		select {
		case <-ctx.Done():
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			_, _ = dstClient.AbortCopyFromURL(actx, deref(resp.CopyID), nil)
			cancel()
			return ctx.Err()
		case <-time.After(copyPoll):
		}
		p, err := dstClient.GetProperties(ctx, nil)
		if err != nil {
			return mapErr("copy", dst, err)
		}
		status = deref(p.CopyStatus)
		if status != blob.CopyStatusTypePending && status != blob.CopyStatusTypeSuccess {
			return fmt.Errorf("azure copy %q: status %s: %s", src.Key, status, deref(p.CopyStatusDescription))
		}
	}
	if status != blob.CopyStatusTypeSuccess {
		return fmt.Errorf("azure copy %q: status %s", src.Key, status)
	}
	return nil
}

func (s *store) SetModTime(ctx context.Context, obj objstore.Object, mtime time.Time) error {
	_, err := s.client.NewBlobClient(obj.Key).SetMetadata(ctx, metadata(mtime), nil)
	return mapErr("set metadata", obj.Key, err)
}

func (s *store) Delete(ctx context.Context, key string) error {
	_, err := s.client.NewBlobClient(key).Delete(ctx, &blob.DeleteOptions{DeleteSnapshots: to.Ptr(blob.DeleteSnapshotsOptionTypeInclude)})
	if bloberror.HasCode(err, bloberror.BlobNotFound) {
		return nil
	}
	return mapErr("delete", key, err)
}

// deref returns *p, or the zero value for nil.
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// derefMap turns the SDK's metadata into plain strings.
func derefMap(m map[string]*string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = deref(v)
	}
	return out
}
