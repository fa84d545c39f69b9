package e2e

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pkg/sftp"

	"github.com/sftpgo-ng/sftpgo/internal/vfs/remotetest"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

// TestRemoteStorageThroughBinary: users whose storage is a remote SFTP
// server (OpenSSH sshd, and this very server with
// common.allow_self_connections on) or a remote FTPS server (vsftpd,
// implicit TLS), created through the REST API. Secrets come back
// redacted; multi-megabyte files round-trip over SFTP and WebDAV and land
// on the remote under the prefix; chmod on FTP storage fails cleanly and
// the session goes on. (The binary does not serve FTP yet: FTP as a
// client protocol is covered in process by internal/common.)
func TestRemoteStorageThroughBinary(t *testing.T) {
	sshd := remotetest.StartSSHD(t)
	ftpSrv := remotetest.StartVsftpd(t, remotetest.VsftpdOptions{TLSMode: remotetest.TLSImplicit, SSLReuse: true})
	dir := t.TempDir()
	in := newInstance(t, dir, "SFTPGO_COMMON__ALLOW_SELF_CONNECTIONS=1")
	in.start()
	token := in.token("admin", "admin-pass")

	sshPrefix := filepath.Join(t.TempDir(), "remote-ssh")
	ftpPrefix := filepath.Join(ftpSrv.Dir, "remote-ftp")
	targetHome := filepath.Join(dir, "homes", "target")
	plain := func(v string) map[string]any { return map[string]any{"status": "Plain", "payload": v} }
	users := []map[string]any{
		{"username": "target", "home_dir": targetHome},
		{"username": "on-sshd", "filesystem": map[string]any{"provider": 5, "sftpconfig": map[string]any{
			"endpoint": sshd.Addr, "username": sshd.User, "private_key": plain(sshd.Key.PEM),
			"fingerprints": []string{sshd.Fingerprint()}, "prefix": sshPrefix,
		}}},
		{"username": "on-self", "filesystem": map[string]any{"provider": 5, "sftpconfig": map[string]any{
			"endpoint": "127.0.0.1:" + strconv.Itoa(in.sftpPort), "username": "target",
			"password": plain("user-pass-1"), "prefix": "/from-self",
		}}},
		{"username": "on-ftp", "filesystem": map[string]any{"provider": 7, "ftpconfig": map[string]any{
			"endpoint": ftpSrv.Addr, "username": remotetest.FTPUser, "password": plain(remotetest.FTPPassword),
			"tls_mode": 2, "skip_tls_verify": true, "prefix": ftpPrefix,
		}}},
	}
	for _, u := range users {
		u["password"] = "user-pass-1"
		u["status"] = 1
		u["permissions"] = map[string][]string{"/": {"*"}}
		if _, ok := u["home_dir"]; !ok {
			u["home_dir"] = filepath.Join(dir, "homes", u["username"].(string))
		}
		if status, body := in.api(token, http.MethodPost, "/api/v2/users", u); status != http.StatusCreated {
			t.Fatalf("create %s: %d %s", u["username"], status, body)
		}
	}
	for _, name := range []string{"on-sshd", "on-self", "on-ftp"} {
		status, body := in.api(token, http.MethodGet, "/api/v2/users/"+name, nil)
		if status != http.StatusOK {
			t.Fatalf("get %s: %d %s", name, status, body)
		}
		for _, secret := range []string{"PRIVATE KEY", "user-pass-1", remotetest.FTPPassword, `"payload"`} {
			if bytes.Contains(body, []byte(secret)) {
				t.Fatalf("%s: the API shows a secret (%q): %s", name, secret, body)
			}
		}
		if !bytes.Contains(body, []byte(`"password":{"status":"`)) && !bytes.Contains(body, []byte(`"private_key":{"status":"`)) {
			t.Fatalf("%s: the stored secret's status is not shown: %s", name, body)
		}
	}

	check := func(t *testing.T, user, onRemote string) *sftp.Client {
		conn, c := dialSFTP(t, in.sftpPort, user, "user-pass-1")
		t.Cleanup(func() { c.Close(); conn.Close() })
		data := vfstest.RandomData(t, 8<<20+5)
		f, err := c.Create("/upload.bin")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.ReadFrom(bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := c.Open("/upload.bin")
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if _, err := r.WriteTo(&got); err != nil {
			t.Fatal(err)
		}
		r.Close()
		if sha256.Sum256(got.Bytes()) != sha256.Sum256(data) {
			t.Fatalf("downloaded %d bytes that differ from the %d uploaded", got.Len(), len(data))
		}
		disk, err := os.ReadFile(onRemote)
		if err != nil || sha256.Sum256(disk) != sha256.Sum256(data) {
			t.Fatalf("not on the remote under the prefix (%s): %v", onRemote, err)
		}

		// The same over WebDAV.
		davData := vfstest.RandomData(t, 5<<20+3)
		davURL := fmt.Sprintf("http://127.0.0.1:%d/dav%%20upload.bin", in.davPort)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut, davURL, bytes.NewReader(davData))
		req.SetBasicAuth(user, "user-pass-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusNoContent {
			t.Fatalf("WebDAV PUT: %s", resp.Status)
		}
		req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, davURL, nil)
		req.SetBasicAuth(user, "user-pass-1")
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got2, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil || !bytes.Equal(got2, davData) {
			t.Fatalf("WebDAV GET: %s, %d bytes, %v", resp.Status, len(got2), err)
		}
		disk, err = os.ReadFile(filepath.Join(filepath.Dir(onRemote), "dav upload.bin"))
		if err != nil || !bytes.Equal(disk, davData) {
			t.Fatalf("WebDAV upload not on the remote under the prefix: %v", err)
		}
		return c
	}
	t.Run("sshd", func(t *testing.T) {
		check(t, "on-sshd", filepath.Join(sshPrefix, "upload.bin"))
	})
	t.Run("self", func(t *testing.T) {
		check(t, "on-self", filepath.Join(targetHome, "from-self", "upload.bin"))
	})
	t.Run("ftp", func(t *testing.T) {
		c := check(t, "on-ftp", filepath.Join(ftpPrefix, "upload.bin"))
		err := c.Chmod("/upload.bin", 0o600)
		var se *sftp.StatusError
		if !errors.As(err, &se) || se.FxCode() != sftp.ErrSSHFxOpUnsupported {
			t.Fatalf("chmod on FTP storage: %v, want SSH_FX_OP_UNSUPPORTED", err)
		}
		if err := c.Mkdir("/after-chmod"); err != nil {
			t.Fatalf("the session did not go on: %v", err)
		}
		if fi, err := os.Stat(filepath.Join(ftpPrefix, "after-chmod")); err != nil || !fi.IsDir() {
			t.Fatalf("directory not on the remote: %v", err)
		}
	})
	if strings.Contains(in.log.String(), remotetest.FTPPassword) {
		t.Fatal("the log shows the FTP password")
	}
}

// TestSelfConnectionRefusedThroughBinary: with allow_self_connections at
// its default (0), a user whose SFTP storage points at this very server
// cannot use it, while the target user still works.
func TestSelfConnectionRefusedThroughBinary(t *testing.T) {
	dir := t.TempDir()
	in := newInstance(t, dir)
	in.start()
	token := in.token("admin", "admin-pass")
	for _, u := range []map[string]any{
		{"username": "target", "home_dir": filepath.Join(dir, "homes", "target")},
		{"username": "loop", "home_dir": filepath.Join(dir, "homes", "loop"), "filesystem": map[string]any{
			"provider": 5, "sftpconfig": map[string]any{
				"endpoint": "127.0.0.1:" + strconv.Itoa(in.sftpPort), "username": "target",
				"password": map[string]any{"status": "Plain", "payload": "user-pass-1"},
			}}},
	} {
		u["password"], u["status"], u["permissions"] = "user-pass-1", 1, map[string][]string{"/": {"*"}}
		if status, body := in.api(token, http.MethodPost, "/api/v2/users", u); status != http.StatusCreated {
			t.Fatalf("create %s: %d %s", u["username"], status, body)
		}
	}
	conn, client := dialSFTP(t, in.sftpPort, "target", "user-pass-1")
	if _, err := client.ReadDir("/"); err != nil {
		t.Fatalf("the target user itself must work: %v", err)
	}
	conn.Close()

	refused := func() error {
		c, err := sshDialPassword(in.sftpPort, "loop", "user-pass-1")
		if err != nil {
			return err
		}
		defer c.Close()
		cl, err := sftp.NewClient(c)
		if err != nil {
			return err
		}
		defer cl.Close()
		_, err = cl.ReadDir("/")
		return err
	}
	if err := refused(); err == nil {
		t.Fatal("a storage backend pointing at this server was used with allow_self_connections 0")
	}
	if strings.Contains(in.log.String(), "user-pass-1") {
		t.Fatal("the log holds the backend password")
	}
}
