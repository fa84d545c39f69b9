package e2e

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
)

// fixturesDir is the SFTPGo fixture set; SFTPGO_FIXTURES_DIR overrides
// its location.
func fail2banFixturesDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SFTPGO_FIXTURES_DIR")
	if dir == "" {
		dir = "../../../shared/sftpgo-fixtures" // shared/ sits beside the checkout
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if _, err := os.Stat(filepath.Join(dir, "fail2ban-filter.conf")); err != nil {
		t.Fatalf("SFTPGo fixtures missing (set SFTPGO_FIXTURES_DIR): %v", err)
	}
	return dir
}

// sftpgoFailregex reads the failregex of SFTPGo's published fail2ban
// filter and turns it into a Go regexp the way fail2ban expands <HOST>:
// an IPv4 address (optionally IPv4-mapped), an IPv6 address or a host
// name. RE2 has no look-behind, so the IPv6 form's closing "(?<=:):" is a
// plain ":".
func sftpgoFailregex(t *testing.T) *regexp.Regexp {
	t.Helper()
	f, err := os.Open(filepath.Join(fail2banFixturesDir(t), "fail2ban-filter.conf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var failregex string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && strings.TrimSpace(k) == "failregex" {
			failregex = strings.TrimSpace(v)
		}
	}
	if !strings.Contains(failregex, "<HOST>") {
		t.Fatalf("fixture filter has no failregex with <HOST>: %q", failregex)
	}
	const ip4 = `(?:\d{1,3}\.){3}\d{1,3}`
	const ip6 = `(?:[0-9a-fA-F]{1,4}::?|:){1,7}(?:[0-9a-fA-F]{1,4}|:)`
	host := `(?:\[?(?:(?:::f{4,6}:)?(?P<ip4>` + ip4 + `)|(?P<ip6>` + ip6 + `))\]?|(?P<dns>[\w\-.^_]*\w))`
	return regexp.MustCompile(strings.ReplaceAll(failregex, "<HOST>", host))
}

// startLogFile starts in like instance.start, but logging to a file with
// no --log-format, the way SFTPGo is run: the file must get JSON.
func startLogFile(t *testing.T, in *instance, logPath string) {
	t.Helper()
	in.log = &syncBuffer{}
	in.cmd = exec.Command(binary(t), "serve", "--config-dir", in.configDir, "--log-file-path", logPath, "--log-level", "debug")
	in.cmd.Env = in.env
	in.cmd.Stdout = in.log
	in.cmd.Stderr = in.log
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	in.done = make(chan error, 1)
	go func() { in.done <- in.cmd.Wait() }()
	t.Cleanup(in.stop)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-in.done:
			in.done <- err
			log, _ := os.ReadFile(logPath)
			t.Fatalf("sftpgo exited early: %v\n%s\n%s", err, in.log.String(), log)
		default:
		}
		if resp, err := http.Get(in.baseURL() + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("sftpgo did not answer /healthz\n%s", in.log.String())
}

// TestFail2banFilterMatchesJSONLog: SFTPGo's own fail2ban failregex,
// unchanged, counts our failed logins in the JSON log file, three wrong
// passwords each over SFTP, FTP, WebDAV and the REST API; and the log's
// transfer lines are SFTPGo's.
func TestFail2banFilterMatchesJSONLog(t *testing.T) {
	re := sftpgoFailregex(t)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "logs", "sftpgo.log")
	in := newInstance(t, dir, "SFTPGO_COMMON__DEFENDER__LOGIN_DELAY__PASSWORD_FAILED=0")
	startLogFile(t, in, logPath)
	token := in.token("admin", "admin-pass")
	in.addUser(token, "mallory", "right-pass", nil)

	for i := 0; i < 3; i++ {
		if c, err := sshDialPassword(in.sftpPort, "mallory", fmt.Sprintf("wrong-%d", i)); err == nil {
			c.Close()
			t.Fatal("SFTP: wrong password accepted")
		}
		fc, err := ftp.Dial(fmt.Sprintf("127.0.0.1:%d", in.ftpPort), ftp.DialWithTimeout(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if err := fc.Login("mallory", fmt.Sprintf("wrong-%d", i)); err == nil {
			t.Fatal("FTP: wrong password accepted")
		}
		fc.Quit()
		req, _ := http.NewRequest("PROPFIND", fmt.Sprintf("http://127.0.0.1:%d/", in.davPort), nil)
		req.Header.Set("Depth", "0")
		req.SetBasicAuth("mallory", fmt.Sprintf("wrong-%d", i))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("WebDAV: wrong password: status %d, want 401", resp.StatusCode)
		}
		req, _ = http.NewRequest(http.MethodGet, in.baseURL()+"/api/v2/token", nil)
		req.SetBasicAuth("admin", fmt.Sprintf("wrong-%d", i))
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("REST token: wrong password: status %d, want 401", resp.StatusCode)
		}
	}

	// A probe that leaves before any login method: SFTPGo's no_auth_tried
	// line, which its password filter does not count.
	probe, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", in.sftpPort))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = probe.Write([]byte("SSH-2.0-probe\r\n"))
	probe.Close()

	// One good upload and download over SFTP, for the transfer lines.
	conn, client := dialSFTP(t, in.sftpPort, "mallory", "right-pass")
	payload := bytes.Repeat([]byte("fail2ban e2e "), 10000)
	w, err := client.Create("/up.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(payload); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := client.Open("/up.bin")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || sha256.Sum256(got) != sha256.Sum256(payload) {
		t.Fatalf("download: %d bytes, %v", len(got), err)
	}
	client.Close()
	conn.Close()
	// And an FTP upload (passive data connection) and a WebDAV download.
	fc, err := ftp.Dial(fmt.Sprintf("127.0.0.1:%d", in.ftpPort), ftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := fc.Login("mallory", "right-pass"); err != nil {
		t.Fatal(err)
	}
	if err := fc.Stor("ftp.bin", bytes.NewReader(payload)); err != nil {
		t.Fatal(err)
	}
	fc.Quit()
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/ftp.bin", in.davPort), nil)
	req.SetBasicAuth("mallory", "right-pass")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(got, payload) {
		t.Fatalf("WebDAV GET: %d, %d bytes, %v", resp.StatusCode, len(got), err)
	}

	// The lines are written as the events happen; wait until they are all
	// there (or give up), then count.
	want := map[string]int{"SSH": 3, "FTP": 3, "DAV": 3, "HTTP": 3}
	var counts map[string]int
	var lines []string
	deadline := time.Now().Add(20 * time.Second)
	for {
		data, err := os.ReadFile(logPath)
		if err != nil {
			t.Fatal(err)
		}
		lines = strings.Split(strings.TrimSpace(string(data)), "\n")
		counts = map[string]int{}
		for _, line := range lines {
			m := re.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			if m[re.SubexpIndex("ip4")] != "127.0.0.1" {
				t.Errorf("failregex took host %q from %s", m[re.SubexpIndex("ip4")], line)
			}
			var rec struct{ Protocol string }
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("matched line is not JSON: %s", line)
			}
			counts[rec.Protocol]++
		}
		noAuth := 0
		for _, line := range lines {
			if strings.Contains(line, `"sender":"connection_failed","client_ip":"127.0.0.1","username":"","login_type":"no_auth_tried","protocol":"SSH"`) {
				noAuth++
			}
		}
		if fmt.Sprint(counts) == fmt.Sprint(want) && transferLines(lines) >= 4 && noAuth == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SFTPGo's failregex matched %v, want %v; %d no_auth_tried lines, want 1\n%s", counts, want, noAuth, strings.Join(lines, "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Every line of the file is SFTPGo-shaped JSON.
	headRE := regexp.MustCompile(`^\{"level":"(debug|info|warn|error)","time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}","sender":"[^"]+"`)
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil || !headRE.MatchString(line) {
			t.Fatalf("not an SFTPGo-shaped JSON line: %s", line)
		}
	}

	// The transfer lines: SFTPGo's keys, in its order, with real values.
	home := filepath.Join(dir, "homes", "mallory")
	keys := []string{"level", "time", "sender", "local_addr", "remote_addr", "elapsed_ms", "size_bytes", "username",
		"file_path", "virtual_path", "connection_id", "protocol"}
	type wantLine struct {
		port  int
		name  string
		extra []string
	}
	wantBy := map[string]wantLine{
		"Upload SFTP":   {in.sftpPort, "up.bin", nil},
		"Download SFTP": {in.sftpPort, "up.bin", nil},
		"Upload FTP":    {in.ftpPort, "ftp.bin", []string{"ftp_mode"}},
		"Download DAV":  {in.davPort, "ftp.bin", nil},
	}
	seen := map[string]bool{}
	for _, line := range lines {
		if !strings.Contains(line, `"sender":"Upload"`) && !strings.Contains(line, `"sender":"Download"`) {
			continue
		}
		var rec struct {
			Sender      string `json:"sender"`
			LocalAddr   string `json:"local_addr"`
			RemoteAddr  string `json:"remote_addr"`
			SizeBytes   int64  `json:"size_bytes"`
			Username    string `json:"username"`
			FilePath    string `json:"file_path"`
			VirtualPath string `json:"virtual_path"`
			ConnID      string `json:"connection_id"`
			Protocol    string `json:"protocol"`
			FTPMode     string `json:"ftp_mode"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		kind := rec.Sender + " " + rec.Protocol
		w, ok := wantBy[kind]
		if !ok {
			t.Errorf("unexpected transfer line %s", line)
			continue
		}
		seen[kind] = true
		if k := jsonKeys(t, line); strings.Join(k, ",") != strings.Join(append(keys, w.extra...), ",") {
			t.Errorf("%s: keys %v, want %v", kind, k, append(keys, w.extra...))
		}
		if rec.LocalAddr != fmt.Sprintf("127.0.0.1:%d", w.port) || !strings.HasPrefix(rec.RemoteAddr, "127.0.0.1:") ||
			rec.SizeBytes != int64(len(payload)) || rec.Username != "mallory" || rec.ConnID == "" ||
			rec.FilePath != filepath.Join(home, w.name) || rec.VirtualPath != "/"+w.name {
			t.Errorf("%s: wrong values in %s", kind, line)
		}
		if rec.Protocol == "FTP" && rec.FTPMode != "passive" {
			t.Errorf("FTP upload: ftp_mode %q, want passive", rec.FTPMode)
		}
	}
	for kind := range wantBy {
		if !seen[kind] {
			t.Errorf("no %s transfer line", kind)
		}
	}
}

func transferLines(lines []string) int {
	n := 0
	for _, l := range lines {
		if strings.Contains(l, `"sender":"Upload"`) || strings.Contains(l, `"sender":"Download"`) {
			n++
		}
	}
	return n
}

// jsonKeys returns the top-level keys of a JSON object in order.
func jsonKeys(t *testing.T, line string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}
