package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustLoad(t *testing.T, dir, file string, environ ...string) Config {
	t.Helper()
	cfg, err := LoadEnviron(dir, file, environ)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg
}

func loadErr(t *testing.T, dir, file string, environ ...string) string {
	t.Helper()
	_, err := LoadEnviron(dir, file, environ)
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	return err.Error()
}

func wantContains(t *testing.T, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%q does not contain %q", s, sub)
		}
	}
}

func TestLoadNoFileGivesDefaults(t *testing.T) {
	t.Parallel()
	cfg := mustLoad(t, t.TempDir(), "")
	if !reflect.DeepEqual(cfg, Default()) {
		t.Fatal("Load without file or environment differs from Default()")
	}
	// An explicitly named file that does not exist is not an error either,
	// as with the reference product.
	cfg = mustLoad(t, t.TempDir(), "missing.yaml")
	if !reflect.DeepEqual(cfg, Default()) {
		t.Fatal("Load with a missing file differs from Default()")
	}
}

func TestLoadPrecedence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "sftpgo.json", `{
  "sftpd": {"bindings": [{"port": 2000}]},
  "ftpd": {"bindings": [{"port": 2100}]},
  "webdavd": {"bindings": [{"port": 2200}]},
  "common": {"idle_timeout": 5}
}`)
	writeFile(t, dir, "env.d/10-base.env", `
# comment line
SFTPGO_SFTPD__BINDINGS__0__PORT=2001
export SFTPGO_FTPD__BINDINGS__0__PORT="2101"
SFTPGO_DATA_PROVIDER__NAME='my db.sqlite'   # trailing comment
SFTPGO_HTTPD__WEB_ROOT=/first
`)
	writeFile(t, dir, "env.d/20-override.env", "SFTPGO_HTTPD__WEB_ROOT=/second\n")
	writeFile(t, dir, "env.d/ignored.txt", "SFTPGO_COMMON__IDLE_TIMEOUT=99\n")

	cfg := mustLoad(t, dir, "", "SFTPGO_SFTPD__BINDINGS__0__PORT=2002", "PATH=/bin")
	checks := []struct {
		name      string
		got, want any
	}{
		{"process env beats env.d and file", cfg.SFTPD.Bindings[0].Port, 2002},
		{"env.d beats file", cfg.FTPD.Bindings[0].Port, 2101},
		{"file beats defaults", cfg.WebDAVD.Bindings[0].Port, 2200},
		{"file value kept", cfg.Common.IdleTimeout, 5},
		{"single-quoted value, comment stripped", cfg.DataProvider.Name, "my db.sqlite"},
		{"later env.d file wins", cfg.HTTPD.WebRoot, "/second"},
		{"default kept", cfg.HTTPD.Bindings[0].Port, 8080},
		{"default kept in file-set item", cfg.SFTPD.Bindings[0].ApplyProxyConfig, true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}

	env, err := Environment(dir, []string{"SFTPGO_DEFAULT_ADMIN_USERNAME=root"})
	if err != nil {
		t.Fatal(err)
	}
	if env["SFTPGO_DEFAULT_ADMIN_USERNAME"] != "root" || env["SFTPGO_FTPD__BINDINGS__0__PORT"] != "2101" {
		t.Fatalf("Environment = %v", env)
	}
}

func TestEnvFileSyntax(t *testing.T) {
	t.Parallel()
	env := map[string]string{}
	err := parseEnvFile([]byte("\ufeffA=1\n  B = two words  \nC=\"x\\ty\" # c\nD='a#b'\nE=\nF=v #not\nexport G=g\n"), env)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "1", "B": "two words", "C": "x\ty", "D": "a#b", "E": "", "F": "v", "G": "g"}
	if !reflect.DeepEqual(env, want) {
		t.Fatalf("got %q, want %q", env, want)
	}
	for _, bad := range []string{"NOEQUALS", "=value", "A B=c", `A="x" junk`} {
		if err := parseEnvFile([]byte(bad), map[string]string{}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	dir := t.TempDir()
	writeFile(t, dir, "env.d/bad.env", "A=1\nBROKEN LINE\n")
	wantContains(t, loadErr(t, dir, ""), "bad.env", "line 2")
}

func TestEnvListIndexes(t *testing.T) {
	t.Parallel()
	cfg := mustLoad(t, t.TempDir(), "",
		"SFTPGO_FTPD__BINDINGS__1__TLS_MODE=2",
		"SFTPGO_FTPD__BINDINGS__1__PORT=2121",
		"SFTPGO_FTPD__BINDINGS__0__PORT=21",
		"SFTPGO_FTPD__BINDINGS__0__PASSIVE_IP_OVERRIDES__0__IP=203.0.113.7",
		"SFTPGO_FTPD__BINDINGS__0__PASSIVE_IP_OVERRIDES__0__NETWORKS=10.0.0.0/8, 192.168.0.0/16",
		"SFTPGO_SFTPD__BINDINGS__3__PORT=2225",
		"SFTPGO_COMMON__ACTIONS__EXECUTE_ON=upload,download",
		"SFTPGO_HTTPD__BINDINGS__0__SECURITY__HTTPS_PROXY_HEADERS__0__KEY=X-Forwarded-Proto",
		"SFTPGO_HTTPD__BINDINGS__0__SECURITY__HTTPS_PROXY_HEADERS__0__VALUE=https",
		"SFTPGO_SFTPD__HOST_KEYS=",
	)
	f := cfg.FTPD.Bindings
	if len(f) != 2 {
		t.Fatalf("ftpd bindings = %d, want 2", len(f))
	}
	if f[0].Port != 21 || f[0].TLSMode != 0 {
		t.Errorf("binding 0 = %+v", f[0])
	}
	want1 := defaultFTPDBinding()
	want1.Port, want1.TLSMode = 2121, 2
	if !reflect.DeepEqual(f[1], want1) {
		t.Errorf("new binding 1 = %+v, want default values plus overrides %+v", f[1], want1)
	}
	wantOverride := []PassiveIPOverride{{IP: "203.0.113.7", Networks: []string{"10.0.0.0/8", "192.168.0.0/16"}}}
	if !reflect.DeepEqual(f[0].PassiveIPOverrides, wantOverride) {
		t.Errorf("passive ip overrides = %+v", f[0].PassiveIPOverrides)
	}
	s := cfg.SFTPD.Bindings
	if len(s) != 4 || s[3].Port != 2225 || s[1] != defaultSFTPDBinding() || s[0] != defaultSFTPDBinding() {
		t.Errorf("sftpd bindings = %+v", s)
	}
	if !reflect.DeepEqual(cfg.Common.Actions.ExecuteOn, []string{"upload", "download"}) {
		t.Errorf("execute_on = %q", cfg.Common.Actions.ExecuteOn)
	}
	if got := cfg.HTTPD.Bindings[0].Security.HTTPSProxyHeaders; !reflect.DeepEqual(got, []HTTPSProxyHeader{{"X-Forwarded-Proto", "https"}}) {
		t.Errorf("https proxy headers = %+v", got)
	}
	if cfg.SFTPD.HostKeys == nil || len(cfg.SFTPD.HostKeys) != 0 {
		t.Errorf("empty list variable gave %#v", cfg.SFTPD.HostKeys)
	}
	// Default() itself was not modified through shared slices.
	if len(Default().FTPD.Bindings[0].PassiveIPOverrides) != 0 {
		t.Fatal("Default() shares state with a loaded config")
	}
}

func TestEnvScalars(t *testing.T) {
	t.Parallel()
	cfg := mustLoad(t, t.TempDir(), "",
		"SFTPGO_SFTPD__PASSWORD_AUTHENTICATION=false",
		"SFTPGO_FTPD__DISABLE_ACTIVE_MODE=1",
		"SFTPGO_WEBDAVD__CACHE__MIME_TYPES__ENABLED=0",
		"SFTPGO_HTTPD__BINDINGS__0__ENABLE_HTTPS=true",
		"SFTPGO_HTTP__TIMEOUT=2.5",
		"SFTPGO_DATA_PROVIDER__PASSWORD_HASHING__ARGON2_OPTIONS__PARALLELISM=4",
		"SFTPGO_DATA_PROVIDER__PASSWORD=  spaced pass ",
		"SFTPGO_COMMON__UMASK=0022",
		"SFTPGO_KMS__SECRETS__MASTER_KEY=k",
		"SFTPGO_PLUGINS__0__NOTIFIER_OPTIONS__LOG_EVENTS=1,2",
	)
	if cfg.SFTPD.PasswordAuthentication || !cfg.FTPD.DisableActiveMode || cfg.WebDAVD.Cache.MimeTypes.Enabled || !cfg.HTTPD.Bindings[0].EnableHTTPS {
		t.Error("boolean variables not applied")
	}
	if cfg.HTTP.Timeout != 2.5 || cfg.DataProvider.PasswordHashing.Argon2Options.Parallelism != 4 {
		t.Error("number variables not applied")
	}
	if cfg.DataProvider.Password != "  spaced pass " || cfg.Common.Umask != "0022" || cfg.KMS.Secrets.MasterKey != "k" {
		t.Error("string variables not kept verbatim")
	}
	if !reflect.DeepEqual(cfg.Plugins[0].NotifierOptions.LogEvents, []int{1, 2}) {
		t.Errorf("int list = %v", cfg.Plugins[0].NotifierOptions.LogEvents)
	}
}

func TestEnvIgnoredVariables(t *testing.T) {
	t.Parallel()
	cfg := mustLoad(t, t.TempDir(), "",
		"SFTPGO_DEFAULT_ADMIN_USERNAME=admin",
		"SFTPGO_DEFAULT_ADMIN_PASSWORD=password",
		"SFTPGO_CONFIG_DIR=/etc/sftpgo",
		"SFTPGO_LOG_LEVEL=debug",
		"SFTPGO_HTTP_PROXY=x",
		"SFTPGO_PLUGIN_EVENTSEARCH_DSN=x",
		"sftpgo_sftpd__bindings__0__port=1",
		"OTHER=1",
	)
	if !reflect.DeepEqual(cfg, Default()) {
		t.Fatal("variables that are not config keys changed the config")
	}
}

func TestEnvErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env  string
		want []string
	}{
		{"SFTPGO_SFTPD__BINDINGS__0__PORTT=1", []string{"SFTPGO_SFTPD__BINDINGS__0__PORTT", `"sftpd.bindings[0].portt"`, "unknown"}},
		{"SFTPGO_COMMON__NOPE=1", []string{"SFTPGO_COMMON__NOPE", `"common.nope"`}},
		{"SFTPGO_HTTPD__BIND_PORT=80", []string{"SFTPGO_HTTPD__BIND_PORT", "httpd.bindings[0].port"}},
		{"SFTPGO_SFTPD__BINDINGS__0__PORT=abc", []string{"SFTPGO_SFTPD__BINDINGS__0__PORT", `"abc"`, "integer"}},
		{"SFTPGO_SFTPD__PASSWORD_AUTHENTICATION=yes", []string{"SFTPGO_SFTPD__PASSWORD_AUTHENTICATION", "boolean"}},
		{"SFTPGO_FTPD__BINDINGS__10__PORT=21", []string{"SFTPGO_FTPD__BINDINGS__10__PORT", "0..9"}},
		{"SFTPGO_FTPD__BINDINGS__X__PORT=21", []string{"index"}},
		{"SFTPGO_FTPD__BINDINGS=21", []string{"list of objects"}},
		{"SFTPGO_FTPD=21", []string{"section"}},
		{"SFTPGO_SFTPD__HOST_KEYS__0=id_rsa", []string{"comma-separated"}},
		{"SFTPGO_SFTPD__BINDINGS__0__PORT__X=1", []string{"is a value"}},
		{"SFTPGO_DATA_PROVIDER__PASSWORD_HASHING__ARGON2_OPTIONS__PARALLELISM=300", []string{"out of range"}},
		{"SFTPGO_PLUGINS__0__NOTIFIER_OPTIONS__LOG_EVENTS=1,x", []string{"item 1"}},
		{"SFTPGO_SFTPD____PORT=1", []string{"empty key segment"}},
	}
	for _, c := range cases {
		t.Run(c.env, func(t *testing.T) {
			t.Parallel()
			wantContains(t, loadErr(t, t.TempDir(), "", c.env), c.want...)
		})
	}
}

// fullFile sets keys at several depths, in each format.
var fullFile = map[string]string{
	"json": `{
  "common": {"idle_timeout": 7, "proxy_allowed": ["10.0.0.0/8"], "defender": {"enabled": true, "login_delay": {"success": 5}}},
  "sftpd": {"bindings": [{"port": 3022}, {"port": 3023, "address": "127.0.0.1"}], "enabled_ssh_commands": ["*"]},
  "ftpd": {"bindings": [{"port": 2121, "tls_mode": 1, "passive_ip_overrides": [{"networks": ["192.168.0.0/16"], "ip": "1.2.3.4"}]}]},
  "data_provider": {"driver": "bolt", "password_hashing": {"argon2_options": {"memory": 1024}}},
  "http": {"timeout": 1.5},
  "webdavd": {"cache": {"mime_types": {"custom_mappings": [{"ext": ".bin", "mime": "application/x-bin"}]}}}
}`,
	"yaml": `
common:
  idle_timeout: 7
  proxy_allowed: [10.0.0.0/8]
  defender:
    enabled: true
    login_delay: {success: 5}
sftpd:
  bindings:
    - port: 3022
    - port: 3023
      address: 127.0.0.1
  enabled_ssh_commands: ["*"]
ftpd:
  bindings:
    - port: 2121
      tls_mode: 1
      passive_ip_overrides:
        - networks: [192.168.0.0/16]
          ip: 1.2.3.4
data_provider:
  driver: bolt
  password_hashing:
    argon2_options:
      memory: 1024
http:
  timeout: 1.5
webdavd:
  cache:
    mime_types:
      custom_mappings:
        - ext: .bin
          mime: application/x-bin
`,
	"toml": `
[common]
idle_timeout = 7
proxy_allowed = ["10.0.0.0/8"]
[common.defender]
enabled = true
login_delay = { success = 5 }

[[sftpd.bindings]]
port = 3022
[[sftpd.bindings]]
port = 3023
address = "127.0.0.1"
[sftpd]
enabled_ssh_commands = ["*"]

[[ftpd.bindings]]
port = 2121
tls_mode = 1
[[ftpd.bindings.passive_ip_overrides]]
networks = ["192.168.0.0/16"]
ip = "1.2.3.4"

[data_provider]
driver = "bolt"
[data_provider.password_hashing.argon2_options]
memory = 1024

[http]
timeout = 1.5

[[webdavd.cache.mime_types.custom_mappings]]
ext = ".bin"
mime = "application/x-bin"
`,
}

func expectedFull() Config {
	want := Default()
	want.Common.IdleTimeout = 7
	want.Common.ProxyAllowed = []string{"10.0.0.0/8"}
	want.Common.Defender.Enabled = true
	want.Common.Defender.LoginDelay.Success = 5
	b2 := defaultSFTPDBinding()
	b2.Port, b2.Address = 3023, "127.0.0.1"
	want.SFTPD.Bindings = []SFTPDBinding{{Port: 3022, ApplyProxyConfig: true}, b2}
	want.SFTPD.EnabledSSHCommands = []string{"*"}
	want.FTPD.Bindings[0].Port = 2121
	want.FTPD.Bindings[0].TLSMode = 1
	want.FTPD.Bindings[0].PassiveIPOverrides = []PassiveIPOverride{{Networks: []string{"192.168.0.0/16"}, IP: "1.2.3.4"}}
	want.DataProvider.Driver = "bolt"
	want.DataProvider.PasswordHashing.Argon2Options.Memory = 1024
	want.HTTP.Timeout = 1.5
	want.WebDAVD.Cache.MimeTypes.CustomMappings = []MimeMapping{{".bin", "application/x-bin"}}
	return want
}

func TestLoadFormats(t *testing.T) {
	t.Parallel()
	want := expectedFull()
	for _, name := range []string{"sftpgo.json", "sftpgo.yaml", "sftpgo.yml", "sftpgo.toml", "custom/conf.yaml"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ext := strings.TrimPrefix(filepath.Ext(name), ".")
			if ext == "yml" {
				ext = "yaml"
			}
			writeFile(t, dir, name, fullFile[ext])
			file := ""
			if strings.HasPrefix(name, "custom/") {
				file = name
			}
			cfg := mustLoad(t, dir, file)
			if !reflect.DeepEqual(cfg, want) {
				t.Fatalf("%s loaded as\n%+v\nwant\n%+v", name, cfg, want)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
	// An absolute configFile is used as is.
	dir := t.TempDir()
	abs := writeFile(t, t.TempDir(), "x.json", `{"common": {"idle_timeout": 3}}`)
	if cfg := mustLoad(t, dir, abs); cfg.Common.IdleTimeout != 3 {
		t.Fatal("absolute config file not read")
	}
}

func TestLoadFileLookupOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "sftpgo.yaml", "common: {idle_timeout: 2}")
	writeFile(t, dir, "sftpgo.toml", "[common]\nidle_timeout = 3")
	if cfg := mustLoad(t, dir, ""); cfg.Common.IdleTimeout != 2 {
		t.Fatalf("yaml should win over toml, got %d", cfg.Common.IdleTimeout)
	}
	writeFile(t, dir, "sftpgo.json", `{"common": {"idle_timeout": 1}}`)
	if cfg := mustLoad(t, dir, ""); cfg.Common.IdleTimeout != 1 {
		t.Fatalf("json should win, got %d", cfg.Common.IdleTimeout)
	}
	if p, found := ResolveFile(dir, ""); !found || filepath.Base(p) != "sftpgo.json" {
		t.Fatalf("ResolveFile = %s, %v", p, found)
	}
}

func TestYAMLAnchorsAndLenientScalars(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "sftpgo.yaml", `
base: &tls
  min_tls_version: 13
  tls_mode: 1
`)
	// "base" is unknown: anchors must live inside known keys.
	wantContains(t, loadErr(t, dir, ""), `unknown config key "base"`, "line 2")

	writeFile(t, dir, "sftpgo.yaml", `
ftpd:
  bindings:
    - &b {port: 21, min_tls_version: 13, tls_mode: 1}
    - <<: *b
      port: "22"
common:
  umask: 0022
  idle_timeout: "9"
sftpd:
  password_authentication: "false"
`)
	cfg := mustLoad(t, dir, "")
	b := cfg.FTPD.Bindings
	if len(b) != 2 || b[1].Port != 22 || b[1].MinTLSVersion != 13 || b[1].TLSMode != 1 || !b[1].ApplyProxyConfig {
		t.Fatalf("merge key not applied: %+v", b)
	}
	if cfg.Common.Umask != "0022" || cfg.Common.IdleTimeout != 9 || cfg.SFTPD.PasswordAuthentication {
		t.Fatalf("scalars: umask %q idle %d pwd %v", cfg.Common.Umask, cfg.Common.IdleTimeout, cfg.SFTPD.PasswordAuthentication)
	}
}

func TestFileListSemantics(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "sftpgo.json", `{"httpd": {"bindings": [{"port": 9090}, {"port": 9091, "enable_web_admin": false}]},
 "common": {"rate_limiters": null}, "mfa": {"totp": []}}`)
	cfg := mustLoad(t, dir, "")
	h := cfg.HTTPD.Bindings
	if len(h) != 2 || !h[0].EnableWebAdmin || h[0].Port != 9090 || h[1].EnableWebAdmin || !h[1].EnableRESTAPI || h[1].Languages[0] != "en" {
		t.Fatalf("httpd bindings = %+v", h)
	}
	if cfg.Common.RateLimiters == nil || len(cfg.Common.RateLimiters) != 0 {
		t.Fatalf("null list = %#v, want empty", cfg.Common.RateLimiters)
	}
	if len(cfg.MFA.TOTP) != 0 {
		t.Fatal("an empty list in the file did not replace the default list")
	}
}

func TestFileUnknownKeys(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, file, content string
		want                []string
	}{
		{"json nested", "sftpgo.json", "{\n  \"ftpd\": {\n    \"bindings\": [\n      {\"port\": 21, \"tls_mod\": 1}\n    ]\n  }\n}",
			[]string{`unknown config key "ftpd.bindings[0].tls_mod"`, "sftpgo.json", "line 4, column 20"}},
		{"json top", "sftpgo.json", `{"nope": 1}`, []string{`unknown config key "nope"`, "line 1, column 2"}},
		{"json deep", "sftpgo.json", `{"httpd": {"bindings": [{}, {"security": {"x": 1}}]}}`,
			[]string{`unknown config key "httpd.bindings[1].security.x"`}},
		{"json removed", "sftpgo.json", `{"httpd": {"bind_port": 8080}}`,
			[]string{`unknown config key "httpd.bind_port"`, "httpd.bindings[0].port"}},
		{"yaml", "sftpgo.yaml", "sftpd:\n  bindings:\n    - port: 22\n      adress: x\n",
			[]string{`unknown config key "sftpd.bindings[0].adress"`, "line 4, column 7"}},
		{"toml", "sftpgo.toml", "[kms.secrets]\nmaster_kee = \"x\"\n",
			[]string{`unknown config key "kms.secrets.master_kee"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFile(t, dir, c.file, c.content)
			wantContains(t, loadErr(t, dir, ""), c.want...)
		})
	}
}

func TestFileWrongTypes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		content string
		want    []string
	}{
		{`{"sftpd": {"bindings": [{"port": "abc"}]}}`, []string{`"sftpd.bindings[0].port"`, `"abc"`, "integer", "line 1"}},
		{`{"sftpd": {"bindings": [{"port": 21.5}]}}`, []string{`"sftpd.bindings[0].port"`}},
		{`{"sftpd": {"bindings": {"port": 21}}}`, []string{`"sftpd.bindings"`, "expected a list, got an object"}},
		{`{"sftpd": {"host_keys": "id_rsa"}}`, []string{`"sftpd.host_keys"`, "expected a list"}},
		{`{"sftpd": {"password_authentication": "maybe"}}`, []string{`"sftpd.password_authentication"`, "boolean"}},
		{`{"common": 1}`, []string{`"common"`, "expected an object"}},
		{`{"data_provider": {"name": ["x"]}}`, []string{`"data_provider.name"`, "expected a string, got a list"}},
		{`{"data_provider": {"password_hashing": {"argon2_options": {"parallelism": 256}}}}`, []string{"parallelism", "out of range"}},
		{`{"data_provider": {"password_hashing": {"argon2_options": {"memory": -1}}}}`, []string{"memory", "negative"}},
		{`{"http": {"timeout": "fast"}}`, []string{`"http.timeout"`, "number"}},
	}
	for _, c := range cases {
		t.Run(c.content, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFile(t, dir, "sftpgo.json", c.content)
			wantContains(t, loadErr(t, dir, ""), c.want...)
		})
	}
}

func TestMalformedFiles(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file, content string
		want          []string
	}{
		{"sftpgo.json", "{\n  \"common\": {\n    \"idle_timeout\": 1,\n  }\n}", []string{"sftpgo.json", "line 4"}},
		{"sftpgo.json", `{"common": {}} {}`, []string{"after the top-level object"}},
		{"sftpgo.json", `[1, 2]`, []string{"top level must be an object"}},
		{"sftpgo.json", `{"common": {`, []string{"unexpected end"}},
		{"sftpgo.yaml", "common:\n  idle_timeout: 1\n bad indent: [\n", []string{"sftpgo.yaml", "line"}},
		{"sftpgo.yaml", "- 1\n- 2\n", []string{"top level must be a mapping"}},
		{"sftpgo.toml", "[common]\nidle_timeout = = 1\n", []string{"sftpgo.toml", "line 2"}},
		{"conf.ini", "a=1", []string{"unsupported config file extension"}},
	}
	for _, c := range cases {
		t.Run(c.file+" "+c.content, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFile(t, dir, c.file, c.content)
			file := ""
			if c.file == "conf.ini" {
				file = c.file
			}
			wantContains(t, loadErr(t, dir, file), c.want...)
		})
	}
	// Empty files mean "no settings".
	for _, name := range []string{"sftpgo.json", "sftpgo.yaml", "sftpgo.toml"} {
		dir := t.TempDir()
		writeFile(t, dir, name, " \n")
		if cfg := mustLoad(t, dir, ""); !reflect.DeepEqual(cfg, Default()) {
			t.Errorf("empty %s changed the config", name)
		}
	}
	// An unreadable file (here: a directory) is an error, not defaults.
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sftpgo.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	wantContains(t, loadErr(t, dir, ""), "sftpgo.json")
}

func TestYAMLAliasBomb(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	dir := t.TempDir()
	writeFile(t, dir, "sftpgo.yaml", b.String())
	if _, err := LoadEnviron(dir, "", nil); err == nil {
		t.Fatal("alias bomb accepted")
	}
}
