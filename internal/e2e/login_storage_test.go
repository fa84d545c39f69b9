package e2e

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// loginRefusal tries a login over SFTP, FTP and WebDAV and returns, per
// protocol, what the client was told; a login that succeeds fails the
// test.
func loginRefusal(t *testing.T, in *instance, user, password string) map[string]string {
	t.Helper()
	out := map[string]string{}
	var banner strings.Builder
	conn, err := ssh.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", in.sftpPort), &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.Password(password)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), //nolint:gosec // test server with a fresh key
		BannerCallback:  func(m string) error { banner.WriteString(m); return nil },
		Timeout:         20 * time.Second,
	})
	if err == nil {
		conn.Close()
		t.Fatalf("%s: SFTP login allowed", user)
	}
	out["SFTP"] = banner.String()

	fc, err := ftp.Dial(fmt.Sprintf("127.0.0.1:%d", in.ftpPort), ftp.DialWithTimeout(20*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	err = fc.Login(user, password)
	fc.Quit()
	if err == nil {
		t.Fatalf("%s: FTP login allowed", user)
	}
	out["FTP"] = err.Error()

	req, _ := http.NewRequestWithContext(t.Context(), "PROPFIND", fmt.Sprintf("http://127.0.0.1:%d/", in.davPort), nil)
	req.SetBasicAuth(user, password)
	req.Header.Set("Depth", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode < 400 {
		t.Fatalf("%s: WebDAV login allowed: %d %s", user, resp.StatusCode, body)
	}
	out["WebDAV"] = fmt.Sprintf("%d %s", resp.StatusCode, body)
	return out
}

// TestLoginRefusedWhenStorageCannotBeBuilt: a user whose home storage is
// an FTP backend pointing at this very server (allow_self_connections 0)
// or a remote SFTP server refusing the backend's password is refused at
// login on SFTP, FTP and WebDAV, each told why; an ordinary user of the
// same server logs in. A virtual folder on a dead remote fails its own
// operations and is not listed, while the rest of the home works.
func TestLoginRefusedWhenStorageCannotBeBuilt(t *testing.T) {
	// the remote SFTP server: another sftpgo process
	remote := newInstance(t, t.TempDir())
	remote.start()
	remote.addUser(remote.token("admin", "admin-pass"), "remote-user", "remote-pass", nil)

	dir := t.TempDir()
	in := newInstance(t, dir)
	in.start()
	token := in.token("admin", "admin-pass")
	plain := func(v string) map[string]any { return map[string]any{"status": "Plain", "payload": v} }
	in.addUser(token, "plain", "user-pass-1", nil)
	in.addUser(token, "ftp-self", "user-pass-1", map[string]any{"filesystem": map[string]any{
		"provider": 7, "ftpconfig": map[string]any{
			"endpoint": "127.0.0.1:" + strconv.Itoa(in.ftpPort), "username": "plain", "password": plain("user-pass-1"),
		}}})
	in.addUser(token, "sftp-badpass", "user-pass-1", map[string]any{"filesystem": map[string]any{
		"provider": 5, "sftpconfig": map[string]any{
			"endpoint": "127.0.0.1:" + strconv.Itoa(remote.sftpPort), "username": "remote-user", "password": plain("wrong-pass"),
		}}})

	for user, reason := range map[string]string{
		"ftp-self":     "this server's own listener",
		"sftp-badpass": "refused the login credentials",
	} {
		t.Run(user, func(t *testing.T) {
			for proto, told := range loginRefusal(t, in, user, "user-pass-1") {
				if !strings.Contains(told, reason) || !strings.Contains(told, "storage") {
					t.Errorf("%s: the client is not told the storage problem (%q): %q", proto, reason, told)
				}
			}
		})
	}
	conn, c := dialSFTP(t, in.sftpPort, "plain", "user-pass-1")
	if _, err := c.ReadDir("/"); err != nil {
		t.Fatalf("an ordinary user: %v", err)
	}
	c.Close()
	conn.Close()
	if !strings.Contains(in.log.String(), "unable to build storage") {
		t.Error("the log does not record the storage failures")
	}
	// wrong credentials still say nothing more
	for proto, told := range loginRefusal(t, in, "ftp-self", "wrong") {
		if strings.Contains(told, "storage") {
			t.Errorf("%s: a wrong password reveals the storage state: %q", proto, told)
		}
	}

	t.Run("dead virtual folder", func(t *testing.T) {
		dead := freePort(t) // nothing listens there
		status, body := in.api(token, http.MethodPost, "/api/v2/folders", map[string]any{
			"name": "deadfolder", "filesystem": map[string]any{"provider": 5, "sftpconfig": map[string]any{
				"endpoint": "127.0.0.1:" + strconv.Itoa(dead), "username": "x", "password": plain("y"),
			}}})
		if status != http.StatusCreated {
			t.Fatalf("create folder: %d %s", status, body)
		}
		in.addUser(token, "with-dead", "user-pass-1", map[string]any{
			"virtual_folders": []map[string]any{{"name": "deadfolder", "virtual_path": "/vdead"}}})
		conn, c := dialSFTP(t, in.sftpPort, "with-dead", "user-pass-1")
		defer conn.Close()
		defer c.Close()
		if err := c.Mkdir("/works"); err != nil {
			t.Fatalf("the home does not work next to a dead folder: %v", err)
		}
		entries, err := c.ReadDir("/")
		if err != nil {
			t.Fatalf("list /: %v", err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if strings.Contains(strings.Join(names, ","), "vdead") || !strings.Contains(strings.Join(names, ","), "works") {
			t.Fatalf("listing of / with a dead folder: %v", names)
		}
		if _, err := c.ReadDir("/vdead"); err == nil {
			t.Fatal("listing the dead folder succeeded")
		}
		f, err := c.Create("/vdead/f.txt")
		if err == nil {
			_, err = f.Write([]byte("x"))
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		var se *sftp.StatusError
		if err == nil || !errors.As(err, &se) {
			t.Fatalf("upload into the dead folder: %v", err)
		}
		if !strings.Contains(se.Error(), "vdead") || !strings.Contains(se.Error(), "unreachable") {
			t.Errorf("the error does not say which folder and why: %v", se)
		}
	})
}

// TestLoginDelay: common.defender.login_delay.password_failed delays the
// answer to a failed password login on SFTP, FTP, WebDAV and the HTTP
// token endpoint, and login_delay.success a successful one, with the
// defender itself disabled.
func TestLoginDelay(t *testing.T) {
	const failed, success = 400 * time.Millisecond, 250 * time.Millisecond
	in := newInstance(t, t.TempDir(),
		"SFTPGO_COMMON__DEFENDER__LOGIN_DELAY__PASSWORD_FAILED="+strconv.Itoa(int(failed/time.Millisecond)),
		"SFTPGO_COMMON__DEFENDER__LOGIN_DELAY__SUCCESS="+strconv.Itoa(int(success/time.Millisecond)))
	in.start()
	in.addUser(in.token("admin", "admin-pass"), "dora", "dora-pass", nil)
	attempts := map[string]func(password string) error{
		"SFTP": func(password string) error {
			c, err := sshDialPassword(in.sftpPort, "dora", password)
			if err == nil {
				c.Close()
			}
			return err
		},
		"FTP": func(password string) error {
			fc, err := ftp.Dial(fmt.Sprintf("127.0.0.1:%d", in.ftpPort), ftp.DialWithTimeout(20*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			defer fc.Quit()
			return fc.Login("dora", password)
		},
		"WebDAV": func(password string) error {
			return httpLogin(t, fmt.Sprintf("http://127.0.0.1:%d/", in.davPort), "PROPFIND", password)
		},
		"HTTP": func(password string) error {
			return httpLogin(t, in.baseURL()+"/api/v2/user/token", http.MethodGet, password)
		},
	}
	for proto, try := range attempts {
		t.Run(proto, func(t *testing.T) {
			start := time.Now()
			if err := try("wrong"); err == nil {
				t.Fatal("wrong password accepted")
			}
			if d := time.Since(start); d < failed {
				t.Errorf("failed login answered after %v, want at least %v", d, failed)
			}
			start = time.Now()
			if err := try("dora-pass"); err != nil {
				t.Fatalf("login: %v", err)
			}
			if d := time.Since(start); d < success {
				t.Errorf("successful login answered after %v, want at least %v", d, success)
			}
		})
	}
}

func httpLogin(t *testing.T, url, method, password string) error {
	req, _ := http.NewRequestWithContext(t.Context(), method, url, nil)
	req.SetBasicAuth("dora", password)
	req.Header.Set("Depth", "0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}
