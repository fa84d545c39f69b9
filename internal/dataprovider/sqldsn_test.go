package dataprovider

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/testpki"
)

func TestPostgresDSN(t *testing.T) {
	cfg := config.DataProviderConfig{Host: "db.example", Port: 6543, Username: "sftp go", Password: "p@ss:w/rd",
		Name: "sftpgo", SSLMode: 3, RootCert: "certs/ca.pem", ClientCert: "/abs/client.pem", ClientKey: "client.key"}
	dsn, err := postgresDSN(cfg, "/etc/sftpgo")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"postgres://sftp%20go:p%40ss%3Aw%2Frd@db.example:6543/sftpgo?", "sslmode=verify-full",
		"sslrootcert=%2Fetc%2Fsftpgo%2Fcerts%2Fca.pem", "sslcert=%2Fabs%2Fclient.pem", "sslkey=%2Fetc%2Fsftpgo%2Fclient.key"} {
		if !strings.Contains(dsn, want) {
			t.Errorf("dsn %q lacks %q", dsn, want)
		}
	}
	cfg.ConnectionString = "host=/run/postgresql dbname=x"
	if dsn, _ := postgresDSN(cfg, ""); dsn != cfg.ConnectionString {
		t.Fatalf("connection_string not used as is: %q", dsn)
	}
	if _, err := postgresDSN(config.DataProviderConfig{SSLMode: 9}, ""); err == nil {
		t.Fatal("invalid sslmode accepted")
	}
}

func TestRebind(t *testing.T) {
	d := &dialect{numbered: true}
	if got := d.rebind("SELECT a FROM t WHERE b = ? AND c = ?"); got != "SELECT a FROM t WHERE b = $1 AND c = $2" {
		t.Fatal(got)
	}
	if got := (&dialect{}).rebind("x = ?"); got != "x = ?" {
		t.Fatal(got)
	}
}

func TestMySQLDSN(t *testing.T) {
	dsn, err := mysqlDSN(config.DataProviderConfig{Host: "db", Username: "u", Password: "p:w", Name: "sftpgo"}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"u:p:w@tcp(db:3306)/sftpgo", "clientFoundRows=true", "charset=utf8mb4"} {
		if !strings.Contains(dsn, want) {
			t.Errorf("dsn %q lacks %q", dsn, want)
		}
	}
	dsn, err = mysqlDSN(config.DataProviderConfig{ConnectionString: "x:y@tcp(h:1)/d?parseTime=true"}, "")
	if err != nil || !strings.Contains(dsn, "clientFoundRows=true") || !strings.Contains(dsn, "parseTime=true") {
		t.Fatalf("connection string: %q %v", dsn, err)
	}
	if _, err := mysqlDSN(config.DataProviderConfig{SSLMode: 8}, ""); err == nil {
		t.Fatal("invalid sslmode accepted")
	}
	if _, err := mysqlDSN(config.DataProviderConfig{SSLMode: 1, RootCert: "/nonexistent/ca.pem"}, ""); err == nil {
		t.Fatal("missing root certificate accepted")
	}
}

// TestMySQLTLSConfig: sslmode maps as the reference product documents
// it, and disable_sni sends no server name while the server's certificate
// is still verified against root_cert and the host (a real handshake).
func TestMySQLTLSConfig(t *testing.T) {
	for mode, want := range map[int]string{0: "false", 1: "true", 2: "skip-verify", 3: "preferred", 4: "preferred"} {
		got, tc, err := mysqlTLSConfig(config.DataProviderConfig{SSLMode: mode}, "")
		if err != nil || got != want || tc != nil {
			t.Errorf("sslmode %d: %q %v %v, want %q", mode, got, tc, err, want)
		}
	}
	pki := testpki.New(t)
	srv := pki.Server(t, "db.test")
	names := make(chan string, 4)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{srv.TLS(t)},
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			names <- h.ServerName
			return nil, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	handshake := func(cfg config.DataProviderConfig) (string, error) {
		t.Helper()
		_, tc, err := mysqlTLSConfig(cfg, "")
		if err != nil || tc == nil {
			t.Fatalf("tls config: %v %v", tc, err)
		}
		conn, err := tls.Dial("tcp", ln.Addr().String(), tc)
		if err == nil {
			conn.Close()
		}
		return <-names, err
	}
	base := config.DataProviderConfig{SSLMode: 1, Host: "db.test", RootCert: pki.CAFile}
	if sni, err := handshake(base); err != nil || sni != "db.test" {
		t.Fatalf("with SNI: %q %v", sni, err)
	}
	noSNI := base
	noSNI.DisableSNI = true
	if sni, err := handshake(noSNI); err != nil || sni != "" {
		t.Fatalf("disable_sni: server name %q sent, err %v", sni, err)
	}
	noSNI.Host = "other.test"
	if _, err := handshake(noSNI); err == nil {
		t.Fatal("disable_sni: a certificate for another host was accepted")
	}
	dsn, err := mysqlDSN(config.DataProviderConfig{SSLMode: 3, RootCert: pki.CAFile}, "")
	if err != nil || !strings.Contains(dsn, "tls=sftpgo") || !strings.Contains(dsn, "allowFallbackToPlaintext=true") {
		t.Fatalf("preferred with root_cert: %q %v", dsn, err)
	}
}

// TestPostgresDisableSNI: disable_sni reaches pgx as sslsni=0, so the TLS
// configuration pgx builds carries no server name.
func TestPostgresDisableSNI(t *testing.T) {
	for _, sni := range []bool{false, true} {
		dsn, err := postgresDSN(config.DataProviderConfig{Host: "db.test", SSLMode: 1, DisableSNI: sni}, "")
		if err != nil {
			t.Fatal(err)
		}
		pc, err := pgconn.ParseConfig(dsn)
		if err != nil {
			t.Fatal(err)
		}
		if got := pc.TLSConfig.ServerName; (got == "") != sni {
			t.Errorf("disable_sni %v: server name %q", sni, got)
		}
	}
}
