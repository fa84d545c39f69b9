package dataprovider

import (
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/kms"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/httpfs"
)

// FilesystemProvider selects a user's or folder's storage backend.
type FilesystemProvider int

// Storage backends; the numbers are part of the public contract.
const (
	LocalFilesystemProvider     FilesystemProvider = 0
	S3FilesystemProvider        FilesystemProvider = 1
	GCSFilesystemProvider       FilesystemProvider = 2
	AzureBlobFilesystemProvider FilesystemProvider = 3
	CryptedFilesystemProvider   FilesystemProvider = 4
	SFTPFilesystemProvider      FilesystemProvider = 5
	HTTPFilesystemProvider      FilesystemProvider = 6
	FTPFilesystemProvider       FilesystemProvider = 7
)

// UsesLocalHome reports whether the backend keeps the user's files under
// a local home directory (local and encrypted local storage).
func (p FilesystemProvider) UsesLocalHome() bool {
	return p == LocalFilesystemProvider || p == CryptedFilesystemProvider
}

// Filesystem is the storage configuration of a user, group or folder.
// Only the section that matches Provider is meaningful.
type Filesystem struct {
	Provider     FilesystemProvider `json:"provider"`
	S3Config     S3Config           `json:"s3config,omitempty"`
	GCSConfig    GCSConfig          `json:"gcsconfig,omitempty"`
	AzBlobConfig AzBlobConfig       `json:"azblobconfig,omitempty"`
	CryptConfig  CryptConfig        `json:"cryptconfig,omitempty"`
	SFTPConfig   SFTPConfig         `json:"sftpconfig,omitempty"`
	HTTPConfig   HTTPConfig         `json:"httpconfig,omitempty"`
	FTPConfig    FTPConfig          `json:"ftpconfig,omitempty"`
	OSConfig     OSConfig           `json:"osconfig,omitempty"`
}

// OSConfig tunes local storage (provider 0). Stored and returned; the
// buffer sizes have no effect yet (docs/not-implemented.md).
type OSConfig struct {
	ReadBufferSize  int `json:"read_buffer_size,omitempty"`
	WriteBufferSize int `json:"write_buffer_size,omitempty"`
}

// S3Config configures an S3 or S3-compatible bucket.
type S3Config struct {
	Bucket              string      `json:"bucket,omitempty"`
	KeyPrefix           string      `json:"key_prefix,omitempty"`
	Region              string      `json:"region,omitempty"`
	AccessKey           string      `json:"access_key,omitempty"`
	AccessSecret        *kms.Secret `json:"access_secret,omitempty"`
	SessionToken        string      `json:"session_token,omitempty"`
	SSECustomerKey      *kms.Secret `json:"sse_customer_key,omitempty"`
	RoleARN             string      `json:"role_arn,omitempty"`
	Endpoint            string      `json:"endpoint,omitempty"`
	StorageClass        string      `json:"storage_class,omitempty"`
	ACL                 string      `json:"acl,omitempty"`
	UploadPartSize      int64       `json:"upload_part_size,omitempty"`
	UploadConcurrency   int         `json:"upload_concurrency,omitempty"`
	UploadPartMaxTime   int         `json:"upload_part_max_time,omitempty"`
	DownloadPartSize    int64       `json:"download_part_size,omitempty"`
	DownloadConcurrency int         `json:"download_concurrency,omitempty"`
	DownloadPartMaxTime int         `json:"download_part_max_time,omitempty"`
	ForcePathStyle      bool        `json:"force_path_style,omitempty"`
	SkipTLSVerify       bool        `json:"skip_tls_verify,omitempty"`
}

// GCSConfig configures a Google Cloud Storage bucket.
type GCSConfig struct {
	Bucket               string      `json:"bucket,omitempty"`
	KeyPrefix            string      `json:"key_prefix,omitempty"`
	Credentials          *kms.Secret `json:"credentials,omitempty"`
	AutomaticCredentials int         `json:"automatic_credentials,omitempty"`
	StorageClass         string      `json:"storage_class,omitempty"`
	ACL                  string      `json:"acl,omitempty"`
	UploadPartSize       int64       `json:"upload_part_size,omitempty"`
	UploadPartMaxTime    int         `json:"upload_part_max_time,omitempty"`
}

// AzBlobConfig configures an Azure Blob Storage container.
type AzBlobConfig struct {
	Container           string      `json:"container,omitempty"`
	AccountName         string      `json:"account_name,omitempty"`
	AccountKey          *kms.Secret `json:"account_key,omitempty"`
	SASURL              *kms.Secret `json:"sas_url,omitempty"`
	Endpoint            string      `json:"endpoint,omitempty"`
	KeyPrefix           string      `json:"key_prefix,omitempty"`
	UploadPartSize      int64       `json:"upload_part_size,omitempty"`
	UploadConcurrency   int         `json:"upload_concurrency,omitempty"`
	DownloadPartSize    int64       `json:"download_part_size,omitempty"`
	DownloadConcurrency int         `json:"download_concurrency,omitempty"`
	UseEmulator         bool        `json:"use_emulator,omitempty"`
	AccessTier          string      `json:"access_tier,omitempty"`
}

// CryptConfig configures encrypted local storage.
type CryptConfig struct {
	Passphrase *kms.Secret `json:"passphrase,omitempty"`
	// Buffer sizes in MB, as SFTPGo has them: stored and returned, no
	// effect yet (docs/not-implemented.md).
	ReadBufferSize  int `json:"read_buffer_size,omitempty"`
	WriteBufferSize int `json:"write_buffer_size,omitempty"`
}

// SFTPConfig configures a remote SFTP server as storage.
type SFTPConfig struct {
	Endpoint                string      `json:"endpoint,omitempty"`
	Username                string      `json:"username,omitempty"`
	Password                *kms.Secret `json:"password,omitempty"`
	PrivateKey              *kms.Secret `json:"private_key,omitempty"`
	KeyPassphrase           *kms.Secret `json:"key_passphrase,omitempty"`
	Fingerprints            []string    `json:"fingerprints,omitempty"`
	Prefix                  string      `json:"prefix,omitempty"`
	DisableCouncurrentReads bool        `json:"disable_concurrent_reads,omitempty"`
	BufferSize              int64       `json:"buffer_size,omitempty"`
	EqualityCheckMode       int         `json:"equality_check_mode,omitempty"`
}

// HTTPConfig configures an HTTP storage service (provider 6) speaking
// SFTPGo's HTTPFs protocol. Password and APIKey are KMS secrets.
// EqualityCheckMode (0: endpoint and username, 1: endpoint only) tells
// when two configurations are the same storage; it is kept for SFTPGo
// compatibility and has no effect here, since renames across storages
// are refused anyway.
type HTTPConfig struct {
	Endpoint          string      `json:"endpoint,omitempty"`
	Username          string      `json:"username,omitempty"`
	Password          *kms.Secret `json:"password,omitempty"`
	APIKey            *kms.Secret `json:"api_key,omitempty"`
	SkipTLSVerify     bool        `json:"skip_tls_verify,omitempty"`
	EqualityCheckMode int         `json:"equality_check_mode,omitempty"`
}

// FTPConfig configures a remote FTP/FTPS server as storage (provider 7,
// not in the reference product).
type FTPConfig struct {
	Endpoint      string      `json:"endpoint,omitempty"`
	Username      string      `json:"username,omitempty"`
	Password      *kms.Secret `json:"password,omitempty"`
	TLSMode       int         `json:"tls_mode,omitempty"`
	SkipTLSVerify bool        `json:"skip_tls_verify,omitempty"`
	Prefix        string      `json:"prefix,omitempty"`
}

// validate checks an HTTP storage configuration: the endpoint must be an
// http(s) URL with a host, or the unix socket form with an absolute
// socket_path. The secrets are sealed by then (sealSecrets).
func (c *HTTPConfig) validate() error {
	if c.Endpoint == "" {
		return invalid("filesystem.httpconfig.endpoint", "is required")
	}
	if err := httpfs.ValidateEndpoint(c.Endpoint); err != nil {
		return invalid("filesystem.httpconfig.endpoint", "%s", strings.TrimPrefix(err.Error(), "httpfs: "))
	}
	if c.EqualityCheckMode < 0 || c.EqualityCheckMode > 1 {
		return invalid("filesystem.httpconfig.equality_check_mode", "must be 0 or 1")
	}
	return nil
}

// RedactSecrets replaces every storage secret of fs by its redacted form
// (status only), for what leaves the server: the REST API, hooks, logs.
// A backend with a secret of its own adds it here, once.
func (fs *Filesystem) RedactSecrets() {
	fs.S3Config.AccessSecret = fs.S3Config.AccessSecret.Redacted()
	fs.S3Config.SSECustomerKey = fs.S3Config.SSECustomerKey.Redacted()
	fs.GCSConfig.Credentials = fs.GCSConfig.Credentials.Redacted()
	fs.AzBlobConfig.AccountKey = fs.AzBlobConfig.AccountKey.Redacted()
	fs.AzBlobConfig.SASURL = fs.AzBlobConfig.SASURL.Redacted()
	fs.CryptConfig.Passphrase = fs.CryptConfig.Passphrase.Redacted()
	fs.SFTPConfig.Password = fs.SFTPConfig.Password.Redacted()
	fs.SFTPConfig.PrivateKey = fs.SFTPConfig.PrivateKey.Redacted()
	fs.SFTPConfig.KeyPassphrase = fs.SFTPConfig.KeyPassphrase.Redacted()
	fs.HTTPConfig.Password = fs.HTTPConfig.Password.Redacted()
	fs.HTTPConfig.APIKey = fs.HTTPConfig.APIKey.Redacted()
	fs.FTPConfig.Password = fs.FTPConfig.Password.Redacted()
}
