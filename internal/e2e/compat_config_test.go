package e2e

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sftpgoFixtures is the SFTPGo fixture set; SFTPGO_FIXTURES_DIR overrides
// its location.
func sftpgoFixtures(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SFTPGO_FIXTURES_DIR")
	if dir == "" {
		dir = "../../../shared/sftpgo-fixtures" // shared/ sits beside the checkout
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if _, err := os.Stat(filepath.Join(dir, "configs")); err != nil {
		t.Fatalf("SFTPGo fixtures missing (set SFTPGO_FIXTURES_DIR): %v", err)
	}
	return dir
}

// TestServeSFTPGoReleaseConfigs starts `sftpgo serve` on the default
// sftpgo.json of each SFTPGo release, unchanged (only the ports are moved
// to free ones through the environment, as an administrator would), and
// checks the REST API and the SFTP listener answer and the obsolete keys
// are each reported once in the log.
func TestServeSFTPGoReleaseConfigs(t *testing.T) {
	fx := sftpgoFixtures(t)
	cases := []struct {
		release  string
		obsolete []string
	}{
		{"v2.4.6", []string{"common.defender.safelist", "sftpd.moduli", "common.data_retention_hook", "httpd.bindings[0].web_client_integrations"}},
		{"v2.5.6", []string{"sftpd.moduli", "common.data_retention_hook"}},
		{"v2.6.6", []string{"common.data_retention_hook"}},
		{"v2.7.0", nil},
		{"v2.7.5", nil},
		{"HEAD", nil},
	}
	for _, c := range cases {
		t.Run(c.release, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(fx, "configs", "sftpgo-"+c.release+".json"))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "sftpgo.json"), data, 0o644); err != nil {
				t.Fatal(err)
			}
			in := newInstance(t, dir)
			in.start()
			tok := in.token("admin", "admin-pass")
			if code, body := in.api(tok, "GET", "/api/v2/status", nil); code != 200 {
				t.Fatalf("status: %d %s", code, body)
			}
			conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(in.sftpPort)), 5*time.Second)
			if err != nil {
				t.Fatalf("SFTP listener: %v", err)
			}
			banner := make([]byte, 4)
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, err = conn.Read(banner)
			conn.Close()
			if err != nil || string(banner) != "SSH-" {
				t.Fatalf("SFTP listener did not greet: %q, %v", banner, err)
			}
			log := in.log.String()
			for _, k := range c.obsolete {
				if n := strings.Count(log, `\"`+k+`\"`) + strings.Count(log, `"`+k+`"`); n != 1 {
					t.Errorf("obsolete key %s reported %d times in the log, want once\n%s", k, n, log)
				}
			}
			if len(c.obsolete) == 0 && strings.Contains(log, "obsolete") {
				t.Errorf("the %s config has no obsolete key, but the log says so:\n%s", c.release, log)
			}
			if strings.Contains(log, "no effect yet") && (c.release == "HEAD" || strings.HasPrefix(c.release, "v2.7")) {
				t.Errorf("a default config warns of keys without effect:\n%s", log)
			}
		})
	}
}
