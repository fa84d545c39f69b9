package dataprovider

import (
	"errors"
	"fmt"

	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// SecretEncrypter encrypts and decrypts secrets; *kms.Manager is one.
// Options.Secrets lets tests (or embedders) supply another.
type SecretEncrypter interface {
	Encrypt(s *kms.Secret, additionalData string) error
	Decrypt(s *kms.Secret) (string, error)
}

var errNoKMS = errors.New("no KMS configured to encrypt secrets")

// noKMS refuses to handle secrets: a Store without a KMS can still manage
// objects that hold none.
type noKMS struct{}

func (noKMS) Encrypt(*kms.Secret, string) error   { return errNoKMS }
func (noKMS) Decrypt(*kms.Secret) (string, error) { return "", errNoKMS }

// secretField is one secret of an object, named for error messages.
type secretField struct {
	name string
	ptr  **kms.Secret
}

// fsSecrets returns the secrets of the section selected by the provider;
// the other sections are cleared by normalizeFilesystem.
func fsSecrets(fs *Filesystem) []secretField {
	switch fs.Provider {
	case S3FilesystemProvider:
		return []secretField{{"s3config.access_secret", &fs.S3Config.AccessSecret},
			{"s3config.sse_customer_key", &fs.S3Config.SSECustomerKey}}
	case GCSFilesystemProvider:
		return []secretField{{"gcsconfig.credentials", &fs.GCSConfig.Credentials}}
	case AzureBlobFilesystemProvider:
		return []secretField{{"azblobconfig.account_key", &fs.AzBlobConfig.AccountKey},
			{"azblobconfig.sas_url", &fs.AzBlobConfig.SASURL}}
	case CryptedFilesystemProvider:
		return []secretField{{"cryptconfig.passphrase", &fs.CryptConfig.Passphrase}}
	case SFTPFilesystemProvider:
		return []secretField{{"sftpconfig.password", &fs.SFTPConfig.Password},
			{"sftpconfig.private_key", &fs.SFTPConfig.PrivateKey},
			{"sftpconfig.key_passphrase", &fs.SFTPConfig.KeyPassphrase}}
	case HTTPFilesystemProvider:
		return []secretField{{"httpconfig.password", &fs.HTTPConfig.Password},
			{"httpconfig.api_key", &fs.HTTPConfig.APIKey}}
	case FTPFilesystemProvider:
		return []secretField{{"ftpconfig.password", &fs.FTPConfig.Password}}
	}
	return nil
}

// sealSecrets brings each secret of cur into its stored form:
//   - empty (or a Plain one with no payload): removed;
//   - "keep stored" (redacted, or encrypted without payload): the value
//     from old at the same place, when the provider did not change;
//   - Plain: encrypted with additionalData, the owner's name;
//   - encrypted with a payload (e.g. from a dump): kept as is.
func sealSecrets(enc SecretEncrypter, cur, old []secretField, additionalData string) error {
	for i, f := range cur {
		s := *f.ptr
		switch {
		case s.IsEmpty() || (s.IsPlain() && s.Payload == ""):
			*f.ptr = nil
		case s.IsKeepStored():
			var prev *kms.Secret
			if i < len(old) && old[i].name == f.name {
				prev = *old[i].ptr
			}
			*f.ptr = prev.Clone()
		case s.IsPlain():
			c := s.Clone()
			if err := enc.Encrypt(c, additionalData); err != nil {
				return fmt.Errorf("%s: encrypt: %w", f.name, err)
			}
			if c.IsPlain() || c.Payload == "" {
				return fmt.Errorf("%s: the KMS left the secret unencrypted", f.name)
			}
			*f.ptr = c
		case s.IsEncrypted():
			*f.ptr = s.Clone()
		default:
			return &ValidationError{Field: f.name, Msg: fmt.Sprintf("invalid secret status %q", s.Status)}
		}
	}
	return nil
}

// totpSecrets returns the second-factor secrets of a user's or admin's
// filters: the TOTP secret and the recovery codes.
func totpSecrets(totp *TOTPConfig, codes []RecoveryCode) []secretField {
	out := []secretField{{"filters.totp_config.secret", &totp.Secret}}
	for i := range codes {
		out = append(out, secretField{fmt.Sprintf("filters.recovery_codes[%d]", i), &codes[i].Secret})
	}
	return out
}

func userSecrets(u *User) []secretField {
	return append(fsSecrets(&u.FsConfig), totpSecrets(&u.Filters.TOTPConfig, u.Filters.RecoveryCodes)...)
}

func adminSecrets(a *Admin) []secretField {
	return totpSecrets(&a.Filters.TOTPConfig, a.Filters.RecoveryCodes)
}
