package config

// Default returns the built-in configuration: the values used for every key
// that neither sftpgo.json nor the environment sets. It equals the
// repo-root sftpgo.json. Every list is non-nil, so it encodes as [].
func Default() Config {
	return Config{
		Common: CommonConfig{
			IdleTimeout: 15,
			UploadMode:  0,
			Actions: ActionsConfig{
				ExecuteOn:   []string{},
				ExecuteSync: []string{},
			},
			ProxyAllowed:          []string{},
			ProxySkipped:          []string{},
			MaxPerHostConnections: 20,
			SecretMinEntropy:      80,
			EventManager:          EventManagerConfig{EnabledCommands: []string{}},
			Defender: DefenderConfig{
				Driver:             "memory",
				BanTime:            30,
				BanTimeIncrement:   50,
				Threshold:          15,
				ScoreInvalid:       2,
				ScoreValid:         1,
				ScoreLimitExceeded: 3,
				ScoreNoAuth:        0,
				ObservationTime:    30,
				EntriesSoftLimit:   100,
				EntriesHardLimit:   150,
				LoginDelay:         LoginDelay{Success: 0, PasswordFailed: 1000},
			},
			RateLimiters: []RateLimiterConfig{defaultRateLimiter()},
		},
		ACME: ACMEConfig{
			Domains:            []string{},
			KeyType:            "4096",
			CertsPath:          "certs",
			CAEndpoint:         "https://acme-v02.api.letsencrypt.org/directory",
			RenewDays:          30,
			HTTP01Challenge:    HTTP01Challenge{Port: 80},
			TLSALPN01Challenge: TLSALPN01Challenge{Port: 0},
		},
		SFTPD: SFTPDConfig{
			Bindings:                          []SFTPDBinding{defaultSFTPDBinding()},
			HostKeys:                          []string{},
			HostCertificates:                  []string{},
			HostKeyAlgorithms:                 []string{},
			KexAlgorithms:                     []string{},
			Ciphers:                           []string{},
			MACs:                              []string{},
			PublicKeyAlgorithms:               []string{},
			TrustedUserCAKeys:                 []string{},
			EnabledSSHCommands:                []string{"md5sum", "sha1sum", "sha256sum", "cd", "pwd", "scp"},
			KeyboardInteractiveAuthentication: true,
			PasswordAuthentication:            true,
		},
		FTPD: FTPDConfig{
			Bindings:                 []FTPDBinding{defaultFTPDBinding()},
			ActiveTransfersPortNon20: true,
			PassivePortRange:         PortRange{Start: 50000, End: 50100},
			CACertificates:           []string{},
			CARevocationLists:        []string{},
			DisabledCommands:         []string{},
		},
		WebDAVD: WebDAVDConfig{
			Bindings:          []WebDAVDBinding{defaultWebDAVDBinding()},
			CACertificates:    []string{},
			CARevocationLists: []string{},
			CORS:              defaultCORS(),
			Cache: WebDAVCacheConfig{
				Users: UsersCacheConfig{ExpirationTime: 0, MaxSize: 50},
				MimeTypes: MimeTypesCacheConfig{
					Enabled:        true,
					MaxSize:        1000,
					CustomMappings: []MimeMapping{},
				},
			},
		},
		DataProvider: DataProviderConfig{
			Driver:     "sqlite",
			Name:       "sftpgo.db",
			TrackQuota: 2,
			Actions: ProviderActions{
				ExecuteOn:  []string{},
				ExecuteFor: []string{},
			},
			PasswordHashing: PasswordHashing{
				BcryptOptions: BcryptOptions{Cost: 10},
				Argon2Options: Argon2Options{Memory: 65536, Iterations: 1, Parallelism: 2},
				Algo:          "bcrypt",
			},
			PasswordCaching: true,
			NamingRules:     5,
			Node:            NodeConfig{Proto: "http"},
			BackupsPath:     "backups",
		},
		HTTPD: HTTPDConfig{
			Bindings:            []HTTPDBinding{defaultHTTPDBinding()},
			TemplatesPath:       "templates",
			StaticFilesPath:     "static",
			OpenAPIPath:         "openapi",
			CACertificates:      []string{},
			CARevocationLists:   []string{},
			CookieLifetime:      20,
			ShareCookieLifetime: 120,
			JWTLifetime:         20,
			CORS:                defaultCORS(),
			Setup:               SetupConfig{InstallationCodeHint: "Installation code"},
		},
		Telemetry: TelemetryConfig{
			BindPort:        0,
			BindAddress:     "127.0.0.1",
			MinTLSVersion:   12,
			TLSCipherSuites: []string{},
			TLSProtocols:    []string{},
		},
		HTTP: HTTPClientConfig{
			Timeout:        20,
			RetryWaitMin:   2,
			RetryWaitMax:   30,
			RetryMax:       3,
			CACertificates: []string{},
			Certificates:   []TLSKeyPair{},
			Headers:        []HTTPHeader{},
		},
		Command: CommandConfig{
			Timeout:  30,
			Env:      []string{},
			Commands: []CommandEntry{},
		},
		KMS: KMSConfig{},
		MFA: MFAConfig{TOTP: []TOTPConfig{defaultTOTP()}},
		SMTP: SMTPConfig{
			Port:          587,
			TemplatesPath: "templates",
		},
		Plugins: []PluginConfig{},
	}
}

// The default* item constructors give the values of a list item that the
// file or the environment adds beyond the default list: a second FTP
// binding starts from the same values as the first default one.

func defaultRateLimiter() RateLimiterConfig {
	return RateLimiterConfig{
		Average:          0,
		Period:           1000,
		Burst:            1,
		Type:             2,
		Protocols:        []string{"SSH", "FTP", "DAV", "HTTP"},
		EntriesSoftLimit: 100,
		EntriesHardLimit: 150,
	}
}

func defaultSFTPDBinding() SFTPDBinding {
	return SFTPDBinding{Port: 2022, ApplyProxyConfig: true}
}

func defaultFTPDBinding() FTPDBinding {
	return FTPDBinding{
		Port:                 0,
		ApplyProxyConfig:     true,
		MinTLSVersion:        12,
		MaxTLSVersion:        0,
		PassiveIPOverrides:   []PassiveIPOverride{},
		TLSCipherSuites:      []string{},
		PassiveLocalNetworks: []string{},
	}
}

func defaultWebDAVDBinding() WebDAVDBinding {
	return WebDAVDBinding{
		Port:            0,
		MinTLSVersion:   12,
		TLSCipherSuites: []string{},
		TLSProtocols:    []string{},
		ProxyAllowed:    []string{},
	}
}

func defaultHTTPDBinding() HTTPDBinding {
	return HTTPDBinding{
		Port:            8080,
		EnableWebAdmin:  true,
		EnableWebClient: true,
		EnableRESTAPI:   true,
		MinTLSVersion:   12,
		TLSCipherSuites: []string{},
		TLSProtocols:    []string{},
		ProxyAllowed:    []string{},
		RenderOpenAPI:   true,
		Languages:       []string{"en"},
		OIDC: OIDCConfig{
			Scopes:       []string{"openid", "profile", "email"},
			CustomFields: []string{},
		},
		Security: HTTPDSecurityConfig{
			AllowedHosts:      []string{},
			HostsProxyHeaders: []string{},
			HTTPSProxyHeaders: []HTTPSProxyHeader{},
		},
		Branding: WebBranding{
			WebAdmin:  defaultBranding(),
			WebClient: defaultBranding(),
		},
	}
}

func defaultBranding() BrandingConfig {
	return BrandingConfig{DefaultCSS: []string{}, ExtraCSS: []string{}}
}

func defaultCORS() CORSConfig {
	return CORSConfig{
		AllowedOrigins: []string{},
		AllowedMethods: []string{},
		AllowedHeaders: []string{},
		ExposedHeaders: []string{},
	}
}

func defaultTOTP() TOTPConfig {
	return TOTPConfig{Name: "Default", Issuer: "SFTPGo", Algo: "sha1"}
}

func defaultPassiveIPOverride() PassiveIPOverride {
	return PassiveIPOverride{Networks: []string{}}
}

func defaultCommandEntry() CommandEntry {
	return CommandEntry{Env: []string{}, Args: []string{}}
}

func defaultPlugin() PluginConfig {
	return PluginConfig{
		NotifierOptions: PluginNotifierOptions{
			FsEvents:        []string{},
			ProviderEvents:  []string{},
			ProviderObjects: []string{},
			LogEvents:       []int{},
		},
		Args:    []string{},
		EnvVars: []string{},
	}
}

// itemDefault returns a fresh default value for a new item of a list of
// the given element type, or false when the zero value is the default.
func itemDefault(elem any) (any, bool) {
	switch elem.(type) {
	case SFTPDBinding:
		return defaultSFTPDBinding(), true
	case FTPDBinding:
		return defaultFTPDBinding(), true
	case WebDAVDBinding:
		return defaultWebDAVDBinding(), true
	case HTTPDBinding:
		return defaultHTTPDBinding(), true
	case RateLimiterConfig:
		return defaultRateLimiter(), true
	case TOTPConfig:
		return defaultTOTP(), true
	case PassiveIPOverride:
		return defaultPassiveIPOverride(), true
	case CommandEntry:
		return defaultCommandEntry(), true
	case PluginConfig:
		return defaultPlugin(), true
	}
	return nil, false
}
