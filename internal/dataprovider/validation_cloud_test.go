package dataprovider

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

func TestCloudFilesystemValidation(t *testing.T) {
	key := kms.NewPlainSecret("k")
	cases := []struct {
		name  string
		fs    Filesystem
		field string // empty: valid
	}{
		{"s3 part size too small", Filesystem{Provider: S3FilesystemProvider, S3Config: S3Config{Bucket: "b", UploadPartSize: 4}}, "upload_part_size"},
		{"s3 part size ok", Filesystem{Provider: S3FilesystemProvider, S3Config: S3Config{Bucket: "b", UploadPartSize: 5}}, ""},
		{"azure without key", Filesystem{Provider: AzureBlobFilesystemProvider, AzBlobConfig: AzBlobConfig{Container: "c", AccountName: "a"}}, "account_key"},
		{"azure emulator without name", Filesystem{Provider: AzureBlobFilesystemProvider, AzBlobConfig: AzBlobConfig{Container: "c", AccountKey: key, UseEmulator: true}}, "account_name"},
		{"azure bad tier", Filesystem{Provider: AzureBlobFilesystemProvider, AzBlobConfig: AzBlobConfig{Container: "c", AccountName: "a", AccountKey: key, AccessTier: "Lukewarm"}}, "access_tier"},
		{"azure ok", Filesystem{Provider: AzureBlobFilesystemProvider, AzBlobConfig: AzBlobConfig{Container: "c", AccountName: "a", AccountKey: key, AccessTier: "Cool"}}, ""},
	}
	s := newTestStore(t, "memory")
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newUser("cloud" + string(rune('a'+i)))
			u.FsConfig = tc.fs
			if tc.fs.AzBlobConfig.AccountKey != nil {
				u.FsConfig.AzBlobConfig.AccountKey = kms.NewPlainSecret("k")
			}
			err := s.AddUser(context.Background(), &u)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid config refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrValidation) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("want a validation error naming %s, got %v", tc.field, err)
			}
		})
	}
}
