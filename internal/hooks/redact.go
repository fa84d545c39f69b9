package hooks

import "github.com/sftpgo-ng/sftpgo/internal/dataprovider"

// Objects handed to hooks carry no secrets: passwords are dropped
// (has_password tells whether one is set) and storage secrets keep only
// their status.

func redactMounts(in []dataprovider.VirtualFolder) []dataprovider.VirtualFolder {
	if in == nil {
		return nil
	}
	out := make([]dataprovider.VirtualFolder, len(in))
	for i, f := range in {
		f.FsConfig.RedactSecrets()
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
	u.FsConfig.RedactSecrets()
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
		o.UserSettings.FsConfig.RedactSecrets()
		o.VirtualFolders = redactMounts(o.VirtualFolders)
		redactSecondFactor(&o.UserSettings.Filters)
		return o
	case dataprovider.BaseVirtualFolder:
		o.FsConfig.RedactSecrets()
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
