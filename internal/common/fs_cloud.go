package common

import (
	"context"
	"fmt"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/azblobfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/gcsfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/s3fs"
)

// Cloud storage builders: they decrypt the secrets and translate the
// stored configuration (SFTPGo's field names and units: part sizes in
// MB, part times in seconds) into the backends' own.

// mib converts a size given in MB to bytes; 0 keeps the backend default.
func mib(n int64) int64 { return n << 20 }

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

// reveal decrypts an optional secret.
func reveal(dec Decrypter, s *kms.Secret, field string) (string, error) {
	if s.IsEmpty() {
		return "", nil
	}
	if dec == nil {
		return "", fmt.Errorf("%s: no KMS to decrypt it", field)
	}
	v, err := dec.Decrypt(s)
	if err != nil {
		return "", fmt.Errorf("decrypt %s: %w", field, err)
	}
	return v, nil
}

func newS3Fs(c dataprovider.S3Config, dec Decrypter) (vfs.Fs, error) {
	secret, err := reveal(dec, c.AccessSecret, "s3config.access_secret")
	if err != nil {
		return nil, err
	}
	sseKey, err := reveal(dec, c.SSECustomerKey, "s3config.sse_customer_key")
	if err != nil {
		return nil, err
	}
	return s3fs.New(context.Background(), s3fs.Config{
		Bucket:              c.Bucket,
		KeyPrefix:           c.KeyPrefix,
		Region:              c.Region,
		AccessKey:           c.AccessKey,
		AccessSecret:        secret,
		SessionToken:        c.SessionToken,
		RoleARN:             c.RoleARN,
		Endpoint:            c.Endpoint,
		ForcePathStyle:      c.ForcePathStyle,
		SkipTLSVerify:       c.SkipTLSVerify,
		StorageClass:        c.StorageClass,
		ACL:                 c.ACL,
		SSECustomerKey:      sseKey,
		UploadPartSize:      mib(c.UploadPartSize),
		UploadConcurrency:   c.UploadConcurrency,
		UploadPartMaxTime:   seconds(c.UploadPartMaxTime),
		DownloadPartSize:    mib(c.DownloadPartSize),
		DownloadConcurrency: c.DownloadConcurrency,
		DownloadPartMaxTime: seconds(c.DownloadPartMaxTime),
	})
}

func newGCSFs(c dataprovider.GCSConfig, dec Decrypter) (vfs.Fs, error) {
	var creds []byte
	if c.AutomaticCredentials == 0 {
		v, err := reveal(dec, c.Credentials, "gcsconfig.credentials")
		if err != nil {
			return nil, err
		}
		creds = []byte(v)
	}
	return gcsfs.New(context.Background(), gcsfs.Config{
		Bucket:            c.Bucket,
		KeyPrefix:         c.KeyPrefix,
		CredentialsJSON:   creds,
		StorageClass:      c.StorageClass,
		ACL:               c.ACL,
		UploadPartSize:    mib(c.UploadPartSize),
		UploadPartMaxTime: seconds(c.UploadPartMaxTime),
	})
}

func newAzBlobFs(c dataprovider.AzBlobConfig, dec Decrypter) (vfs.Fs, error) {
	key, err := reveal(dec, c.AccountKey, "azblobconfig.account_key")
	if err != nil {
		return nil, err
	}
	sas, err := reveal(dec, c.SASURL, "azblobconfig.sas_url")
	if err != nil {
		return nil, err
	}
	return azblobfs.New(context.Background(), azblobfs.Config{
		Container:           c.Container,
		AccountName:         c.AccountName,
		AccountKey:          key,
		SASURL:              sas,
		Endpoint:            c.Endpoint,
		UseEmulator:         c.UseEmulator,
		KeyPrefix:           c.KeyPrefix,
		AccessTier:          c.AccessTier,
		UploadPartSize:      mib(c.UploadPartSize),
		UploadConcurrency:   c.UploadConcurrency,
		DownloadPartSize:    mib(c.DownloadPartSize),
		DownloadConcurrency: c.DownloadConcurrency,
	})
}
