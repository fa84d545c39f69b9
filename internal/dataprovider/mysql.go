package dataprovider

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"

	"github.com/go-sql-driver/mysql"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

var (
	mysqlDialectOnce sync.Once
	mysqlDialect     *dialect
	mysqlDialectErr  error
)

func mysqlErrNumber(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

func loadMySQLDialect() (*dialect, error) {
	mysqlDialectOnce.Do(func() {
		m, err := loadMigrations("mysql")
		if err != nil {
			mysqlDialectErr = err
			return
		}
		mysqlDialect = &dialect{
			name: "mysql",
			tableExists: "SELECT table_name FROM information_schema.tables " +
				"WHERE table_schema = DATABASE() AND table_name = ?",
			isUnique: func(err error) bool { return mysqlErrNumber(err) == 1062 },
			isForeignKey: func(err error) bool {
				n := mysqlErrNumber(err)
				return n == 1451 || n == 1452
			},
			quote:      func(name string) string { return "`" + name + "`" },
			migrations: m,
		}
	})
	return mysqlDialect, mysqlDialectErr
}

// mysqlTLSModes maps data_provider.sslmode to the driver's tls parameter
// as the reference product documents it: 0 off, 1 verified, 2 unverified,
// 3 preferred (TLS when the server offers it); 4 and 5 are PostgreSQL
// modes and mean preferred here.
var mysqlTLSModes = map[int]string{0: "false", 1: "true", 2: "skip-verify", 3: "preferred", 4: "preferred", 5: "preferred"}

// mysqlTLSConfig returns the driver's tls mode for data_provider.sslmode
// and, when certificates are configured or disable_sni asks for it, the
// TLS configuration to register for it (nil: the driver's own).
func mysqlTLSConfig(cfg config.DataProviderConfig, configDir string) (string, *tls.Config, error) {
	mode, ok := mysqlTLSModes[cfg.SSLMode]
	if !ok {
		return "", nil, fmt.Errorf("dataprovider: invalid sslmode %d", cfg.SSLMode)
	}
	// the driver's unverified modes send no server name already
	custom := cfg.RootCert != "" || cfg.ClientCert != "" || (cfg.DisableSNI && mode == "true")
	if mode == "false" || !custom {
		return mode, nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: mode != "true"}
	if cfg.RootCert != "" {
		pem, err := os.ReadFile(config.ResolvePath(configDir, cfg.RootCert))
		if err != nil {
			return "", nil, fmt.Errorf("dataprovider: root_cert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return "", nil, fmt.Errorf("dataprovider: root_cert: no certificate found")
		}
		tc.RootCAs = pool
	}
	if cfg.ClientCert != "" && cfg.ClientKey != "" {
		cert, err := tls.LoadX509KeyPair(config.ResolvePath(configDir, cfg.ClientCert), config.ResolvePath(configDir, cfg.ClientKey))
		if err != nil {
			return "", nil, fmt.Errorf("dataprovider: client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	if mode == "true" {
		host := cfg.Host
		if host == "" {
			host = "127.0.0.1"
		}
		if cfg.DisableSNI {
			// crypto/tls sends the name it verifies against, so with no
			// server name the chain and host are verified here instead
			tc.InsecureSkipVerify = true
			tc.VerifyConnection = verifyServerCert(tc.RootCAs, host)
		} else {
			tc.ServerName = host
		}
	}
	return mode, tc, nil
}

// verifyServerCert verifies the server's certificate chain against roots
// (the system pool when nil) and its name against host.
func verifyServerCert(roots *x509.CertPool, host string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("dataprovider: the database server sent no certificate")
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: host})
		return err
	}
}

// mysqlDSN builds the connection string: connection_string when set,
// otherwise from host, port, username, password, name and sslmode.
//
// Rows "affected" must count matched rows (clientFoundRows): an update
// that writes an unchanged value is not a missing row.
func mysqlDSN(cfg config.DataProviderConfig, configDir string) (string, error) {
	if cfg.ConnectionString != "" {
		mc, err := mysql.ParseDSN(cfg.ConnectionString)
		if err != nil {
			return "", fmt.Errorf("dataprovider: connection_string: %w", err)
		}
		mc.ClientFoundRows = true
		return mc.FormatDSN(), nil
	}
	tlsMode, tc, err := mysqlTLSConfig(cfg, configDir)
	if err != nil {
		return "", err
	}
	if tc != nil {
		if err := mysql.RegisterTLSConfig("sftpgo", tc); err != nil {
			return "", err
		}
	}
	host := cfg.Host
	if host == "" {
		host = "127.0.0.1"
	}
	port := cfg.Port
	if port == 0 {
		port = 3306
	}
	mc := mysql.NewConfig()
	mc.User, mc.Passwd, mc.Net = cfg.Username, cfg.Password, "tcp"
	mc.Addr = host + ":" + strconv.Itoa(port)
	mc.DBName = cfg.Name
	mc.TLSConfig = tlsMode
	if tc != nil {
		mc.TLSConfig = "sftpgo"
		mc.AllowFallbackToPlaintext = tlsMode == "preferred"
	}
	mc.Params = map[string]string{"charset": "utf8mb4"}
	mc.ClientFoundRows = true
	return mc.FormatDSN(), nil
}

// openMySQL connects to MySQL or MariaDB through go-sql-driver/mysql.
func openMySQL(ctx context.Context, cfg config.DataProviderConfig, configDir string) (*sqlDriver, error) {
	dl, err := loadMySQLDialect()
	if err != nil {
		return nil, err
	}
	dsn, err := mysqlDSN(cfg, configDir)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return nil, fmt.Errorf("dataprovider: open mysql: %w", err)
	}
	if cfg.PoolSize > 0 {
		db.SetMaxOpenConns(cfg.PoolSize)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("dataprovider: connect to mysql: %w", err)
	}
	d := &sqlDriver{db: db, prefix: cfg.SQLTablesPrefix}
	d.sqlOps = &sqlOps{d: d, dl: dl}
	return d, nil
}
