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

// mysqlTLS returns the driver's tls parameter for data_provider.sslmode
// (0 off, 1 and 3 verified, 2 unverified, 4 and 5 preferred), registering
// a TLS configuration when certificates are configured.
func mysqlTLS(cfg config.DataProviderConfig, configDir string) (string, error) {
	mode := map[int]string{0: "false", 1: "true", 2: "skip-verify", 3: "true", 4: "preferred", 5: "preferred"}[cfg.SSLMode]
	if mode == "" {
		return "", fmt.Errorf("dataprovider: invalid sslmode %d", cfg.SSLMode)
	}
	if mode == "false" || (cfg.RootCert == "" && cfg.ClientCert == "") {
		return mode, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: mode == "skip-verify"}
	if cfg.RootCert != "" {
		pem, err := os.ReadFile(resolvePath(configDir, cfg.RootCert))
		if err != nil {
			return "", fmt.Errorf("dataprovider: root_cert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return "", fmt.Errorf("dataprovider: root_cert: no certificate found")
		}
		tc.RootCAs = pool
	}
	if cfg.ClientCert != "" && cfg.ClientKey != "" {
		cert, err := tls.LoadX509KeyPair(resolvePath(configDir, cfg.ClientCert), resolvePath(configDir, cfg.ClientKey))
		if err != nil {
			return "", fmt.Errorf("dataprovider: client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	if cfg.Host != "" {
		tc.ServerName = cfg.Host
	}
	if err := mysql.RegisterTLSConfig("sftpgo", tc); err != nil {
		return "", err
	}
	return "sftpgo", nil
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
	tlsParam, err := mysqlTLS(cfg, configDir)
	if err != nil {
		return "", err
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
	mc.TLSConfig = tlsParam
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
