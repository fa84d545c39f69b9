package dataprovider

import (
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
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
