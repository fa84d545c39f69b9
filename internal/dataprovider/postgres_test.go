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
