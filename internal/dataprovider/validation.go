package dataprovider

import (
	"fmt"
	"net"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/crypto/ssh"
)

// Naming rules flags (data_provider.naming_rules), as in the reference
// product: they combine.
const (
	NamingRuleAllowUTF8 = 1 // any printable UTF-8 except / and \; without it only ALPHA DIGIT - . _ ~
	NamingRuleLowercase = 2 // names are lowercased before saving and matching
	NamingRuleTrim      = 4 // leading and trailing spaces are trimmed before saving and matching
)

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// normalizeName applies the trim and lowercase rules (for lookups too).
func normalizeName(name string, rules int) string {
	if rules&NamingRuleTrim != 0 {
		name = strings.TrimSpace(name)
	}
	if rules&NamingRuleLowercase != 0 {
		name = strings.ToLower(name)
	}
	return name
}

func isUnreserved(r rune) bool {
	return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') ||
		r == '-' || r == '.' || r == '_' || r == '~'
}

// validateName normalizes and checks a username or object name.
func validateName(field, name string, rules int) (string, error) {
	name = normalizeName(name, rules)
	if name == "" {
		return "", invalid(field, "is required")
	}
	if len(name) > 255 {
		return "", invalid(field, "is longer than 255 bytes")
	}
	if name == "." || name == ".." {
		return "", invalid(field, "%q is not a valid name", name)
	}
	for _, r := range name {
		if r == '/' || r == '\\' || unicode.IsControl(r) || r == unicode.ReplacementChar {
			return "", invalid(field, "%q contains a forbidden character", name)
		}
		if rules&NamingRuleAllowUTF8 == 0 && !isUnreserved(r) {
			return "", invalid(field, "%q may only contain the characters a-z A-Z 0-9 - . _ ~", name)
		}
	}
	return name, nil
}

// cleanAbsVirtualPath checks that p is an absolute virtual path and
// returns it cleaned.
func cleanAbsVirtualPath(field, p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", invalid(field, "%q must be an absolute path", p)
	}
	return path.Clean(p), nil
}

// validatePermissions cleans the directory keys and checks every
// permission. Users need a "/" entry; groups do not.
func validatePermissions(field string, perms map[string][]string, requireRoot bool) (map[string][]string, error) {
	if len(perms) == 0 {
		if requireRoot {
			return nil, invalid(field, "permissions for \"/\" are required")
		}
		return nil, nil
	}
	out := make(map[string][]string, len(perms))
	for dir, list := range perms {
		clean, err := cleanAbsVirtualPath(field, dir)
		if err != nil {
			return nil, err
		}
		if _, dup := out[clean]; dup {
			return nil, invalid(field, "duplicate permissions for %q", clean)
		}
		if len(list) == 0 {
			return nil, invalid(field, "no permissions for %q", clean)
		}
		var norm []string
		for _, p := range list {
			if !slices.Contains(ValidPerms, p) {
				return nil, invalid(field, "invalid permission %q for %q", p, clean)
			}
			if !slices.Contains(norm, p) {
				norm = append(norm, p)
			}
		}
		if slices.Contains(norm, PermAny) {
			norm = []string{PermAny}
		}
		out[clean] = norm
	}
	if _, ok := out["/"]; requireRoot && !ok {
		return nil, invalid(field, "permissions for \"/\" are required")
	}
	return out, nil
}

func validateCIDRs(field string, list []string) error {
	for _, n := range list {
		if _, _, err := net.ParseCIDR(n); err != nil {
			return invalid(field, "%q is not a valid network in CIDR notation", n)
		}
	}
	return nil
}

// Known values for the user filters.
var (
	validLoginMethods = []string{LoginMethodPassword, "password-over-SSH", LoginMethodPublicKey,
		LoginMethodKeyboardInteractive, LoginMethodKeyAndPassword, LoginMethodKeyAndKeyboardInt,
		LoginMethodTLSCertificate, LoginMethodTLSCertificateAndPwd}
	validProtocols          = []string{ProtocolSSH, ProtocolFTP, ProtocolWebDAV, ProtocolHTTP}
	validTwoFactorProtocols = []string{ProtocolSSH, ProtocolFTP, ProtocolHTTP}
	validTLSUsernames       = []string{"", "None", "CommonName"}
	timeOfDay               = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

func checkKnown(field string, values, known []string) error {
	for _, v := range values {
		if !slices.Contains(known, v) {
			return invalid(field, "unknown value %q", v)
		}
	}
	return nil
}

// validateFilters checks and cleans a user's (or group's) filters.
func validateFilters(f *UserFilters) error {
	if err := validateCIDRs("filters.allowed_ip", f.AllowedIP); err != nil {
		return err
	}
	if err := validateCIDRs("filters.denied_ip", f.DeniedIP); err != nil {
		return err
	}
	if err := checkKnown("filters.denied_login_methods", f.DeniedLoginMethods, validLoginMethods); err != nil {
		return err
	}
	if err := checkKnown("filters.denied_protocols", f.DeniedProtocols, validProtocols); err != nil {
		return err
	}
	if err := checkKnown("filters.two_factor_protocols", f.TwoFactorAuthProtocols, validTwoFactorProtocols); err != nil {
		return err
	}
	if !slices.Contains(validTLSUsernames, f.TLSUsername) {
		return invalid("filters.tls_username", "unknown value %q", f.TLSUsername)
	}
	if f.MaxUploadFileSize < 0 {
		return invalid("filters.max_upload_file_size", "must not be negative")
	}
	if f.FTPSecurity != 0 && f.FTPSecurity != 1 {
		return invalid("filters.ftp_security", "must be 0 or 1")
	}
	if f.StartDirectory != "" {
		p, err := cleanAbsVirtualPath("filters.start_directory", f.StartDirectory)
		if err != nil {
			return err
		}
		f.StartDirectory = p
	}
	seen := map[string]bool{}
	for i := range f.FilePatterns {
		fp := &f.FilePatterns[i]
		field := fmt.Sprintf("filters.file_patterns[%d]", i)
		p, err := cleanAbsVirtualPath(field+".path", fp.Path)
		if err != nil {
			return err
		}
		if seen[p] {
			return invalid(field+".path", "duplicate path %q", p)
		}
		seen[p] = true
		fp.Path = p
		if len(fp.AllowedPatterns) == 0 && len(fp.DeniedPatterns) == 0 {
			return invalid(field, "no allowed or denied patterns for %q", p)
		}
		for _, pat := range slices.Concat(fp.AllowedPatterns, fp.DeniedPatterns) {
			if pat == "" || strings.Contains(pat, "/") {
				return invalid(field, "invalid pattern %q", pat)
			}
			if _, err := path.Match(pat, "x"); err != nil {
				return invalid(field, "invalid pattern %q", pat)
			}
		}
		if fp.DenyPolicy != DenyPolicyDefault && fp.DenyPolicy != DenyPolicyHide {
			return invalid(field+".deny_policy", "must be 0 or 1")
		}
	}
	for i, bl := range f.BandwidthLimits {
		field := fmt.Sprintf("filters.bandwidth_limits[%d]", i)
		if len(bl.Sources) == 0 {
			return invalid(field, "no sources")
		}
		if err := validateCIDRs(field+".sources", bl.Sources); err != nil {
			return err
		}
		if bl.UploadBandwidth < 0 || bl.DownloadBandwidth < 0 {
			return invalid(field, "bandwidth must not be negative")
		}
	}
	for i, dl := range f.DataTransferLimits {
		field := fmt.Sprintf("filters.data_transfer_limits[%d]", i)
		if len(dl.Sources) == 0 {
			return invalid(field, "no sources")
		}
		if err := validateCIDRs(field+".sources", dl.Sources); err != nil {
			return err
		}
		if dl.UploadDataTransfer < 0 || dl.DownloadDataTransfer < 0 || dl.TotalDataTransfer < 0 {
			return invalid(field, "data transfer must not be negative")
		}
	}
	for i, at := range f.AccessTime {
		field := fmt.Sprintf("filters.access_time[%d]", i)
		if at.DayOfWeek < 0 || at.DayOfWeek > 6 {
			return invalid(field+".day_of_week", "must be between 0 and 6")
		}
		if !timeOfDay.MatchString(at.From) || !timeOfDay.MatchString(at.To) || at.From >= at.To {
			return invalid(field, "from and to must be HH:MM with from before to")
		}
	}
	return nil
}

// normalizeFilesystem keeps only the section the provider selects, so
// secrets of an abandoned backend are not kept around.
func normalizeFilesystem(fs *Filesystem) error {
	if fs.Provider < LocalFilesystemProvider || fs.Provider > FTPFilesystemProvider {
		return invalid("filesystem.provider", "unknown provider %d", fs.Provider)
	}
	keep := Filesystem{Provider: fs.Provider}
	switch fs.Provider {
	case S3FilesystemProvider:
		keep.S3Config = fs.S3Config
	case GCSFilesystemProvider:
		keep.GCSConfig = fs.GCSConfig
	case AzureBlobFilesystemProvider:
		keep.AzBlobConfig = fs.AzBlobConfig
	case CryptedFilesystemProvider:
		keep.CryptConfig = fs.CryptConfig
	case SFTPFilesystemProvider:
		keep.SFTPConfig = fs.SFTPConfig
	case HTTPFilesystemProvider:
		keep.HTTPConfig = fs.HTTPConfig
	case FTPFilesystemProvider:
		keep.FTPConfig = fs.FTPConfig
	}
	*fs = keep
	return nil
}

func checkPrefix(field, prefix string) (string, error) {
	if prefix == "" {
		return "", nil
	}
	if strings.HasPrefix(prefix, "/") {
		return "", invalid(field, "must not start with \"/\"")
	}
	prefix = path.Clean(prefix)
	if prefix == "." || strings.HasPrefix(prefix, "../") || prefix == ".." {
		return "", invalid(field, "invalid prefix")
	}
	return prefix + "/", nil
}

// validateFilesystem checks the provider-specific required fields; it
// runs after the secrets were sealed.
func validateFilesystem(fs *Filesystem) error {
	var err error
	switch fs.Provider {
	case CryptedFilesystemProvider:
		if fs.CryptConfig.Passphrase.IsEmpty() {
			return invalid("filesystem.cryptconfig.passphrase", "is required")
		}
	case S3FilesystemProvider:
		c := &fs.S3Config
		if c.Bucket == "" {
			return invalid("filesystem.s3config.bucket", "is required")
		}
		if c.AccessKey != "" && c.AccessSecret.IsEmpty() {
			return invalid("filesystem.s3config.access_secret", "is required with an access key")
		}
		if c.KeyPrefix, err = checkPrefix("filesystem.s3config.key_prefix", c.KeyPrefix); err != nil {
			return err
		}
		if c.UploadPartSize < 0 || c.UploadConcurrency < 0 || c.DownloadPartSize < 0 || c.DownloadConcurrency < 0 {
			return invalid("filesystem.s3config", "part sizes and concurrency must not be negative")
		}
		if c.UploadPartSize > 0 && c.UploadPartSize < 5 {
			return invalid("filesystem.s3config.upload_part_size", "must be at least 5 (MB), the smallest multipart part S3 accepts")
		}
	case GCSFilesystemProvider:
		c := &fs.GCSConfig
		if c.Bucket == "" {
			return invalid("filesystem.gcsconfig.bucket", "is required")
		}
		if c.AutomaticCredentials == 0 && c.Credentials.IsEmpty() {
			return invalid("filesystem.gcsconfig.credentials", "are required without automatic credentials")
		}
		if c.KeyPrefix, err = checkPrefix("filesystem.gcsconfig.key_prefix", c.KeyPrefix); err != nil {
			return err
		}
	case AzureBlobFilesystemProvider:
		c := &fs.AzBlobConfig
		if c.SASURL.IsEmpty() {
			if c.Container == "" {
				return invalid("filesystem.azblobconfig.container", "is required without a SAS URL")
			}
			if c.AccountName == "" {
				return invalid("filesystem.azblobconfig.account_name", "is required without a SAS URL")
			}
			if c.AccountKey.IsEmpty() {
				return invalid("filesystem.azblobconfig.account_key", "is required without a SAS URL")
			}
		}
		switch c.AccessTier {
		case "", "Hot", "Cool", "Cold", "Archive":
		default:
			return invalid("filesystem.azblobconfig.access_tier", "must be Hot, Cool, Cold, Archive or empty, not %q", c.AccessTier)
		}
		if c.KeyPrefix, err = checkPrefix("filesystem.azblobconfig.key_prefix", c.KeyPrefix); err != nil {
			return err
		}
	case SFTPFilesystemProvider:
		c := &fs.SFTPConfig
		if c.Endpoint == "" {
			return invalid("filesystem.sftpconfig.endpoint", "is required")
		}
		if c.Username == "" {
			return invalid("filesystem.sftpconfig.username", "is required")
		}
		if c.Password.IsEmpty() && c.PrivateKey.IsEmpty() {
			return invalid("filesystem.sftpconfig", "a password or a private key is required")
		}
		if c.Prefix != "" {
			c.Prefix = path.Clean("/" + c.Prefix)
		}
		if c.BufferSize < 0 || c.BufferSize > 16 {
			return invalid("filesystem.sftpconfig.buffer_size", "must be between 0 and 16 (MB)")
		}
	case HTTPFilesystemProvider:
		return fs.HTTPConfig.validate()
	case FTPFilesystemProvider:
		c := &fs.FTPConfig
		if c.Endpoint == "" {
			return invalid("filesystem.ftpconfig.endpoint", "is required")
		}
		if c.Username == "" {
			return invalid("filesystem.ftpconfig.username", "is required")
		}
		if c.Password.IsEmpty() {
			return invalid("filesystem.ftpconfig.password", "is required")
		}
		if c.TLSMode < 0 || c.TLSMode > 2 {
			return invalid("filesystem.ftpconfig.tls_mode", "must be 0, 1 or 2")
		}
		if c.Prefix != "" {
			c.Prefix = path.Clean("/" + c.Prefix)
		}
	}
	return nil
}

// validateFolderMounts checks virtual folder mounts: absolute, not "/",
// not nested in one another, each folder mounted once. Existence is
// checked by the caller.
func validateFolderMounts(vfs []VirtualFolder) error {
	names := map[string]bool{}
	for i := range vfs {
		vf := &vfs[i]
		field := fmt.Sprintf("virtual_folders[%d]", i)
		if vf.Name == "" {
			return invalid(field+".name", "is required")
		}
		if names[vf.Name] {
			return invalid(field+".name", "folder %q is mounted twice", vf.Name)
		}
		names[vf.Name] = true
		p, err := cleanAbsVirtualPath(field+".virtual_path", vf.VirtualPath)
		if err != nil {
			return err
		}
		if p == "/" {
			return invalid(field+".virtual_path", "cannot be \"/\"")
		}
		vf.VirtualPath = p
		if vf.QuotaSize < -1 || vf.QuotaFiles < -1 {
			return invalid(field, "quota_size and quota_files must be -1 or more")
		}
	}
	for i := range vfs {
		for j := range vfs {
			if i == j {
				continue
			}
			a, b := vfs[i].VirtualPath, vfs[j].VirtualPath
			if a == b || strings.HasPrefix(b, a+"/") {
				return invalid("virtual_folders", "virtual paths %q and %q overlap", a, b)
			}
		}
	}
	return nil
}

// validatePublicKeys checks each key parses as an authorized_keys line
// and drops empty entries.
func validatePublicKeys(keys []string) ([]string, error) {
	var out []string
	for i, k := range keys {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k)); err != nil {
			return nil, invalid(fmt.Sprintf("public_keys[%d]", i), "not a valid SSH public key: %v", err)
		}
		out = append(out, k)
	}
	return out, nil
}

func nonNegative(pairs ...any) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		field := pairs[i].(string)
		var v int64
		switch n := pairs[i+1].(type) {
		case int:
			v = int64(n)
		case int64:
			v = n
		}
		if v < 0 {
			return invalid(field, "must not be negative")
		}
	}
	return nil
}

// validateHomeDir checks an absolute local path and cleans it.
func validateHomeDir(field, dir string) (string, error) {
	if !filepath.IsAbs(dir) {
		return "", invalid(field, "%q must be an absolute path", dir)
	}
	return filepath.Clean(dir), nil
}
