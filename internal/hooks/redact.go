package hooks

import "github.com/sftpgo-ng/sftpgo/internal/dataprovider"

// Objects handed to hooks carry no secrets: passwords are dropped
// (has_password tells whether one is set) and storage secrets keep only
// their status.

func redactFs(fs *dataprovider.Filesystem) {
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

func redactMounts(in []dataprovider.VirtualFolder) []dataprovider.VirtualFolder {
	if in == nil {
		return nil
	}
	out := make([]dataprovider.VirtualFolder, len(in))
	for i, f := range in {
		redactFs(&f.FsConfig)
		out[i] = f
	}
	return out
}

func redactSecondFactor(f *dataprovider.UserFilters) {
	f.TOTPConfig.Secret = f.TOTPConfig.Secret.Redacted()
	f.RecoveryCodes = nil
}

// RedactUser returns a copy of u without secrets.
func RedactUser(u dataprovider.User) dataprovider.User {
	u.HasPassword = u.HasPassword || u.Password != ""
	u.Password = ""
	redactFs(&u.FsConfig)
	u.VirtualFolders = redactMounts(u.VirtualFolders)
	redactSecondFactor(&u.Filters)
	return u
}

// RedactObject returns a copy of a provider object without secrets.
func RedactObject(obj any) any {
	switch o := obj.(type) {
	case dataprovider.User:
		return RedactUser(o)
	case *dataprovider.User:
		return RedactUser(*o)
	case dataprovider.Group:
		redactFs(&o.UserSettings.FsConfig)
		o.VirtualFolders = redactMounts(o.VirtualFolders)
		redactSecondFactor(&o.UserSettings.Filters)
		return o
	case dataprovider.BaseVirtualFolder:
		redactFs(&o.FsConfig)
		return o
	case dataprovider.Admin:
		o.Password = ""
		o.Filters.TOTPConfig.Secret = o.Filters.TOTPConfig.Secret.Redacted()
		o.Filters.RecoveryCodes = nil
		return o
	case dataprovider.APIKey:
		o.Key = ""
		return o
	case dataprovider.Share:
		o.Password = ""
		return o
	}
	return obj
}
