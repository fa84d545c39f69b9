package sftpd

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// requireTool finds an OpenSSH client tool; a missing tool skips the test
// locally and fails it in CI.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

func (e *env) sshArgs(t *testing.T, key string) []string {
	host, port, _ := net.SplitHostPort(e.addr)
	_ = host
	args := []string{"-P", port,
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10"}
	if key != "" {
		args = append(args, "-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
			"-o", "PreferredAuthentications=publickey")
	} else {
		args = append(args, "-o", "PreferredAuthentications=password,keyboard-interactive",
			"-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1")
	}
	return args
}

// askpassEnv makes OpenSSH read the password from a helper script.
func askpassEnv(t *testing.T, password string) []string {
	script := filepath.Join(t.TempDir(), "askpass.sh")
	os.WriteFile(script, []byte("#!/bin/sh\necho '"+password+"'\n"), 0o700)
	return append(os.Environ(), "SSH_ASKPASS="+script, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=none")
}

func TestOpenSSHSFTPClient(t *testing.T) {
	sftpBin := requireTool(t, "sftp")
	e := newEnv(t, envOpts{common: config.CommonConfig{SymlinkMode: 1}})
	key := newUserKey(t)
	u := e.addUser(t, "olivia", key, nil)
	work := t.TempDir()
	data := randomBytes(t, 5<<20)
	local := filepath.Join(work, "up.bin")
	os.WriteFile(local, data, 0o644)

	t.Run("key", func(t *testing.T) {
		batch := filepath.Join(work, "batch")
		os.WriteFile(batch, []byte(fmt.Sprintf(`mkdir dir
cd dir
put %s key.bin
rename key.bin renamed.bin
ln -s renamed.bin link
chmod 600 renamed.bin
get renamed.bin %s
cd ../../..
pwd
ls -l
`, local, filepath.Join(work, "down-key.bin"))), 0o644)
		args := append(e.sshArgs(t, key.path), "-b", batch, "olivia@127.0.0.1")
		out, err := exec.Command(sftpBin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("sftp: %v\n%s", err, out)
		}
		got, _ := os.ReadFile(filepath.Join(work, "down-key.bin"))
		if sha(got) != sha(data) {
			t.Fatalf("downloaded data differs\n%s", out)
		}
		if !strings.Contains(string(out), "Remote working directory: /\n") {
			t.Fatalf("cd ../../.. left the home:\n%s", out)
		}
		fi, err := os.Stat(filepath.Join(u.HomeDir, "dir", "renamed.bin"))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("stored file: %v %v", fi, err)
		}
		if target, err := os.Readlink(filepath.Join(u.HomeDir, "dir", "link")); err != nil || filepath.Base(target) != "renamed.bin" {
			t.Fatalf("symlink: %q %v", target, err)
		}
	})
	t.Run("password", func(t *testing.T) {
		down := filepath.Join(work, "down-pw.bin")
		args := append(e.sshArgs(t, ""), "olivia@127.0.0.1")
		cmd := exec.Command(sftpBin, args...)
		cmd.Env = askpassEnv(t, testPassword)
		cmd.Stdin = strings.NewReader(fmt.Sprintf("put %s pw.bin\nget pw.bin %s\nbye\n", local, down))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sftp: %v\n%s", err, out)
		}
		got, _ := os.ReadFile(down)
		if sha(got) != sha(data) {
			t.Fatalf("downloaded data differs\n%s", out)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		args := append(e.sshArgs(t, ""), "olivia@127.0.0.1")
		cmd := exec.Command(sftpBin, args...)
		cmd.Env = askpassEnv(t, "wrong")
		cmd.Stdin = strings.NewReader("ls\nbye\n")
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Fatalf("wrong password accepted:\n%s", out)
		}
	})
}
