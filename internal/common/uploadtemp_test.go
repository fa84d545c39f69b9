package common

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// waitSweeps waits (bounded) until root has been swept n times.
func waitSweeps(t *testing.T, s *Server, root string, n int) {
	t.Helper()
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	deadline := time.Now().Add(20 * time.Second)
	for s.temps.sweepCount(root) < n {
		if time.Now().After(deadline) {
			t.Fatalf("root %s not swept %d times", root, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// Temp files of a process killed mid-upload are removed when the home is
// first opened; a temp file newer than the process start is not.
func TestUploadTempOrphansRemovedAtStart(t *testing.T) {
	u := testUser(t, "tuser")
	if err := os.MkdirAll(filepath.Join(u.HomeDir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(u.HomeDir, "sub", uploadTempPrefix+"0123456789abcdef.big.iso")
	keep := filepath.Join(u.HomeDir, "sub", "notes.txt")
	for _, p := range []string{old, keep} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-time.Minute)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	s, store := newTestServer(t, config.CommonConfig{UploadMode: UploadModeAtomic})
	// written after the start: could be an upload of this process
	fresh := filepath.Join(u.HomeDir, uploadTempPrefix+"fedcba9876543210.new.bin")
	if err := os.WriteFile(fresh, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := newTestConn(t, s, store, u)
	if _, err := c.Stat(context.Background(), "/sub"); err != nil {
		t.Fatal(err)
	}
	waitSweeps(t, s, u.HomeDir, 1)
	if exists(old) {
		t.Fatal("orphaned temp file from before the start is still there")
	}
	if !exists(keep) || !exists(fresh) {
		t.Fatal("sweep removed a file it should have kept")
	}
}

// The periodic sweep removes temp files untouched for long, but not the
// temp file of an upload that is open.
func TestUploadTempPeriodicSweep(t *testing.T) {
	store := newStoreOnly()
	s, err := New(config.CommonConfig{UploadMode: UploadModeAtomic}, Deps{Store: store, UsersBaseDir: t.TempDir(), NewFs: testFs, TempSweepInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	u := testUser(t, "puser")
	c := newTestConn(t, s, store, u)
	tr, err := c.OpenForWrite(context.Background(), "/open.bin", WriteOptions{Truncate: true, Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.WriteAt([]byte("data"), 0); err != nil {
		t.Fatal(err)
	}
	ancient := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(tr.tmpLocal, ancient, ancient); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(u.HomeDir, uploadTempPrefix+"aaaaaaaaaaaaaaaa.stale")
	if err := os.WriteFile(stale, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(stale, ancient, ancient); err != nil {
		t.Fatal(err)
	}
	waitSweeps(t, s, u.HomeDir, 3)
	if exists(stale) {
		t.Fatal("stale temp file survived the periodic sweep")
	}
	if !exists(tr.tmpLocal) {
		t.Fatal("the sweep removed the temp file of an open upload")
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := download(t, c, "/open.bin"); err != nil || string(got) != "data" {
		t.Fatalf("upload after sweep: %q, %v", got, err)
	}
}

// Users never see upload temp files: not in listings, not by name.
func TestUploadTempHidden(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{UploadMode: UploadModeAtomic})
	u := testUser(t, "huser")
	c := newTestConn(t, s, store, u)
	ctx := context.Background()
	tr, err := c.OpenForWrite(ctx, "/big.iso", WriteOptions{Truncate: true, Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.WriteAt([]byte("partial"), 0); err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(tr.tmpLocal)
	if !exists(tr.tmpLocal) {
		t.Fatal("no temp file on disk")
	}
	l, err := c.ListDir(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for {
		batch, err := l.Next(100)
		for _, fi := range batch {
			if fi.Name() == name {
				t.Fatalf("listing shows the temp file %s", name)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Stat(ctx, "/"+name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stat of the temp file: %v, want not exist", err)
	}
	if _, err := c.OpenForRead(ctx, "/"+name, 0); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("open of the temp file: %v, want not exist", err)
	}
	if err := c.Remove(ctx, "/"+name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("remove of the temp file: %v, want not exist", err)
	}
	_ = dataprovider.ProtocolSSH
}
