// Package config holds the typed configuration of every component, its
// defaults, and the loading of sftpgo.json, env.d files and SFTPGO_
// environment variables. Key names are the reference product's.
package config

// Config is the whole sftpgo.json.
type Config struct {
	Common       CommonConfig       `json:"common"`
	ACME         ACMEConfig         `json:"acme"`
	SFTPD        SFTPDConfig        `json:"sftpd"`
	FTPD         FTPDConfig         `json:"ftpd"`
	WebDAVD      WebDAVDConfig      `json:"webdavd"`
	DataProvider DataProviderConfig `json:"data_provider"`
	HTTPD        HTTPDConfig        `json:"httpd"`
	Telemetry    TelemetryConfig    `json:"telemetry"`
	HTTP         HTTPClientConfig   `json:"http"`
	Command      CommandConfig      `json:"command"`
	KMS          KMSConfig          `json:"kms"`
	MFA          MFAConfig          `json:"mfa"`
	SMTP         SMTPConfig         `json:"smtp"`
	Plugins      []PluginConfig     `json:"plugins"`

	// loadNotes are the warnings of the loader (obsolete keys met).
	loadNotes []string
}

// ActionsConfig names a hook and the events that fire it.
type ActionsConfig struct {
	ExecuteOn   []string `json:"execute_on"`
	ExecuteSync []string `json:"execute_sync"`
	Hook        string   `json:"hook"`
}

// LoginDelay slows down responses after a login attempt (milliseconds).
type LoginDelay struct {
	Success        int `json:"success"`
	PasswordFailed int `json:"password_failed"`
}

// DefenderConfig configures the brute-force defender.
type DefenderConfig struct {
	Enabled            bool       `json:"enabled"`
	Driver             string     `json:"driver"`
	BanTime            int        `json:"ban_time"`
	BanTimeIncrement   int        `json:"ban_time_increment"`
	Threshold          int        `json:"threshold"`
	ScoreInvalid       int        `json:"score_invalid"`
	ScoreValid         int        `json:"score_valid"`
	ScoreLimitExceeded int        `json:"score_limit_exceeded"`
	ScoreNoAuth        int        `json:"score_no_auth"`
	ObservationTime    int        `json:"observation_time"`
	EntriesSoftLimit   int        `json:"entries_soft_limit"`
	EntriesHardLimit   int        `json:"entries_hard_limit"`
	LoginDelay         LoginDelay `json:"login_delay"`
}

// RateLimiterConfig is one token-bucket rate limiter.
type RateLimiterConfig struct {
	Average                int64    `json:"average"`
	Period                 int64    `json:"period"`
	Burst                  int      `json:"burst"`
	Type                   int      `json:"type"`
	Protocols              []string `json:"protocols"`
	GenerateDefenderEvents bool     `json:"generate_defender_events"`
	EntriesSoftLimit       int      `json:"entries_soft_limit"`
	EntriesHardLimit       int      `json:"entries_hard_limit"`
}

// MetadataConfig configures metadata (mtime) handling on cloud backends.
type MetadataConfig struct {
	Read int `json:"read"`
}

// EventManagerConfig configures the event manager.
type EventManagerConfig struct {
	EnabledCommands []string `json:"enabled_commands"`
}

// CommonConfig is shared by every protocol.
type CommonConfig struct {
	// IdleTimeout in minutes; 0 disables the idle check.
	IdleTimeout int           `json:"idle_timeout"`
	UploadMode  int           `json:"upload_mode"`
	Actions     ActionsConfig `json:"actions"`
	SetstatMode int           `json:"setstat_mode"`
	RenameMode  int           `json:"rename_mode"`
	// SymlinkMode is a bit mask of the backends where clients may create
	// symbolic links: 1 local (and encrypted local), 2 SFTP.
	SymlinkMode int `json:"symlink_mode"`
	// ResumeMaxSize: uploads larger than this cannot be resumed on backends
	// that need the whole file rewritten (0: no limit).
	ResumeMaxSize         int64    `json:"resume_max_size"`
	TempPath              string   `json:"temp_path"`
	ProxyProtocol         int      `json:"proxy_protocol"`
	ProxyAllowed          []string `json:"proxy_allowed"`
	ProxySkipped          []string `json:"proxy_skipped"`
	StartupHook           string   `json:"startup_hook"`
	PostConnectHook       string   `json:"post_connect_hook"`
	PostDisconnectHook    string   `json:"post_disconnect_hook"`
	MaxTotalConnections   int      `json:"max_total_connections"`
	MaxPerHostConnections int      `json:"max_per_host_connections"`
	AllowListStatus       int      `json:"allowlist_status"`
	AllowSelfConnections  int      `json:"allow_self_connections"`
	Umask                 string   `json:"umask"`
	ServerVersion         string   `json:"server_version"`
	TZ                    string   `json:"tz"`
	// SecretMinEntropy is the minimum entropy, in bits, of secrets such
	// as passwords set by administrators (SFTPGo 2.7.5+).
	SecretMinEntropy float64             `json:"secret_min_entropy"`
	Metadata         MetadataConfig      `json:"metadata"`
	EventManager     EventManagerConfig  `json:"event_manager"`
	Defender         DefenderConfig      `json:"defender"`
	RateLimiters     []RateLimiterConfig `json:"rate_limiters"`
}

// HTTP01Challenge configures the ACME HTTP-01 challenge.
type HTTP01Challenge struct {
	Port        int    `json:"port"`
	WebRoot     string `json:"webroot"`
	ProxyHeader string `json:"proxy_header"`
}

// TLSALPN01Challenge configures the ACME TLS-ALPN-01 challenge.
type TLSALPN01Challenge struct {
	Port int `json:"port"`
}

// ACMEConfig configures automatic certificates.
type ACMEConfig struct {
	Domains            []string           `json:"domains"`
	Email              string             `json:"email"`
	KeyType            string             `json:"key_type"`
	CertsPath          string             `json:"certs_path"`
	CAEndpoint         string             `json:"ca_endpoint"`
	RenewDays          int                `json:"renew_days"`
	HTTP01Challenge    HTTP01Challenge    `json:"http01_challenge"`
	TLSALPN01Challenge TLSALPN01Challenge `json:"tls_alpn01_challenge"`
}

// SFTPDBinding is one SFTP listener.
type SFTPDBinding struct {
	Address          string `json:"address"`
	Port             int    `json:"port"`
	ApplyProxyConfig bool   `json:"apply_proxy_config"`
}

// SFTPDConfig configures the SSH/SFTP/SCP server.
type SFTPDConfig struct {
	Bindings                          []SFTPDBinding `json:"bindings"`
	MaxAuthTries                      int            `json:"max_auth_tries"`
	HostKeys                          []string       `json:"host_keys"`
	HostCertificates                  []string       `json:"host_certificates"`
	HostKeyAlgorithms                 []string       `json:"host_key_algorithms"`
	KexAlgorithms                     []string       `json:"kex_algorithms"`
	Ciphers                           []string       `json:"ciphers"`
	MACs                              []string       `json:"macs"`
	PublicKeyAlgorithms               []string       `json:"public_key_algorithms"`
	TrustedUserCAKeys                 []string       `json:"trusted_user_ca_keys"`
	RevokedUserCertsFile              string         `json:"revoked_user_certs_file"`
	OPKSSHPath                        string         `json:"opkssh_path"`
	OPKSSHChecksum                    string         `json:"opkssh_checksum"`
	LoginBannerFile                   string         `json:"login_banner_file"`
	EnabledSSHCommands                []string       `json:"enabled_ssh_commands"`
	KeyboardInteractiveAuthentication bool           `json:"keyboard_interactive_authentication"`
	KeyboardInteractiveAuthHook       string         `json:"keyboard_interactive_auth_hook"`
	PasswordAuthentication            bool           `json:"password_authentication"`
	FolderPrefix                      string         `json:"folder_prefix"`
}

// PassiveIPOverride tells clients in Networks to use IP for passive data
// connections.
type PassiveIPOverride struct {
	Networks []string `json:"networks"`
	IP       string   `json:"ip"`
}

// FTPDBinding is one FTP listener.
type FTPDBinding struct {
	Address                    string              `json:"address"`
	Port                       int                 `json:"port"`
	ApplyProxyConfig           bool                `json:"apply_proxy_config"`
	TLSMode                    int                 `json:"tls_mode"`
	TLSSessionReuse            int                 `json:"tls_session_reuse"`
	CertificateFile            string              `json:"certificate_file"`
	CertificateKeyFile         string              `json:"certificate_key_file"`
	MinTLSVersion              int                 `json:"min_tls_version"`
	MaxTLSVersion              int                 `json:"max_tls_version"`
	ForcePassiveIP             string              `json:"force_passive_ip"`
	PassiveIPOverrides         []PassiveIPOverride `json:"passive_ip_overrides"`
	PassiveHost                string              `json:"passive_host"`
	ClientAuthType             int                 `json:"client_auth_type"`
	TLSCipherSuites            []string            `json:"tls_cipher_suites"`
	PassiveConnectionsSecurity int                 `json:"passive_connections_security"`
	ActiveConnectionsSecurity  int                 `json:"active_connections_security"`
	IgnoreASCIITransferType    int                 `json:"ignore_ascii_transfer_type"`
	Debug                      bool                `json:"debug"`
	// ForcePassiveIPTLS is advertised in PASV replies instead of
	// ForcePassiveIP when the control connection is protected by TLS.
	ForcePassiveIPTLS string `json:"force_passive_ip_tls"`
	// PassiveLocalNetworks: clients in these CIDR networks are told the
	// server's own address of the control connection in PASV replies,
	// not the external one.
	PassiveLocalNetworks []string `json:"passive_local_networks"`
	// PassiveUseControlIP advertises the server address of the control
	// connection in PASV replies (ignoring force_passive_ip and
	// passive_host; passive_ip_overrides still apply).
	PassiveUseControlIP bool `json:"passive_use_control_ip"`
	// ActiveUseControlIP connects active data connections to the client
	// address of the control connection, ignoring the address sent in
	// PORT/EPRT (clients behind NAT).
	ActiveUseControlIP bool `json:"active_use_control_ip"`
}

// PortRange is an inclusive range of TCP ports.
type PortRange struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// FTPDConfig configures the FTP/FTPS server.
type FTPDConfig struct {
	Bindings                 []FTPDBinding `json:"bindings"`
	BannerFile               string        `json:"banner_file"`
	ActiveTransfersPortNon20 bool          `json:"active_transfers_port_non_20"`
	PassivePortRange         PortRange     `json:"passive_port_range"`
	DisableActiveMode        bool          `json:"disable_active_mode"`
	EnableSite               bool          `json:"enable_site"`
	HASHSupport              int           `json:"hash_support"`
	CombineSupport           int           `json:"combine_support"`
	CertificateFile          string        `json:"certificate_file"`
	CertificateKeyFile       string        `json:"certificate_key_file"`
	CACertificates           []string      `json:"ca_certificates"`
	CARevocationLists        []string      `json:"ca_revocation_lists"`
	// Banner is the connection greeting; banner_file, when set, wins.
	Banner string `json:"banner"`
	// LoginGreeting replaces the reply to a successful login.
	LoginGreeting string `json:"login_greeting"`
	// LoginFailureMessage replaces the reply to a failed login.
	LoginFailureMessage string `json:"login_failure_message"`
	// LogoutMessage replaces the reply to QUIT.
	LogoutMessage string `json:"logout_message"`
	// ForceStartTLS makes every tls_mode 0 binding require AUTH TLS on the
	// control connection before USER (as tls_mode 3).
	ForceStartTLS bool `json:"force_starttls"`
	// DisabledCommands lists commands answered with 502: any of PORT,
	// EPRT, HASH, COMB, STAT, SYST, SITE, MLSD, MLST, MFMT.
	DisabledCommands []string `json:"disabled_commands"`
}

// WebDAVDBinding is one WebDAV listener.
type WebDAVDBinding struct {
	Address              string   `json:"address"`
	Port                 int      `json:"port"`
	EnableHTTPS          bool     `json:"enable_https"`
	CertificateFile      string   `json:"certificate_file"`
	CertificateKeyFile   string   `json:"certificate_key_file"`
	MinTLSVersion        int      `json:"min_tls_version"`
	ClientAuthType       int      `json:"client_auth_type"`
	TLSCipherSuites      []string `json:"tls_cipher_suites"`
	TLSProtocols         []string `json:"tls_protocols"`
	Prefix               string   `json:"prefix"`
	ProxyMode            int      `json:"proxy_mode"`
	ProxyAllowed         []string `json:"proxy_allowed"`
	ClientIPProxyHeader  string   `json:"client_ip_proxy_header"`
	ClientIPHeaderDepth  int      `json:"client_ip_header_depth"`
	DisableWWWAuthHeader bool     `json:"disable_www_auth_header"`
}

// CORSConfig configures cross-origin requests.
type CORSConfig struct {
	Enabled              bool     `json:"enabled"`
	AllowedOrigins       []string `json:"allowed_origins"`
	AllowedMethods       []string `json:"allowed_methods"`
	AllowedHeaders       []string `json:"allowed_headers"`
	ExposedHeaders       []string `json:"exposed_headers"`
	AllowCredentials     bool     `json:"allow_credentials"`
	MaxAge               int      `json:"max_age"`
	OptionsPassthrough   bool     `json:"options_passthrough"`
	OptionsSuccessStatus int      `json:"options_success_status"`
	AllowPrivateNetwork  bool     `json:"allow_private_network"`
}

// UsersCacheConfig configures the WebDAV authentication cache.
type UsersCacheConfig struct {
	ExpirationTime int `json:"expiration_time"`
	MaxSize        int `json:"max_size"`
}

// MimeTypesCacheConfig configures the WebDAV MIME type cache.
type MimeTypesCacheConfig struct {
	Enabled        bool          `json:"enabled"`
	MaxSize        int           `json:"max_size"`
	CustomMappings []MimeMapping `json:"custom_mappings"`
}

// MimeMapping maps a file extension (with the dot) to a MIME type.
type MimeMapping struct {
	Ext  string `json:"ext"`
	Mime string `json:"mime"`
}

// WebDAVCacheConfig groups the WebDAV caches.
type WebDAVCacheConfig struct {
	Users     UsersCacheConfig     `json:"users"`
	MimeTypes MimeTypesCacheConfig `json:"mime_types"`
}

// WebDAVDConfig configures the WebDAV server.
type WebDAVDConfig struct {
	Bindings           []WebDAVDBinding  `json:"bindings"`
	CertificateFile    string            `json:"certificate_file"`
	CertificateKeyFile string            `json:"certificate_key_file"`
	CACertificates     []string          `json:"ca_certificates"`
	CARevocationLists  []string          `json:"ca_revocation_lists"`
	CORS               CORSConfig        `json:"cors"`
	Cache              WebDAVCacheConfig `json:"cache"`
}

// BcryptOptions tunes bcrypt hashing.
type BcryptOptions struct {
	Cost int `json:"cost"`
}

// Argon2Options tunes argon2id hashing.
type Argon2Options struct {
	Memory      uint32 `json:"memory"`
	Iterations  uint32 `json:"iterations"`
	Parallelism uint8  `json:"parallelism"`
}

// PasswordHashing selects how new passwords are hashed.
type PasswordHashing struct {
	BcryptOptions BcryptOptions `json:"bcrypt_options"`
	Argon2Options Argon2Options `json:"argon2_options"`
	// Algo is "bcrypt" or "argon2id".
	Algo string `json:"algo"`
}

// PasswordValidationRules sets a minimum entropy for new passwords.
type PasswordValidationRules struct {
	MinEntropy float64 `json:"min_entropy"`
}

// PasswordValidation groups the rules for admins and users.
type PasswordValidation struct {
	Admins PasswordValidationRules `json:"admins"`
	Users  PasswordValidationRules `json:"users"`
}

// ProviderActions configures hooks on provider object changes.
type ProviderActions struct {
	ExecuteOn  []string `json:"execute_on"`
	ExecuteFor []string `json:"execute_for"`
	Hook       string   `json:"hook"`
}

// NodeConfig is how other nodes reach this one when the provider is shared.
type NodeConfig struct {
	Host  string `json:"host"`
	Port  int    `json:"port"`
	Proto string `json:"proto"`
}

// DataProviderConfig configures where accounts and settings are stored.
type DataProviderConfig struct {
	// Driver: sqlite, memory, bolt, postgresql, mysql.
	Driver   string `json:"driver"`
	Name     string `json:"name"`
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Username string `json:"username"`
	Password string `json:"password"`
	// PasswordFile, when set, names a file (relative to the config dir)
	// whose content, without the trailing newline, replaces Password.
	// The loader reads it.
	PasswordFile       string `json:"password_file"`
	SSLMode            int    `json:"sslmode"`
	DisableSNI         bool   `json:"disable_sni"`
	TargetSessionAttrs string `json:"target_session_attrs"`
	RootCert           string `json:"root_cert"`
	ClientCert         string `json:"client_cert"`
	ClientKey          string `json:"client_key"`
	ConnectionString   string `json:"connection_string"`
	SQLTablesPrefix    string `json:"sql_tables_prefix"`
	// TrackQuota 0 off, 1 always, 2 only for users with a quota.
	TrackQuota         int                `json:"track_quota"`
	DelayedQuotaUpdate int                `json:"delayed_quota_update"`
	PoolSize           int                `json:"pool_size"`
	UsersBaseDir       string             `json:"users_base_dir"`
	Actions            ProviderActions    `json:"actions"`
	ExternalAuthHook   string             `json:"external_auth_hook"`
	ExternalAuthScope  int                `json:"external_auth_scope"`
	PreLoginHook       string             `json:"pre_login_hook"`
	PostLoginHook      string             `json:"post_login_hook"`
	PostLoginScope     int                `json:"post_login_scope"`
	CheckPasswordHook  string             `json:"check_password_hook"`
	CheckPasswordScope int                `json:"check_password_scope"`
	PasswordHashing    PasswordHashing    `json:"password_hashing"`
	PasswordValidation PasswordValidation `json:"password_validation"`
	PasswordCaching    bool               `json:"password_caching"`
	// UpdateMode 0: serve migrates the schema; 1: it refuses an old schema.
	UpdateMode         int        `json:"update_mode"`
	CreateDefaultAdmin bool       `json:"create_default_admin"`
	NamingRules        int        `json:"naming_rules"`
	IsShared           int        `json:"is_shared"`
	Node               NodeConfig `json:"node"`
	BackupsPath        string     `json:"backups_path"`
}

// HTTPDSecurityConfig sets security headers.
type HTTPDSecurityConfig struct {
	Enabled                   bool               `json:"enabled"`
	AllowedHosts              []string           `json:"allowed_hosts"`
	AllowedHostsAreRegex      bool               `json:"allowed_hosts_are_regex"`
	HostsProxyHeaders         []string           `json:"hosts_proxy_headers"`
	HTTPSRedirect             bool               `json:"https_redirect"`
	HTTPSHost                 string             `json:"https_host"`
	HTTPSProxyHeaders         []HTTPSProxyHeader `json:"https_proxy_headers"`
	STSSeconds                int64              `json:"sts_seconds"`
	STSIncludeSubdomains      bool               `json:"sts_include_subdomains"`
	STSPreload                bool               `json:"sts_preload"`
	ContentTypeNosniff        bool               `json:"content_type_nosniff"`
	ContentSecurityPolicy     string             `json:"content_security_policy"`
	PermissionsPolicy         string             `json:"permissions_policy"`
	CrossOriginOpenerPolicy   string             `json:"cross_origin_opener_policy"`
	CrossOriginResourcePolicy string             `json:"cross_origin_resource_policy"`
	CrossOriginEmbedderPolicy string             `json:"cross_origin_embedder_policy"`
	ReferrerPolicy            string             `json:"referrer_policy"`
	CacheControl              string             `json:"cache_control"`
}

// HTTPSProxyHeader is a request header, set by a TLS-terminating proxy,
// whose value marks the request as HTTPS (e.g. X-Forwarded-Proto: https).
type HTTPSProxyHeader struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// OIDCConfig configures OpenID Connect login for the web UIs.
type OIDCConfig struct {
	ClientID                   string   `json:"client_id"`
	ClientSecret               string   `json:"client_secret"`
	ClientSecretFile           string   `json:"client_secret_file"`
	ConfigURL                  string   `json:"config_url"`
	RedirectBaseURL            string   `json:"redirect_base_url"`
	Scopes                     []string `json:"scopes"`
	UsernameField              string   `json:"username_field"`
	RoleField                  string   `json:"role_field"`
	ImplicitRoles              bool     `json:"implicit_roles"`
	CustomFields               []string `json:"custom_fields"`
	InsecureSkipSignatureCheck bool     `json:"insecure_skip_signature_check"`
	Debug                      bool     `json:"debug"`
}

// BrandingConfig customises the web UI's names and logos.
type BrandingConfig struct {
	Name           string   `json:"name"`
	ShortName      string   `json:"short_name"`
	FaviconPath    string   `json:"favicon_path"`
	LogoPath       string   `json:"logo_path"`
	DisclaimerName string   `json:"disclaimer_name"`
	DisclaimerPath string   `json:"disclaimer_path"`
	DefaultCSS     []string `json:"default_css"`
	ExtraCSS       []string `json:"extra_css"`
}

// WebBranding groups the branding of both web UIs.
type WebBranding struct {
	WebAdmin  BrandingConfig `json:"web_admin"`
	WebClient BrandingConfig `json:"web_client"`
}

// HTTPDBinding is one HTTP listener.
type HTTPDBinding struct {
	Address string `json:"address"`
	Port    int    `json:"port"`
	// BaseURL is the public URL of this binding (SFTPGo HEAD), used when
	// building absolute links.
	BaseURL              string              `json:"base_url"`
	EnableWebAdmin       bool                `json:"enable_web_admin"`
	EnableWebClient      bool                `json:"enable_web_client"`
	EnableRESTAPI        bool                `json:"enable_rest_api"`
	EnabledLoginMethods  int                 `json:"enabled_login_methods"`
	DisabledLoginMethods int                 `json:"disabled_login_methods"`
	EnableHTTPS          bool                `json:"enable_https"`
	CertificateFile      string              `json:"certificate_file"`
	CertificateKeyFile   string              `json:"certificate_key_file"`
	MinTLSVersion        int                 `json:"min_tls_version"`
	ClientAuthType       int                 `json:"client_auth_type"`
	TLSCipherSuites      []string            `json:"tls_cipher_suites"`
	TLSProtocols         []string            `json:"tls_protocols"`
	ProxyMode            int                 `json:"proxy_mode"`
	ProxyAllowed         []string            `json:"proxy_allowed"`
	ClientIPProxyHeader  string              `json:"client_ip_proxy_header"`
	ClientIPHeaderDepth  int                 `json:"client_ip_header_depth"`
	HideLoginURL         int                 `json:"hide_login_url"`
	RenderOpenAPI        bool                `json:"render_openapi"`
	Languages            []string            `json:"languages"`
	OIDC                 OIDCConfig          `json:"oidc"`
	Security             HTTPDSecurityConfig `json:"security"`
	Branding             WebBranding         `json:"branding"`
}

// SetupConfig protects the first-run setup page.
type SetupConfig struct {
	InstallationCode     string `json:"installation_code"`
	InstallationCodeHint string `json:"installation_code_hint"`
}

// HTTPDConfig configures the REST API and the web UIs.
type HTTPDConfig struct {
	Bindings              []HTTPDBinding `json:"bindings"`
	TemplatesPath         string         `json:"templates_path"`
	StaticFilesPath       string         `json:"static_files_path"`
	OpenAPIPath           string         `json:"openapi_path"`
	WebRoot               string         `json:"web_root"`
	CertificateFile       string         `json:"certificate_file"`
	CertificateKeyFile    string         `json:"certificate_key_file"`
	CACertificates        []string       `json:"ca_certificates"`
	CARevocationLists     []string       `json:"ca_revocation_lists"`
	SigningPassphrase     string         `json:"signing_passphrase"`
	SigningPassphraseFile string         `json:"signing_passphrase_file"`
	TokenValidation       int            `json:"token_validation"`
	// CookieLifetime, ShareCookieLifetime and JWTLifetime are in minutes.
	CookieLifetime      int         `json:"cookie_lifetime"`
	ShareCookieLifetime int         `json:"share_cookie_lifetime"`
	JWTLifetime         int         `json:"jwt_lifetime"`
	MaxUploadFileSize   int64       `json:"max_upload_file_size"`
	CORS                CORSConfig  `json:"cors"`
	Setup               SetupConfig `json:"setup"`
	HideSupportLink     bool        `json:"hide_support_link"`
}

// TelemetryConfig configures the metrics and profiler listener.
type TelemetryConfig struct {
	BindPort           int      `json:"bind_port"`
	BindAddress        string   `json:"bind_address"`
	EnableProfiler     bool     `json:"enable_profiler"`
	AuthUserFile       string   `json:"auth_user_file"`
	CertificateFile    string   `json:"certificate_file"`
	CertificateKeyFile string   `json:"certificate_key_file"`
	MinTLSVersion      int      `json:"min_tls_version"`
	TLSCipherSuites    []string `json:"tls_cipher_suites"`
	TLSProtocols       []string `json:"tls_protocols"`
}

// TLSKeyPair is a client certificate for outgoing HTTP.
type TLSKeyPair struct {
	Cert string `json:"cert"`
	Key  string `json:"key"`
}

// HTTPHeader is a header added to outgoing HTTP requests to a URL prefix.
type HTTPHeader struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	URL   string `json:"url"`
}

// HTTPClientConfig configures outgoing HTTP (hooks).
type HTTPClientConfig struct {
	Timeout        float64      `json:"timeout"`
	RetryWaitMin   int          `json:"retry_wait_min"`
	RetryWaitMax   int          `json:"retry_wait_max"`
	RetryMax       int          `json:"retry_max"`
	CACertificates []string     `json:"ca_certificates"`
	Certificates   []TLSKeyPair `json:"certificates"`
	SkipTLSVerify  bool         `json:"skip_tls_verify"`
	Headers        []HTTPHeader `json:"headers"`
}

// CommandEntry overrides timeout and environment for one external command.
type CommandEntry struct {
	Path    string   `json:"path"`
	Timeout int      `json:"timeout"`
	Env     []string `json:"env"`
	Args    []string `json:"args"`
	Hook    string   `json:"hook"`
}

// CommandConfig configures external commands run as hooks.
type CommandConfig struct {
	Timeout  int            `json:"timeout"`
	Env      []string       `json:"env"`
	Commands []CommandEntry `json:"commands"`
}

// KMSSecrets configures the built-in secrets provider.
type KMSSecrets struct {
	URL           string `json:"url"`
	MasterKey     string `json:"master_key"`
	MasterKeyPath string `json:"master_key_path"`
}

// KMSConfig configures secret encryption.
type KMSConfig struct {
	Secrets KMSSecrets `json:"secrets"`
}

// TOTPConfig is one TOTP configuration users can choose.
type TOTPConfig struct {
	Name   string `json:"name"`
	Issuer string `json:"issuer"`
	Algo   string `json:"algo"`
}

// MFAConfig configures second factors.
type MFAConfig struct {
	TOTP []TOTPConfig `json:"totp"`
}

// SMTPConfig configures outgoing mail.
type SMTPConfig struct {
	Host          string     `json:"host"`
	Port          int        `json:"port"`
	From          string     `json:"from"`
	User          string     `json:"user"`
	Password      string     `json:"password"`
	AuthType      int        `json:"auth_type"`
	Encryption    int        `json:"encryption"`
	Domain        string     `json:"domain"`
	TemplatesPath string     `json:"templates_path"`
	Debug         int        `json:"debug"`
	OAuth2        SMTPOAuth2 `json:"oauth2"`
}

// SMTPOAuth2 configures XOAUTH2 authentication (auth_type 3).
type SMTPOAuth2 struct {
	// Provider 0 Google, 1 Microsoft.
	Provider     int    `json:"provider"`
	Tenant       string `json:"tenant"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	RefreshToken string `json:"refresh_token"`
}

// PluginConfig is accepted for compatibility; plugins are not supported.
type PluginConfig struct {
	Type            string                `json:"type"`
	NotifierOptions PluginNotifierOptions `json:"notifier_options"`
	KMSOptions      PluginKMSOptions      `json:"kms_options"`
	AuthOptions     PluginAuthOptions     `json:"auth_options"`
	Cmd             string                `json:"cmd"`
	Args            []string              `json:"args"`
	SHA256Sum       string                `json:"sha256sum"`
	AutoMTLS        bool                  `json:"auto_mtls"`
	EnvPrefix       string                `json:"env_prefix"`
	EnvVars         []string              `json:"env_vars"`
}

// PluginNotifierOptions is accepted for compatibility.
type PluginNotifierOptions struct {
	FsEvents          []string `json:"fs_events"`
	ProviderEvents    []string `json:"provider_events"`
	ProviderObjects   []string `json:"provider_objects"`
	LogEvents         []int    `json:"log_events"`
	RetryMaxTime      int      `json:"retry_max_time"`
	RetryQueueMaxSize int      `json:"retry_queue_max_size"`
}

// PluginKMSOptions is accepted for compatibility.
type PluginKMSOptions struct {
	Scheme          string `json:"scheme"`
	EncryptedStatus string `json:"encrypted_status"`
}

// PluginAuthOptions is accepted for compatibility.
type PluginAuthOptions struct {
	Scope int `json:"scope"`
}
