package common

import (
	"errors"
	"fmt"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// NewFs builds the storage backend described by fsConfig. root is the
// local directory for local and encrypted storage (a user's home_dir or a
// folder's mapped_path); secrets are decrypted with kms. It is the only
// place that knows every backend.
func NewFs(fsConfig dataprovider.Filesystem, root string, kms Decrypter) (vfs.Fs, error) {
	switch fsConfig.Provider {
	case dataprovider.LocalFilesystemProvider:
		return newLocalFs(root)
	case dataprovider.CryptedFilesystemProvider:
		if fsConfig.CryptConfig.Passphrase.IsEmpty() {
			return nil, errors.New("encrypted storage without a passphrase")
		}
		if kms == nil {
			return nil, errors.New("encrypted storage needs a KMS to decrypt its passphrase")
		}
		pass, err := kms.Decrypt(fsConfig.CryptConfig.Passphrase)
		if err != nil {
			return nil, fmt.Errorf("decrypt passphrase: %w", err)
		}
		return newCryptFs(root, pass)
	case dataprovider.SFTPFilesystemProvider:
		return newSFTPFs(fsConfig.SFTPConfig, kms, nil)
	case dataprovider.FTPFilesystemProvider:
		return newFTPFs(fsConfig.FTPConfig, kms, nil)
	case dataprovider.HTTPFilesystemProvider:
		return newHTTPFs(fsConfig.HTTPConfig, kms, nil)
	case dataprovider.S3FilesystemProvider:
		return newS3Fs(fsConfig.S3Config, kms)
	case dataprovider.GCSFilesystemProvider:
		return newGCSFs(fsConfig.GCSConfig, kms)
	case dataprovider.AzureBlobFilesystemProvider:
		return newAzBlobFs(fsConfig.AzBlobConfig, kms)
	default:
		return nil, fmt.Errorf("storage provider %d not supported yet: %w", fsConfig.Provider, vfs.ErrNotSupported)
	}
}
