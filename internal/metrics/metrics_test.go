package metrics

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// sftpgoNames are the metric names a fresh SFTPGo process exposes (see
// /work/shared/SFTPGO-OPS.md "Telemetry": 96 sftpgo_* names).
func sftpgoNames() []string {
	names := []string{
		"sftpgo_dataprovider_availability", "sftpgo_active_connections",
		"sftpgo_uploads_total", "sftpgo_downloads_total", "sftpgo_upload_errors_total", "sftpgo_download_errors_total",
		"sftpgo_upload_size", "sftpgo_download_size", "sftpgo_ssh_commands_total", "sftpgo_ssh_command_errors_total",
		"sftpgo_login_attempts_total", "sftpgo_login_ok_total", "sftpgo_login_ko_total", "sftpgo_no_auth_total",
		"sftpgo_http_req_total", "sftpgo_http_req_ok_total", "sftpgo_http_client_errors_total", "sftpgo_http_server_errors_total",
	}
	for _, m := range []string{"password", "public_key", "keyboard_interactive", "key_and_password", "key_and_keyboard_int", "tls_cert", "tls_cert_and_pwd", "idp"} {
		for _, r := range []string{"attempts", "ok", "ko"} {
			names = append(names, "sftpgo_"+m+"_login_"+r+"_total")
		}
	}
	for _, b := range []string{"s3", "gcs", "az", "sftpfs", "httpfs"} {
		names = append(names, "sftpgo_"+b+"_uploads_total", "sftpgo_"+b+"_downloads_total", "sftpgo_"+b+"_upload_errors_total",
			"sftpgo_"+b+"_download_errors_total", "sftpgo_"+b+"_upload_size", "sftpgo_"+b+"_download_size")
		if b == "s3" || b == "gcs" || b == "az" {
			for _, op := range []string{"list_objects", "copy_object", "delete_object", "head_object"} {
				names = append(names, "sftpgo_"+b+"_"+op, "sftpgo_"+b+"_"+op+"_errors")
			}
		}
	}
	return names
}

func scrape(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	// round trip through the text format, as a scraper sees it
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range fams {
		if err := enc.Encode(f); err != nil {
			t.Fatal(err)
		}
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	out, err := parser.TextToMetricFamilies(&buf)
	if err != nil {
		t.Fatalf("text exposition does not parse: %v", err)
	}
	return out
}

func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("metric %s missing", name)
	}
	for _, m := range f.GetMetric() {
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
			}
			match = match && found
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("metric %s%v has no sample", name, labels)
	return 0
}

func TestFreshRegistryHasSFTPGoNames(t *testing.T) {
	fams := scrape(t, New())
	want := sftpgoNames()
	if len(want) != 96 {
		t.Fatalf("expected list has %d names, SFTPGo exposes 96", len(want))
	}
	for _, n := range want {
		if _, ok := fams[n]; !ok {
			t.Errorf("fresh process lacks %s", n)
		}
	}
	known := map[string]bool{"sftpgo_dataprovider_check_errors_total": true, "sftpgo_dataprovider_query_errors_total": true}
	for _, n := range want {
		known[n] = true
	}
	for n := range fams {
		if strings.HasPrefix(n, "sftpgo_") && !known[n] {
			t.Errorf("unexpected unlabeled metric %s in a fresh process", n)
		}
	}
	for _, n := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if _, ok := fams[n]; !ok {
			t.Errorf("standard collector metric %s missing", n)
		}
	}
}

func TestTransfersAndBackends(t *testing.T) {
	m := New()
	m.TransferDone("SFTP", "osfs", true, 1000, true)
	m.TransferDone("FTP", "s3fs", true, 24, false)
	m.TransferDone("DAV", "gcsfs", false, 500, true)
	m.ObjectRequestDone("azblobfs", "head_object", false)
	m.ObjectRequestDone("osfs", "head_object", true) // ignored
	f := scrape(t, m)
	for name, want := range map[string]float64{
		"sftpgo_uploads_total": 1, "sftpgo_upload_errors_total": 1, "sftpgo_upload_size": 1024,
		"sftpgo_downloads_total": 1, "sftpgo_download_size": 500, "sftpgo_download_errors_total": 0,
		"sftpgo_s3_upload_errors_total": 1, "sftpgo_s3_upload_size": 24, "sftpgo_s3_uploads_total": 0,
		"sftpgo_gcs_downloads_total": 1, "sftpgo_gcs_download_size": 500,
		"sftpgo_az_head_object_errors": 1, "sftpgo_az_head_object": 0,
	} {
		if got := value(t, f, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := value(t, f, "sftpgo_protocol_transfer_bytes_total", "protocol", "SFTP", "direction", "upload"); got != 1000 {
		t.Errorf("SFTP upload bytes = %v", got)
	}
	if got := value(t, f, "sftpgo_backend_transfers_total", "backend", "s3fs", "result", "ko"); got != 1 {
		t.Errorf("s3fs failed transfers = %v", got)
	}
}

func TestLogins(t *testing.T) {
	m := New()
	m.LoginDone(MethodPublicKey, "SSH", true)
	m.LoginDone(MethodPassword, "FTP", false)
	m.LoginDone("password-over-SSH", "SSH", false) // unknown: counted as password
	m.LoginDone(MethodTLSCertificateAndPw, "HTTP", true)
	f := scrape(t, m)
	for name, want := range map[string]float64{
		"sftpgo_login_attempts_total": 4, "sftpgo_login_ok_total": 2, "sftpgo_login_ko_total": 2,
		"sftpgo_public_key_login_ok_total": 1, "sftpgo_public_key_login_attempts_total": 1,
		"sftpgo_password_login_ko_total": 2, "sftpgo_password_login_attempts_total": 2,
		"sftpgo_tls_cert_and_pwd_login_ok_total": 1, "sftpgo_keyboard_interactive_login_attempts_total": 0,
	} {
		if got := value(t, f, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := value(t, f, "sftpgo_logins_total", "method", "password", "protocol", "FTP", "result", "ko"); got != 1 {
		t.Errorf("labeled FTP password failures = %v", got)
	}
}

func TestGaugesAndCommands(t *testing.T) {
	m := New()
	m.SetActiveConnections(3)
	m.ProviderChecked(nil)
	m.SSHCommandDone(true)
	m.SSHCommandDone(false)
	m.NoAuth()
	f := scrape(t, m)
	if v := value(t, f, "sftpgo_active_connections"); v != 3 {
		t.Errorf("active connections = %v", v)
	}
	if v := value(t, f, "sftpgo_dataprovider_availability"); v != 1 {
		t.Errorf("availability = %v", v)
	}
	m.ProviderChecked(errors.New("down"))
	f = scrape(t, m)
	if v := value(t, f, "sftpgo_dataprovider_availability"); v != 0 {
		t.Errorf("availability after a failed check = %v", v)
	}
	if v := value(t, f, "sftpgo_dataprovider_check_errors_total"); v != 1 {
		t.Errorf("check errors = %v", v)
	}
	if a, b, c := value(t, f, "sftpgo_ssh_commands_total"), value(t, f, "sftpgo_ssh_command_errors_total"), value(t, f, "sftpgo_no_auth_total"); a != 1 || b != 1 || c != 1 {
		t.Errorf("ssh commands %v, errors %v, no auth %v", a, b, c)
	}
}

func TestHTTPMiddleware(t *testing.T) {
	m := New()
	h := m.HTTPMiddleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			_, _ = w.Write([]byte("hi"))
		case "/missing":
			http.NotFound(w, r)
		case "/boom":
			w.WriteHeader(http.StatusBadGateway)
		case "/empty":
		}
	}))
	for _, p := range []string{"/ok", "/missing", "/boom", "/empty"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("BREW", "/ok", nil))
	f := scrape(t, m)
	for name, want := range map[string]float64{
		"sftpgo_http_req_total": 5, "sftpgo_http_req_ok_total": 3,
		"sftpgo_http_client_errors_total": 1, "sftpgo_http_server_errors_total": 1,
	} {
		if got := value(t, f, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := value(t, f, "sftpgo_http_request_duration_seconds", "method", "GET", "code", "2xx"); got != 2 {
		t.Errorf("GET 2xx observations = %v", got)
	}
	if got := value(t, f, "sftpgo_http_request_duration_seconds", "method", "other", "code", "2xx"); got != 1 {
		t.Errorf("unknown method observations = %v", got)
	}
}

func TestNilMetricsCountNothing(t *testing.T) {
	var m *Metrics
	m.TransferDone("SFTP", "osfs", true, 1, true)
	m.LoginDone(MethodPassword, "SSH", true)
	m.SetActiveConnections(1)
	m.ProviderChecked(nil)
	m.SSHCommandDone(true)
	m.NoAuth()
	m.ObjectRequestDone("s3fs", "list_objects", true)
	next := http.NotFoundHandler()
	if h := m.HTTPMiddleware(next); h == nil {
		t.Fatal("nil metrics must return the handler")
	}
	if m.Registry() != nil {
		t.Fatal("nil metrics has no registry")
	}
}

// BenchmarkTransferDone shows the cost of counting one transfer (a few
// atomic adds and label lookups), against transfers that take
// milliseconds at least.
func BenchmarkTransferDone(b *testing.B) {
	m := New()
	b.ReportAllocs()
	for b.Loop() {
		m.TransferDone("SFTP", "osfs", true, 32768, true)
	}
}

// BenchmarkRequestDone: what counting one storage request costs.
func BenchmarkRequestDone(b *testing.B) {
	m := New()
	b.ReportAllocs()
	for b.Loop() {
		m.RequestDone("s3fs", "head_object", nil)
	}
}
