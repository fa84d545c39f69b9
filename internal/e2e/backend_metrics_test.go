package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sftpgo-ng/sftpgo/internal/vfs/cloudtest"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/httpfs/httpfstest"
)

// scrapeLabeled returns the samples of /metrics with their labels, as
// `name{k="v",...}` keys (labels sorted, as the exposition writes them).
func scrapeLabeled(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			var b bytes.Buffer
			b.WriteString(name)
			if len(m.GetLabel()) > 0 {
				b.WriteString("{")
				for i, l := range m.GetLabel() {
					if i > 0 {
						b.WriteString(",")
					}
					fmt.Fprintf(&b, "%s=%q", l.GetName(), l.GetValue())
				}
				b.WriteString("}")
			}
			switch {
			case m.GetCounter() != nil:
				out[b.String()] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[b.String()] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

// TestBackendRequestMetricsThroughBinary: SFTP sessions of users on S3,
// remote SFTP, remote FTP and HTTP storage move
// sftpgo_backend_requests_total of their backend, and on S3 also SFTPGo's
// per-request counters (sftpgo_s3_head_object, sftpgo_s3_list_objects);
// a request the storage refuses counts as an error.
func TestBackendRequestMetricsThroughBinary(t *testing.T) {
	s3 := cloudtest.StartS3(t)
	hfs, err := httpfstest.Start(t.TempDir(), httpfstest.Options{APIKey: "metrics-key-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hfs.Close)
	dir := t.TempDir()
	telPort := freePort(t)
	in := newInstance(t, dir, "SFTPGO_COMMON__ALLOW_SELF_CONNECTIONS=1",
		"SFTPGO_TELEMETRY__BIND_PORT="+strconv.Itoa(telPort), "SFTPGO_TELEMETRY__BIND_ADDRESS=127.0.0.1")
	in.start()
	tel := "http://127.0.0.1:" + strconv.Itoa(telPort)
	token := in.token("admin", "admin-pass")
	plain := func(v string) map[string]any { return map[string]any{"status": "Plain", "payload": v} }
	in.addUser(token, "target", "user-pass-1", nil)
	users := map[string]map[string]any{
		"s3fs": {"provider": 1, "s3config": map[string]any{
			"bucket": s3.Bucket, "region": "us-east-1", "endpoint": s3.Endpoint(), "force_path_style": true,
			"access_key": "key", "access_secret": plain("secret"), "key_prefix": "m/"}},
		"sftpfs": {"provider": 5, "sftpconfig": map[string]any{
			"endpoint": "127.0.0.1:" + strconv.Itoa(in.sftpPort), "username": "target", "password": plain("user-pass-1"),
			"prefix": "/via-sftp"}},
		"ftpfs": {"provider": 7, "ftpconfig": map[string]any{
			"endpoint": "127.0.0.1:" + strconv.Itoa(in.ftpPort), "username": "target", "password": plain("user-pass-1"),
			"prefix": "/via-ftp"}},
		"httpfs": {"provider": 6, "httpconfig": map[string]any{"endpoint": hfs.URL, "api_key": plain("metrics-key-1")}},
	}
	for backend, fsys := range users {
		in.addUser(token, "on-"+backend, "user-pass-1", map[string]any{"filesystem": fsys,
			"home_dir": filepath.Join(dir, "homes", "on-"+backend)})
	}
	before := scrapeLabeled(t, tel)
	for backend := range users {
		conn, c := dialSFTP(t, in.sftpPort, "on-"+backend, "user-pass-1")
		f, err := c.Create("/m.txt")
		if err != nil {
			t.Fatalf("%s: %v\n%s", backend, err, in.log.String())
		}
		if _, err := f.Write([]byte("metrics")); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatalf("%s: %v", backend, err)
		}
		if _, err := c.ReadDir("/"); err != nil {
			t.Fatalf("%s: %v", backend, err)
		}
		if _, err := c.Stat("/m.txt"); err != nil {
			t.Fatalf("%s: %v", backend, err)
		}
		// a rename onto a missing directory: the storage refuses it
		_ = c.Rename("/m.txt", "/no/such/dir/m.txt")
		c.Close()
		conn.Close()
	}
	after := scrapeLabeled(t, tel)
	moved := func(key string) float64 { return after[key] - before[key] }
	for backend := range users {
		key := fmt.Sprintf("sftpgo_backend_requests_total{backend=%q}", backend)
		if moved(key) < 3 {
			t.Errorf("%s moved by %v after an upload, a listing and a stat", key, moved(key))
		}
	}
	for _, key := range []string{"sftpgo_s3_head_object", "sftpgo_s3_list_objects"} {
		if moved(key) < 1 {
			t.Errorf("%s did not move (%v)", key, moved(key))
		}
	}
	errs := 0.0
	for backend := range users {
		errs += moved(fmt.Sprintf("sftpgo_backend_request_errors_total{backend=%q}", backend))
	}
	if errs < 1 {
		t.Errorf("no backend counted the refused rename as an error")
	}
	t.Logf("requests: s3fs %v, sftpfs %v, ftpfs %v, httpfs %v; errors %v",
		moved(`sftpgo_backend_requests_total{backend="s3fs"}`), moved(`sftpgo_backend_requests_total{backend="sftpfs"}`),
		moved(`sftpgo_backend_requests_total{backend="ftpfs"}`), moved(`sftpgo_backend_requests_total{backend="httpfs"}`), errs)
}
