package e2e

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/crypto/bcrypt"
)

// telemetryApr1 is `openssl passwd -apr1 -salt xyzsalt0 scrape-pass`.
const telemetryApr1 = "$apr1$xyzsalt0$IbfC6EQ9PH9AQIoqtdHI71"

type telemetryClient struct {
	t    *testing.T
	base string
}

func (c telemetryClient) get(path, user, pwd string) (int, http.Header, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	if user != "" {
		req.SetBasicAuth(user, pwd)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// scrape parses /metrics as Prometheus text and returns the unlabeled
// values by name (gauges and counters).
func (c telemetryClient) scrape(user, pwd string) map[string]float64 {
	c.t.Helper()
	code, h, body := c.get("/metrics", user, pwd)
	if code != http.StatusOK {
		c.t.Fatalf("/metrics: %d %s", code, body)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		c.t.Fatalf("/metrics content type %q", ct)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		c.t.Fatalf("/metrics is not Prometheus text: %v", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) > 0 {
				continue
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[name] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[name] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

// TestTelemetryThroughBinary: the telemetry listener of the built binary
// answers /healthz without credentials, protects /metrics and the
// profiler with the htpasswd file, counts one SFTP upload of N bytes as
// 1 and N, an SSH command and a client that left before logging in,
// and picks up a replaced htpasswd file on SIGHUP.
func TestTelemetryThroughBinary(t *testing.T) {
	dir := t.TempDir()
	bc, err := bcrypt.GenerateFromPassword([]byte("prom-pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	// htpasswd -B writes $2y$; the digest is the same as $2a$
	users := "prom:$2y$" + string(bc[4:]) + "\nscraper:" + telemetryApr1 + "\n"
	if err := os.WriteFile(filepath.Join(dir, "telemetry.htpasswd"), []byte(users), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	in := newInstance(t, dir,
		"SFTPGO_TELEMETRY__BIND_PORT="+strconv.Itoa(port),
		"SFTPGO_TELEMETRY__AUTH_USER_FILE=telemetry.htpasswd",
		"SFTPGO_TELEMETRY__ENABLE_PROFILER=true",
	)
	in.start()
	tc := telemetryClient{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(tc.base + "/healthz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && string(b) == "ok" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("telemetry /healthz did not answer ok: %v\n%s", err, in.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	for _, p := range []string{"/metrics", "/debug/pprof/heap"} {
		code, h, _ := tc.get(p, "", "")
		if code != http.StatusUnauthorized || h.Get("WWW-Authenticate") != `Basic realm="SFTPGo telemetry"` {
			t.Errorf("%s without credentials: %d, WWW-Authenticate %q", p, code, h.Get("WWW-Authenticate"))
		}
		if code, _, _ := tc.get(p, "prom", "wrong"); code != http.StatusUnauthorized {
			t.Errorf("%s with a wrong password: %d", p, code)
		}
	}
	if code, _, body := tc.get("/debug/pprof/heap?debug=1", "scraper", "scrape-pass"); code != http.StatusOK || !bytes.Contains(body, []byte("heap profile")) {
		t.Errorf("/debug/pprof/heap: %d %.100q", code, body)
	}
	if code, _, body := tc.get("/debug/pprof/heap", "prom", "prom-pass"); code != http.StatusOK || len(body) == 0 {
		t.Errorf("/debug/pprof/heap (binary profile): %d, %d bytes", code, len(body))
	}

	token := in.token("admin", "admin-pass")
	in.addUser(token, "mira", "mira-pass", nil)
	before := tc.scrape("prom", "prom-pass")
	const n = 3<<20 + 4321
	_, payload := randomFile(t, n)
	conn, client := dialSFTP(t, in.sftpPort, "mira", "mira-pass")
	f, err := client.Create("/upload.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(payload); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	during := tc.scrape("prom", "prom-pass")
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	sum, err := sess.Output("sha256sum /upload.bin")
	sess.Close()
	if want := fmt.Sprintf("%x", sha256.Sum256(payload)); err != nil || !strings.HasPrefix(string(sum), want) {
		t.Errorf("sha256sum over SSH: %v %q", err, sum)
	}
	client.Close()
	conn.Close()
	// a client that leaves before any login method
	raw, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", in.sftpPort))
	if err != nil {
		t.Fatal(err)
	}
	banner := make([]byte, 64)
	_, _ = raw.Read(banner)
	raw.Close()

	// the close reply comes after the server finished the transfer, but
	// give the count a moment in case a protocol acknowledges earlier
	after := during
	for i := 0; i < 100 && (after["sftpgo_uploads_total"] == before["sftpgo_uploads_total"] ||
		after["sftpgo_no_auth_total"] == before["sftpgo_no_auth_total"] ||
		after["sftpgo_ssh_commands_total"] == before["sftpgo_ssh_commands_total"]); i++ {
		time.Sleep(50 * time.Millisecond)
		after = tc.scrape("prom", "prom-pass")
	}
	if d := after["sftpgo_uploads_total"] - before["sftpgo_uploads_total"]; d != 1 {
		t.Errorf("sftpgo_uploads_total moved by %v, want 1", d)
	}
	if d := after["sftpgo_upload_size"] - before["sftpgo_upload_size"]; d != n {
		t.Errorf("sftpgo_upload_size moved by %v, want %d", d, n)
	}
	if d := after["sftpgo_upload_errors_total"] - before["sftpgo_upload_errors_total"]; d != 0 {
		t.Errorf("sftpgo_upload_errors_total moved by %v", d)
	}
	if d := after["sftpgo_password_login_ok_total"] - before["sftpgo_password_login_ok_total"]; d < 1 {
		t.Errorf("sftpgo_password_login_ok_total moved by %v, want at least 1", d)
	}
	if d := after["sftpgo_ssh_commands_total"] - before["sftpgo_ssh_commands_total"]; d != 1 {
		t.Errorf("sftpgo_ssh_commands_total moved by %v, want 1", d)
	}
	if d := after["sftpgo_no_auth_total"] - before["sftpgo_no_auth_total"]; d != 1 {
		t.Errorf("sftpgo_no_auth_total moved by %v, want 1", d)
	}
	if during["sftpgo_active_connections"] < 1 {
		t.Errorf("sftpgo_active_connections during the session = %v", during["sftpgo_active_connections"])
	}
	if after["sftpgo_dataprovider_availability"] != 1 {
		t.Errorf("sftpgo_dataprovider_availability = %v", after["sftpgo_dataprovider_availability"])
	}
	// the token and the user creation were answered over HTTP
	if after["sftpgo_http_req_total"] < 2 || after["sftpgo_http_req_ok_total"] < 2 {
		t.Errorf("sftpgo_http_req_total = %v, ok = %v, want at least 2", after["sftpgo_http_req_total"], after["sftpgo_http_req_ok_total"])
	}
	names := 0
	for k := range after {
		if strings.HasPrefix(k, "sftpgo_") {
			names++
		}
	}
	if names < 96 {
		t.Errorf("only %d unlabeled sftpgo_* metrics, SFTPGo exposes 96", names)
	}

	// SIGHUP re-reads the htpasswd file
	if err := os.WriteFile(filepath.Join(dir, "telemetry.htpasswd"), []byte("scraper:"+telemetryApr1+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := in.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	code := 0
	for i := 0; i < 200; i++ {
		if code, _, _ = tc.get("/metrics", "prom", "prom-pass"); code == http.StatusUnauthorized {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code != http.StatusUnauthorized {
		t.Errorf("a user removed from the htpasswd file still scrapes after SIGHUP: %d", code)
	}
	if code, _, _ := tc.get("/metrics", "scraper", "scrape-pass"); code != http.StatusOK {
		t.Errorf("remaining user after SIGHUP: %d", code)
	}
}
