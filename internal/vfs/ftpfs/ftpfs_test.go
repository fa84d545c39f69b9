package ftpfs_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/connpool"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/ftpfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/remotetest"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

func TestConformanceVsftpd(t *testing.T) {
	for _, c := range []struct {
		name string
		opts remotetest.VsftpdOptions
	}{
		{"plain", remotetest.VsftpdOptions{}},
		{"explicit TLS", remotetest.VsftpdOptions{TLSMode: ftpfs.TLSExplicit, SSLReuse: true}},
		{"implicit TLS", remotetest.VsftpdOptions{TLSMode: ftpfs.TLSImplicit, SSLReuse: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := remotetest.StartVsftpd(t, c.opts)
			conns := connpool.NewShared(time.Minute)
			t.Cleanup(func() { conns.Close() })
			vfstest.Run(t, func(t *testing.T) vfs.Fs {
				cfg := vsftpdConfig(srv, filepath.Join(srv.Dir, remotetest.ShortName(t)))
				cfg.Conns = conns
				fsys, err := ftpfs.New(t.Context(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				return fsys
			}, vfstest.Append)
		})
	}
}

// TestCapabilities: FTP offers none of chmod, chown, truncate, links or
// random access, and vsftpd (no MFMT, no SITE MTIME) cannot set times.
func TestCapabilities(t *testing.T) {
	srv := remotetest.StartVsftpd(t, remotetest.VsftpdOptions{})
	fsys, err := ftpfs.New(t.Context(), vsftpdConfig(srv, filepath.Join(srv.Dir, "caps")))
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	for name, ok := range map[string]bool{
		"ChmodFs":        is[vfs.ChmodFs](fsys),
		"ChownFs":        is[vfs.ChownFs](fsys),
		"TruncateFs":     is[vfs.TruncateFs](fsys),
		"SymlinkFs":      is[vfs.SymlinkFs](fsys),
		"LinkFs":         is[vfs.LinkFs](fsys),
		"RandomAccessFs": is[vfs.RandomAccessFs](fsys),
		"ReaderAtFs":     is[vfs.ReaderAtFs](fsys),
		"ChtimesFs":      is[vfs.ChtimesFs](fsys),
	} {
		if ok {
			t.Errorf("ftpfs on vsftpd implements %s", name)
		}
	}
}

func is[T any](v any) bool {
	_, ok := v.(T)
	return ok
}

// TestRecursiveDirRename moves a tree entry by entry, as for a server
// that cannot rename a non-empty directory in one command.
func TestRecursiveDirRename(t *testing.T) {
	srv := remotetest.StartVsftpd(t, remotetest.VsftpdOptions{})
	cfg := vsftpdConfig(srv, filepath.Join(srv.Dir, "rr"))
	ftpfs.NoDirRename(&cfg)
	fsys, err := ftpfs.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	ctx := t.Context()
	files := map[string][]byte{
		"/src/a":             vfstest.RandomData(t, 1000),
		"/src/sub/b":         vfstest.RandomData(t, 70000),
		"/src/sub/deep/c d":  vfstest.RandomData(t, 10),
		"/src/empty/.hidden": vfstest.RandomData(t, 3),
	}
	for _, d := range []string{"/src", "/src/sub", "/src/sub/deep", "/src/empty"} {
		if err := fsys.Mkdir(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range files {
		vfstest.WriteFile(t, fsys, name, data)
	}
	if err := fsys.Mkdir(ctx, "/dst"); err != nil { // an empty target is replaced
		t.Fatal(err)
	}
	if err := fsys.Rename(ctx, "/src", "/dst"); err != nil {
		t.Fatal(err)
	}
	if _, err := fsys.Stat(ctx, "/src"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("source still there: %v", err)
	}
	for name, data := range files {
		moved := "/dst" + strings.TrimPrefix(name, "/src")
		if got := vfstest.ReadFile(t, fsys, moved, 0); !bytes.Equal(got, data) {
			t.Fatalf("%s: content differs after the move", moved)
		}
		// And on the server's disk.
		if _, err := os.Stat(filepath.Join(srv.Dir, "rr", filepath.FromSlash(moved))); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPool: parallel transfers each get a connection, up to the pool
// size; sequential requests reuse one.
func TestPool(t *testing.T) {
	srv := remotetest.StartVsftpd(t, remotetest.VsftpdOptions{})
	px := remotetest.StartProxy(t, srv.Addr)
	cfg := vsftpdConfig(srv, filepath.Join(srv.Dir, "pool"))
	cfg.Endpoint = px.Addr()
	cfg.PoolSize = 3
	cfg.PoolWait = 200 * time.Millisecond
	conns := connpool.NewShared(time.Minute)
	defer conns.Close()
	cfg.Conns = conns
	fsys, err := ftpfs.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	// vsftpd has no MLSD: the first login learns it and logs in again
	// to list hidden files.
	base := int32(px.Accepted())
	for i := range 20 {
		vfstest.WriteFile(t, fsys, fmt.Sprintf("/s%d", i), []byte("x"))
		if _, err := fsys.Stat(t.Context(), "/s0"); err != nil {
			t.Fatal(err)
		}
	}
	if n := int32(px.Accepted()) - base; n != 0 {
		t.Fatalf("sequential requests opened %d more control connections", n)
	}
	// Another session of the same user shares the pool.
	fs2, err := ftpfs.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer fs2.Close()
	// Three uploads at once: three connections, all open together.
	var ws []vfs.Writer
	for i, f := range []vfs.Fs{fsys, fs2, fsys} {
		w, err := f.Create(t.Context(), fmt.Sprintf("/p%d", i), vfs.CreateOptions{Size: -1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("data")); err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	if n := int32(px.Accepted()) - base; n != 2 {
		t.Fatalf("3 parallel uploads opened %d new control connections, want 2 (plus the idle one)", n)
	}
	// A fourth waits for one of them, then gives up.
	start := time.Now()
	if _, err := fsys.Stat(t.Context(), "/s1"); !errors.Is(err, connpool.ErrBusy) {
		t.Fatalf("Stat with the pool exhausted: %v, want ErrBusy", err)
	}
	if time.Since(start) < 150*time.Millisecond {
		t.Fatal("no wait for a busy pool")
	}
	for _, w := range ws {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if got := vfstest.ReadFile(t, fsys, fmt.Sprintf("/p%d", i), 0); string(got) != "data" {
			t.Fatalf("p%d: %q", i, got)
		}
	}
}

// TestServerKilledMidTransfer: the remote server dies during a download
// and an upload, then comes back. The transfers fail (never a silently
// short file) and the next requests work on fresh connections.
func TestServerKilledMidTransfer(t *testing.T) {
	for _, mode := range []int{ftpfs.TLSDisabled, ftpfs.TLSExplicit} {
		t.Run(fmt.Sprintf("tls_mode %d", mode), func(t *testing.T) {
			srv := remotetest.StartVsftpd(t, remotetest.VsftpdOptions{TLSMode: mode, SSLReuse: true})
			fsys, err := ftpfs.New(t.Context(), vsftpdConfig(srv, filepath.Join(srv.Dir, "fault")))
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
			w, err := fsys.Create(t.Context(), "/upload", vfs.CreateOptions{Size: -1})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(data[:1<<20]); err != nil {
				t.Fatal(err)
			}

			srv.Kill()

			n, err := io.Copy(io.Discard, r)
			r.Close()
			// Not EOF in any form either: callers would take it for the end.
			if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("download after the kill: %d more bytes of %d, error %v", n, len(data)-64<<10, err)
			}
			t.Logf("download error: %v", err)
			var werr error
			for i := 0; werr == nil && i < 64; i++ {
				_, werr = w.Write(data[:1<<20])
			}
			if werr == nil {
				werr = w.Close()
			} else {
				w.Cancel()
			}
			if werr == nil || errors.Is(werr, io.EOF) || errors.Is(werr, io.ErrUnexpectedEOF) {
				t.Fatalf("upload with the server killed: %v", werr)
			}
			t.Logf("upload error: %v", werr)

			srv.Start()

			if fi, err := fsys.Stat(t.Context(), "/big"); err != nil || fi.Size() != int64(len(data)) {
				t.Fatalf("Stat after the restart: %v, %v", fi, err)
			}
			if got := vfstest.ReadFile(t, fsys, "/big", 0); !bytes.Equal(got, data) {
				t.Fatal("download after the restart differs")
			}
			vfstest.WriteFile(t, fsys, "/after", data[:5<<20])
			if got := vfstest.ReadFile(t, fsys, "/after", 0); !bytes.Equal(got, data[:5<<20]) {
				t.Fatal("upload after the restart differs")
			}
		})
	}
}

func TestLoginAndTLSErrors(t *testing.T) {
	tlsSrv := remotetest.StartVsftpd(t, remotetest.VsftpdOptions{TLSMode: ftpfs.TLSExplicit})
	plain := remotetest.StartVsftpd(t, remotetest.VsftpdOptions{})
	t.Run("wrong password", func(t *testing.T) {
		cfg := vsftpdConfig(plain, "")
		cfg.Password = "wrong"
		if _, err := ftpfs.New(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "login") {
			t.Fatalf("New with a wrong password: %v", err)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		cfg := vsftpdConfig(tlsSrv, "")
		cfg.RootCAs = nil
		if _, err := ftpfs.New(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("New with an unverifiable certificate: %v", err)
		}
		cfg.SkipTLSVerify = true
		fsys, err := ftpfs.New(t.Context(), cfg)
		if err != nil {
			t.Fatalf("New with skip_tls_verify: %v", err)
		}
		fsys.Close()
	})
	t.Run("TLS required by the server", func(t *testing.T) {
		cfg := vsftpdConfig(tlsSrv, "")
		cfg.TLSMode = ftpfs.TLSDisabled
		if _, err := ftpfs.New(t.Context(), cfg); err == nil {
			t.Fatal("plain login accepted by a server forcing TLS")
		}
	})
	t.Run("dial control", func(t *testing.T) {
		cfg := vsftpdConfig(plain, "")
		refused := errors.New("refused by policy")
		var seen string
		cfg.DialControl = func(network, address string, _ syscall.RawConn) error {
			seen = address
			return refused
		}
		if _, err := ftpfs.New(t.Context(), cfg); !errors.Is(err, refused) || seen != plain.Addr {
			t.Fatalf("New: %v (saw %q)", err, seen)
		}
	})
	t.Run("default port", func(t *testing.T) {
		cfg := vsftpdConfig(plain, "")
		cfg.Endpoint = "127.0.0.1"
		var seen string
		cfg.DialControl = func(network, address string, _ syscall.RawConn) error {
			seen = address
			return errors.New("stop")
		}
		ftpfs.New(t.Context(), cfg)
		if seen != "127.0.0.1:21" {
			t.Fatalf("dialled %q, want port 21", seen)
		}
	})
}

// TestPrefixOnDisk: files land under the prefix, and errors do not show
// the remote path.
func TestPrefixOnDisk(t *testing.T) {
	srv := remotetest.StartVsftpd(t, remotetest.VsftpdOptions{})
	prefix := filepath.Join(srv.Dir, "users", "bob")
	fsys, err := ftpfs.New(t.Context(), vsftpdConfig(srv, prefix))
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	data := vfstest.RandomData(t, 3<<20)
	vfstest.WriteFile(t, fsys, "/../../up", data)
	got, err := os.ReadFile(filepath.Join(prefix, "up"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("file not under the prefix: %v", err)
	}
	if err := fsys.Remove(t.Context(), "/"); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("Remove(/) = %v", err)
	}
	_, err = fsys.Open(t.Context(), "/missing", 0)
	if !errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), srv.Dir) {
		t.Fatalf("Open missing: %v", err)
	}
	err = fsys.Rename(t.Context(), "/up", "/missing-dir/x")
	if err == nil || strings.Contains(err.Error(), srv.Dir) {
		t.Fatalf("Rename into a missing directory: %v", err)
	}
}

func vsftpdConfig(v *remotetest.Vsftpd, prefix string) ftpfs.Config {
	return ftpfs.Config{
		Endpoint: v.Addr,
		Username: remotetest.FTPUser,
		Password: remotetest.FTPPassword,
		TLSMode:  v.TLSMode,
		RootCAs:  v.Roots,
		Prefix:   prefix,
	}
}
