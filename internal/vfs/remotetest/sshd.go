package remotetest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"
)

// Key is an SSH key pair.
type Key struct {
	Signer  ssh.Signer
	PEM     string // OpenSSH private key, unencrypted
	Authz   string // authorized_keys line
	Private ed25519.PrivateKey
}

// NewKey generates an ed25519 key.
func NewKey(t testing.TB) Key {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	return Key{Signer: signer, PEM: string(pem.EncodeToMemory(block)),
		Authz: string(ssh.MarshalAuthorizedKey(signer.PublicKey())), Private: priv}
}

// SSHD is an OpenSSH sshd with internal-sftp on loopback, accepting the
// current user (root: PermitRootLogin prohibit-password) with Key.
type SSHD struct {
	Addr        string
	User        string
	Key         Key
	HostKey     ssh.PublicKey
	HostPubFile string // host public key file, for ssh-keygen -l
	Dir         string // the server's own files
}

// Fingerprint is the host key's SHA256 fingerprint as ssh-keygen prints it.
func (s *SSHD) Fingerprint() string { return ssh.FingerprintSHA256(s.HostKey) }

// StartSSHD runs /usr/sbin/sshd -D -e with a generated host key until
// the test ends.
func StartSSHD(t testing.TB) *SSHD {
	t.Helper()
	bin := RequireTool(t, "/usr/sbin/sshd")
	keygen := RequireTool(t, "ssh-keygen")
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("cannot create /run/sshd: %v", err)
		}
		t.Fatal(err)
	}
	dir := t.TempDir()
	hostKey := filepath.Join(dir, "host_key")
	if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", hostKey).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	pubData, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	hostPub, _, _, _, err := ssh.ParseAuthorizedKey(pubData)
	if err != nil {
		t.Fatal(err)
	}
	key := NewKey(t)
	authz := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authz, []byte(key.Authz), 0o600); err != nil {
		t.Fatal(err)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	port := FreePort(t)
	cfg := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile %s
Subsystem sftp internal-sftp
MaxSessions 100
MaxStartups 100
`, port, hostKey, authz, filepath.Join(dir, "sshd.pid"))
	cfgPath := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "sshd.log")
	lf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", cfgPath, "-D", "-e")
	cmd.Stderr = lf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logs := func() string {
		b, _ := os.ReadFile(logPath)
		return string(b)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		lf.Close()
		if t.Failed() {
			t.Logf("sshd log:\n%s", logs())
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitBanner(t, addr, false, logs)
	return &SSHD{Addr: addr, User: u.Username, Key: key, HostKey: hostPub, HostPubFile: hostKey + ".pub", Dir: dir}
}
