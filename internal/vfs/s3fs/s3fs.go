// Package s3fs is the Amazon S3 (and S3-compatible) storage backend: a
// bucket, optionally under a key prefix, served as a vfs.Fs through
// objstore. Uploads are multipart uploads streamed from the client,
// downloads parallel ranged GETs, renames server-side copies.
package s3fs

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/objstore"
)

// S3 limits.
const (
	minPartSize = 5 << 20
	maxPartSize = 5 << 30
	maxParts    = 10000
	// maxCopySize is the largest object CopyObject copies in one request;
	// larger ones are copied part by part.
	maxCopySize = 5 << 30
	// copyPartSize is the part size of those multipart copies.
	copyPartSize = 512 << 20
	// defaultRegion is used when neither the config nor the environment
	// names one (S3-compatible servers usually ignore it).
	defaultRegion = "us-east-1"
)

// Config describes a bucket. Sizes are in bytes.
type Config struct {
	Bucket    string
	KeyPrefix string
	Region    string
	// AccessKey and AccessSecret are static credentials; without them the
	// SDK's default chain (environment, shared files, instance role) is used.
	AccessKey    string
	AccessSecret string
	SessionToken string
	// RoleARN is assumed with STS on top of those credentials.
	RoleARN string
	// Endpoint selects an S3-compatible server ("http://127.0.0.1:9000").
	Endpoint       string
	ForcePathStyle bool
	SkipTLSVerify  bool
	StorageClass   string
	ACL            string
	// SSECustomerKey enables SSE-C; a key that is not 32 bytes long is
	// hashed with SHA-256 to make one.
	SSECustomerKey      string
	UploadPartSize      int64
	UploadConcurrency   int
	UploadPartMaxTime   time.Duration
	DownloadPartSize    int64
	DownloadConcurrency int
	DownloadPartMaxTime time.Duration
}

// Fs is an S3 bucket as a vfs.Fs.
type Fs struct {
	*objstore.Fs
}

var (
	_ vfs.Fs        = (*Fs)(nil)
	_ vfs.CopyFs    = (*Fs)(nil)
	_ vfs.ChtimesFs = (*Fs)(nil)
	_ vfs.HashFs    = (*Fs)(nil)
)

// New connects to the bucket described by cfg. It sends no request: a
// wrong bucket or credentials show on the first operation.
func New(ctx context.Context, cfg Config) (*Fs, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("s3fs: bucket is required")
	}
	client, idle, err := newClient(ctx, cfg)
	if err != nil {
		return nil, err
	}
	st := &store{client: client, idle: idle, bucket: cfg.Bucket, storageClass: cfg.StorageClass, acl: cfg.ACL}
	if cfg.SSECustomerKey != "" {
		key := []byte(cfg.SSECustomerKey)
		if len(key) != 32 {
			sum := sha256.Sum256(key)
			key = sum[:]
		}
		sum := md5.Sum(key)
		st.sseKey = base64.StdEncoding.EncodeToString(key)
		st.sseKeyMD5 = base64.StdEncoding.EncodeToString(sum[:])
	}
	ofs, err := objstore.New(st, objstore.Options{
		Name:                "s3fs",
		Prefix:              cfg.KeyPrefix,
		UploadPartSize:      cfg.UploadPartSize,
		UploadConcurrency:   cfg.UploadConcurrency,
		UploadPartTimeout:   cfg.UploadPartMaxTime,
		DownloadPartSize:    cfg.DownloadPartSize,
		DownloadConcurrency: cfg.DownloadConcurrency,
		DownloadPartTimeout: cfg.DownloadPartMaxTime,
	})
	if err != nil {
		return nil, fmt.Errorf("s3fs: %w", err)
	}
	return &Fs{Fs: ofs}, nil
}

func newClient(ctx context.Context, cfg Config) (*s3.Client, interface{ CloseIdleConnections() }, error) {
	// A BuildableClient, because the SDK applies AWS_CA_BUNDLE to it (and
	// refuses to start with any other client when the variable is set).
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConnsPerHost = 64
		if cfg.SkipTLSVerify {
			if tr.TLSClientConfig == nil {
				tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			}
			tr.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // the administrator asked for it
		}
	})
	opts := []func(*config.LoadOptions) error{config.WithHTTPClient(httpClient)}
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.AccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.AccessSecret, cfg.SessionToken)))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("s3fs: load AWS config: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = defaultRegion
	}
	// A plain client from here on, whose idle connections Close can drop.
	var idle interface{ CloseIdleConnections() }
	if bc, ok := awsCfg.HTTPClient.(*awshttp.BuildableClient); ok {
		frozen := bc.Freeze()
		awsCfg.HTTPClient = frozen
		idle, _ = frozen.(interface{ CloseIdleConnections() })
	}
	if cfg.RoleARN != "" {
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(awsCfg), cfg.RoleARN)
		awsCfg.Credentials = aws.NewCredentialsCache(provider)
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
			// S3-compatible servers often reject the streaming checksum
			// trailers the SDK adds by default.
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
		o.UsePathStyle = cfg.ForcePathStyle
	})
	return client, idle, nil
}

// store implements objstore.Store over the S3 API.
type store struct {
	client       *s3.Client
	idle         interface{ CloseIdleConnections() }
	bucket       string
	storageClass string
	acl          string
	sseKey       string // base64, empty without SSE-C
	sseKeyMD5    string
}

func (s *store) Features() objstore.Features {
	return objstore.Features{MinPartSize: minPartSize, MaxPartSize: maxPartSize, MaxParts: maxParts}
}

func (s *store) Close() error {
	if s.idle != nil {
		s.idle.CloseIdleConnections()
	}
	return nil
}

// sse fills the SSE-C fields of a request.
func (s *store) sse(alg, key, keyMD5 **string) {
	if s.sseKey == "" {
		return
	}
	*alg, *key, *keyMD5 = aws.String("AES256"), aws.String(s.sseKey), aws.String(s.sseKeyMD5)
}

func (s *store) storageClassValue() types.StorageClass { return types.StorageClass(s.storageClass) }
