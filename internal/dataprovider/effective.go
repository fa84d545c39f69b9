package dataprovider

import (
	"context"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

const usernamePlaceholder = "%username%"

// GetEffectiveUser returns a user with its groups' settings applied: what
// the protocols act on. See docs/dataprovider.md for the rules.
func (s *Store) GetEffectiveUser(ctx context.Context, username string) (User, error) {
	u, err := s.driver.GetUser(ctx, s.name(username))
	if err != nil {
		return User{}, err
	}
	return s.effectiveUser(ctx, s.driver, u)
}

// effectiveUser applies the groups to u (as read from the driver) and
// adds pending delayed quota updates.
func (s *Store) effectiveUser(ctx context.Context, ops Ops, u User) (User, error) {
	if len(u.Groups) == 0 {
		return s.withPendingUser(u), nil
	}
	// primary first, then secondary groups in the order listed
	var ordered []Group
	for _, typ := range []int{GroupTypePrimary, GroupTypeSecondary} {
		for _, m := range u.Groups {
			if m.Type != typ {
				continue
			}
			g, err := ops.GetGroup(ctx, m.Name)
			if err != nil {
				return User{}, err
			}
			if typ == GroupTypePrimary {
				applyPrimaryGroup(&u, &g)
			}
			ordered = append(ordered, g)
		}
	}
	for i := range ordered {
		applyGroup(&u, &ordered[i], i == 0 && hasPrimary(u.Groups))
	}
	if u.HomeDir == "" && s.usersBaseDir != "" {
		u.HomeDir = filepath.Join(s.usersBaseDir, u.Username)
	}
	return s.withPendingUser(u), nil
}

func hasPrimary(groups []GroupMapping) bool {
	return slices.ContainsFunc(groups, func(m GroupMapping) bool { return m.Type == GroupTypePrimary })
}

func replaceUsername(s, username string) string {
	return strings.ReplaceAll(s, usernamePlaceholder, username)
}

// applyFsPlaceholders substitutes %username% in a group-provided
// filesystem: every prefix, and the SFTP/HTTP/FTP usernames.
func applyFsPlaceholders(fs *Filesystem, username string) {
	fs.S3Config.KeyPrefix = replaceUsername(fs.S3Config.KeyPrefix, username)
	fs.GCSConfig.KeyPrefix = replaceUsername(fs.GCSConfig.KeyPrefix, username)
	fs.AzBlobConfig.KeyPrefix = replaceUsername(fs.AzBlobConfig.KeyPrefix, username)
	fs.SFTPConfig.Prefix = replaceUsername(fs.SFTPConfig.Prefix, username)
	fs.SFTPConfig.Username = replaceUsername(fs.SFTPConfig.Username, username)
	fs.HTTPConfig.Username = replaceUsername(fs.HTTPConfig.Username, username)
	fs.FTPConfig.Prefix = replaceUsername(fs.FTPConfig.Prefix, username)
	fs.FTPConfig.Username = replaceUsername(fs.FTPConfig.Username, username)
}

// applyPrimaryGroup applies the settings only a primary group gives.
func applyPrimaryGroup(u *User, g *Group) {
	gs := &g.UserSettings
	if gs.HomeDir != "" {
		u.HomeDir = filepath.Clean(replaceUsername(gs.HomeDir, u.Username))
	}
	if gs.FsConfig.Provider != LocalFilesystemProvider {
		u.FsConfig = deepCopy(gs.FsConfig)
		applyFsPlaceholders(&u.FsConfig, u.Username)
	}
	setIfZero(&u.MaxSessions, gs.MaxSessions)
	setIfZero(&u.QuotaSize, gs.QuotaSize)
	setIfZero(&u.QuotaFiles, gs.QuotaFiles)
	setIfZero(&u.UploadBandwidth, gs.UploadBandwidth)
	setIfZero(&u.DownloadBandwidth, gs.DownloadBandwidth)
	setIfZero(&u.UploadDataTransfer, gs.UploadDataTransfer)
	setIfZero(&u.DownloadDataTransfer, gs.DownloadDataTransfer)
	setIfZero(&u.TotalDataTransfer, gs.TotalDataTransfer)
	uf, gf := &u.Filters, &gs.Filters
	setIfZero(&uf.MaxUploadFileSize, gf.MaxUploadFileSize)
	setIfZero(&uf.FTPSecurity, gf.FTPSecurity)
	if uf.TLSUsername == "" || uf.TLSUsername == "None" {
		if gf.TLSUsername != "" {
			uf.TLSUsername = gf.TLSUsername
		}
	}
	uf.Hooks.CheckPasswordDisabled = uf.Hooks.CheckPasswordDisabled || gf.Hooks.CheckPasswordDisabled
	uf.Hooks.PreLoginDisabled = uf.Hooks.PreLoginDisabled || gf.Hooks.PreLoginDisabled
	uf.Hooks.ExternalAuthDisabled = uf.Hooks.ExternalAuthDisabled || gf.Hooks.ExternalAuthDisabled
	uf.DisableFsChecks = uf.DisableFsChecks || gf.DisableFsChecks
	uf.AllowAPIKeyAuth = uf.AllowAPIKeyAuth || gf.AllowAPIKeyAuth
	uf.IsAnonymous = uf.IsAnonymous || gf.IsAnonymous
	if uf.StartDirectory == "" && gf.StartDirectory != "" {
		uf.StartDirectory = path.Clean(replaceUsername(gf.StartDirectory, u.Username))
	}
}

func setIfZero[T int | int64](dst *T, v T) {
	if *dst == 0 {
		*dst = v
	}
}

func appendMissing(dst []string, src []string) []string {
	for _, v := range src {
		if !slices.Contains(dst, v) {
			dst = append(dst, v)
		}
	}
	return dst
}

// applyGroup adds what primary and secondary groups both give: virtual
// folders, permissions and file patterns for paths the user does not
// configure ("/" only from the primary group), and the list filters.
func applyGroup(u *User, g *Group, primary bool) {
	gs := &g.UserSettings
	for _, vf := range g.VirtualFolders {
		vf = deepCopy(vf)
		vf.VirtualPath = path.Clean(replaceUsername(vf.VirtualPath, u.Username))
		if slices.ContainsFunc(u.VirtualFolders, func(x VirtualFolder) bool { return x.VirtualPath == vf.VirtualPath }) {
			continue
		}
		vf.MappedPath = replaceUsername(vf.MappedPath, u.Username)
		applyFsPlaceholders(&vf.FsConfig, u.Username)
		u.VirtualFolders = append(u.VirtualFolders, vf)
	}
	for dir, perms := range gs.Permissions {
		dir = path.Clean(replaceUsername(dir, u.Username))
		if dir == "/" && !primary {
			continue
		}
		if _, ok := u.Permissions[dir]; ok {
			continue
		}
		if u.Permissions == nil {
			u.Permissions = map[string][]string{}
		}
		u.Permissions[dir] = slices.Clone(perms)
	}
	for _, fp := range gs.Filters.FilePatterns {
		fp = deepCopy(fp)
		fp.Path = path.Clean(replaceUsername(fp.Path, u.Username))
		if fp.Path == "/" && !primary {
			continue
		}
		if slices.ContainsFunc(u.Filters.FilePatterns, func(x PatternsFilter) bool { return x.Path == fp.Path }) {
			continue
		}
		u.Filters.FilePatterns = append(u.Filters.FilePatterns, fp)
	}
	uf, gf := &u.Filters, &gs.Filters
	uf.BandwidthLimits = append(uf.BandwidthLimits, deepCopy(gf.BandwidthLimits)...)
	uf.DataTransferLimits = append(uf.DataTransferLimits, deepCopy(gf.DataTransferLimits)...)
	uf.AllowedIP = appendMissing(uf.AllowedIP, gf.AllowedIP)
	uf.DeniedIP = appendMissing(uf.DeniedIP, gf.DeniedIP)
	uf.DeniedLoginMethods = appendMissing(uf.DeniedLoginMethods, gf.DeniedLoginMethods)
	uf.DeniedProtocols = appendMissing(uf.DeniedProtocols, gf.DeniedProtocols)
	uf.TwoFactorAuthProtocols = appendMissing(uf.TwoFactorAuthProtocols, gf.TwoFactorAuthProtocols)
	uf.WebClient = appendMissing(uf.WebClient, gf.WebClient)
}
