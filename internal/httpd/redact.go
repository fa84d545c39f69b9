package httpd

import "github.com/sftpgo-ng/sftpgo/internal/dataprovider"

// The API never returns passwords, and secrets only as their status: a
// client that sends the redacted secret back on update keeps the stored
// value.

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
		f.FsConfig.RedactSecrets()
		out[i] = f
	}
	return out
}

// redactUser returns a copy safe to show: no password (has_password says
// whether one is set), secrets redacted.
func redactUser(u dataprovider.User) dataprovider.User {
	u.HasPassword = u.HasPassword || u.Password != ""
	u.Password = ""
	u.FsConfig.RedactSecrets()
	u.VirtualFolders = redactFolders(u.VirtualFolders)
	redactTOTP(&u.Filters.TOTPConfig, &u.Filters.RecoveryCodes)
	return u
}

func redactGroup(g dataprovider.Group) dataprovider.Group {
	g.UserSettings.FsConfig.RedactSecrets()
	g.VirtualFolders = redactFolders(g.VirtualFolders)
	redactTOTP(&g.UserSettings.Filters.TOTPConfig, &g.UserSettings.Filters.RecoveryCodes)
	return g
}

func redactFolder(f dataprovider.BaseVirtualFolder) dataprovider.BaseVirtualFolder {
	f.FsConfig.RedactSecrets()
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
