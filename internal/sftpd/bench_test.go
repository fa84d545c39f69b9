package sftpd

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

const benchSize = 64 << 20

// benchTransfers uploads and downloads 64 MiB with the pkg/sftp client
// (concurrent requests, as real clients do).
func benchTransfers(b *testing.B, c *sftp.Client, dir string) {
	data := randomBytes(b, benchSize)
	p := dir + "/bench.bin"
	b.Run("upload", func(b *testing.B) {
		b.SetBytes(benchSize)
		for b.Loop() {
			if err := put(c, p, data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("download", func(b *testing.B) {
		if err := put(c, p, data); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(benchSize)
		for b.Loop() {
			f, err := c.Open(p)
			if err != nil {
				b.Fatal(err)
			}
			n, err := f.WriteTo(io.Discard)
			f.Close()
			if err != nil || n != benchSize {
				b.Fatalf("%d %v", n, err)
			}
		}
	})
}

// BenchmarkSFTP moves 64 MiB through our server on loopback.
func BenchmarkSFTP(b *testing.B) {
	e := newEnv(b, envOpts{})
	e.addUser(b, "bench", userKey{}, nil)
	benchTransfers(b, e.sftpClient(b, "bench", ssh.Password(testPassword)), "")
}

// BenchmarkOpenSSHPeer runs the same transfers against OpenSSH's sshd
// (internal-sftp) on loopback, as the reference to compare with. It is
// skipped when sshd is not installed.
func BenchmarkOpenSSHPeer(b *testing.B) {
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/sshd"); serr != nil {
			b.Skip("sshd not installed")
		}
		sshd = "/usr/sbin/sshd"
	}
	dir := b.TempDir()
	key := newUserKey(b)
	hostKey := filepath.Join(sharedConfigDir, "id_ed25519")
	if _, _, err := loadHostKeys(sharedConfigDir, []string{"id_ed25519"}); err != nil {
		b.Fatal(err)
	}
	authz := filepath.Join(dir, "authorized_keys")
	os.WriteFile(authz, []byte(key.authz+"\n"), 0o600)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfg := filepath.Join(dir, "sshd_config")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`ListenAddress 127.0.0.1
Port %d
HostKey %s
AuthorizedKeysFile %s
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin yes
UsePAM no
StrictModes no
PidFile none
Subsystem sftp internal-sftp
`, port, hostKey, authz)), 0o600)
	os.MkdirAll("/run/sshd", 0o755)
	cmd := exec.Command(sshd, "-f", cfg, "-D", "-e")
	if err := cmd.Start(); err != nil {
		b.Skipf("sshd: %v", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var conn *ssh.Client
	for i := 0; i < 50; i++ {
		conn, err = ssh.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port), &ssh.ClientConfig{
			User: currentUser(), Auth: []ssh.AuthMethod{ssh.PublicKeys(key.signer)},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		})
		if err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		b.Skipf("cannot log in to sshd: %v", err)
	}
	defer conn.Close()
	c, err := sftp.NewClient(conn, sftp.UseConcurrentWrites(true), sftp.UseConcurrentReads(true))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	benchTransfers(b, c, dir)
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "root"
}

// BenchmarkSFTPEncrypted moves 64 MiB into a folder on encrypted storage:
// uploads go through the reorder buffer (the backend takes streams only).
func BenchmarkSFTPEncrypted(b *testing.B) {
	e := newEnv(b, envOpts{})
	folder := dataprovider.BaseVirtualFolder{
		Name: "vault", MappedPath: filepath.Join(e.base, "vault"),
		FsConfig: dataprovider.Filesystem{Provider: dataprovider.CryptedFilesystemProvider,
			CryptConfig: dataprovider.CryptConfig{Passphrase: kms.NewPlainSecret("bench passphrase")}},
	}
	if err := e.store.AddFolder(b.Context(), &folder); err != nil {
		b.Fatal(err)
	}
	e.addUser(b, "bench", userKey{}, func(u *dataprovider.User) {
		u.VirtualFolders = []dataprovider.VirtualFolder{{BaseVirtualFolder: dataprovider.BaseVirtualFolder{Name: "vault"},
			VirtualPath: "/vault", QuotaSize: -1, QuotaFiles: -1}}
	})
	benchTransfers(b, e.sftpClient(b, "bench", ssh.Password(testPassword)), "/vault")
}
