package sftpd

import (
	"errors"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func TestRoundTripKeyAndPassword(t *testing.T) {
	e := newEnv(t, envOpts{})
	key := newUserKey(t)
	u := e.addUser(t, "alice", key, nil)
	data := randomBytes(t, 5<<20)
	for name, auth := range map[string]ssh.AuthMethod{
		"key":      ssh.PublicKeys(key.signer),
		"password": ssh.Password(testPassword),
	} {
		t.Run(name, func(t *testing.T) {
			c := e.sftpClient(t, "alice", auth)
			p := "/file-" + name
			if err := put(c, p, data); err != nil {
				t.Fatal(err)
			}
			got, err := get(c, p)
			if err != nil {
				t.Fatal(err)
			}
			if sha(got) != sha(data) {
				t.Fatal("downloaded data differs")
			}
			onDisk, err := os.ReadFile(filepath.Join(u.HomeDir, p))
			if err != nil || sha(onDisk) != sha(data) {
				t.Fatalf("stored data differs: %v", err)
			}
		})
	}
	if su, _ := e.store.GetUser(t.Context(), "alice"); su.UsedQuotaFiles != 2 || su.UsedQuotaSize != 2*int64(len(data)) {
		t.Fatalf("quota usage %d files %d bytes", su.UsedQuotaFiles, su.UsedQuotaSize)
	}
}

func TestWrongPasswordRefused(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "bob", userKey{}, nil)
	if _, err := e.dial(t, "bob", ssh.Password("wrong")); err == nil {
		t.Fatal("wrong password accepted")
	}
	if _, err := e.dial(t, "nobody", ssh.Password("x")); err == nil {
		t.Fatal("unknown user accepted")
	}
	logs := e.logs.String()
	for _, want := range []string{`"msg":"connection failed"`, `"username":"bob"`, `"login_type":"password"`, `"protocol":"SSH"`, `"client_ip":"127.0.0.1"`} {
		if !strings.Contains(logs, want) {
			t.Fatalf("failed-login line lacks %s:\n%s", want, logs)
		}
	}
	if n := strings.Count(logs, `"username":"bob"`); n != 1 {
		t.Fatalf("%d failed-login lines for one attempt", n)
	}
}

func TestOperations(t *testing.T) {
	e := newEnv(t, envOpts{common: config.CommonConfig{SymlinkMode: 1}})
	e.addUser(t, "carol", userKey{}, nil)
	c := e.sftpClient(t, "carol", ssh.Password(testPassword))
	if err := c.Mkdir("/dir"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mkdir("/dir"); err == nil {
		t.Fatal("mkdir of an existing dir succeeded")
	}
	if err := put(c, "/dir/a.txt", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	fi, err := c.Stat("/dir/a.txt")
	if err != nil || fi.Size() != 5 || fi.IsDir() {
		t.Fatalf("stat: %v %v", fi, err)
	}
	if _, err := c.Stat("/missing"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stat missing: %v", err)
	}
	if err := c.Rename("/dir/a.txt", "/dir/b.txt"); err != nil {
		t.Fatal(err)
	}
	if err := put(c, "/dir/c.txt", []byte("c")); err != nil {
		t.Fatal(err)
	}
	if err := c.PosixRename("/dir/c.txt", "/dir/b.txt"); err != nil {
		t.Fatalf("posix rename over a file: %v", err)
	}
	if err := c.Symlink("b.txt", "/dir/link"); err != nil {
		t.Fatal(err)
	}
	if target, err := c.ReadLink("/dir/link"); err != nil || path.Base(target) != "b.txt" {
		t.Fatalf("readlink: %q %v", target, err)
	}
	if lfi, err := c.Lstat("/dir/link"); err != nil || lfi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("lstat: %v %v", lfi, err)
	}
	if err := c.Chmod("/dir/b.txt", 0o640); err != nil {
		t.Fatal(err)
	}
	if fi, _ := c.Stat("/dir/b.txt"); fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode after chmod: %v", fi.Mode())
	}
	mtime := time.Date(2021, 5, 6, 7, 8, 9, 0, time.UTC)
	if err := c.Chtimes("/dir/b.txt", mtime, mtime); err != nil {
		t.Fatal(err)
	}
	if fi, _ := c.Stat("/dir/b.txt"); !fi.ModTime().Equal(mtime) {
		t.Fatalf("mtime %v", fi.ModTime())
	}
	if err := c.Link("/dir/b.txt", "/dir/hard"); err != nil {
		t.Fatalf("hardlink: %v", err)
	}
	entries, err := c.ReadDir("/dir")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fi := range entries {
		names = append(names, fi.Name())
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"b.txt", "hard", "link"}) {
		t.Fatalf("listing: %v", names)
	}
	if err := c.RemoveDirectory("/dir"); err == nil {
		t.Fatal("rmdir of a non-empty dir succeeded")
	}
	for _, n := range names {
		if err := c.Remove("/dir/" + n); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.RemoveDirectory("/dir"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StatVFS("/"); err != nil {
		t.Fatalf("statvfs: %v", err)
	}
	if st := e.common.Connections(); len(st) != 1 || st[0].Username != "carol" || st[0].Protocol != "SFTP" {
		t.Fatalf("connections: %+v", st)
	}
}

func TestChrootAndReadOnly(t *testing.T) {
	e := newEnv(t, envOpts{})
	u := e.addUser(t, "dave", userKey{}, func(u *dataprovider.User) {
		u.Permissions["/ro"] = []string{dataprovider.PermListItems, dataprovider.PermDownload}
	})
	os.MkdirAll(filepath.Join(u.HomeDir, "ro"), 0o755)
	os.WriteFile(filepath.Join(u.HomeDir, "ro", "f"), []byte("data"), 0o644)
	c := e.sftpClient(t, "dave", ssh.Password(testPassword))
	for _, p := range []string{"../../..", "/../..", "../../../etc"} {
		rp, err := c.RealPath(p)
		if err != nil {
			t.Fatal(err)
		}
		if rp != "/" && rp != "/etc" {
			t.Fatalf("realpath %q = %q", p, rp)
		}
	}
	if _, err := c.Stat("/../../../../etc/passwd"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("escape: %v", err)
	}
	err := put(c, "/ro/new", []byte("x"))
	if !errors.Is(err, os.ErrPermission) {
		t.Fatalf("upload into read-only dir: %v", err)
	}
	if err := c.Remove("/ro/f"); !errors.Is(err, os.ErrPermission) {
		t.Fatalf("remove in read-only dir: %v", err)
	}
	if err := c.Mkdir("/ro/d"); !errors.Is(err, os.ErrPermission) {
		t.Fatalf("mkdir in read-only dir: %v", err)
	}
	if b, err := get(c, "/ro/f"); err != nil || string(b) != "data" {
		t.Fatalf("download from read-only dir: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(u.HomeDir, "ro", "new")); !os.IsNotExist(err) {
		t.Fatal("refused upload left a file")
	}
}

func TestQuotaAtomicUpload(t *testing.T) {
	e := newEnv(t, envOpts{common: config.CommonConfig{UploadMode: 1}})
	u := e.addUser(t, "erin", userKey{}, func(u *dataprovider.User) { u.QuotaSize = 1 << 20 })
	c := e.sftpClient(t, "erin", ssh.Password(testPassword))
	err := put(c, "/big", randomBytes(t, 3<<20))
	if err == nil {
		t.Fatal("upload over quota succeeded")
	}
	var se *sftp.StatusError
	if !errors.As(err, &se) || se.FxCode() != sftp.ErrSSHFxFailure || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("error: %T %v", err, err)
	}
	entries, _ := os.ReadDir(u.HomeDir)
	if len(entries) != 0 {
		t.Fatalf("files left after a refused upload: %v", entries)
	}
	if err := put(c, "/small", randomBytes(t, 100_000)); err != nil {
		t.Fatalf("upload within quota: %v", err)
	}
}

func TestMultiStepAuth(t *testing.T) {
	e := newEnv(t, envOpts{})
	key := newUserKey(t)
	e.addUser(t, "frank", key, func(u *dataprovider.User) {
		u.Filters.DeniedLoginMethods = []string{dataprovider.LoginMethodPublicKey, dataprovider.LoginMethodPassword,
			dataprovider.LoginMethodKeyboardInteractive}
	})
	if _, err := e.dial(t, "frank", ssh.PublicKeys(key.signer)); err == nil {
		t.Fatal("public key alone accepted")
	}
	if _, err := e.dial(t, "frank", ssh.Password(testPassword)); err == nil {
		t.Fatal("password alone accepted")
	}
	c, err := e.dial(t, "frank", ssh.PublicKeys(key.signer), ssh.Password(testPassword))
	if err != nil {
		t.Fatalf("publickey+password: %v", err)
	}
	c.Close()
	kbd := ssh.KeyboardInteractive(func(name, instruction string, questions []string, echos []bool) ([]string, error) {
		return []string{testPassword}, nil
	})
	c, err = e.dial(t, "frank", ssh.PublicKeys(key.signer), kbd)
	if err != nil {
		t.Fatalf("publickey+keyboard-interactive: %v", err)
	}
	c.Close()
	if _, err := e.dial(t, "frank", ssh.PublicKeys(key.signer), ssh.Password("wrong")); err == nil {
		t.Fatal("publickey+wrong password accepted")
	}
}

func TestKeyboardInteractive(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "gina", userKey{}, nil)
	var asked []string
	kbd := func(pw string) ssh.AuthMethod {
		return ssh.KeyboardInteractive(func(name, instruction string, questions []string, echos []bool) ([]string, error) {
			asked = append(asked, questions...)
			return []string{pw}, nil
		})
	}
	c, err := e.dial(t, "gina", kbd(testPassword))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if len(asked) != 1 || asked[0] != "Password: " {
		t.Fatalf("questions: %q", asked)
	}
	if _, err := e.dial(t, "gina", kbd("nope")); err == nil {
		t.Fatal("wrong keyboard-interactive password accepted")
	}
}

func TestHostKeysPersisted(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, envOpts{})
	fingerprints := func() []string {
		s, err := New(config.SFTPDConfig{}, e.common, e.store, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		var fps []string
		for _, p := range s.HostKeyPaths() {
			fi, err := os.Stat(p)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("host key %s: %v %v", p, fi.Mode(), err)
			}
			data, _ := os.ReadFile(p)
			sg, err := ssh.ParsePrivateKey(data)
			if err != nil {
				t.Fatal(err)
			}
			fps = append(fps, ssh.FingerprintSHA256(sg.PublicKey()))
		}
		return fps
	}
	first := fingerprints()
	if len(first) != 3 {
		t.Fatalf("%d host keys", len(first))
	}
	if second := fingerprints(); !slices.Equal(first, second) {
		t.Fatalf("host keys changed across restarts: %v %v", first, second)
	}
}

func TestInvalidAlgorithms(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, cfg := range []config.SFTPDConfig{
		{Ciphers: []string{"rot13"}},
		{KexAlgorithms: []string{"nope"}},
		{MACs: []string{"md4"}},
		{HostKeyAlgorithms: []string{"ssh-foo"}},
	} {
		if _, err := New(cfg, e.common, e.store, sharedConfigDir, nil); err == nil || !strings.Contains(err.Error(), "unsupported") {
			t.Fatalf("%+v: %v", cfg, err)
		}
	}
	s, err := New(config.SFTPDConfig{Ciphers: []string{"aes128-ctr"}, HostKeyAlgorithms: []string{"ssh-ed25519"}}, e.common, e.store, sharedConfigDir, nil)
	if err != nil || s == nil {
		t.Fatalf("valid algorithms: %v", err)
	}
}
