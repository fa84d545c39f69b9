package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// sshKey writes an ed25519 key pair with ssh-keygen and returns the private
// key path and the authorized_keys line.
func sshKey(t *testing.T) (string, string) {
	t.Helper()
	keygen := requireTool(t, "ssh-keygen")
	path := filepath.Join(t.TempDir(), "id_ed25519")
	if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return path, strings.TrimSpace(string(pub))
}

func sshDialPassword(port int, user, password string) (*ssh.Client, error) {
	return ssh.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port), &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.Password(password)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), //nolint:gosec // test server with a fresh key
		Timeout:         10 * time.Second,
	})
}

func dialSFTP(t *testing.T, port int, user, password string) (*ssh.Client, *sftp.Client) {
	t.Helper()
	conn, err := sshDialPassword(port, user, password)
	if err != nil {
		t.Fatal(err)
	}
	client, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	return conn, client
}

// TestSFTPThroughBinary: OpenSSH sftp round-trips a file through the
// built binary; the REST API lists the live session and closes it.
func TestSFTPThroughBinary(t *testing.T) {
	sftpBin := requireTool(t, "sftp")
	keyPath, pubKey := sshKey(t)
	dir := t.TempDir()
	in := newInstance(t, dir)
	in.start()
	token := in.token("admin", "admin-pass")
	home := in.addUser(token, "erin", "erin-pass", map[string]any{"public_keys": []string{pubKey}, "quota_size": 100 << 20})
	local, payload := randomFile(t, 6<<20+123)
	back := filepath.Join(t.TempDir(), "back.bin")
	cmd := exec.Command(sftpBin, "-q", "-i", keyPath, "-P", fmt.Sprint(in.sftpPort),
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
		"-b", "-", "erin@127.0.0.1")
	cmd.Stdin = strings.NewReader(fmt.Sprintf("mkdir up\nput %s up/p.bin\nget up/p.bin %s\nrename up/p.bin up/q.bin\nls -l up\n", local, back))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sftp: %v\n%s\n%s", err, out, in.log.String())
	}
	got, err := os.ReadFile(back)
	if err != nil || sha256.Sum256(got) != sha256.Sum256(payload) {
		t.Fatalf("downloaded file differs (%v)", err)
	}
	stored, err := os.ReadFile(filepath.Join(home, "up", "q.bin"))
	if err != nil || !bytes.Equal(stored, payload) {
		t.Fatalf("file not stored under the home after rename: %v", err)
	}

	// Quota usage reached the provider.
	_, data := in.api(token, http.MethodGet, "/api/v2/users/erin", nil)
	var u struct {
		UsedQuotaSize  int64 `json:"used_quota_size"`
		UsedQuotaFiles int   `json:"used_quota_files"`
	}
	_ = json.Unmarshal(data, &u)
	if u.UsedQuotaSize != int64(len(payload)) || u.UsedQuotaFiles != 1 {
		t.Errorf("quota after upload: size %d files %d, want %d and 1", u.UsedQuotaSize, u.UsedQuotaFiles, len(payload))
	}

	// A live session is listed and can be closed through the API.
	conn, client := dialSFTP(t, in.sftpPort, "erin", "erin-pass")
	defer conn.Close()
	if _, err := client.Getwd(); err != nil {
		t.Fatal(err)
	}
	s, data := in.api(token, http.MethodGet, "/api/v2/connections", nil)
	var list []struct {
		ConnectionID string `json:"connection_id"`
		Username     string `json:"username"`
		Protocol     string `json:"protocol"`
	}
	if s != http.StatusOK || json.Unmarshal(data, &list) != nil {
		t.Fatalf("connections: %d %s", s, data)
	}
	var id string
	for _, c := range list {
		if c.Username == "erin" {
			id = c.ConnectionID
			if c.Protocol != "SFTP" && c.Protocol != "SSH" {
				t.Errorf("protocol %q", c.Protocol)
			}
		}
	}
	if id == "" {
		t.Fatalf("the live session is not listed: %s", data)
	}
	if s, d := in.api(token, http.MethodDelete, "/api/v2/connections/"+id, nil); s != http.StatusOK {
		t.Fatalf("close connection: %d %s", s, d)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := client.Stat("/"); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the session survived DELETE /connections/{id}")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if s, _ := in.api(token, http.MethodDelete, "/api/v2/connections/"+id, nil); s != http.StatusNotFound {
		t.Errorf("closing a closed connection: want 404, got %d", s)
	}

	// A wrong password is refused and leaves the fail2ban line in the log.
	if _, err := sshDialPassword(in.sftpPort, "erin", "wrong"); err == nil {
		t.Fatal("wrong password accepted")
	}
	time.Sleep(100 * time.Millisecond)
	if !strings.Contains(in.log.String(), "connection failed") {
		t.Errorf("no failed-login line in the log:\n%s", in.log.String())
	}
}
