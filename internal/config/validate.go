package config

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

// validator collects every problem, so one run of Validate reports them
// all, each naming its key.
type validator struct{ errs []error }

func (v *validator) failf(key, format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("config key %q: %s", key, fmt.Sprintf(format, args...)))
}

func (v *validator) intRange(key string, val, lo, hi int) {
	if val < lo || val > hi {
		v.failf(key, "must be between %d and %d, got %d", lo, hi, val)
	}
}

func (v *validator) oneOf(key string, val int, allowed ...int) {
	if !slices.Contains(allowed, val) {
		v.failf(key, "must be one of %v, got %d", allowed, val)
	}
}

func (v *validator) strOneOf(key, val string, allowed ...string) {
	if !slices.Contains(allowed, val) {
		v.failf(key, "must be one of %q, got %q", allowed, val)
	}
}

func (v *validator) nonNegative(key string, val int64) {
	if val < 0 {
		v.failf(key, "must not be negative, got %d", val)
	}
}

func (v *validator) port(key string, val int) { v.intRange(key, val, 0, 65535) }

func (v *validator) minTLS(key string, val int) { v.oneOf(key, val, 12, 13) }

func (v *validator) tlsProtocols(key string, vals []string) {
	for i, p := range vals {
		v.strOneOf(fmt.Sprintf("%s[%d]", key, i), p, "http/1.1", "h2")
	}
}

func (v *validator) ipNets(key string, vals []string) {
	for i, s := range vals {
		if _, _, err := net.ParseCIDR(s); err != nil && net.ParseIP(s) == nil {
			v.failf(fmt.Sprintf("%s[%d]", key, i), "%q is neither an IP address nor a CIDR network", s)
		}
	}
}

// listener is one binding's address for the duplicate check.
type listener struct {
	address string
	port    int
}

func (v *validator) noDuplicates(key string, ls []listener) {
	for i, l := range ls {
		if l.port == 0 || strings.HasPrefix(l.address, "/") { // disabled, or a Unix socket
			continue
		}
		for j := range i {
			o := ls[j]
			if o.port != l.port || strings.HasPrefix(o.address, "/") {
				continue
			}
			if o.address == l.address || isWildcard(o.address) || isWildcard(l.address) {
				v.failf(fmt.Sprintf("%s[%d]", key, i), "listens on %s, which %s[%d] (%s) already uses",
					net.JoinHostPort(l.address, strconv.Itoa(l.port)), key, j, net.JoinHostPort(o.address, strconv.Itoa(o.port)))
				break
			}
		}
	}
}

// isWildcard reports whether a listen address means every interface.
func isWildcard(addr string) bool {
	return addr == "" || addr == "0.0.0.0" || addr == "::" || addr == "[::]"
}

// Validate checks values the types cannot: ranges, enumerations,
// addresses. It returns every problem found, joined, each naming its key.
func (c *Config) Validate() error {
	v := &validator{}
	c.validateCommon(v)
	c.validateACME(v)
	c.validateSFTPD(v)
	c.validateFTPD(v)
	c.validateWebDAVD(v)
	c.validateDataProvider(v)
	c.validateHTTPD(v)
	c.validateOthers(v)
	return errors.Join(v.errs...)
}

func (c *Config) validateCommon(v *validator) {
	cc := &c.Common
	v.nonNegative("common.idle_timeout", int64(cc.IdleTimeout))
	v.intRange("common.upload_mode", cc.UploadMode, 0, 2)
	v.intRange("common.setstat_mode", cc.SetstatMode, 0, 2)
	v.intRange("common.rename_mode", cc.RenameMode, 0, 1)
	v.intRange("common.symlink_mode", cc.SymlinkMode, 0, 3)
	v.nonNegative("common.resume_max_size", cc.ResumeMaxSize)
	v.intRange("common.proxy_protocol", cc.ProxyProtocol, 0, 2)
	v.ipNets("common.proxy_allowed", cc.ProxyAllowed)
	v.ipNets("common.proxy_skipped", cc.ProxySkipped)
	v.nonNegative("common.max_total_connections", int64(cc.MaxTotalConnections))
	v.nonNegative("common.max_per_host_connections", int64(cc.MaxPerHostConnections))
	v.intRange("common.allowlist_status", cc.AllowListStatus, 0, 1)
	v.intRange("common.allow_self_connections", cc.AllowSelfConnections, 0, 1)
	if cc.Umask != "" {
		if m, err := strconv.ParseUint(cc.Umask, 8, 32); err != nil || m > 0o777 {
			v.failf("common.umask", "must be an octal mask such as 022, got %q", cc.Umask)
		}
	}
	if cc.TZ != "" && cc.TZ != "local" {
		v.failf("common.tz", `must be empty (UTC) or "local", got %q`, cc.TZ)
	}
	v.intRange("common.metadata.read", cc.Metadata.Read, 0, 1)
	if cc.SecretMinEntropy < 0 {
		v.failf("common.secret_min_entropy", "must not be negative, got %v", cc.SecretMinEntropy)
	}
	for i, a := range cc.Actions.ExecuteOn {
		v.strOneOf(fmt.Sprintf("common.actions.execute_on[%d]", i), a,
			"pre-download", "download", "first-download", "pre-upload", "upload", "first-upload",
			"pre-delete", "delete", "rename", "mkdir", "rmdir", "ssh_cmd", "copy")
	}
	for i, a := range cc.Actions.ExecuteSync {
		if !slices.Contains(cc.Actions.ExecuteOn, a) {
			v.failf(fmt.Sprintf("common.actions.execute_sync[%d]", i), "%q is not in common.actions.execute_on", a)
		}
	}
	d := &cc.Defender
	v.strOneOf("common.defender.driver", d.Driver, "memory", "provider")
	if d.Enabled {
		for _, kv := range []struct {
			key string
			val int
		}{
			{"ban_time", d.BanTime}, {"threshold", d.Threshold}, {"observation_time", d.ObservationTime},
			{"entries_soft_limit", d.EntriesSoftLimit}, {"entries_hard_limit", d.EntriesHardLimit},
		} {
			if kv.val <= 0 {
				v.failf("common.defender."+kv.key, "must be greater than 0 when the defender is enabled, got %d", kv.val)
			}
		}
		if d.EntriesSoftLimit > d.EntriesHardLimit {
			v.failf("common.defender.entries_soft_limit", "must not exceed entries_hard_limit (%d), got %d", d.EntriesHardLimit, d.EntriesSoftLimit)
		}
	}
	for _, kv := range []struct {
		key string
		val int
	}{
		{"ban_time_increment", d.BanTimeIncrement}, {"score_invalid", d.ScoreInvalid}, {"score_valid", d.ScoreValid},
		{"score_limit_exceeded", d.ScoreLimitExceeded}, {"score_no_auth", d.ScoreNoAuth},
		{"login_delay.success", d.LoginDelay.Success}, {"login_delay.password_failed", d.LoginDelay.PasswordFailed},
	} {
		v.nonNegative("common.defender."+kv.key, int64(kv.val))
	}
	for i, rl := range cc.RateLimiters {
		key := fmt.Sprintf("common.rate_limiters[%d]", i)
		v.nonNegative(key+".average", rl.Average)
		if rl.Average == 0 {
			continue // disabled
		}
		if rl.Period <= 0 {
			v.failf(key+".period", "must be greater than 0, got %d", rl.Period)
		}
		if rl.Burst <= 0 {
			v.failf(key+".burst", "must be greater than 0, got %d", rl.Burst)
		}
		v.intRange(key+".type", rl.Type, 1, 2)
		for j, p := range rl.Protocols {
			v.strOneOf(fmt.Sprintf("%s.protocols[%d]", key, j), p, "SSH", "FTP", "DAV", "HTTP")
		}
		if rl.Type == 2 && rl.EntriesSoftLimit > rl.EntriesHardLimit {
			v.failf(key+".entries_soft_limit", "must not exceed entries_hard_limit (%d), got %d", rl.EntriesHardLimit, rl.EntriesSoftLimit)
		}
	}
}

func (c *Config) validateACME(v *validator) {
	a := &c.ACME
	v.port("acme.http01_challenge.port", a.HTTP01Challenge.Port)
	v.port("acme.tls_alpn01_challenge.port", a.TLSALPN01Challenge.Port)
	if len(a.Domains) == 0 {
		return
	}
	v.strOneOf("acme.key_type", a.KeyType, "2048", "3072", "4096", "8192", "P256", "P384")
	if a.Email == "" {
		v.failf("acme.email", "is required when acme.domains is set")
	}
	if a.RenewDays <= 0 {
		v.failf("acme.renew_days", "must be greater than 0, got %d", a.RenewDays)
	}
	if a.HTTP01Challenge.Port == 0 && a.HTTP01Challenge.WebRoot == "" && a.TLSALPN01Challenge.Port == 0 {
		v.failf("acme", "no challenge enabled: set http01_challenge.port, http01_challenge.webroot or tls_alpn01_challenge.port")
	}
}

// sshCommands are the SSH commands sftpd.enabled_ssh_commands may list.
var sshCommands = []string{"md5sum", "sha1sum", "sha256sum", "sha384sum", "sha512sum", "cd", "pwd", "scp", "sftpgo-copy", "sftpgo-remove"}

func (c *Config) validateSFTPD(v *validator) {
	s := &c.SFTPD
	ls := make([]listener, len(s.Bindings))
	for i, b := range s.Bindings {
		v.port(fmt.Sprintf("sftpd.bindings[%d].port", i), b.Port)
		ls[i] = listener{b.Address, b.Port}
	}
	v.noDuplicates("sftpd.bindings", ls)
	for i, cmd := range s.EnabledSSHCommands {
		if cmd != "*" && !slices.Contains(sshCommands, cmd) {
			v.failf(fmt.Sprintf("sftpd.enabled_ssh_commands[%d]", i), "unsupported command %q (supported: %s, or * for all)", cmd, strings.Join(sshCommands, " "))
		}
	}
	if s.OPKSSHPath != "" && len(s.TrustedUserCAKeys) > 0 {
		v.failf("sftpd.opkssh_path", "cannot be used together with sftpd.trusted_user_ca_keys")
	}
}

// FTPDisableableCommands are the commands ftpd.disabled_commands may list.
var FTPDisableableCommands = []string{"PORT", "EPRT", "HASH", "COMB", "STAT", "SYST", "SITE", "MLSD", "MLST", "MFMT"}

func (c *Config) validateFTPD(v *validator) {
	f := &c.FTPD
	ls := make([]listener, len(f.Bindings))
	for i, b := range f.Bindings {
		key := fmt.Sprintf("ftpd.bindings[%d]", i)
		ls[i] = listener{b.Address, b.Port}
		v.port(key+".port", b.Port)
		v.intRange(key+".tls_mode", b.TLSMode, 0, 3)
		v.intRange(key+".tls_session_reuse", b.TLSSessionReuse, 0, 2)
		if b.TLSSessionReuse == 1 && b.TLSMode == 2 {
			v.failf(key+".tls_session_reuse", "1 (required) is not allowed with implicit TLS (tls_mode 2)")
		}
		v.minTLS(key+".min_tls_version", b.MinTLSVersion)
		if b.MaxTLSVersion != 0 {
			v.minTLS(key+".max_tls_version", b.MaxTLSVersion)
			if b.MaxTLSVersion < b.MinTLSVersion {
				v.failf(key+".max_tls_version", "must not be lower than min_tls_version (%d), got %d", b.MinTLSVersion, b.MaxTLSVersion)
			}
		}
		if b.ForcePassiveIP != "" {
			if ip := net.ParseIP(b.ForcePassiveIP); ip == nil || ip.To4() == nil {
				v.failf(key+".force_passive_ip", "must be an IPv4 address, got %q", b.ForcePassiveIP)
			}
		}
		if b.ForcePassiveIP != "" && b.PassiveHost != "" {
			v.failf(key+".passive_host", "cannot be used together with force_passive_ip")
		}
		for j, o := range b.PassiveIPOverrides {
			okey := fmt.Sprintf("%s.passive_ip_overrides[%d]", key, j)
			if o.IP != "" {
				if ip := net.ParseIP(o.IP); ip == nil || ip.To4() == nil {
					v.failf(okey+".ip", "must be empty or an IPv4 address, got %q", o.IP)
				}
			}
			if len(o.Networks) == 0 {
				v.failf(okey+".networks", "must list at least one network")
			}
			for k, n := range o.Networks {
				if _, _, err := net.ParseCIDR(n); err != nil {
					v.failf(fmt.Sprintf("%s.networks[%d]", okey, k), "must be a CIDR network such as 192.168.1.0/24, got %q", n)
				}
			}
		}
		v.intRange(key+".client_auth_type", b.ClientAuthType, 0, 2)
		v.intRange(key+".passive_connections_security", b.PassiveConnectionsSecurity, 0, 1)
		v.intRange(key+".active_connections_security", b.ActiveConnectionsSecurity, 0, 1)
		v.intRange(key+".ignore_ascii_transfer_type", b.IgnoreASCIITransferType, 0, 1)
		if b.ForcePassiveIPTLS != "" {
			if ip := net.ParseIP(b.ForcePassiveIPTLS); ip == nil || ip.To4() == nil {
				v.failf(key+".force_passive_ip_tls", "must be an IPv4 address, got %q", b.ForcePassiveIPTLS)
			}
		}
		for j, n := range b.PassiveLocalNetworks {
			if _, _, err := net.ParseCIDR(n); err != nil {
				v.failf(fmt.Sprintf("%s.passive_local_networks[%d]", key, j), "must be a CIDR network such as 192.168.1.0/24, got %q", n)
			}
		}
	}
	for i, cmd := range f.DisabledCommands {
		v.strOneOf(fmt.Sprintf("ftpd.disabled_commands[%d]", i), strings.ToUpper(cmd), FTPDisableableCommands...)
	}
	v.noDuplicates("ftpd.bindings", ls)
	r := f.PassivePortRange
	switch {
	case r.Start == 0 && r.End == 0:
		// any free port
	case r.Start < 1 || r.End > 65535 || r.Start > r.End:
		v.failf("ftpd.passive_port_range", "start and end must satisfy 1 <= start <= end <= 65535, got %d-%d", r.Start, r.End)
	}
	v.intRange("ftpd.hash_support", f.HASHSupport, 0, 1)
	v.intRange("ftpd.combine_support", f.CombineSupport, 0, 1)
}

func (c *Config) validateWebDAVD(v *validator) {
	w := &c.WebDAVD
	ls := make([]listener, len(w.Bindings))
	for i, b := range w.Bindings {
		key := fmt.Sprintf("webdavd.bindings[%d]", i)
		ls[i] = listener{b.Address, b.Port}
		v.port(key+".port", b.Port)
		v.minTLS(key+".min_tls_version", b.MinTLSVersion)
		v.intRange(key+".client_auth_type", b.ClientAuthType, 0, 2)
		v.tlsProtocols(key+".tls_protocols", b.TLSProtocols)
		if b.Prefix != "" && !strings.HasPrefix(b.Prefix, "/") {
			v.failf(key+".prefix", "must be empty or an absolute URI path such as /dav, got %q", b.Prefix)
		}
		v.intRange(key+".proxy_mode", b.ProxyMode, 0, 1)
		v.ipNets(key+".proxy_allowed", b.ProxyAllowed)
		if b.ClientIPHeaderDepth < -1 {
			v.failf(key+".client_ip_header_depth", "must be -1 or greater, got %d", b.ClientIPHeaderDepth)
		}
	}
	v.noDuplicates("webdavd.bindings", ls)
	v.nonNegative("webdavd.cache.users.expiration_time", int64(w.Cache.Users.ExpirationTime))
	v.nonNegative("webdavd.cache.users.max_size", int64(w.Cache.Users.MaxSize))
	v.nonNegative("webdavd.cache.mime_types.max_size", int64(w.Cache.MimeTypes.MaxSize))
	for i, m := range w.Cache.MimeTypes.CustomMappings {
		key := fmt.Sprintf("webdavd.cache.mime_types.custom_mappings[%d]", i)
		if !strings.HasPrefix(m.Ext, ".") || len(m.Ext) < 2 {
			v.failf(key+".ext", "must be an extension with its dot, such as .json, got %q", m.Ext)
		}
		if m.Mime == "" {
			v.failf(key+".mime", "must not be empty")
		}
	}
	c.validateCORS(v, "webdavd.cors", &w.CORS)
}

func (c *Config) validateCORS(v *validator, key string, cors *CORSConfig) {
	v.nonNegative(key+".max_age", int64(cors.MaxAge))
	if cors.OptionsSuccessStatus != 0 {
		v.intRange(key+".options_success_status", cors.OptionsSuccessStatus, 200, 299)
	}
}

// drivers are the data_provider.driver values.
var drivers = []string{"sqlite", "memory", "bolt", "postgresql", "mysql"}

func (c *Config) validateDataProvider(v *validator) {
	d := &c.DataProvider
	v.strOneOf("data_provider.driver", d.Driver, drivers...)
	if (d.Driver == "sqlite" || d.Driver == "bolt") && d.Name == "" {
		v.failf("data_provider.name", "is required for the %s driver", d.Driver)
	}
	if (d.Driver == "postgresql" || d.Driver == "mysql") && d.ConnectionString == "" && d.Name == "" {
		v.failf("data_provider.name", "is required for the %s driver unless connection_string is set", d.Driver)
	}
	v.port("data_provider.port", d.Port)
	v.intRange("data_provider.sslmode", d.SSLMode, 0, 5)
	if d.TargetSessionAttrs != "" {
		v.strOneOf("data_provider.target_session_attrs", d.TargetSessionAttrs, "any", "read-write", "read-only", "primary", "standby", "prefer-standby")
	}
	v.intRange("data_provider.track_quota", d.TrackQuota, 0, 2)
	v.nonNegative("data_provider.delayed_quota_update", int64(d.DelayedQuotaUpdate))
	v.nonNegative("data_provider.pool_size", int64(d.PoolSize))
	for i, a := range d.Actions.ExecuteOn {
		v.strOneOf(fmt.Sprintf("data_provider.actions.execute_on[%d]", i), a, "add", "update", "delete")
	}
	for i, a := range d.Actions.ExecuteFor {
		v.strOneOf(fmt.Sprintf("data_provider.actions.execute_for[%d]", i), a,
			"user", "folder", "group", "admin", "api_key", "share", "event_action", "event_rule", "role", "ip_list_entry", "configs")
	}
	v.intRange("data_provider.external_auth_scope", d.ExternalAuthScope, 0, 15)
	v.intRange("data_provider.post_login_scope", d.PostLoginScope, 0, 2)
	v.intRange("data_provider.check_password_scope", d.CheckPasswordScope, 0, 7)
	ph := &d.PasswordHashing
	v.strOneOf("data_provider.password_hashing.algo", ph.Algo, "bcrypt", "argon2id")
	v.intRange("data_provider.password_hashing.bcrypt_options.cost", ph.BcryptOptions.Cost, 4, 31)
	a := ph.Argon2Options
	if a.Iterations < 1 {
		v.failf("data_provider.password_hashing.argon2_options.iterations", "must be at least 1")
	}
	if a.Parallelism < 1 {
		v.failf("data_provider.password_hashing.argon2_options.parallelism", "must be at least 1")
	}
	if a.Memory < 8*uint32(a.Parallelism) {
		v.failf("data_provider.password_hashing.argon2_options.memory", "must be at least 8 KiB per thread (%d), got %d", 8*uint32(a.Parallelism), a.Memory)
	}
	if d.PasswordValidation.Admins.MinEntropy < 0 {
		v.failf("data_provider.password_validation.admins.min_entropy", "must not be negative")
	}
	if d.PasswordValidation.Users.MinEntropy < 0 {
		v.failf("data_provider.password_validation.users.min_entropy", "must not be negative")
	}
	v.intRange("data_provider.update_mode", d.UpdateMode, 0, 1)
	v.intRange("data_provider.naming_rules", d.NamingRules, 0, 7)
	v.intRange("data_provider.is_shared", d.IsShared, 0, 1)
	v.strOneOf("data_provider.node.proto", d.Node.Proto, "http", "https")
	v.port("data_provider.node.port", d.Node.Port)
	if d.BackupsPath == "" {
		v.failf("data_provider.backups_path", "must not be empty")
	}
}

func (c *Config) validateHTTPD(v *validator) {
	h := &c.HTTPD
	ls := make([]listener, len(h.Bindings))
	for i, b := range h.Bindings {
		key := fmt.Sprintf("httpd.bindings[%d]", i)
		ls[i] = listener{b.Address, b.Port}
		v.port(key+".port", b.Port)
		v.nonNegative(key+".enabled_login_methods", int64(b.EnabledLoginMethods))
		v.intRange(key+".disabled_login_methods", b.DisabledLoginMethods, 0, 255)
		v.minTLS(key+".min_tls_version", b.MinTLSVersion)
		v.intRange(key+".client_auth_type", b.ClientAuthType, 0, 1)
		v.tlsProtocols(key+".tls_protocols", b.TLSProtocols)
		v.intRange(key+".proxy_mode", b.ProxyMode, 0, 1)
		v.ipNets(key+".proxy_allowed", b.ProxyAllowed)
		if b.ClientIPHeaderDepth < -1 {
			v.failf(key+".client_ip_header_depth", "must be -1 or greater, got %d", b.ClientIPHeaderDepth)
		}
		v.intRange(key+".hide_login_url", b.HideLoginURL, 0, 3)
		for j, l := range b.Languages {
			v.strOneOf(fmt.Sprintf("%s.languages[%d]", key, j), l, "en", "it", "de", "fr", "es", "zh-CN")
		}
		if b.OIDC.ConfigURL != "" && !slices.Contains(b.OIDC.Scopes, "openid") {
			v.failf(key+".oidc.scopes", `must include "openid"`)
		}
		v.nonNegative(key+".security.sts_seconds", b.Security.STSSeconds)
	}
	v.noDuplicates("httpd.bindings", ls)
	if h.WebRoot != "" && !strings.HasPrefix(h.WebRoot, "/") {
		v.failf("httpd.web_root", "must be empty or an absolute URI path such as /sftpgo, got %q", h.WebRoot)
	}
	v.intRange("httpd.token_validation", h.TokenValidation, 0, 3)
	v.intRange("httpd.cookie_lifetime", h.CookieLifetime, 0, 720)
	v.intRange("httpd.share_cookie_lifetime", h.ShareCookieLifetime, 0, 720)
	v.intRange("httpd.jwt_lifetime", h.JWTLifetime, 0, 720)
	v.nonNegative("httpd.max_upload_file_size", h.MaxUploadFileSize)
	c.validateCORS(v, "httpd.cors", &h.CORS)
}

func (c *Config) validateOthers(v *validator) {
	t := &c.Telemetry
	v.port("telemetry.bind_port", t.BindPort)
	v.minTLS("telemetry.min_tls_version", t.MinTLSVersion)
	v.tlsProtocols("telemetry.tls_protocols", t.TLSProtocols)

	hc := &c.HTTP
	if hc.Timeout < 0 {
		v.failf("http.timeout", "must not be negative")
	}
	v.nonNegative("http.retry_wait_min", int64(hc.RetryWaitMin))
	if hc.RetryWaitMax < hc.RetryWaitMin {
		v.failf("http.retry_wait_max", "must not be lower than retry_wait_min (%d), got %d", hc.RetryWaitMin, hc.RetryWaitMax)
	}
	v.nonNegative("http.retry_max", int64(hc.RetryMax))
	for i, cert := range hc.Certificates {
		if cert.Cert == "" || cert.Key == "" {
			v.failf(fmt.Sprintf("http.certificates[%d]", i), "both cert and key are required")
		}
	}

	cmd := &c.Command
	v.intRange("command.timeout", cmd.Timeout, 1, 300)
	for i, e := range cmd.Env {
		if !strings.Contains(e, "=") {
			v.failf(fmt.Sprintf("command.env[%d]", i), "must be KEY=VALUE")
		}
	}
	for i, ce := range cmd.Commands {
		key := fmt.Sprintf("command.commands[%d]", i)
		if ce.Path == "" {
			v.failf(key+".path", "must not be empty")
		}
		if ce.Timeout != 0 {
			v.intRange(key+".timeout", ce.Timeout, 1, 300)
		}
		for j, e := range ce.Env {
			if !strings.Contains(e, "=") {
				v.failf(fmt.Sprintf("%s.env[%d]", key, j), "must be KEY=VALUE")
			}
		}
		if ce.Hook != "" {
			v.strOneOf(key+".hook", ce.Hook, "fs_actions", "provider_actions", "startup", "post_connect",
				"post_disconnect", "check_password", "pre_login", "post_login", "external_auth", "keyboard_interactive")
		}
	}

	switch strings.ToLower(strings.TrimSpace(c.KMS.Secrets.URL)) {
	case "", "builtin", "builtin://":
	default:
		v.failf("kms.secrets.url", "unsupported KMS url: only the built-in provider is available, leave it empty")
	}

	names := map[string]bool{}
	for i, t := range c.MFA.TOTP {
		key := fmt.Sprintf("mfa.totp[%d]", i)
		if t.Name == "" {
			v.failf(key+".name", "must not be empty")
		} else if names[t.Name] {
			v.failf(key+".name", "duplicate name %q", t.Name)
		}
		names[t.Name] = true
		if t.Issuer == "" {
			v.failf(key+".issuer", "must not be empty")
		}
		v.strOneOf(key+".algo", t.Algo, "sha1", "sha256", "sha512")
	}

	s := &c.SMTP
	v.port("smtp.port", s.Port)
	v.intRange("smtp.auth_type", s.AuthType, 0, 3)
	v.intRange("smtp.encryption", s.Encryption, 0, 2)
	v.intRange("smtp.debug", s.Debug, 0, 1)
	v.intRange("smtp.oauth2.provider", s.OAuth2.Provider, 0, 1)

	if len(c.Plugins) > 0 {
		v.failf("plugins", "plugins are not supported: remove the %d configured plugin(s)", len(c.Plugins))
	}
}
