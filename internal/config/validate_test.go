package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		key    string
		mutate func(c *Config)
	}{
		{"sftpd.bindings[0].port", func(c *Config) { c.SFTPD.Bindings[0].Port = 70000 }},
		{"sftpd.bindings[1]", func(c *Config) { c.SFTPD.Bindings = append(c.SFTPD.Bindings, defaultSFTPDBinding()) }},
		{"sftpd.bindings[1]", func(c *Config) {
			c.SFTPD.Bindings = append(c.SFTPD.Bindings, SFTPDBinding{Address: "127.0.0.1", Port: 2022})
		}},
		{"httpd.bindings[2]", func(c *Config) {
			c.HTTPD.Bindings = append(c.HTTPD.Bindings, defaultHTTPDBinding(), defaultHTTPDBinding())
			c.HTTPD.Bindings[0].Address = "10.0.0.1"
			c.HTTPD.Bindings[1].Address = "/run/sftpgo.sock"
			c.HTTPD.Bindings[2].Address = "10.0.0.1"
		}},
		{"sftpd.enabled_ssh_commands[1]", func(c *Config) { c.SFTPD.EnabledSSHCommands = []string{"scp", "rm"} }},
		{"ftpd.bindings[0].tls_mode", func(c *Config) { c.FTPD.Bindings[0].TLSMode = 4 }},
		{"ftpd.bindings[0].port", func(c *Config) { c.FTPD.Bindings[0].Port = -1 }},
		{"ftpd.bindings[0].min_tls_version", func(c *Config) { c.FTPD.Bindings[0].MinTLSVersion = 10 }},
		{"ftpd.bindings[0].max_tls_version", func(c *Config) {
			c.FTPD.Bindings[0].MinTLSVersion = 13
			c.FTPD.Bindings[0].MaxTLSVersion = 12
		}},
		{"ftpd.bindings[0].force_passive_ip", func(c *Config) { c.FTPD.Bindings[0].ForcePassiveIP = "not-an-ip" }},
		{"ftpd.bindings[0].passive_ip_overrides[0].networks[0]", func(c *Config) {
			c.FTPD.Bindings[0].PassiveIPOverrides = []PassiveIPOverride{{Networks: []string{"10.0.0.0"}, IP: "1.2.3.4"}}
		}},
		{"ftpd.passive_port_range", func(c *Config) { c.FTPD.PassivePortRange = PortRange{50100, 50000} }},
		{"ftpd.passive_port_range", func(c *Config) { c.FTPD.PassivePortRange = PortRange{0, 70000} }},
		{"common.upload_mode", func(c *Config) { c.Common.UploadMode = 3 }},
		{"common.umask", func(c *Config) { c.Common.Umask = "999" }},
		{"common.proxy_allowed[0]", func(c *Config) { c.Common.ProxyAllowed = []string{"nope"} }},
		{"common.defender.driver", func(c *Config) { c.Common.Defender.Driver = "redis" }},
		{"common.defender.entries_soft_limit", func(c *Config) {
			c.Common.Defender.Enabled = true
			c.Common.Defender.EntriesSoftLimit = 500
		}},
		{"common.rate_limiters[0].protocols[0]", func(c *Config) {
			c.Common.RateLimiters[0].Average = 10
			c.Common.RateLimiters[0].Protocols = []string{"SMTP"}
		}},
		{"common.actions.execute_sync[0]", func(c *Config) { c.Common.Actions.ExecuteSync = []string{"upload"} }},
		{"acme.email", func(c *Config) { c.ACME.Domains = []string{"example.com"} }},
		{"webdavd.bindings[0].prefix", func(c *Config) { c.WebDAVD.Bindings[0].Prefix = "dav" }},
		{"webdavd.bindings[0].tls_protocols[0]", func(c *Config) { c.WebDAVD.Bindings[0].TLSProtocols = []string{"h3"} }},
		{"webdavd.cache.mime_types.custom_mappings[0].ext", func(c *Config) {
			c.WebDAVD.Cache.MimeTypes.CustomMappings = []MimeMapping{{Ext: "bin", Mime: "x/y"}}
		}},
		{"data_provider.driver", func(c *Config) { c.DataProvider.Driver = "cockroachdb" }},
		{"data_provider.name", func(c *Config) { c.DataProvider.Name = "" }},
		{"data_provider.track_quota", func(c *Config) { c.DataProvider.TrackQuota = 3 }},
		{"data_provider.password_hashing.algo", func(c *Config) { c.DataProvider.PasswordHashing.Algo = "md5" }},
		{"data_provider.password_hashing.bcrypt_options.cost", func(c *Config) { c.DataProvider.PasswordHashing.BcryptOptions.Cost = 3 }},
		{"data_provider.password_hashing.bcrypt_options.cost", func(c *Config) { c.DataProvider.PasswordHashing.BcryptOptions.Cost = 32 }},
		{"data_provider.password_hashing.argon2_options.parallelism", func(c *Config) {
			c.DataProvider.PasswordHashing.Argon2Options.Parallelism = 0
		}},
		{"data_provider.node.proto", func(c *Config) { c.DataProvider.Node.Proto = "ftp" }},
		{"httpd.bindings[0].min_tls_version", func(c *Config) { c.HTTPD.Bindings[0].MinTLSVersion = 11 }},
		{"httpd.bindings[0].languages[0]", func(c *Config) { c.HTTPD.Bindings[0].Languages = []string{"xx"} }},
		{"httpd.web_root", func(c *Config) { c.HTTPD.WebRoot = "web" }},
		{"httpd.jwt_lifetime", func(c *Config) { c.HTTPD.JWTLifetime = 721 }},
		{"telemetry.bind_port", func(c *Config) { c.Telemetry.BindPort = 65536 }},
		{"http.retry_wait_max", func(c *Config) { c.HTTP.RetryWaitMax = 1 }},
		{"command.timeout", func(c *Config) { c.Command.Timeout = 0 }},
		{"command.commands[0].path", func(c *Config) { c.Command.Commands = []CommandEntry{{}} }},
		{"kms.secrets.url", func(c *Config) { c.KMS.Secrets.URL = "awskms:///x" }},
		{"mfa.totp[1].name", func(c *Config) { c.MFA.TOTP = append(c.MFA.TOTP, defaultTOTP()) }},
		{"mfa.totp[0].algo", func(c *Config) { c.MFA.TOTP[0].Algo = "md5" }},
		{"smtp.encryption", func(c *Config) { c.SMTP.Encryption = 3 }},
		{"plugins", func(c *Config) { c.Plugins = []PluginConfig{defaultPlugin()} }},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			c := Default()
			tc.mutate(&c)
			err := c.Validate()
			if err == nil {
				t.Fatal("Validate accepted the invalid value")
			}
			if !strings.Contains(err.Error(), `config key "`+tc.key+`"`) {
				t.Fatalf("error %q does not name %q", err, tc.key)
			}
		})
	}
}

func TestValidateReportsAll(t *testing.T) {
	t.Parallel()
	c := Default()
	c.SFTPD.Bindings[0].Port = -1
	c.SMTP.AuthType = 9
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "sftpd.bindings[0].port") || !strings.Contains(err.Error(), "smtp.auth_type") {
		t.Fatalf("Validate = %v, want both problems", err)
	}
}

func TestValidateAcceptsReasonableSettings(t *testing.T) {
	t.Parallel()
	c := Default()
	c.FTPD.Bindings[0].Port = 21
	c.FTPD.Bindings = append(c.FTPD.Bindings, defaultFTPDBinding())
	c.FTPD.Bindings[1].Port = 990
	c.FTPD.Bindings[1].TLSMode = 2
	c.FTPD.PassivePortRange = PortRange{0, 0}
	c.SFTPD.Bindings = append(c.SFTPD.Bindings, SFTPDBinding{Address: "127.0.0.1", Port: 2023})
	c.HTTPD.Bindings = append(c.HTTPD.Bindings, defaultHTTPDBinding())
	c.HTTPD.Bindings[1].Address = "/run/sftpgo.sock" // a Unix socket never clashes
	c.ACME = ACMEConfig{Domains: []string{"example.com"}, Email: "a@example.com", KeyType: "P256", RenewDays: 30,
		HTTP01Challenge: HTTP01Challenge{Port: 80}}
	c.DataProvider.Driver = "postgresql"
	c.DataProvider.Name = "sftpgo"
	c.DataProvider.PasswordHashing.Algo = "argon2id"
	c.Common.Defender.Enabled = true
	c.Common.RateLimiters[0].Average = 100
	c.Common.Umask = "022"
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

// FuzzLoad feeds arbitrary bytes to Load as a JSON, YAML or TOML file:
// it must return a config or an error, never panic or hang.
func FuzzLoad(f *testing.F) {
	for ext, content := range fullFile {
		f.Add([]byte(content), extIndex(ext))
	}
	if data, err := os.ReadFile(repoDefaultFile); err == nil {
		f.Add(data, uint8(0))
	}
	f.Add([]byte(`{"ftpd":{"bindings":[{"port":"21","passive_ip_overrides":[{"networks":null}]}]}}`), uint8(0))
	f.Add([]byte("a: &a [*a]\n"), uint8(1))
	f.Add([]byte("{\"common\": {\"idle_timeout\": 1e400}}"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, format uint8) {
		exts := []string{".json", ".yaml", ".toml"}
		dir := t.TempDir()
		name := "sftpgo" + exts[int(format)%len(exts)]
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadEnviron(dir, "", nil)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "config: ") {
				t.Fatalf("error without the config prefix: %v", err)
			}
			return
		}
		_ = cfg.Validate()
	})
}

func extIndex(ext string) uint8 {
	switch ext {
	case "yaml":
		return 1
	case "toml":
		return 2
	}
	return 0
}
