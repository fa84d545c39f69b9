package dataprovider

import (
	"errors"
	"fmt"
	"math"
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
	if err := checkPath(field, p); err != nil {
		return "", err
	}
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
		LoginMethodTLSCertificate, LoginMethodTLSCertificateAndPwd, LoginMethodIDP}
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
	if len(f.LegacyTwoFactorProtocols) > 0 {
		f.TwoFactorAuthProtocols = appendMissing(f.TwoFactorAuthProtocols, f.LegacyTwoFactorProtocols)
		f.LegacyTwoFactorProtocols = nil
	}
	if f.ExternalAuthCacheTime < 0 {
		return invalid("filters.external_auth_cache_time", "must not be negative")
	}
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
	if err := checkRange("filters.max_upload_file_size", f.MaxUploadFileSize, 0); err != nil {
		return err
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
		if err := nonNegative(field+".upload_bandwidth", bl.UploadBandwidth,
			field+".download_bandwidth", bl.DownloadBandwidth); err != nil {
			return err
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
		if err := nonNegative(field+".upload_data_transfer", dl.UploadDataTransfer,
			field+".download_data_transfer", dl.DownloadDataTransfer,
			field+".total_data_transfer", dl.TotalDataTransfer); err != nil {
			return err
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
	case LocalFilesystemProvider:
		keep.OSConfig = fs.OSConfig
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
	if err := checkPath(field, prefix); err != nil {
		return "", err
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
		if err := checkPath("filesystem.prefix", c.Prefix); err != nil {
			return err
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
		if err := checkPath("filesystem.prefix", c.Prefix); err != nil {
			return err
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
		if err := checkRange(field+".quota_size", vf.QuotaSize, -1); err != nil {
			return err
		}
		if err := checkRange(field+".quota_files", int64(vf.QuotaFiles), -1); err != nil {
			return err
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
			return nil, &ValidationError{
				Field:  fmt.Sprintf("public_keys[%d]", i),
				Msg:    publicKeyHint(k),
				Detail: err,
			}
		}
		out = append(out, k)
	}
	return out, nil
}

// publicKeyHint says, in a user's words, why k is not a public key.
func publicKeyHint(k string) string {
	const want = `paste one line of a .pub file, like "ssh-ed25519 AAAAC3Nza... user@host"`
	switch {
	case strings.Contains(k, "PRIVATE KEY"):
		return "this is a private key; never share it. Paste the public key instead: " + want
	case strings.Contains(k, "BEGIN SSH2 PUBLIC KEY"):
		return "this key is in the RFC 4716 (PuTTY/SSH2) format; convert it with \"ssh-keygen -i -f key.pub\" and " + want
	case strings.Count(strings.TrimSpace(k), "\n") > 0:
		return "enter one key per line; " + want
	}
	f := strings.Fields(k)
	if len(f) < 2 {
		return "this is not an SSH public key: it needs the key type and the key data; " + want
	}
	return "this is not a valid SSH public key (the key data is damaged or the key type is unknown); " + want
}

// Range limits of the numbers a client can store.
const (
	// MaxCounter is the largest size, file count, bandwidth or transfer
	// value accepted: half of int64, so the sum of two accepted values
	// still fits (SQLite turns an overflowing integer sum into a REAL that
	// no longer reads back as an integer).
	MaxCounter int64 = math.MaxInt64 / 2
	// MaxUnixID is the largest uid or gid (a signed 32-bit POSIX id).
	MaxUnixID = math.MaxInt32
)

// nonNegative checks field/value pairs: each value is in 0..MaxCounter
// (uid and gid in 0..MaxUnixID).
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
		if err := checkRange(field, v, 0); err != nil {
			return err
		}
	}
	return nil
}

// checkRange checks min <= v <= the field's maximum.
func checkRange(field string, v, min int64) error {
	limit := MaxCounter
	if field == "uid" || field == "gid" {
		limit = MaxUnixID
	}
	if v < min {
		if min == 0 {
			return invalid(field, "must not be negative")
		}
		return invalid(field, "must be %d or more", min)
	}
	if v > limit {
		return invalid(field, "must not be greater than %d", limit)
	}
	return nil
}

// CheckCounterDelta checks a value added to a used-quota counter: its
// magnitude is within MaxCounter, so adding it to a stored counter
// cannot overflow.
func CheckCounterDelta(field string, delta int64) error {
	if delta > MaxCounter || delta < -MaxCounter {
		return invalid(field, "must be between %d and %d", -MaxCounter, MaxCounter)
	}
	return nil
}

// checkQuotaUpdate checks the values of a used-quota update: with reset
// they replace the counters and are in 0..MaxCounter, otherwise they are
// added and their magnitude is at most MaxCounter.
func checkQuotaUpdate(reset bool, fields ...any) error {
	if reset {
		return nonNegative(fields...)
	}
	for i := 0; i+1 < len(fields); i += 2 {
		var v int64
		switch n := fields[i+1].(type) {
		case int:
			v = int64(n)
		case int64:
			v = n
		}
		if err := CheckCounterDelta(fields[i].(string), v); err != nil {
			return err
		}
	}
	return nil
}

// addCounter adds delta to a counter, saturating at MaxCounter.
func addCounter[T int | int64](cur, delta T) T {
	if delta > 0 && int64(cur) > MaxCounter-int64(delta) {
		return T(MaxCounter)
	}
	return cur + delta
}

// checkPath refuses a NUL byte in a path: the operating system would cut
// the path there, so the stored path and the one used would differ.
func checkPath(field, p string) error {
	if strings.IndexByte(p, 0) >= 0 {
		return invalid(field, "must not contain a NUL byte")
	}
	return nil
}

// ErrCorruptRecord marks a stored record that cannot be read back (a
// counter that is no longer an integer, a document that does not decode).
var ErrCorruptRecord = errors.New("corrupt stored record")

// CorruptRecordError names the record that cannot be read.
type CorruptRecordError struct {
	Kind, Name string
	Err        error
}

func (e *CorruptRecordError) Error() string {
	return fmt.Sprintf("%s %q: the stored record cannot be read: %v", e.Kind, e.Name, e.Err)
}

// Is makes errors.Is(err, ErrCorruptRecord) true.
func (e *CorruptRecordError) Is(target error) bool { return target == ErrCorruptRecord }

func (e *CorruptRecordError) Unwrap() error { return e.Err }

// validateHomeDir checks an absolute local path and cleans it.
func validateHomeDir(field, dir string) (string, error) {
	if err := checkPath(field, dir); err != nil {
		return "", err
	}
	if !filepath.IsAbs(dir) {
		return "", invalid(field, "%q must be an absolute path", dir)
	}
	return filepath.Clean(dir), nil
}
