package telemetry

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/crypto/bcrypt"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/metrics"
)

// Vectors made with `openssl passwd` for the password "scrape-pass".
const (
	apr1Vector   = "$apr1$xyzsalt0$IbfC6EQ9PH9AQIoqtdHI71"
	md5Vector    = "$1$abc$RrMU6Ocw9NcH3190BhxZK/"
	sha256Vector = "$5$saltsalt$mcvU83dEKQzlGMTLLrZtqGcP3Yg8Fi82Z4ZPadG.8a2"
	sha512Vector = "$6$saltsalt$qItzXCm5pusoVSq19YIuT4XKUwkvxhKgfuBLAsC4bjcHhpbcFRPAo.WGrFS.DbyEmxdTWSD1Z.EgDLAHU3aUv0"
	shaVector    = "{SHA}DDIzwdLvQJJ/s+y4ljXfAYAyh68="
	testPassword = "scrape-pass"
)

func bcryptHash(t *testing.T, prefix string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return prefix + string(h[3:]) // bcrypt writes $2a$; htpasswd -B writes $2y$
}

func TestHtpasswdFormats(t *testing.T) {
	cases := map[string]string{
		"bcrypt2y": bcryptHash(t, "$2y"), "bcrypt2a": bcryptHash(t, "$2a"), "bcrypt2b": bcryptHash(t, "$2b"),
		"apr1": apr1Vector, "md5": md5Vector, "sha256": sha256Vector, "sha512": sha512Vector, "sha": shaVector,
	}
	var file strings.Builder
	file.WriteString("# scrapers\n\n")
	for u, h := range cases {
		file.WriteString(u + ":" + h + "\n")
	}
	h, err := parseHtpasswd([]byte(file.String()))
	if err != nil {
		t.Fatal(err)
	}
	for u := range cases {
		if !h.verify(u, testPassword) {
			t.Errorf("%s: right password refused", u)
		}
		if !h.verify(u, testPassword) {
			t.Errorf("%s: right password refused the second time (cache)", u)
		}
		if h.verify(u, testPassword+"x") {
			t.Errorf("%s: wrong password accepted", u)
		}
	}
	if h.verify("nobody", testPassword) {
		t.Error("unknown user accepted")
	}
}

func TestHtpasswdRefusesUnsupported(t *testing.T) {
	for name, content := range map[string]string{
		"des crypt":  "u:rqXexS6ZhobKA\n",
		"plain text": "u:secret\n",
		"no colon":   "just-a-name\n",
		"bad bcrypt": "u:$2y$10$short\n",
		"bad sha":    "u:{SHA}notbase64!\n",
	} {
		if _, err := parseHtpasswd([]byte(content)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// selfSigned writes a certificate for 127.0.0.1 and returns its pool.
func selfSigned(t *testing.T, dir, name string) (string, string, *x509.CertPool) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	cp, kp := filepath.Join(dir, "tel.crt"), filepath.Join(dir, "tel.key")
	os.WriteFile(cp, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(kp, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return cp, kp, pool
}

func start(t *testing.T, cfg config.TelemetryConfig, dir string, m *metrics.Metrics, check func(context.Context) error) (*Server, string) {
	t.Helper()
	cfg.BindAddress = "127.0.0.1"
	if cfg.BindPort == 0 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cfg.BindPort = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	s, err := New(Options{Config: cfg, ConfigDir: dir, Metrics: m, ProviderCheck: check})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return s, s.Addrs()[0].String()
}

func get(t *testing.T, c *http.Client, url, user, pwd string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if user != "" {
		req.SetBasicAuth(user, pwd)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestEndpointsWithAuth(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "users"), []byte("prom:"+apr1Vector+"\n"), 0o600)
	m := metrics.New()
	m.TransferDone("SFTP", "osfs", true, 42, true)
	_, addr := start(t, config.TelemetryConfig{AuthUserFile: "users", EnableProfiler: true}, dir, m, nil)
	base := "http://" + addr
	c := http.DefaultClient

	if code, _, body := get(t, c, base+"/healthz", "", ""); code != 200 || body != "ok" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	for _, p := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/heap"} {
		code, h, _ := get(t, c, base+p, "", "")
		if code != http.StatusUnauthorized || h.Get("WWW-Authenticate") != `Basic realm="SFTPGo telemetry"` {
			t.Errorf("%s without credentials: %d %q", p, code, h.Get("WWW-Authenticate"))
		}
		if code, _, _ := get(t, c, base+p, "prom", "wrong"); code != http.StatusUnauthorized {
			t.Errorf("%s with a wrong password: %d", p, code)
		}
	}
	code, _, body := get(t, c, base+"/metrics", "prom", testPassword)
	if code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("metrics do not parse: %v", err)
	}
	if v := fams["sftpgo_upload_size"].GetMetric()[0].GetCounter().GetValue(); v != 42 {
		t.Errorf("sftpgo_upload_size = %v", v)
	}
	if code, _, body := get(t, c, base+"/debug/pprof/heap?debug=1", "prom", testPassword); code != 200 || !strings.Contains(body, "heap profile") {
		t.Errorf("heap profile: %d %.80q", code, body)
	}
}

func TestNoAuthNoProfiler(t *testing.T) {
	_, addr := start(t, config.TelemetryConfig{}, t.TempDir(), metrics.New(), nil)
	if code, _, body := get(t, http.DefaultClient, "http://"+addr+"/metrics", "", ""); code != 200 || !strings.Contains(body, "sftpgo_uploads_total 0") {
		t.Errorf("open metrics: %d", code)
	}
	if code, _, _ := get(t, http.DefaultClient, "http://"+addr+"/debug/pprof/heap", "", ""); code != http.StatusNotFound {
		t.Errorf("profiler off: %d", code)
	}
}

func TestTLSAndReload(t *testing.T) {
	dir := t.TempDir()
	cp, kp, pool := selfSigned(t, dir, "first")
	users := filepath.Join(dir, "users")
	os.WriteFile(users, []byte("a:"+shaVector+"\n"), 0o600)
	s, addr := start(t, config.TelemetryConfig{CertificateFile: cp, CertificateKeyFile: kp, MinTLSVersion: 13, AuthUserFile: users}, dir, metrics.New(), nil)
	client := func(pool *x509.CertPool, max uint16) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: max}}}
	}
	if code, _, _ := get(t, client(pool, 0), "https://"+addr+"/metrics", "a", testPassword); code != 200 {
		t.Fatalf("https metrics: %d", code)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://"+addr+"/healthz", nil)
	if _, err := client(pool, tls.VersionTLS12).Do(req); err == nil {
		t.Error("TLS 1.2 accepted with min_tls_version 13")
	}
	// new certificate and users, then SIGHUP's Reload
	_, _, pool2 := selfSigned(t, dir, "second")
	os.WriteFile(users, []byte("b:"+apr1Vector+"\n"), 0o600)
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := get(t, client(pool2, 0), "https://"+addr+"/metrics", "b", testPassword); code != 200 {
		t.Errorf("after reload, new user with the new certificate: %d", code)
	}
	if code, _, _ := get(t, client(pool2, 0), "https://"+addr+"/metrics", "a", testPassword); code != http.StatusUnauthorized {
		t.Errorf("after reload, removed user: %d", code)
	}
	// a broken file keeps the previous users
	os.WriteFile(users, []byte("c:plain\n"), 0o600)
	if err := s.Reload(); err == nil {
		t.Error("reload accepted an unsupported hash")
	}
	if code, _, _ := get(t, client(pool2, 0), "https://"+addr+"/metrics", "b", testPassword); code != 200 {
		t.Errorf("after a failed reload: %d", code)
	}
}

func TestProviderAvailability(t *testing.T) {
	m := metrics.New()
	_, addr := start(t, config.TelemetryConfig{}, t.TempDir(), m, func(context.Context) error { return nil })
	// the check at start runs before Start returns
	_, _, body := get(t, http.DefaultClient, "http://"+addr+"/metrics", "", "")
	if !strings.Contains(body, "\nsftpgo_dataprovider_availability 1\n") {
		t.Errorf("availability after a good check missing:\n%s", grepLines(body, "dataprovider"))
	}
	m2 := metrics.New()
	_, addr2 := start(t, config.TelemetryConfig{}, t.TempDir(), m2, func(context.Context) error { return errors.New("database is down") })
	_, _, body = get(t, http.DefaultClient, "http://"+addr2+"/metrics", "", "")
	if !strings.Contains(body, "\nsftpgo_dataprovider_availability 0\n") || !strings.Contains(body, "\nsftpgo_dataprovider_check_errors_total 1\n") {
		t.Errorf("availability after a failed check:\n%s", grepLines(body, "dataprovider"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for name, cfg := range map[string]config.TelemetryConfig{
		"missing htpasswd": {AuthUserFile: "nope"},
		"cert without key": {CertificateFile: "a.crt"},
		"missing cert":     {CertificateFile: "a.crt", CertificateKeyFile: "a.key"},
		"bad cipher":       {TLSCipherSuites: []string{"TLS_NOPE"}},
	} {
		cfg.BindPort = 1
		if _, err := New(Options{Config: cfg, ConfigDir: dir, Metrics: metrics.New()}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(Options{Config: config.TelemetryConfig{}}); err == nil {
		t.Error("no metrics: accepted")
	}
}

func TestUnixSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "tel") // short: socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "t.sock")
	s, err := New(Options{Config: config.TelemetryConfig{BindPort: 1, BindAddress: sock}, Metrics: metrics.New()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
	if code, _, body := get(t, c, "http://telemetry/healthz", "", ""); code != 200 || body != "ok" {
		t.Fatalf("healthz over the socket: %d %q", code, body)
	}
}
