// Package azblobfs is the Azure Blob Storage backend: a container,
// optionally under a key prefix, served as a vfs.Fs through objstore.
// Uploads stage blocks in parallel and commit the block list with the
// content's MD5, downloads are parallel ranged reads pinned to one ETag,
// renames server-side copies.
package azblobfs

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/objstore"
)

// Defaults.
const (
	// DefaultEndpoint is the public cloud's blob service domain.
	DefaultEndpoint = "blob.core.windows.net"
	// DefaultEmulatorEndpoint is where Azurite listens by default.
	DefaultEmulatorEndpoint = "http://127.0.0.1:10000"
	// maxBlocks and maxBlockSize are Azure's block blob limits.
	maxBlocks    = 50000
	maxBlockSize = 4000 << 20
)

// Config describes a container. Sizes are in bytes.
type Config struct {
	Container   string
	AccountName string
	AccountKey  string
	// SASURL is a container URL with a shared access signature; it
	// replaces the account, key, container and endpoint.
	SASURL string
	// Endpoint is the blob service domain ("blob.core.windows.net") or,
	// with UseEmulator, the emulator's URL ("http://127.0.0.1:10000").
	// A scheme may be given ("http://..."); https is the default.
	Endpoint    string
	UseEmulator bool
	KeyPrefix   string
	// AccessTier for new blobs: "Hot", "Cool", "Cold", "Archive" or empty.
	AccessTier          string
	UploadPartSize      int64
	UploadConcurrency   int
	DownloadPartSize    int64
	DownloadConcurrency int
	// MaxRetries and RetryDelay tune the SDK's retries (zero: its
	// defaults, 3 retries from 4 s).
	MaxRetries int
	RetryDelay time.Duration
}

// Fs is an Azure Blob container as a vfs.Fs.
type Fs struct {
	*objstore.Fs
}

var (
	_ vfs.Fs        = (*Fs)(nil)
	_ vfs.CopyFs    = (*Fs)(nil)
	_ vfs.ChtimesFs = (*Fs)(nil)
	_ vfs.HashFs    = (*Fs)(nil)
)

// ContainerURL returns the URL of the configured container (without a
// SAS token): path-style on the emulator, virtual-host style otherwise.
func (cfg Config) ContainerURL() (string, error) {
	if cfg.SASURL != "" {
		u, err := url.Parse(cfg.SASURL)
		if err != nil {
			return "", fmt.Errorf("azblobfs: SAS URL: %w", err)
		}
		u.RawQuery = ""
		return u.String(), nil
	}
	if cfg.Container == "" {
		return "", errors.New("azblobfs: container is required")
	}
	if cfg.AccountName == "" {
		return "", errors.New("azblobfs: account name is required")
	}
	endpoint := cfg.Endpoint
	if cfg.UseEmulator {
		if endpoint == "" {
			endpoint = DefaultEmulatorEndpoint
		}
		if !strings.Contains(endpoint, "://") {
			endpoint = "http://" + endpoint
		}
		return strings.TrimSuffix(endpoint, "/") + "/" + url.PathEscape(cfg.AccountName) + "/" + url.PathEscape(cfg.Container), nil
	}
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	scheme := "https"
	if s, rest, ok := strings.Cut(endpoint, "://"); ok {
		scheme, endpoint = s, rest
	}
	return scheme + "://" + cfg.AccountName + "." + strings.TrimSuffix(endpoint, "/") + "/" + url.PathEscape(cfg.Container), nil
}

// New connects to the container described by cfg. It sends no request.
func New(_ context.Context, cfg Config) (*Fs, error) {
	opts := &container.ClientOptions{}
	opts.Retry = policy.RetryOptions{MaxRetries: int32(cfg.MaxRetries), RetryDelay: cfg.RetryDelay}
	if cfg.RetryDelay > 0 {
		opts.Retry.MaxRetryDelay = 8 * cfg.RetryDelay
	}
	var client *container.Client
	var err error
	switch {
	case cfg.SASURL != "":
		client, err = container.NewClientWithNoCredential(cfg.SASURL, opts)
	case cfg.AccountKey != "":
		var u string
		u, err = cfg.ContainerURL()
		if err != nil {
			return nil, err
		}
		var cred *container.SharedKeyCredential
		cred, err = container.NewSharedKeyCredential(cfg.AccountName, cfg.AccountKey)
		if err == nil {
			client, err = container.NewClientWithSharedKeyCredential(u, cred, opts)
		}
	default:
		return nil, errors.New("azblobfs: an account key or a SAS URL is required")
	}
	if err != nil {
		return nil, fmt.Errorf("azblobfs: %w", err)
	}
	st := &store{client: client}
	if cfg.AccessTier != "" {
		tier := blob.AccessTier(cfg.AccessTier)
		st.tier = &tier
	}
	ofs, err := objstore.New(st, objstore.Options{
		Name:                "azblobfs",
		Prefix:              cfg.KeyPrefix,
		UploadPartSize:      cfg.UploadPartSize,
		UploadConcurrency:   cfg.UploadConcurrency,
		DownloadPartSize:    cfg.DownloadPartSize,
		DownloadConcurrency: cfg.DownloadConcurrency,
	})
	if err != nil {
		return nil, fmt.Errorf("azblobfs: %w", err)
	}
	return &Fs{Fs: ofs}, nil
}
