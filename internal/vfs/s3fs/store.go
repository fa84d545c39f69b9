package s3fs

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/sftpgo-ng/sftpgo/internal/vfs/objstore"
)

// mapErr turns S3's "missing" and "changed" answers into the sentinels
// objstore tests for.
func mapErr(op, key string, err error) error {
	if err == nil {
		return nil
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchUpload":
			return fmt.Errorf("s3 %s %q: %w", op, key, fs.ErrNotExist)
		case "PreconditionFailed":
			return fmt.Errorf("s3 %s %q: %w", op, key, objstore.ErrChanged)
		case "NoSuchBucket":
			return fmt.Errorf("s3 %s %q: bucket does not exist: %w", op, key, err)
		}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case http.StatusNotFound:
			return fmt.Errorf("s3 %s %q: %w", op, key, fs.ErrNotExist)
		case http.StatusPreconditionFailed:
			return fmt.Errorf("s3 %s %q: %w", op, key, objstore.ErrChanged)
		case http.StatusForbidden:
			return fmt.Errorf("s3 %s %q: %w: %w", op, key, fs.ErrPermission, err)
		}
	}
	return fmt.Errorf("s3 %s %q: %w", op, key, err)
}

func (s *store) Head(ctx context.Context, key string) (objstore.Object, error) {
	in := &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key}
	s.sse(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	out, err := s.client.HeadObject(ctx, in)
	if err != nil {
		return objstore.Object{}, mapErr("head", key, err)
	}
	o := objstore.Object{
		Key:     key,
		Size:    aws.ToInt64(out.ContentLength),
		ModTime: objstore.ModTime(out.Metadata, aws.ToTime(out.LastModified)),
		ETag:    aws.ToString(out.ETag),
		Meta:    out.Metadata,
	}
	if s.sseKey == "" && out.ServerSideEncryption != types.ServerSideEncryptionAwsKms && out.ServerSideEncryption != types.ServerSideEncryptionAwsKmsDsse {
		o.MD5 = etagMD5(o.ETag)
	}
	return o, nil
}

// etagMD5 returns the MD5 an ETag stands for: S3 uses the content's MD5
// for objects stored with one request (and no KMS or customer-key
// encryption); a multipart ETag ("<hex>-<parts>") is something else.
func etagMD5(etag string) []byte {
	sum, err := hex.DecodeString(strings.Trim(etag, `"`))
	if err != nil || len(sum) != 16 {
		return nil
	}
	return sum
}

func (s *store) List(ctx context.Context, prefix, delimiter, token string, max int) (objstore.Page, error) {
	in := &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &prefix, MaxKeys: aws.Int32(int32(max))}
	if delimiter != "" {
		in.Delimiter = &delimiter
	}
	if token != "" {
		in.ContinuationToken = &token
	}
	out, err := s.client.ListObjectsV2(ctx, in)
	if err != nil {
		return objstore.Page{}, mapErr("list", prefix, err)
	}
	var page objstore.Page
	for _, o := range out.Contents {
		page.Objects = append(page.Objects, objstore.Object{
			Key:     aws.ToString(o.Key),
			Size:    aws.ToInt64(o.Size),
			ModTime: aws.ToTime(o.LastModified),
			ETag:    aws.ToString(o.ETag),
		})
	}
	for _, cp := range out.CommonPrefixes {
		page.Prefixes = append(page.Prefixes, aws.ToString(cp.Prefix))
	}
	if aws.ToBool(out.IsTruncated) {
		page.Next = aws.ToString(out.NextContinuationToken)
	}
	return page, nil
}

func (s *store) Get(ctx context.Context, key string, off, length int64, etag string) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: &s.bucket, Key: &key}
	if length >= 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", off, off+length-1))
	} else if off > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", off))
	}
	if etag != "" {
		in.IfMatch = &etag
	}
	s.sse(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		err = mapErr("get", key, err)
		if etag != "" && (errors.Is(err, fs.ErrNotExist) || isInvalidRange(err)) {
			// a server may check the range before If-Match: a removed or
			// shrunk object is a change, not a missing file or a bad range
			if cur, herr := s.Head(ctx, key); errors.Is(herr, fs.ErrNotExist) || (herr == nil && cur.ETag != etag) {
				return nil, fmt.Errorf("s3 get %q: %w", key, objstore.ErrChanged)
			}
		}
		return nil, err
	}
	if etag != "" && out.ETag != nil && *out.ETag != etag {
		// Some S3 implementations (s3rver) ignore If-Match: check the
		// version actually served.
		out.Body.Close()
		return nil, fmt.Errorf("s3 get %q: served ETag %s, pinned %s: %w", key, *out.ETag, etag, objstore.ErrChanged)
	}
	return out.Body, nil
}

// isInvalidRange reports a 416 answer.
func isInvalidRange(err error) bool {
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusRequestedRangeNotSatisfiable
}

func metadata(mtime time.Time) map[string]string {
	return map[string]string{objstore.MetaModTime: objstore.FormatModTime(mtime)}
}

func contentType(key string) *string {
	if strings.HasSuffix(key, "/") {
		return aws.String("application/x-directory")
	}
	return nil
}

func (s *store) Put(ctx context.Context, key string, data []byte, mtime time.Time) error {
	in := &s3.PutObjectInput{
		Bucket:        &s.bucket,
		Key:           &key,
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		ContentType:   contentType(key),
		Metadata:      metadata(mtime),
		StorageClass:  s.storageClassValue(),
		ACL:           types.ObjectCannedACL(s.acl),
	}
	s.sse(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	_, err := s.client.PutObject(ctx, in)
	return mapErr("put", key, err)
}

func (s *store) Delete(ctx context.Context, key string) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key})
	if errors.Is(mapErr("delete", key, err), fs.ErrNotExist) {
		return nil
	}
	return mapErr("delete", key, err)
}

// NewUpload implements objstore.Store with an S3 multipart upload.
func (s *store) NewUpload(ctx context.Context, key string, mtime time.Time) (objstore.Upload, error) {
	return s.createMultipart(ctx, key, metadata(mtime))
}

func (s *store) createMultipart(ctx context.Context, key string, meta map[string]string) (*upload, error) {
	in := &s3.CreateMultipartUploadInput{
		Bucket:       &s.bucket,
		Key:          &key,
		Metadata:     meta,
		StorageClass: s.storageClassValue(),
		ACL:          types.ObjectCannedACL(s.acl),
	}
	s.sse(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	out, err := s.client.CreateMultipartUpload(ctx, in)
	if err != nil {
		return nil, mapErr("create multipart upload", key, err)
	}
	return &upload{s: s, key: key, id: aws.ToString(out.UploadId), etags: map[int32]string{}}, nil
}

type upload struct {
	s   *store
	key string
	id  string

	mu    sync.Mutex
	etags map[int32]string
}

func (u *upload) Part(ctx context.Context, n int, data []byte) error {
	in := &s3.UploadPartInput{
		Bucket:        &u.s.bucket,
		Key:           &u.key,
		UploadId:      &u.id,
		PartNumber:    aws.Int32(int32(n)),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	}
	u.s.sse(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	out, err := u.s.client.UploadPart(ctx, in)
	if err != nil {
		return mapErr("upload part", u.key, err)
	}
	u.setETag(int32(n), aws.ToString(out.ETag))
	return nil
}

func (u *upload) setETag(n int32, etag string) {
	u.mu.Lock()
	u.etags[n] = etag
	u.mu.Unlock()
}

func (u *upload) Complete(ctx context.Context, n int, _ []byte) error {
	u.mu.Lock()
	parts := make([]types.CompletedPart, 0, n)
	for i := int32(1); i <= int32(n); i++ {
		etag, ok := u.etags[i]
		if !ok {
			u.mu.Unlock()
			return fmt.Errorf("s3 complete %q: part %d was not uploaded", u.key, i)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(i), ETag: aws.String(etag)})
	}
	u.mu.Unlock()
	in := &s3.CompleteMultipartUploadInput{
		Bucket:          &u.s.bucket,
		Key:             &u.key,
		UploadId:        &u.id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	}
	if u.s.sseKey != "" {
		u.s.sse(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	}
	_, err := u.s.client.CompleteMultipartUpload(ctx, in)
	return mapErr("complete multipart upload", u.key, err)
}

func (u *upload) Abort(ctx context.Context) error {
	_, err := u.s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &u.s.bucket, Key: &u.key, UploadId: &u.id})
	return mapErr("abort multipart upload", u.key, err)
}

// copySource is the x-amz-copy-source value: bucket and key, each path
// segment escaped ('+' too, which some servers would read as a space).
func (s *store) copySource(key string) string {
	segs := strings.Split(s.bucket+"/"+key, "/")
	for i, seg := range segs {
		segs[i] = strings.ReplaceAll(url.PathEscape(seg), "+", "%2B")
	}
	return strings.Join(segs, "/")
}

// Copy implements objstore.Store, keeping the source's metadata.
func (s *store) Copy(ctx context.Context, src objstore.Object, dst string) error {
	return s.copyObject(ctx, src, dst, nil)
}

// SetModTime copies the object onto itself with new metadata, the only
// way S3 has to change it.
func (s *store) SetModTime(ctx context.Context, obj objstore.Object, mtime time.Time) error {
	return s.copyObject(ctx, obj, obj.Key, metadata(mtime))
}

// copyObject copies src to dst; meta replaces the metadata when not nil.
func (s *store) copyObject(ctx context.Context, src objstore.Object, dst string, meta map[string]string) error {
	if src.Size > maxCopySize {
		return s.copyMultipart(ctx, src, dst, meta)
	}
	in := &s3.CopyObjectInput{
		Bucket:       &s.bucket,
		Key:          &dst,
		CopySource:   aws.String(s.copySource(src.Key)),
		StorageClass: s.storageClassValue(),
		ACL:          types.ObjectCannedACL(s.acl),
	}
	if meta != nil {
		in.Metadata = meta
		in.MetadataDirective = types.MetadataDirectiveReplace
		in.ContentType = contentType(dst)
	}
	if s.sseKey != "" {
		s.sse(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
		s.sse(&in.CopySourceSSECustomerAlgorithm, &in.CopySourceSSECustomerKey, &in.CopySourceSSECustomerKeyMD5)
	}
	_, err := s.client.CopyObject(ctx, in)
	return mapErr("copy", src.Key, err)
}

// copyMultipart copies an object too large for CopyObject in parts, a
// few at a time.
func (s *store) copyMultipart(ctx context.Context, src objstore.Object, dst string, meta map[string]string) error {
	if meta == nil {
		hin := &s3.HeadObjectInput{Bucket: &s.bucket, Key: &src.Key}
		s.sse(&hin.SSECustomerAlgorithm, &hin.SSECustomerKey, &hin.SSECustomerKeyMD5)
		head, err := s.client.HeadObject(ctx, hin)
		if err != nil {
			return mapErr("head", src.Key, err)
		}
		meta = head.Metadata
	}
	up, err := s.createMultipart(ctx, dst, meta)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	n := 0
	for off := int64(0); off < src.Size; off += copyPartSize {
		n++
		part, end := int32(n), min(off+copyPartSize, src.Size)-1
		g.Go(func() error {
			in := &s3.UploadPartCopyInput{
				Bucket:          &s.bucket,
				Key:             &dst,
				UploadId:        &up.id,
				PartNumber:      aws.Int32(part),
				CopySource:      aws.String(s.copySource(src.Key)),
				CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", off, end)),
			}
			if src.ETag != "" {
				in.CopySourceIfMatch = aws.String(src.ETag)
			}
			if s.sseKey != "" {
				s.sse(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
				s.sse(&in.CopySourceSSECustomerAlgorithm, &in.CopySourceSSECustomerKey, &in.CopySourceSSECustomerKeyMD5)
			}
			out, err := s.client.UploadPartCopy(gctx, in)
			if err != nil {
				return mapErr("upload part copy", src.Key, err)
			}
			up.setETag(part, aws.ToString(out.CopyPartResult.ETag))
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		_ = up.Abort(actx)
		return err
	}
	if err := up.Complete(ctx, n, nil); err != nil {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		_ = up.Abort(actx)
		return err
	}
	return nil
}
