package sftpfs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/connpool"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/remotetest"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/sftpfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

func sshdConfig(s *remotetest.SSHD, prefix string) sftpfs.Config {
	return sftpfs.Config{
		Endpoint:     s.Addr,
		Username:     s.User,
		PrivateKey:   s.Key.PEM,
		Fingerprints: []string{s.Fingerprint()},
		Prefix:       prefix,
	}
}

func (o *ownServer) config(prefix string) sftpfs.Config {
	return sftpfs.Config{Endpoint: o.addr, Username: o.user, Password: o.password, Prefix: prefix}
}

func TestConformanceOpenSSH(t *testing.T) {
	srv := remotetest.StartSSHD(t)
	base := t.TempDir()
	// One shared connection for the whole suite, as sessions of one user
	// would share it.
	conns := connpool.NewShared(time.Minute)
	t.Cleanup(func() { conns.Close() })
	vfstest.Run(t, func(t *testing.T) vfs.Fs {
		cfg := sshdConfig(srv, filepath.Join(base, remotetest.ShortName(t)))
		cfg.Conns = conns
		fsys, err := sftpfs.New(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return fsys
	}, vfstest.Chmod, vfstest.Chown, vfstest.Chtimes, vfstest.Link, vfstest.StatVFS, vfstest.Symlink, vfstest.Truncate, vfstest.Append)
}

func TestConformanceOwnServer(t *testing.T) {
	srv := startOwnServer(t)
	vfstest.Run(t, func(t *testing.T) vfs.Fs {
		fsys, err := sftpfs.New(t.Context(), srv.config("/"+remotetest.ShortName(t)))
		if err != nil {
			t.Fatal(err)
		}
		return fsys
	}, vfstest.Chmod, vfstest.Chown, vfstest.Chtimes, vfstest.Link, vfstest.StatVFS, vfstest.Symlink, vfstest.Truncate, vfstest.Append)
}

// TestPrefix checks files land under the prefix on the remote and that
// no path reaches above it.
func TestPrefix(t *testing.T) {
	srv := remotetest.StartSSHD(t)
	root := t.TempDir()
	outside := filepath.Join(root, "outside")
	if err := os.WriteFile(outside, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(root, "users", "alice")
	fsys, err := sftpfs.New(t.Context(), sshdConfig(srv, prefix))
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	data := vfstest.RandomData(t, 3<<20+11)
	vfstest.WriteFile(t, fsys, "/../../dir-escape", data)
	got, err := os.ReadFile(filepath.Join(prefix, "dir-escape"))
	if err != nil || sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("file not under the prefix: %v", err)
	}
	if _, err := fsys.Stat(t.Context(), "/../outside"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat(/../outside) = %v, want fs.ErrNotExist (the root is the prefix)", err)
	}
	if err := fsys.Remove(t.Context(), "/"); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("Remove(/) = %v", err)
	}
	// A link planted on the remote pointing outside is not disclosed.
	if err := os.Symlink(outside, filepath.Join(prefix, "planted")); err != nil {
		t.Fatal(err)
	}
	if target, err := fsys.Readlink(t.Context(), "/planted"); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("Readlink of a link leaving the prefix = %q, %v; want fs.ErrPermission", target, err)
	}
	// Errors name the Fs path, not the remote one.
	_, err = fsys.Stat(t.Context(), "/missing")
	if err == nil || strings.Contains(err.Error(), root) {
		t.Fatalf("error discloses the remote path: %v", err)
	}
}

func TestHostKeyPinning(t *testing.T) {
	srv := remotetest.StartSSHD(t)
	keygen := remotetest.RequireTool(t, "ssh-keygen")
	out, err := exec.Command(keygen, "-l", "-f", srv.HostPubFile).Output()
	if err != nil {
		t.Fatal(err)
	}
	md5, err := exec.Command(keygen, "-l", "-E", "md5", "-f", srv.HostPubFile).Output()
	if err != nil {
		t.Fatal(err)
	}
	other := remotetest.NewKey(t)
	cases := []struct {
		name string
		fps  []string
		ok   bool
	}{
		{"ssh-keygen -l line", []string{strings.TrimSpace(string(out))}, true},
		{"bare SHA256", []string{ssh.FingerprintSHA256(srv.HostKey)}, true},
		{"MD5 among others", []string{ssh.FingerprintSHA256(other.Signer.PublicKey()), strings.Fields(string(md5))[1]}, true},
		{"wrong key", []string{ssh.FingerprintSHA256(other.Signer.PublicKey())}, false},
		{"none pinned", nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := sshdConfig(srv, t.TempDir())
			cfg.Fingerprints = c.fps
			fsys, err := sftpfs.New(t.Context(), cfg)
			if c.ok {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				fsys.Close()
				return
			}
			if !errors.Is(err, sftpfs.ErrHostKeyMismatch) {
				t.Fatalf("New with a wrong fingerprint: %v, want ErrHostKeyMismatch", err)
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	own := startOwnServer(t)
	ossh := remotetest.StartSSHD(t)
	t.Run("password", func(t *testing.T) {
		fsys, err := sftpfs.New(t.Context(), own.config("/p"))
		if err != nil {
			t.Fatal(err)
		}
		vfstest.WriteFile(t, fsys, "/f", []byte("x"))
		fsys.Close()
		if b, err := os.ReadFile(filepath.Join(own.home, "p", "f")); err != nil || string(b) != "x" {
			t.Fatalf("file on our server: %q, %v", b, err)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		cfg := own.config("/p")
		cfg.Password = "nope"
		if fsys, err := sftpfs.New(t.Context(), cfg); err == nil {
			fsys.Close()
			t.Fatal("login with a wrong password succeeded")
		}
	})
	t.Run("encrypted key", func(t *testing.T) {
		block, err := ssh.MarshalPrivateKeyWithPassphrase(ossh.Key.Private, "", []byte("key-pass"))
		if err != nil {
			t.Fatal(err)
		}
		cfg := sshdConfig(ossh, t.TempDir())
		cfg.PrivateKey = string(pem.EncodeToMemory(block))
		cfg.KeyPassphrase = "key-pass"
		fsys, err := sftpfs.New(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		fsys.Close()
		cfg.KeyPassphrase = "wrong"
		if _, err := sftpfs.New(t.Context(), cfg); err == nil {
			t.Fatal("a wrong key passphrase was accepted")
		}
	})
	t.Run("key and password, key refused", func(t *testing.T) {
		cfg := own.config("/p")
		cfg.PrivateKey = remotetest.NewKey(t).PEM // not authorized: the password is tried next
		fsys, err := sftpfs.New(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		fsys.Close()
	})
}

// TestConnectionReuse: every Fs of one user rides one SSH connection,
// which outlives them by the linger time; a dead connection is redialled.
func TestConnectionReuse(t *testing.T) {
	srv := remotetest.StartSSHD(t)
	px := remotetest.StartProxy(t, srv.Addr)
	conns := connpool.NewShared(200 * time.Millisecond)
	defer conns.Close()
	cfg := sshdConfig(srv, t.TempDir())
	cfg.Endpoint = px.Addr()
	cfg.Conns = conns
	var all []*sftpfs.Fs
	for range 3 {
		fsys, err := sftpfs.New(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, fsys)
	}
	vfstest.WriteFile(t, all[0], "/a", []byte("a"))
	if got := vfstest.ReadFile(t, all[2], "/a", 0); string(got) != "a" {
		t.Fatalf("read %q", got)
	}
	if n := px.Accepted(); n != 1 {
		t.Fatalf("3 Fs of one user opened %d connections, want 1", n)
	}
	// Another user (different credentials) gets its own.
	other := cfg
	other.Fingerprints = append([]string{"SHA256:unused"}, cfg.Fingerprints...)
	ofs, err := sftpfs.New(t.Context(), other)
	if err != nil {
		t.Fatal(err)
	}
	ofs.Close()
	if n := px.Accepted(); n != 2 {
		t.Fatalf("a second configuration opened %d connections in all, want 2", n)
	}

	// Cut the connection: the next requests work again on a new one.
	px.Cut()
	var err2 error
	for range 2 {
		if _, err2 = all[1].Stat(t.Context(), "/a"); err2 == nil {
			break
		}
	}
	if err2 != nil {
		t.Fatalf("Stat after the connection was cut, twice: %v", err2)
	}
	data := vfstest.RandomData(t, 1<<20)
	vfstest.WriteFile(t, all[1], "/b", data)
	if got := vfstest.ReadFile(t, all[0], "/b", 0); !bytes.Equal(got, data) {
		t.Fatal("content differs after redial")
	}

	for _, f := range all {
		f.Close()
	}
	// Lingering, then closed.
	deadline := time.Now().Add(5 * time.Second)
	for conns.Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d shared connections still open after the linger time", conns.Len())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDialControl(t *testing.T) {
	srv := remotetest.StartSSHD(t)
	refused := errors.New("refused by policy")
	var seen string
	cfg := sshdConfig(srv, t.TempDir())
	cfg.DialControl = func(network, address string, _ syscall.RawConn) error {
		seen = address
		return refused
	}
	if _, err := sftpfs.New(t.Context(), cfg); !errors.Is(err, refused) {
		t.Fatalf("New: %v, want the DialControl error", err)
	}
	if seen != srv.Addr {
		t.Fatalf("DialControl saw %q, want %q", seen, srv.Addr)
	}
}

// TestStreamCancelKeepsConnection: a download stopped by its context
// leaves the shared connection usable.
func TestStreamCancelKeepsConnection(t *testing.T) {
	srv := remotetest.StartSSHD(t)
	fsys, err := sftpfs.New(t.Context(), sshdConfig(srv, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	data := vfstest.RandomData(t, 4<<20)
	vfstest.WriteFile(t, fsys, "/big", data)
	ctx, cancel := context.WithCancel(t.Context())
	r, err := fsys.Open(ctx, "/big", 0)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1000)
	if _, err := r.Read(buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	r.Close()
	if got := vfstest.ReadFile(t, fsys, "/big", 4<<20-10); !bytes.Equal(got, data[4<<20-10:]) {
		t.Fatal("read after a cancelled stream differs")
	}
	if fi, err := fsys.Stat(t.Context(), path.Join("/", "big")); err != nil || fi.Size() != 4<<20 {
		t.Fatalf("Stat: %v %v", fi, err)
	}
}

// TestConnectionCutMidTransfer: a download or upload whose connection
// dies fails (never a short file taken for a whole one), and the next
// request works on a new connection.
func TestConnectionCutMidTransfer(t *testing.T) {
	srv := remotetest.StartSSHD(t)
	px := remotetest.StartProxy(t, srv.Addr)
	cfg := sshdConfig(srv, t.TempDir())
	cfg.Endpoint = px.Addr()
	fsys, err := sftpfs.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	data := vfstest.RandomData(t, 32<<20)
	vfstest.WriteFile(t, fsys, "/big", data)
	r, err := fsys.Open(t.Context(), "/big", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(r, make([]byte, 64<<10)); err != nil {
		t.Fatal(err)
	}
	w, err := fsys.Create(t.Context(), "/up", vfs.CreateOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data[:1<<20]); err != nil {
		t.Fatal(err)
	}
	px.Cut()
	n, err := io.Copy(io.Discard, r)
	r.Close()
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("download after the cut: %d more bytes, error %v; want an error that is not EOF", n, err)
	}
	var werr error
	for i := 0; werr == nil && i < 64; i++ {
		_, werr = w.Write(data[:1<<20])
	}
	if werr == nil {
		werr = w.Close()
	} else {
		w.Cancel()
	}
	if werr == nil {
		t.Fatal("upload succeeded over a cut connection")
	}
	var got []byte
	for range 2 { // the first request may still find the dead connection
		if r, err := fsys.Open(t.Context(), "/big", 0); err == nil {
			got, err = io.ReadAll(r)
			r.Close()
			if err == nil {
				break
			}
		}
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("download after the cut: %d bytes", len(got))
	}
}
