package sftpd

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha512"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func runCommand(t *testing.T, c *ssh.Client, cmd string, stdin []byte) (string, error) {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if stdin != nil {
		sess.Stdin = bytes.NewReader(stdin)
	}
	var out, errOut bytes.Buffer
	sess.Stdout, sess.Stderr = &out, &errOut
	err = sess.Run(cmd)
	return out.String() + errOut.String(), err
}

func TestSSHCommands(t *testing.T) {
	e := newEnv(t, envOpts{})
	u := e.addUser(t, "paul", userKey{}, func(u *dataprovider.User) {
		u.Permissions["/nodl"] = []string{dataprovider.PermListItems}
	})
	data := []byte("hash me\n")
	os.MkdirAll(filepath.Join(u.HomeDir, "nodl"), 0o755)
	os.WriteFile(filepath.Join(u.HomeDir, "f.txt"), data, 0o644)
	os.WriteFile(filepath.Join(u.HomeDir, "nodl", "x"), data, 0o644)
	c, err := e.dial(t, "paul", ssh.Password(testPassword))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, err := runCommand(t, c, "sha256sum f.txt", nil)
	if want := fmt.Sprintf("%x  f.txt\n", sha(data)); err != nil || out != want {
		t.Fatalf("sha256sum: %q %v, want %q", out, err, want)
	}
	out, err = runCommand(t, c, "md5sum /f.txt", nil)
	if want := fmt.Sprintf("%x  /f.txt\n", md5.Sum(data)); err != nil || out != want {
		t.Fatalf("md5sum: %q %v", out, err)
	}
	out, err = runCommand(t, c, "sha512sum", data)
	if want := fmt.Sprintf("%x  -\n", sha512.Sum512(data)); err != nil || out != want {
		t.Fatalf("sha512sum stdin: %q %v", out, err)
	}
	if out, err := runCommand(t, c, "sha1sum /nodl/x", nil); err == nil || !strings.Contains(out, "permission denied") {
		t.Fatalf("sha1sum without download permission: %q %v", out, err)
	}
	if out, err := runCommand(t, c, "pwd", nil); err != nil || out != "/\n" {
		t.Fatalf("pwd: %q %v", out, err)
	}
	if _, err := runCommand(t, c, "cd /tmp", nil); err != nil {
		t.Fatalf("cd: %v", err)
	}
	for _, cmd := range []string{"ls /", "rm -rf /", "bash -c id", "scp -x /"} {
		if _, err := runCommand(t, c, cmd, nil); err == nil {
			t.Fatalf("%q accepted", cmd)
		}
	}
}

func TestSSHCommandsDisabled(t *testing.T) {
	e := newEnv(t, envOpts{sftpd: func(c *config.SFTPDConfig) { c.EnabledSSHCommands = []string{"pwd"} }})
	e.addUser(t, "quentin", userKey{}, nil)
	c, err := e.dial(t, "quentin", ssh.Password(testPassword))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := runCommand(t, c, "sha256sum x", nil); err == nil {
		t.Fatal("disabled command accepted")
	}
	if out, err := runCommand(t, c, "pwd", nil); err != nil || out != "/\n" {
		t.Fatalf("pwd: %q %v", out, err)
	}
}

func TestSplitCommand(t *testing.T) {
	cases := map[string][]string{
		`scp -t /a`:         {"scp", "-t", "/a"},
		`scp -t '/a b'`:     {"scp", "-t", "/a b"},
		`scp -f "/x \"y\""`: {"scp", "-f", `/x "y"`},
		`sha256sum a\ b  c`: {"sha256sum", "a b", "c"},
		`  pwd  `:           {"pwd"},
	}
	for in, want := range cases {
		got, err := splitCommand(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	if _, err := splitCommand(`a 'b`); err == nil {
		t.Error("unterminated quote accepted")
	}
}

// FuzzSplitCommand: untrusted exec lines never panic, and words never
// contain the separators they were split on unless quoted.
func FuzzSplitCommand(f *testing.F) {
	f.Add(`scp -r -t '/a b' "c"`)
	f.Add(`sha256sum a\ b`)
	f.Fuzz(func(t *testing.T, s string) {
		args, err := splitCommand(s)
		if err != nil {
			return
		}
		if !strings.ContainsAny(s, "'\"\\") {
			for _, a := range args {
				if a == "" || strings.ContainsAny(a, " \t\n") {
					t.Fatalf("%q split into %q", s, args)
				}
			}
		}
		parseSCP(args)
	})
}

// FuzzSCPHeader: C/D headers from the client never yield a name that
// leaves the current directory.
func FuzzSCPHeader(f *testing.F) {
	f.Add("0644 12 file.txt")
	f.Add("0755 0 ..")
	f.Fuzz(func(t *testing.T, h string) {
		_, size, name, err := parseSCPHeader(h)
		if err != nil {
			return
		}
		if size < 0 || name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
			t.Fatalf("%q accepted: size %d name %q", h, size, name)
		}
	})
}

func TestOpenSSHSCP(t *testing.T) {
	scpBin := requireTool(t, "scp")
	e := newEnv(t, envOpts{})
	key := newUserKey(t)
	u := e.addUser(t, "rose", key, func(u *dataprovider.User) {
		u.Permissions["/ro"] = []string{dataprovider.PermListItems, dataprovider.PermDownload}
	})
	os.MkdirAll(filepath.Join(u.HomeDir, "ro"), 0o755)
	src := t.TempDir()
	data := randomBytes(t, 5<<20)
	os.MkdirAll(filepath.Join(src, "tree", "sub"), 0o755)
	os.WriteFile(filepath.Join(src, "tree", "big.bin"), data, 0o640)
	os.WriteFile(filepath.Join(src, "tree", "sub", "small.txt"), []byte("small"), 0o600)
	old := time.Date(2019, 3, 4, 5, 6, 7, 0, time.UTC)
	os.Chtimes(filepath.Join(src, "tree", "big.bin"), old, old)

	for _, mode := range []string{"legacy", "sftp"} {
		t.Run(mode, func(t *testing.T) {
			base := e.sshArgs(t, key.path)
			if mode == "legacy" {
				base = append(base, "-O")
			}
			remote := "up-" + mode
			// upload a tree with -r -p
			args := append(slices.Clone(base), "-r", "-p", filepath.Join(src, "tree"), "rose@127.0.0.1:/"+remote)
			if out, err := exec.Command(scpBin, args...).CombinedOutput(); err != nil {
				t.Fatalf("scp upload: %v\n%s\n%s", err, out, e.logs.String())
			}
			stored := filepath.Join(u.HomeDir, remote, "big.bin")
			b, err := os.ReadFile(stored)
			if err != nil || sha(b) != sha(data) {
				t.Fatalf("uploaded data differs: %v", err)
			}
			if fi, _ := os.Stat(stored); !fi.ModTime().Equal(old) || fi.Mode().Perm() != 0o640 {
				t.Fatalf("-p not applied: %v %v", fi.ModTime(), fi.Mode())
			}
			if b, _ := os.ReadFile(filepath.Join(u.HomeDir, remote, "sub", "small.txt")); string(b) != "small" {
				t.Fatalf("nested file: %q", b)
			}
			// download it back
			dst := t.TempDir()
			args = append(slices.Clone(base), "-r", "-p", "rose@127.0.0.1:/"+remote, dst)
			if out, err := exec.Command(scpBin, args...).CombinedOutput(); err != nil {
				t.Fatalf("scp download: %v\n%s", err, out)
			}
			b, _ = os.ReadFile(filepath.Join(dst, remote, "big.bin"))
			if sha(b) != sha(data) {
				t.Fatal("downloaded data differs")
			}
			if fi, _ := os.Stat(filepath.Join(dst, remote, "big.bin")); !fi.ModTime().Equal(old) {
				t.Fatalf("download -p mtime %v", fi.ModTime())
			}
			// a read-only directory refuses uploads
			args = append(slices.Clone(base), filepath.Join(src, "tree", "sub", "small.txt"), "rose@127.0.0.1:/ro/")
			if out, err := exec.Command(scpBin, args...).CombinedOutput(); err == nil {
				t.Fatalf("upload into read-only dir succeeded:\n%s", out)
			}
			if _, err := os.Stat(filepath.Join(u.HomeDir, "ro", "small.txt")); !os.IsNotExist(err) {
				t.Fatal("refused upload left a file")
			}
		})
	}
}

func TestOpenSSHSCPQuota(t *testing.T) {
	scpBin := requireTool(t, "scp")
	e := newEnv(t, envOpts{common: config.CommonConfig{UploadMode: 1}})
	key := newUserKey(t)
	u := e.addUser(t, "sven", key, func(u *dataprovider.User) { u.QuotaSize = 1 << 20 })
	src := filepath.Join(t.TempDir(), "big.bin")
	os.WriteFile(src, randomBytes(t, 3<<20), 0o644)
	small := filepath.Join(t.TempDir(), "small.bin")
	os.WriteFile(small, []byte("fits"), 0o644)
	args := append(e.sshArgs(t, key.path), "-O", src, small, "sven@127.0.0.1:/")
	out, err := exec.Command(scpBin, args...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "limit") {
		t.Fatalf("scp over quota: %v\n%s", err, out)
	}
	entries, _ := os.ReadDir(u.HomeDir)
	if len(entries) != 1 || entries[0].Name() != "small.bin" {
		t.Fatalf("home after a refused scp upload: %v", entries)
	}
}

// TestOpenSSHSCPDownloadErrors: `scp -O` downloads of a missing, refused
// or non-regular file end at once with the error and a non-zero exit;
// OpenSSH's client never acknowledges a warning, so a server that waits
// for one hangs it. Files named next to the failing one still arrive.
func TestOpenSSHSCPDownloadErrors(t *testing.T) {
	scpBin := requireTool(t, "scp")
	e := newEnv(t, envOpts{})
	key := newUserKey(t)
	u := e.addUser(t, "wendy", key, func(u *dataprovider.User) {
		u.Permissions["/secret"] = []string{dataprovider.PermListItems}
	})
	os.MkdirAll(filepath.Join(u.HomeDir, "secret"), 0o755)
	os.MkdirAll(filepath.Join(u.HomeDir, "dir"), 0o755)
	os.WriteFile(filepath.Join(u.HomeDir, "secret", "s.txt"), []byte("secret"), 0o644)
	os.WriteFile(filepath.Join(u.HomeDir, "ok.txt"), []byte("fine"), 0o644)

	cases := []struct {
		name    string
		remote  []string
		message string
	}{
		{"missing", []string{"/nope.txt"}, "nope.txt: no such file or directory"},
		{"refused", []string{"/secret/s.txt"}, "s.txt: permission denied"},
		{"directory without -r", []string{"/dir"}, "dir: not a regular file"},
		{"missing then present", []string{"/nope.txt", "/ok.txt"}, "nope.txt: no such file or directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dst := t.TempDir()
			args := append(e.sshArgs(t, key.path), "-O")
			for _, r := range tc.remote {
				args = append(args, "wendy@127.0.0.1:"+r)
			}
			args = append(args, dst)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, scpBin, args...).CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("scp -O hung on a failed download (killed after 30s):\n%s", out)
			}
			if err == nil {
				t.Fatalf("scp -O succeeded:\n%s", out)
			}
			if !strings.Contains(strings.ToLower(string(out)), tc.message) {
				t.Fatalf("scp output lacks %q:\n%s", tc.message, out)
			}
			if slices.Contains(tc.remote, "/ok.txt") {
				if b, err := os.ReadFile(filepath.Join(dst, "ok.txt")); err != nil || string(b) != "fine" {
					t.Fatalf("the file after the failing one: %q %v", b, err)
				}
			}
		})
	}
}
