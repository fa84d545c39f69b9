//go:build unix

package e2e

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // TOTP (RFC 6238) is HMAC-SHA1 here
	"crypto/sha256"
	"encoding/base32"
	bin "encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider/takeovertest"
	"github.com/sftpgo-ng/sftpgo/internal/dbtest"
)

// The SFTPGo fixture installation "devset" (../shared/sftpgo-fixtures):
// its users' homes and folders are absolute paths under devsetRoot, and
// the remote-SFTP user's backend is this same server on devsetSFTPPort.
const (
	devsetRoot     = "/tmp/sftpgo-takeover-devset"
	devsetSFTPPort = 12460
	payloadSHA256  = "329e4f8edf47d6c3425844cac2bc8a37348db365ac6d47ff1c240046a645c3c6"
	payloadSize    = 3145728
)

// sftpgoCryptfsLayout gates the cryptfs user's file check: reading files
// SFTPGo's cryptfs wrote is the cryptlog work. The lead sets it to true
// once that branch is merged.
const sftpgoCryptfsLayout = true

func takeoverFixtures(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SFTPGO_FIXTURES_DIR")
	if dir == "" {
		dir = "../../../shared/sftpgo-fixtures"
	}
	dir, _ = filepath.Abs(dir)
	if _, err := os.Stat(filepath.Join(dir, "sftpgo.db")); err != nil {
		t.Fatalf("SFTPGo fixtures missing (set SFTPGO_FIXTURES_DIR): %v", err)
	}
	return dir
}

// restoreDevset lays the installation's files out as SFTPGo left them,
// plus devs-alice's payload, regenerated as the README says.
func restoreDevset(t *testing.T, fixtures string) {
	t.Helper()
	if err := os.RemoveAll(devsetRoot); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(devsetRoot, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", filepath.Join(fixtures, "ondisk")+"/.", devsetRoot+"/").CombinedOutput(); err != nil {
		t.Fatalf("restore on-disk data: %v %s", err, out)
	}
	_ = exec.Command("chmod", "-R", "u+w", devsetRoot).Run()
	key := sha256.Sum256([]byte("sftpgo-fixture:devset"))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, payloadSize)
	cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(payload, payload)
	if got := fmt.Sprintf("%x", sha256.Sum256(payload)); got != payloadSHA256 {
		t.Fatalf("regenerated payload sha256 %s", got)
	}
	home := filepath.Join(devsetRoot, "users", "devs-alice")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "payload.bin"), payload, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(devsetRoot) })
}

// devsetInstance is a server with the installation's environment
// (sftpgo.env): SFTP on the port the remote-SFTP user points at, self
// connections allowed, the same users_base_dir.
func devsetInstance(t *testing.T, configDir string, extraEnv ...string) *instance {
	env := append([]string{
		fmt.Sprintf("SFTPGO_SFTPD__BINDINGS__0__PORT=%d", devsetSFTPPort),
		"SFTPGO_COMMON__ALLOW_SELF_CONNECTIONS=1",
		"SFTPGO_DATA_PROVIDER__USERS_BASE_DIR=" + devsetRoot + "/users",
		"SFTPGO_DATA_PROVIDER__CREATE_DEFAULT_ADMIN=false",
	}, extraEnv...)
	in := newInstance(t, configDir, env...)
	in.sftpPort = devsetSFTPPort
	return in
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, mode); err != nil {
		t.Fatal(err)
	}
}

// fixtureConfigDir is a fresh config dir with SFTPGo's host keys, its
// default sftpgo.json (and, when withDB, its database).
func fixtureConfigDir(t *testing.T, fixtures string, withDB bool) string {
	t.Helper()
	dir := t.TempDir()
	for _, k := range []string{"id_rsa", "id_ecdsa", "id_ed25519"} {
		copyFile(t, filepath.Join(fixtures, "hostkeys", k), filepath.Join(dir, k), 0o600)
		copyFile(t, filepath.Join(fixtures, "hostkeys", k+".pub"), filepath.Join(dir, k+".pub"), 0o644)
	}
	if withDB {
		copyFile(t, filepath.Join(fixtures, "sftpgo.db"), filepath.Join(dir, "sftpgo.db"), 0o600)
	}
	// SFTPGo's own default configuration, unchanged (the environment of
	// sftpgo.env sets what the installation changed)
	copyFile(t, filepath.Join(fixtures, "configs", "sftpgo-HEAD.json"), filepath.Join(dir, "sftpgo.json"), 0o644)
	// no kms files: SFTPGo ran without a master key and wrote none (README)
	return dir
}

func sshLogin(t *testing.T, in *instance, user string, auth ...ssh.AuthMethod) (*ssh.Client, error) {
	t.Helper()
	return ssh.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", in.sftpPort), &ssh.ClientConfig{
		User: user, Auth: auth, Timeout: 20 * time.Second,
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), //nolint:gosec // host keys checked in TestTakeover* by fingerprint
	})
}

// sftpSHA256 logs in and returns the sha256 and size of a remote file.
func sftpSHA256(t *testing.T, in *instance, user, path string, auth ...ssh.AuthMethod) (string, int64) {
	t.Helper()
	conn, err := sshLogin(t, in, user, auth...)
	if err != nil {
		t.Fatalf("%s: SSH login: %v", user, err)
	}
	defer conn.Close()
	c, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatalf("%s: SFTP: %v", user, err)
	}
	defer c.Close()
	f, err := c.Open(path)
	if err != nil {
		t.Fatalf("%s: open %s: %v", user, path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		t.Fatalf("%s: read %s: %v", user, path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n
}

func sftpRead(t *testing.T, in *instance, user, password, path string) string {
	t.Helper()
	conn, err := sshLogin(t, in, user, ssh.Password(password))
	if err != nil {
		t.Fatalf("%s: %v", user, err)
	}
	defer conn.Close()
	c, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f, err := c.Open(path)
	if err != nil {
		t.Fatalf("%s: open %s: %v", user, path, err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	return string(b)
}

// totp computes the RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret.
func totp(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(secret))
	if err != nil {
		t.Fatal(err)
	}
	var msg [8]byte
	bin.BigEndian.PutUint64(msg[:], uint64(at.Unix()/30))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := bin.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", code%1000000)
}

// accountsAsUnderSFTPGo checks every account of the fixture README.
func accountsAsUnderSFTPGo(t *testing.T, in *instance, fixtures string) {
	t.Run("alice password and key", func(t *testing.T) {
		if sum, n := sftpSHA256(t, in, "devs-alice", "/payload.bin", ssh.Password("Ali-d0e09b575c862f54")); sum != payloadSHA256 || n != payloadSize {
			t.Fatalf("payload over password login: %s %d", sum, n)
		}
		b, err := os.ReadFile(filepath.Join(fixtures, "keys", "devs-alice"))
		if err != nil {
			t.Fatal(err)
		}
		signer, err := ssh.ParsePrivateKey(b)
		if err != nil {
			t.Fatal(err)
		}
		if sum, _ := sftpSHA256(t, in, "devs-alice", "/payload.bin", ssh.PublicKeys(signer)); sum != payloadSHA256 {
			t.Fatalf("payload over key login: %s", sum)
		}
		for path, file := range map[string]string{"/docs/readme.txt": "folders/userdocs/readme.txt", "/team/notes.txt": "folders/teamdocs/notes.txt"} {
			want, err := os.ReadFile(filepath.Join(fixtures, "ondisk", file))
			if err != nil {
				t.Fatal(err)
			}
			if got := sftpRead(t, in, "devs-alice", "Ali-d0e09b575c862f54", path); got != string(want) {
				t.Fatalf("%s: %q, want %q", path, got, want)
			}
		}
		if _, err := sshLogin(t, in, "devs-alice", ssh.Password("wrong")); err == nil {
			t.Fatal("wrong password accepted")
		}
	})
	t.Run("relay through its Secretbox password", func(t *testing.T) {
		if sum, n := sftpSHA256(t, in, "devs-relay", "/payload.bin", ssh.Password("Rly-e7f07a7bf6b02ec5")); sum != payloadSHA256 || n != payloadSize {
			t.Fatalf("payload through the remote SFTP backend: %s %d", sum, n)
		}
	})
	t.Run("vault password", func(t *testing.T) {
		conn, err := sshLogin(t, in, "devs-vault", ssh.Password("Vlt-d1292bc5d72eb41c"))
		if err != nil {
			t.Fatal(err)
		}
		conn.Close()
	})
	t.Run("vault cryptfs payload sha256", func(t *testing.T) {
		if !sftpgoCryptfsLayout {
			t.Skip("enable sftpgoCryptfsLayout once SFTPGo's cryptfs layout (cryptlog branch) is merged")
		}
		if sum, n := sftpSHA256(t, in, "devs-vault", "/payload.bin", ssh.Password("Vlt-d1292bc5d72eb41c")); sum != payloadSHA256 || n != payloadSize {
			t.Fatalf("cryptfs payload: %s %d", sum, n)
		}
	})
	t.Run("archive password", func(t *testing.T) {
		conn, err := sshLogin(t, in, "devs-archive", ssh.Password("Arc-e1b90c01dcacd3e3"))
		if err != nil {
			t.Fatal(err)
		}
		conn.Close()
	})
	t.Run("otp keyboard-interactive", func(t *testing.T) {
		var prompts []string
		ki := ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
			var answers []string
			for _, q := range questions {
				prompts = append(prompts, q)
				switch {
				case strings.Contains(q, "Password"):
					answers = append(answers, "Otp-3f8a2336073b7765")
				case strings.Contains(q, "code"):
					answers = append(answers, totp(t, "GKIHQJEL4N2H6OCJXTXUICX62YCWD76F", time.Now()))
				default:
					answers = append(answers, "")
				}
			}
			return answers, nil
		})
		conn, err := sshLogin(t, in, "devs-otp", ki)
		if err != nil {
			t.Fatalf("TOTP login: %v (prompts %q)", err, prompts)
		}
		conn.Close()
		if len(prompts) != 2 {
			t.Fatalf("prompts: %q", prompts)
		}
	})
	t.Run("admins token and API key", func(t *testing.T) {
		tok := in.token("admin", "Adm-910def25c49af066")
		in.token("devs-ops", "Ops-ffdc14eb01ada8d4")
		st, body := in.api(tok, http.MethodGet, "/api/v2/users", nil)
		var users []map[string]any
		if st != http.StatusOK || json.Unmarshal(body, &users) != nil || len(users) != 5 {
			t.Fatalf("users as admin: %d %s", st, body)
		}
		req, _ := http.NewRequest(http.MethodGet, in.baseURL()+"/api/v2/users/devs-alice", nil)
		req.Header.Set("X-SFTPGO-API-KEY", "3iKzaSwktqjxmb7c74weBd.Q4zTcz6jfhediUQi7tjXpw")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`"devs-alice"`)) {
			t.Fatalf("API key: %d %s", resp.StatusCode, b)
		}
	})
	t.Run("share with password", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, in.baseURL()+"/api/v2/shares/E3CX83tCfF6UMZ22jiEcQj/files?path=payload.bin", nil)
		req.SetBasicAuth("x", "Shr-f7d857f8df68f3d5")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		h := sha256.New()
		n, _ := io.Copy(h, resp.Body)
		if resp.StatusCode != http.StatusOK || hex.EncodeToString(h.Sum(nil)) != payloadSHA256 {
			t.Fatalf("share download: %d, %d bytes", resp.StatusCode, n)
		}
	})
}

// TestTakeoverSFTPGoDatabase runs initprovider and serve on SFTPGo's own
// database and host keys, as README.txt tells an administrator to.
func TestTakeoverSFTPGoDatabase(t *testing.T) {
	fixtures := takeoverFixtures(t)
	lockDevset(t)
	restoreDevset(t, fixtures)
	cfg := fixtureConfigDir(t, fixtures, true)
	in := devsetInstance(t, cfg)
	out, err := in.run("initprovider", "--config-dir", cfg)
	if err != nil || !strings.Contains(out, "schema version") {
		t.Fatalf("initprovider: %v\n%s", err, out)
	}
	in.start()
	accountsAsUnderSFTPGo(t, in, fixtures)
	// usage counters came along
	tok := in.token("admin", "Adm-910def25c49af066")
	st, body := in.api(tok, http.MethodGet, "/api/v2/users/devs-alice", nil)
	var alice struct {
		UsedQuotaSize  int64 `json:"used_quota_size"`
		UsedQuotaFiles int   `json:"used_quota_files"`
		FirstUpload    int64 `json:"first_upload"`
	}
	if st != http.StatusOK || json.Unmarshal(body, &alice) != nil || alice.UsedQuotaSize < 3145780 ||
		alice.FirstUpload != 1796317809570 {
		t.Fatalf("alice after takeover: %d %s", st, body)
	}
}

// TestTakeoverSFTPGoDump loads SFTPGo's dump into empty servers: through
// POST /api/v2/loaddata, and through serve's SFTPGO_LOADDATA_* variables
// with a quota scan and the file removed afterwards.
func TestTakeoverSFTPGoDump(t *testing.T) {
	fixtures := takeoverFixtures(t)
	lockDevset(t)
	dump, err := os.ReadFile(filepath.Join(fixtures, "dump.json"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("REST loaddata", func(t *testing.T) {
		restoreDevset(t, fixtures)
		addUnaccountedFile(t)
		cfg := fixtureConfigDir(t, fixtures, false)
		in := devsetInstance(t, cfg, "SFTPGO_DATA_PROVIDER__CREATE_DEFAULT_ADMIN=true",
			"SFTPGO_DEFAULT_ADMIN_USERNAME=bootstrap", "SFTPGO_DEFAULT_ADMIN_PASSWORD=bootstrap-pass")
		in.start()
		tok := in.token("bootstrap", "bootstrap-pass")
		if st, body := in.api(tok, http.MethodPost, "/api/v2/loaddata?mode=0&scan_quota=1", dump); st != http.StatusOK {
			t.Fatalf("loaddata: %d %s", st, body)
		}
		accountsAsUnderSFTPGo(t, in, fixtures)
		checkScannedQuota(t, in)
		// a dump of some sections only, in SFTPGo's shape
		st, body := in.api(tok, http.MethodGet, "/api/v2/dumpdata?output-data=1&scopes=users,groups", nil)
		var part struct {
			Users  []map[string]any `json:"users"`
			Groups []map[string]any `json:"groups"`
			Admins []map[string]any `json:"admins"`
		}
		if st != http.StatusOK || json.Unmarshal(body, &part) != nil || len(part.Users) != 5 || len(part.Groups) != 1 || len(part.Admins) != 0 {
			t.Fatalf("dumpdata scopes=users,groups: %d %.300s", st, body)
		}
		if st, body := in.api(tok, http.MethodGet, "/api/v2/dumpdata?output-data=1&scopes=users,bogus", nil); st != http.StatusBadRequest {
			t.Fatalf("dumpdata with an unknown scope: %d %s", st, body)
		}
	})
	t.Run("initprovider --loaddata-from", func(t *testing.T) {
		restoreDevset(t, fixtures)
		cfg := fixtureConfigDir(t, fixtures, false)
		file := filepath.Join(t.TempDir(), "dump.json")
		if err := os.WriteFile(file, dump, 0o600); err != nil {
			t.Fatal(err)
		}
		in := devsetInstance(t, cfg)
		if out, err := in.run("initprovider", "--config-dir", cfg, "--loaddata-from", "dump.json"); err == nil || !strings.Contains(out, "absolute path") {
			t.Fatalf("relative loaddata-from: %v\n%s", err, out)
		}
		out, err := in.run("initprovider", "--config-dir", cfg, "--loaddata-from", file, "--loaddata-mode", "1")
		if err != nil || !strings.Contains(out, "data loaded") {
			t.Fatalf("initprovider --loaddata-from: %v\n%s", err, out)
		}
		if _, err := os.Stat(file); err != nil {
			t.Fatalf("dump removed without --loaddata-clean: %v", err)
		}
		in.start()
		if sum, _ := sftpSHA256(t, in, "devs-relay", "/payload.bin", ssh.Password("Rly-e7f07a7bf6b02ec5")); sum != payloadSHA256 {
			t.Fatalf("relay payload: %s", sum)
		}
		in.token("devs-ops", "Ops-ffdc14eb01ada8d4")
	})
	t.Run("serve SFTPGO_LOADDATA_FROM", func(t *testing.T) {
		restoreDevset(t, fixtures)
		addUnaccountedFile(t)
		cfg := fixtureConfigDir(t, fixtures, false)
		file := filepath.Join(t.TempDir(), "dump.json")
		if err := os.WriteFile(file, dump, 0o600); err != nil {
			t.Fatal(err)
		}
		in := devsetInstance(t, cfg, "SFTPGO_LOADDATA_FROM="+file, "SFTPGO_LOADDATA_MODE=0",
			"SFTPGO_LOADDATA_QUOTA_SCAN=1", "SFTPGO_LOADDATA_CLEAN=true")
		in.start()
		if _, err := os.Stat(file); !os.IsNotExist(err) {
			t.Fatalf("loaddata file not removed: %v", err)
		}
		accountsAsUnderSFTPGo(t, in, fixtures)
		checkScannedQuota(t, in)
	})
}

// unaccountedSize is a file put in alice's home behind the server's back:
// only a real quota scan counts it.
const unaccountedSize = 1000

func addUnaccountedFile(t *testing.T) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(devsetRoot, "users", "devs-alice", "unaccounted.bin"), make([]byte, unaccountedSize), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkScannedQuota: the scan found what is on disk: alice's payload, the
// file added behind the server's back and the two folder files counted in
// her quota (SFTPGo's dump says 3 files, without the added one).
func checkScannedQuota(t *testing.T, in *instance) {
	t.Helper()
	tok := in.token("admin", "Adm-910def25c49af066")
	st, body := in.api(tok, http.MethodGet, "/api/v2/users/devs-alice", nil)
	var alice struct {
		UsedQuotaSize  int64 `json:"used_quota_size"`
		UsedQuotaFiles int   `json:"used_quota_files"`
	}
	if st != http.StatusOK || json.Unmarshal(body, &alice) != nil {
		t.Fatalf("alice: %d %s", st, body)
	}
	want := int64(payloadSize + unaccountedSize)
	for _, f := range []string{"folders/userdocs/readme.txt", "folders/teamdocs/notes.txt"} {
		fi, err := os.Stat(filepath.Join(devsetRoot, f))
		if err != nil {
			t.Fatal(err)
		}
		want += fi.Size()
	}
	if alice.UsedQuotaSize != want || alice.UsedQuotaFiles != 4 {
		t.Fatalf("alice quota after scan: %d bytes %d files, want %d bytes 4 files", alice.UsedQuotaSize, alice.UsedQuotaFiles, want)
	}
}

// TestTakeoverOnServe: serve with update_mode 1 refuses SFTPGo's
// database and names initprovider; with update_mode 0 (the default) it
// takes it over by itself.
func TestTakeoverOnServe(t *testing.T) {
	fixtures := takeoverFixtures(t)
	lockDevset(t)
	restoreDevset(t, fixtures)
	cfg := fixtureConfigDir(t, fixtures, true)
	refuse := devsetInstance(t, cfg, "SFTPGO_DATA_PROVIDER__UPDATE_MODE=1")
	cmd := exec.Command(binary(t), "serve", "--config-dir", cfg, "--log-file-path", "-")
	cmd.Env = refuse.env
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "SFTPGo database") || !strings.Contains(string(out), "initprovider") {
		t.Fatalf("serve with update_mode 1 on an SFTPGo database: %v\n%s", err, out)
	}
	in := devsetInstance(t, cfg)
	in.start()
	if sum, _ := sftpSHA256(t, in, "devs-alice", "/payload.bin", ssh.Password("Ali-d0e09b575c862f54")); sum != payloadSHA256 {
		t.Fatalf("payload after serve took over: %s", sum)
	}
	in.token("admin", "Adm-910def25c49af066")
	in.stop()
	// and back: revertprovider gives SFTPGo its schema
	out2, err := in.run("revertprovider", "--config-dir", cfg, "--to-version", "35")
	if err != nil || !strings.Contains(out2, "35") {
		t.Fatalf("revertprovider: %v\n%s", err, out2)
	}
	out3, err := in.run("revertprovider", "--config-dir", cfg, "--to-version", "35")
	if err == nil || !strings.Contains(out3, "already has SFTPGo's schema 35") {
		t.Fatalf("second revertprovider: %v\n%s", err, out3)
	}
}

// TestTakeoverSFTPGoOnDatabaseServers: the fixture installation with its
// database on PostgreSQL and on MariaDB (SFTPGo's schema, its rows), taken
// over by initprovider; every account logs in as under SFTPGo.
func TestTakeoverSFTPGoOnDatabaseServers(t *testing.T) {
	fixtures := takeoverFixtures(t)
	lockDevset(t)
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			restoreDevset(t, fixtures)
			src := filepath.Join(t.TempDir(), "sftpgo.db")
			copyFile(t, filepath.Join(fixtures, "sftpgo.db"), src, 0o600)
			db, raw := takeovertest.Populate(t, kind, src)
			cfg := fixtureConfigDir(t, fixtures, false)
			in := devsetInstance(t, cfg, db.Env()...)
			out, err := in.run("initprovider", "--config-dir", cfg)
			if err != nil || !strings.Contains(out, "SFTPGo database taken over") {
				t.Fatalf("initprovider: %v\n%s", err, out)
			}
			var kept int
			if err := raw.QueryRow("SELECT count(*) FROM sftpgo_users").Scan(&kept); err != nil || kept != 5 {
				t.Fatalf("kept SFTPGo users: %d %v", kept, err)
			}
			in.start()
			accountsAsUnderSFTPGo(t, in, fixtures)
		})
	}
}
