package common

import "github.com/sftpgo-ng/sftpgo/internal/dataprovider"

// StorageBackend names one storage provider NewFs can build.
type StorageBackend struct {
	Provider dataprovider.FilesystemProvider
	Feature  string // as listed by --version and /api/v2/version
}

// StorageBackends lists the storage providers built into this binary,
// local storage first. A test keeps it in step with NewFs.
func StorageBackends() []StorageBackend {
	return []StorageBackend{
		{dataprovider.LocalFilesystemProvider, "local"},
		{dataprovider.CryptedFilesystemProvider, "cryptfs"},
		{dataprovider.S3FilesystemProvider, "s3"},
		{dataprovider.GCSFilesystemProvider, "gcs"},
		{dataprovider.AzureBlobFilesystemProvider, "azblob"},
		{dataprovider.SFTPFilesystemProvider, "sftpfs"},
		{dataprovider.HTTPFilesystemProvider, "httpfs"},
		{dataprovider.FTPFilesystemProvider, "ftpfs"},
	}
}
