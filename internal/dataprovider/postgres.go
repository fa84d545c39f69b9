package dataprovider

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

var (
	pgDialectOnce sync.Once
	pgDialect     *dialect
	pgDialectErr  error
)

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func loadPostgresDialect() (*dialect, error) {
	pgDialectOnce.Do(func() {
		m, err := loadMigrations("postgresql")
		if err != nil {
			pgDialectErr = err
			return
		}
		pgDialect = &dialect{
			name:     "postgresql",
			numbered: true,
			tableExists: "SELECT table_name FROM information_schema.tables " +
				"WHERE table_schema = current_schema() AND table_name = ?",
			isUnique:     func(err error) bool { return pgCode(err) == "23505" },
			isForeignKey: func(err error) bool { return pgCode(err) == "23503" },
			returningID:  true,
			migrations:   m,
		}
	})
	return pgDialect, pgDialectErr
}

// pgSSLModes maps data_provider.sslmode to libpq's sslmode, as the
// reference product does.
var pgSSLModes = map[int]string{0: "disable", 1: "require", 2: "verify-ca", 3: "verify-full",
	4: "prefer", 5: "allow"}

// postgresDSN builds the connection string: connection_string when set,
// otherwise a URL from host, port, username, password, name, sslmode,
// disable_sni and the certificate paths (relative to the config dir).
func postgresDSN(cfg config.DataProviderConfig, configDir string) (string, error) {
	if cfg.ConnectionString != "" {
		return cfg.ConnectionString, nil
	}
	mode, ok := pgSSLModes[cfg.SSLMode]
	if !ok {
		return "", fmt.Errorf("dataprovider: invalid sslmode %d", cfg.SSLMode)
	}
	host := cfg.Host
	if host == "" {
		host = "127.0.0.1"
	}
	port := cfg.Port
	if port == 0 {
		port = 5432
	}
	u := url.URL{Scheme: "postgres", Host: host + ":" + strconv.Itoa(port), Path: "/" + cfg.Name}
	if cfg.Username != "" {
		u.User = url.UserPassword(cfg.Username, cfg.Password)
	}
	q := url.Values{}
	q.Set("sslmode", mode)
	if cfg.RootCert != "" {
		q.Set("sslrootcert", config.ResolvePath(configDir, cfg.RootCert))
	}
	if cfg.ClientCert != "" && cfg.ClientKey != "" {
		q.Set("sslcert", config.ResolvePath(configDir, cfg.ClientCert))
		q.Set("sslkey", config.ResolvePath(configDir, cfg.ClientKey))
	}
	if cfg.DisableSNI {
		q.Set("sslsni", "0")
	}
	if cfg.TargetSessionAttrs != "" {
		q.Set("target_session_attrs", cfg.TargetSessionAttrs)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// openPostgres connects to PostgreSQL through pgx's database/sql driver.
func openPostgres(ctx context.Context, cfg config.DataProviderConfig, configDir string) (*sqlDriver, error) {
	dl, err := loadPostgresDialect()
	if err != nil {
		return nil, err
	}
	dsn, err := postgresDSN(cfg, configDir)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("dataprovider: open postgresql: %w", err)
	}
	if cfg.PoolSize > 0 {
		db.SetMaxOpenConns(cfg.PoolSize)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("dataprovider: connect to postgresql: %w", err)
	}
	d := &sqlDriver{db: db, prefix: cfg.SQLTablesPrefix}
	d.sqlOps = &sqlOps{d: d, dl: dl}
	return d, nil
}
