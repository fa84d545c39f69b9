package httpd

import "github.com/sftpgo-ng/sftpgo/internal/dataprovider"

// The API never returns passwords, and secrets only as their status: a
// client that sends the redacted secret back on update keeps the stored
// value.

func redactFilesystem(fs *dataprovider.Filesystem) {
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

func redactTOTP(t *dataprovider.TOTPConfig, codes *[]dataprovider.RecoveryCode) {
	t.Secret = t.Secret.Redacted()
	out := make([]dataprovider.RecoveryCode, 0, len(*codes))
	for _, c := range *codes {
		out = append(out, dataprovider.RecoveryCode{Secret: c.Secret.Redacted(), Used: c.Used})
	}
	if len(out) == 0 {
		out = nil
	}
	*codes = out
}

func redactFolders(folders []dataprovider.VirtualFolder) []dataprovider.VirtualFolder {
	if folders == nil {
		return nil
	}
	out := make([]dataprovider.VirtualFolder, len(folders))
	for i, f := range folders {
		redactFilesystem(&f.FsConfig)
		out[i] = f
	}
	return out
}

// redactUser returns a copy safe to show: no password (has_password says
// whether one is set), secrets redacted.
func redactUser(u dataprovider.User) dataprovider.User {
	u.HasPassword = u.HasPassword || u.Password != ""
	u.Password = ""
	redactFilesystem(&u.FsConfig)
	u.VirtualFolders = redactFolders(u.VirtualFolders)
	redactTOTP(&u.Filters.TOTPConfig, &u.Filters.RecoveryCodes)
	return u
}

func redactGroup(g dataprovider.Group) dataprovider.Group {
	redactFilesystem(&g.UserSettings.FsConfig)
	g.VirtualFolders = redactFolders(g.VirtualFolders)
	redactTOTP(&g.UserSettings.Filters.TOTPConfig, &g.UserSettings.Filters.RecoveryCodes)
	return g
}

func redactFolder(f dataprovider.BaseVirtualFolder) dataprovider.BaseVirtualFolder {
	redactFilesystem(&f.FsConfig)
	return f
}

func redactAdmin(a dataprovider.Admin) dataprovider.Admin {
	a.Password = ""
	redactTOTP(&a.Filters.TOTPConfig, &a.Filters.RecoveryCodes)
	return a
}

func redactAPIKey(k dataprovider.APIKey) dataprovider.APIKey {
	k.Key = ""
	return k
}

func mapSlice[T any](in []T, f func(T) T) []T {
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
