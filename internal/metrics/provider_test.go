package metrics_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/metrics"
	"github.com/sftpgo-ng/sftpgo/internal/telemetry"
)

// metricValue scrapes the telemetry listener and returns the value of the
// unlabeled sample name.
func metricValue(t *testing.T, base, name string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	t.Fatalf("%s missing from /metrics", name)
	return ""
}

// TestProviderQueryErrorsScraped: a login the SQLite provider cannot
// answer (its database closed) moves sftpgo_dataprovider_query_errors_total
// on /metrics; a login of an unknown user (an answer) does not.
func TestProviderQueryErrorsScraped(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := config.Default()
	log := slog.New(slog.DiscardHandler)
	store, err := dataprovider.Open(ctx, dataprovider.Options{Config: cfg.DataProvider, ConfigDir: dir, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	conns, err := common.New(cfg.Common, common.Deps{Metrics: m, Store: store, Logger: log, UsersBaseDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer conns.Close()
	tcfg := cfg.Telemetry
	tcfg.BindAddress, tcfg.BindPort = "127.0.0.1", freePort(t)
	tel, err := telemetry.New(telemetry.Options{Config: tcfg, ConfigDir: dir, Metrics: m, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := tel.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(ctx)
	base := "http://" + tel.Addrs()[0].String()
	login := func() error {
		_, err := conns.Login(ctx, common.LoginRequest{Protocol: dataprovider.ProtocolSSH, Method: dataprovider.LoginMethodPassword,
			Username: "nobody", Password: "pw", RemoteAddr: "127.0.0.1:2000"})
		return err
	}
	if err := login(); err == nil || errors.Is(err, common.ErrProviderUnavailable) {
		t.Fatalf("unknown user: %v", err)
	}
	if v := metricValue(t, base, "sftpgo_dataprovider_query_errors_total"); v != "0" {
		t.Fatalf("an unknown user counted as a provider error: %s", v)
	}
	store.Close()
	if err := login(); !errors.Is(err, common.ErrProviderUnavailable) {
		t.Fatalf("closed provider: %v", err)
	}
	if v := metricValue(t, base, "sftpgo_dataprovider_query_errors_total"); v != "1" {
		t.Fatalf("sftpgo_dataprovider_query_errors_total = %s after one failed query", v)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
