package ftpd

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// runTool runs a client with a private HOME and returns its combined
// output.
func runTool(t testing.TB, name string, args ...string) (string, error) {
	t.Helper()
	bin := needTool(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "LFTP_HOME="+home)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func hostPort(addr string) (string, string) {
	h, p, _ := net.SplitHostPort(addr)
	return h, p
}

// lftpScript runs commands in lftp against binding i as alice.
func (e *env) lftp(t testing.TB, i int, scheme, settings, commands string) (string, error) {
	t.Helper()
	host, port := hostPort(e.addrs[i])
	script := fmt.Sprintf("set cmd:fail-exit yes; set net:max-retries 1; set net:timeout 20; set ssl:ca-file %s; %s; open -u alice,%s %s://%s:%s; %s; bye",
		pki.caFile, settings, testPassword, scheme, host, port, commands)
	return runTool(t, "lftp", "-c", script)
}

func TestLftpRoundTrip(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, scheme, settings string
		mode                   int
	}{
		{"plain", "ftp", "set ftp:ssl-allow no", tlsModeCleartext},
		{"explicit", "ftp", "set ftp:ssl-force yes; set ftp:ssl-protect-data yes", tlsModeExplicit},
		{"implicit", "ftps", "set ftp:ssl-protect-data yes", tlsModeImplicit},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) { c.Bindings[0].TLSMode = tc.mode }})
			e.addUser(t, "alice", nil)
			dir := t.TempDir()
			data := randomBytes(t, 3<<20+17)
			src, dst := filepath.Join(dir, "src.bin"), filepath.Join(dir, "dst.bin")
			if err := os.WriteFile(src, data, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := e.lftp(t, 0, tc.scheme, tc.settings,
				fmt.Sprintf("put %s -o up.bin; get up.bin -o %s", src, dst))
			if err != nil {
				t.Fatalf("lftp: %v\n%s", err, out)
			}
			got, err := os.ReadFile(dst)
			if err != nil || sum(got) != sum(data) {
				t.Fatalf("lftp round trip differs: %v (%d bytes)", err, len(got))
			}
			stored, _ := os.ReadFile(filepath.Join(e.home("alice"), "up.bin"))
			if sum(stored) != sum(data) {
				t.Fatal("stored file differs")
			}
		})
	}
}

func TestLftpResumeDownload(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	data := randomBytes(t, 2<<20)
	if err := os.MkdirAll(e.home("alice"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.home("alice"), "file.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "file.bin")
	half := len(data) / 2
	if err := os.WriteFile(dst, data[:half], 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := e.lftp(t, 0, "ftp", "set ftp:ssl-allow no", "get -c file.bin -o "+dst)
	if err != nil {
		t.Fatalf("lftp: %v\n%s", err, out)
	}
	got, _ := os.ReadFile(dst)
	if sum(got) != sum(data) {
		t.Fatalf("resumed download differs (%d bytes)", len(got))
	}
	if !strings.Contains(e.logs.String(), fmt.Sprintf(`"offset":%d`, half)) {
		t.Fatal("the download did not restart at the partial size")
	}
}

// curl runs curl against binding i as alice; path starts with "/".
func (e *env) curl(t testing.TB, i int, scheme, path string, args ...string) (string, error) {
	t.Helper()
	host, port := hostPort(e.addrs[i])
	all := append([]string{"-sS", "--max-time", "60", "-u", "alice:" + testPassword, "--cacert", pki.caFile}, args...)
	all = append(all, fmt.Sprintf("%s://%s:%s%s", scheme, host, port, path))
	return runTool(t, "curl", all...)
}

func TestCurlRoundTrip(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, scheme string
		mode         int
		args         []string
	}{
		{"plain", "ftp", tlsModeCleartext, nil},
		{"explicit", "ftp", tlsModeExplicit, []string{"--ssl-reqd"}},
		{"implicit", "ftps", tlsModeImplicit, nil},
		{"active", "ftp", tlsModeCleartext, []string{"-P", "-"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) { c.Bindings[0].TLSMode = tc.mode }})
			e.addUser(t, "alice", nil)
			dir := t.TempDir()
			data := randomBytes(t, 3<<20+5)
			src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
			os.WriteFile(src, data, 0o644)
			if out, err := e.curl(t, 0, tc.scheme, "/sub/up.bin", append(tc.args, "--ftp-create-dirs", "-T", src)...); err != nil {
				t.Fatalf("upload: %v\n%s", err, out)
			}
			if out, err := e.curl(t, 0, tc.scheme, "/sub/up.bin", append(tc.args, "-o", dst)...); err != nil {
				t.Fatalf("download: %v\n%s", err, out)
			}
			got, _ := os.ReadFile(dst)
			if sum(got) != sum(data) {
				t.Fatalf("curl round trip differs (%d bytes)", len(got))
			}
		})
	}
}

func TestCurlResumeDownload(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	data := randomBytes(t, 1<<20+77)
	os.MkdirAll(e.home("alice"), 0o755)
	os.WriteFile(filepath.Join(e.home("alice"), "f.bin"), data, 0o644)
	dst := filepath.Join(t.TempDir(), "f.bin")
	os.WriteFile(dst, data[:1000], 0o644)
	if out, err := e.curl(t, 0, "ftp", "/f.bin", "-C", "-", "-o", dst); err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	got, _ := os.ReadFile(dst)
	if sum(got) != sum(data) {
		t.Fatalf("resumed download differs (%d bytes)", len(got))
	}
	if !strings.Contains(e.logs.String(), `"offset":1000`) {
		t.Fatal("the download did not restart at byte 1000")
	}
}

func TestCurlWildcardNLST(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	home := e.home("alice")
	os.MkdirAll(filepath.Join(home, "d"), 0o755)
	for _, n := range []string{"a.txt", "b.txt", "c.log", "ab.txt"} {
		os.WriteFile(filepath.Join(home, "d", n), []byte(n), 0o644)
	}
	out, err := e.curl(t, 0, "ftp", "/d/", "-l", "-X", "NLST a*.txt")
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	names := strings.Fields(out)
	sort.Strings(names)
	if strings.Join(names, " ") != "a.txt ab.txt" {
		t.Fatalf("NLST a*.txt in /d listed %q", names)
	}
}

func TestCurlPassiveOverride(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) {
		c.Bindings[0].ForcePassiveIP = "192.0.2.10" // would break the transfer if used
		c.Bindings[0].PassiveIPOverrides = []config.PassiveIPOverride{{Networks: []string{"127.0.0.0/8"}, IP: "127.0.0.2"}}
	}})
	e.addUser(t, "alice", nil)
	os.MkdirAll(e.home("alice"), 0o755)
	data := randomBytes(t, 300000)
	os.WriteFile(filepath.Join(e.home("alice"), "f.bin"), data, 0o644)
	dst := filepath.Join(t.TempDir(), "f.bin")
	out, err := e.curl(t, 0, "ftp", "/f.bin", "-v", "--disable-epsv", "--no-ftp-skip-pasv-ip", "-o", dst)
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	if !strings.Contains(out, "227 Entering Passive Mode (127,0,0,2,") {
		t.Fatalf("PASV reply does not carry the override address:\n%s", out)
	}
	if !strings.Contains(out, "Connecting to 127.0.0.2") && !strings.Contains(out, "Trying 127.0.0.2") {
		t.Fatalf("curl did not use the override address:\n%s", out)
	}
	got, _ := os.ReadFile(dst)
	if sum(got) != sum(data) {
		t.Fatal("download through the override address differs")
	}
}

func TestCurlActiveDisabled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) { c.DisableActiveMode = true }})
	e.addUser(t, "alice", nil)
	os.MkdirAll(e.home("alice"), 0o755)
	os.WriteFile(filepath.Join(e.home("alice"), "f.bin"), []byte("x"), 0o644)
	out, err := e.curl(t, 0, "ftp", "/f.bin", "-v", "-P", "-", "-o", filepath.Join(t.TempDir(), "f"))
	if err == nil {
		t.Fatalf("active download succeeded with active mode disabled:\n%s", out)
	}
	if !strings.Contains(out, "421") {
		t.Fatalf("expected a 421 refusal of PORT/EPRT:\n%s", out)
	}
}

func TestCurlTLSVersions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) {
		c.Bindings[0].TLSMode = tlsModeExplicit
		c.Bindings[0].MinTLSVersion = 13
	}})
	e.addUser(t, "alice", nil)
	if out, err := e.curl(t, 0, "ftp", "/", "--ssl-reqd", "--tls-max", "1.2", "-l"); err == nil {
		t.Fatalf("a TLS 1.2 client was accepted by a minimum TLS 1.3 binding:\n%s", out)
	}
	if out, err := e.curl(t, 0, "ftp", "/", "--ssl-reqd", "--tlsv1.3", "-l"); err != nil {
		t.Fatalf("TLS 1.3 client refused: %v\n%s", err, out)
	}
}

// TestCurlSessionReuseRequired uses TLS 1.3: curl turns TLS 1.2 session
// tickets off and resumes by session ID, which the server does not offer.
func TestCurlSessionReuseRequired(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) {
		c.Bindings[0].TLSMode = tlsModeExplicit
		c.Bindings[0].TLSSessionReuse = sessionReuseRequired
	}})
	e.addUser(t, "alice", nil)
	os.MkdirAll(e.home("alice"), 0o755)
	data := randomBytes(t, 200000)
	os.WriteFile(filepath.Join(e.home("alice"), "f.bin"), data, 0o644)
	dst := filepath.Join(t.TempDir(), "f")
	if out, err := e.curl(t, 0, "ftp", "/f.bin", "--ssl-reqd", "--tlsv1.3", "-o", dst); err != nil {
		t.Fatalf("download with session reuse: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(dst); sum(got) != sum(data) {
		t.Fatal("download differs")
	}
	if out, err := e.curl(t, 0, "ftp", "/f.bin", "--ssl-reqd", "--tlsv1.3", "--no-sessionid", "-o", dst); err == nil {
		t.Fatalf("a data connection without session reuse was accepted:\n%s", out)
	}
	if !strings.Contains(e.logs.String(), "TLS session not resumed") {
		t.Fatal("no refusal logged")
	}
}

func TestCurlClientCertificate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) {
		c.Bindings[0].TLSMode = tlsModeExplicit
		c.Bindings[0].ClientAuthType = 2
		c.CACertificates = []string{pki.caFile}
	}})
	e.addUser(t, "certuser", func(u *dataprovider.User) { u.Filters.TLSUsername = "CommonName" })
	cert, key, _, err := pki.issue("certuser", false)
	if err != nil {
		t.Fatal(err)
	}
	host, port := hostPort(e.addrs[0])
	// no password: the certificate logs the user in
	out, err := runTool(t, "curl", "-sS", "--max-time", "60", "--ssl-reqd", "--cacert", pki.caFile,
		"--cert", cert, "--key", key, "-u", "certuser:", "-l", fmt.Sprintf("ftp://%s:%s/", host, port))
	if err != nil {
		t.Fatalf("certificate login: %v\n%s", err, out)
	}
	if !strings.Contains(e.logs.String(), `"method":"TLSCertificate"`) {
		t.Fatal("login not recorded as TLSCertificate")
	}
}
