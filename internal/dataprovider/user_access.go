package dataprovider

import (
	"net"
	"path"
	"slices"
	"strings"
	"time"
)

// CleanVirtualPath makes a client path absolute and clean: "" and "."
// become "/", "a/../../b" becomes "/b". It never returns a path above "/".
func CleanVirtualPath(p string) string {
	p = strings.ReplaceAll(p, "\\", "/")
	if strings.HasPrefix(p, "/") {
		// the same result without the concatenation: path.Clean does not
		// allocate for a path that is already clean, the common case
		return path.Clean(p)
	}
	return path.Clean("/" + p)
}

// nearestDirKey walks dir and its parents up to "/" and returns the first
// one ok accepts.
func nearestDirKey(dir string, ok func(string) bool) (string, bool) {
	dir = CleanVirtualPath(dir)
	for {
		if ok(dir) {
			return dir, true
		}
		if dir == "/" {
			return "", false
		}
		dir = path.Dir(dir)
	}
}

// GetPermissionsForPath returns the permissions of the nearest configured
// ancestor of the virtual directory dir ("/" is always configured).
func (u *User) GetPermissionsForPath(dir string) []string {
	key, ok := nearestDirKey(dir, func(d string) bool { _, found := u.Permissions[d]; return found })
	if !ok {
		return nil
	}
	return u.Permissions[key]
}

// implied maps a fine-grained permission to the coarse one that grants it.
var implied = map[string]string{
	PermDeleteFiles: PermDelete,
	PermDeleteDirs:  PermDelete,
	PermRenameFiles: PermRename,
	PermRenameDirs:  PermRename,
}

// HasPerm reports whether perm is granted in the virtual directory dir.
// "delete" grants delete_files and delete_dirs, "rename" grants
// rename_files and rename_dirs.
func (u *User) HasPerm(perm, dir string) bool {
	perms := u.GetPermissionsForPath(dir)
	if slices.Contains(perms, PermAny) || slices.Contains(perms, perm) {
		return true
	}
	if coarse, ok := implied[perm]; ok {
		return slices.Contains(perms, coarse)
	}
	return false
}

// HasPerms reports whether every one of perms is granted in dir.
func (u *User) HasPerms(perms []string, dir string) bool {
	for _, p := range perms {
		if !u.HasPerm(p, dir) {
			return false
		}
	}
	return true
}

// HasAnyPerm reports whether at least one of perms is granted in dir.
func (u *User) HasAnyPerm(perms []string, dir string) bool {
	return slices.ContainsFunc(perms, func(p string) bool { return u.HasPerm(p, dir) })
}

// Deny policies of a patterns filter.
const (
	DenyPolicyDefault = 0 // denied files are listed but cannot be used
	DenyPolicyHide    = 1 // denied files are hidden from listings too
)

// IsFileAllowed applies the file_patterns of the nearest configured
// ancestor of the file's directory to its base name, case-insensitively.
// Allowed patterns, when present, win over denied ones. It returns whether
// the file may be used and the deny policy that applies.
func (u *User) IsFileAllowed(virtualPath string) (bool, int) {
	virtualPath = CleanVirtualPath(virtualPath)
	if virtualPath == "/" || len(u.Filters.FilePatterns) == 0 {
		return true, DenyPolicyDefault
	}
	var filter *PatternsFilter
	nearestDirKey(path.Dir(virtualPath), func(d string) bool {
		for i := range u.Filters.FilePatterns {
			if CleanVirtualPath(u.Filters.FilePatterns[i].Path) == d {
				filter = &u.Filters.FilePatterns[i]
				return true
			}
		}
		return false
	})
	if filter == nil {
		return true, DenyPolicyDefault
	}
	name := strings.ToLower(path.Base(virtualPath))
	match := func(patterns []string) bool {
		for _, p := range patterns {
			if ok, _ := path.Match(strings.ToLower(p), name); ok {
				return true
			}
		}
		return false
	}
	if len(filter.AllowedPatterns) > 0 {
		if match(filter.AllowedPatterns) {
			return true, filter.DenyPolicy
		}
		return false, filter.DenyPolicy
	}
	return !match(filter.DeniedPatterns), filter.DenyPolicy
}

func ipInNetworks(ip net.IP, networks []string) bool {
	for _, n := range networks {
		if _, ipNet, err := net.ParseCIDR(n); err == nil {
			if ipNet.Contains(ip) {
				return true
			}
		} else if other := net.ParseIP(n); other != nil && other.Equal(ip) {
			return true
		}
	}
	return false
}

// IsLoginFromAddrAllowed applies allowed_ip and denied_ip to a remote
// address (host or host:port). An address in allowed_ip is accepted even
// when denied_ip also covers it.
func (u *User) IsLoginFromAddrAllowed(remoteAddr string) bool {
	if len(u.Filters.AllowedIP) == 0 && len(u.Filters.DeniedIP) == 0 {
		return true
	}
	host := remoteAddr
	if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		host = h
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	if ipInNetworks(ip, u.Filters.AllowedIP) {
		return true
	}
	if ipInNetworks(ip, u.Filters.DeniedIP) {
		return false
	}
	return len(u.Filters.AllowedIP) == 0
}

// IsLoginMethodAllowed reports whether method is not in
// denied_login_methods. For a multi-step method ("publickey+password") the
// partial step is allowed when the combined method is.
func (u *User) IsLoginMethodAllowed(method string) bool {
	return !slices.Contains(u.Filters.DeniedLoginMethods, method)
}

// IsProtocolAllowed reports whether protocol (SSH, FTP, DAV, HTTP) is not
// in denied_protocols.
func (u *User) IsProtocolAllowed(protocol string) bool {
	return !slices.Contains(u.Filters.DeniedProtocols, protocol)
}

// IsExpired reports whether the account's expiration date has passed.
func (u *User) IsExpired() bool {
	return u.ExpirationDate > 0 && u.ExpirationDate < time.Now().UnixMilli()
}

// GetVirtualFolderForPath returns the virtual folder whose virtual path is
// the longest prefix of virtualPath.
func (u *User) GetVirtualFolderForPath(virtualPath string) (VirtualFolder, bool) {
	virtualPath = CleanVirtualPath(virtualPath)
	best := -1
	for i, f := range u.VirtualFolders {
		vp := CleanVirtualPath(f.VirtualPath)
		if virtualPath == vp || strings.HasPrefix(virtualPath, vp+"/") {
			if best < 0 || len(vp) > len(CleanVirtualPath(u.VirtualFolders[best].VirtualPath)) {
				best = i
			}
		}
	}
	if best < 0 {
		return VirtualFolder{}, false
	}
	return u.VirtualFolders[best], true
}

// HasQuotaRestrictions reports whether a size or file quota applies.
func (u *User) HasQuotaRestrictions() bool { return u.QuotaSize > 0 || u.QuotaFiles > 0 }
