//go:build unix

package osfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

const secret = "SECRET-OUTSIDE-THE-ROOT"

// escapeFixture is a root and, next to it, an outside directory holding a
// secret file the root must never reach.
type escapeFixture struct {
	fsys    *Fs
	root    string // host path of the root
	outside string // host path of the outside directory
}

func newEscapeFixture(t *testing.T) *escapeFixture {
	t.Helper()
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	fsys, err := New(filepath.Join(base, "home", "user"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	return &escapeFixture{fsys: fsys, root: fsys.Root(), outside: outside}
}

// assertOutsideUntouched checks the outside directory still holds only
// the unchanged secret.
func (e *escapeFixture) assertOutsideUntouched(t *testing.T) {
	t.Helper()
	entries, err := os.ReadDir(e.outside)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "secret" {
		var names []string
		for _, de := range entries {
			names = append(names, de.Name())
		}
		t.Fatalf("outside directory changed: %v", names)
	}
	b, err := os.ReadFile(filepath.Join(e.outside, "secret"))
	if err != nil || string(b) != secret {
		t.Fatalf("outside secret changed: %q, %v", b, err)
	}
	fi, err := os.Stat(filepath.Join(e.outside, "secret"))
	if err != nil || fi.Mode().Perm() != 0o644 || fi.ModTime().Year() < 2024 {
		t.Fatalf("outside secret metadata changed: %v, %v", fi, err)
	}
}

// symlinkOnDisk plants a link in the root as an administrator, another
// process or an archive extraction could, bypassing osfs.Symlink.
func (e *escapeFixture) symlinkOnDisk(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, filepath.Join(e.root, filepath.FromSlash(name))); err != nil {
		t.Fatal(err)
	}
}

// readAll opens name and returns its content, or the first error.
func readAll(ctx context.Context, fsys vfs.Fs, name string) (string, error) {
	r, err := fsys.Open(ctx, name, 0)
	if err != nil {
		return "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return string(b), err
}

func TestDotDotAndAbsolutePathsStayInside(t *testing.T) {
	e := newEscapeFixture(t)
	ctx := t.Context()
	relOut, err := filepath.Rel(e.root, filepath.Join(e.outside, "secret"))
	if err != nil {
		t.Fatal(err)
	}
	relOut = filepath.ToSlash(relOut) // ../../outside/secret
	names := []string{
		relOut,
		"/" + relOut,
		"/a/../../" + relOut,
		strings.ReplaceAll(relOut, "/", `\`),
		filepath.Join(e.outside, "secret"), // absolute host path
		"/../../../../../../../etc/passwd",
		"../../../../../../../etc/hostname",
	}
	for _, name := range names {
		if s, err := readAll(ctx, e.fsys, name); err == nil || strings.Contains(s, secret) {
			t.Fatalf("Open(%q) read %q, %v", name, s, err)
		} else if !errors.Is(err, fs.ErrNotExist) {
			// The name is cleaned into the root, where nothing exists.
			t.Fatalf("Open(%q): error = %v, want fs.ErrNotExist", name, err)
		}
		if _, err := e.fsys.Stat(ctx, name); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Stat(%q): error = %v, want fs.ErrNotExist", name, err)
		}
		// Writes land inside the root or fail; never outside.
		if w, err := e.fsys.Create(ctx, name, vfs.CreateOptions{Size: -1}); err == nil {
			_, _ = w.Write([]byte("pwned"))
			_ = w.Close()
		}
		_ = e.fsys.Mkdir(ctx, name)
		_ = e.fsys.Remove(ctx, name)
		_ = e.fsys.Rename(ctx, name, "/renamed")
		_ = e.fsys.Chmod(ctx, name, 0o777)
		_ = e.fsys.Chtimes(ctx, name, time.Unix(0, 0), time.Unix(0, 0))
		_ = e.fsys.Truncate(ctx, name, 0)
	}
	e.assertOutsideUntouched(t)
	if _, err := os.Stat("/etc/passwd-pwned"); err == nil {
		t.Fatal("a file appeared in /etc")
	}
}

// escapingLinks plants links that leave the root in different ways and
// returns the names through which the secret would be reached.
func escapingLinks(t *testing.T, e *escapeFixture) []string {
	t.Helper()
	relOutside, err := filepath.Rel(e.root, e.outside)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(e.root, "d", "e"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.symlinkOnDisk(t, e.outside, "abs")                                  // absolute, to the outside dir
	e.symlinkOnDisk(t, filepath.Join(e.outside, "secret"), "abs-file")    // absolute, to the file
	e.symlinkOnDisk(t, relOutside, "rel")                                 // relative, climbing out
	e.symlinkOnDisk(t, filepath.Join("..", "..", relOutside), "d/e/deep") // relative from a subdirectory
	e.symlinkOnDisk(t, "l2", "l1")                                        // chain: l1 -> l2 -> d/l3 -> outside
	e.symlinkOnDisk(t, "d/l3", "l2")                                      //
	e.symlinkOnDisk(t, filepath.Join("..", relOutside), "d/l3")           //
	e.symlinkOnDisk(t, "d/e/../../rel", "via-inner")                      // inside path to an escaping link
	e.symlinkOnDisk(t, filepath.Join(relOutside, "secret"), "rel-file")   // relative, to the file
	e.symlinkOnDisk(t, "/etc", "etc")                                     // the classic
	return []string{"/abs/secret", "/abs-file", "/rel/secret", "/d/e/deep/secret", "/l1/secret", "/via-inner/secret", "/rel-file"}
}

func TestSymlinksOutsideTheRootAreRefused(t *testing.T) {
	e := newEscapeFixture(t)
	ctx := t.Context()
	names := escapingLinks(t, e)
	for _, name := range names {
		t.Run(strings.ReplaceAll(name, "/", "_"), func(t *testing.T) {
			s, err := readAll(ctx, e.fsys, name)
			if err == nil || strings.Contains(s, secret) {
				t.Fatalf("Open(%q) read %q, %v", name, s, err)
			}
			assertPermission(t, "Open", err)
			_, err = e.fsys.Stat(ctx, name)
			assertPermission(t, "Stat", err)
			_, err = e.fsys.OpenReaderAt(ctx, name)
			assertPermission(t, "OpenReaderAt", err)
			_, err = e.fsys.OpenFile(ctx, name, os.O_RDWR, 0)
			assertPermission(t, "OpenFile", err)
			_, err = e.fsys.Create(ctx, name, vfs.CreateOptions{Size: -1})
			assertPermission(t, "Create", err)
			assertPermission(t, "Truncate", e.fsys.Truncate(ctx, name, 0))
			assertPermission(t, "Chmod", e.fsys.Chmod(ctx, name, 0o777))
			assertPermission(t, "Chown", e.fsys.Chown(ctx, name, 12345, 12345))
			assertPermission(t, "Chtimes", e.fsys.Chtimes(ctx, name, time.Unix(0, 0), time.Unix(0, 0)))
			assertPermission(t, "Copy from", e.fsys.Copy(ctx, name, "/copied"))
			assertPermission(t, "Link", e.fsys.Link(ctx, name, "/hardlink"))
			if strings.Count(name, "/") > 1 {
				assertPermission(t, "Rename from", e.fsys.Rename(ctx, name, "/moved"))
			} else {
				// Renaming a final symlink moves the link, not its target;
				// the moved link is as refused as before.
				if err := e.fsys.Rename(ctx, name, "/moved"); err != nil {
					t.Fatalf("Rename of the link itself: %v", err)
				}
				_, err := readAll(ctx, e.fsys, "/moved")
				assertPermission(t, "Open of the moved link", err)
				if err := e.fsys.Rename(ctx, "/moved", name); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := e.fsys.Lstat(ctx, "/copied"); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("a refused Copy left /copied: %v", err)
			}
			if _, err := e.fsys.Lstat(ctx, "/hardlink"); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("a refused Link left /hardlink: %v", err)
			}
		})
	}
	// Directory operations through the links.
	if err := os.WriteFile(filepath.Join(e.root, "plain"), []byte("p"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"/abs", "/rel", "/d/e/deep", "/l1", "/etc"} {
		_, err := e.fsys.ReadDir(ctx, dir)
		assertPermission(t, "ReadDir "+dir, err)
		assertPermission(t, "Mkdir "+dir, e.fsys.Mkdir(ctx, dir+"/new"))
		_, err = e.fsys.Create(ctx, dir+"/new-file", vfs.CreateOptions{Size: -1})
		assertPermission(t, "Create "+dir, err)
		assertPermission(t, "Remove "+dir, e.fsys.Remove(ctx, dir+"/secret"))
		assertPermission(t, "Rename into "+dir, e.fsys.Rename(ctx, "/d", dir+"/d"))
		assertPermission(t, "Copy into "+dir, e.fsys.Copy(ctx, "/plain", dir+"/copy"))
		_, err = e.fsys.StatVFS(ctx, dir)
		assertPermission(t, "StatVFS "+dir, err)
		_, err = e.fsys.Stat(ctx, dir+"/passwd")
		assertPermission(t, "Stat "+dir+"/passwd", err)
	}
	// The links themselves can be seen and removed, which touches nothing
	// outside.
	fi, err := e.fsys.Lstat(ctx, "/abs")
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("Lstat(/abs) = %v, %v", fi, err)
	}
	if err := e.fsys.Remove(ctx, "/abs"); err != nil {
		t.Fatal(err)
	}
	e.assertOutsideUntouched(t)
}

func TestReadlinkDoesNotDiscloseHostPaths(t *testing.T) {
	e := newEscapeFixture(t)
	ctx := t.Context()
	e.symlinkOnDisk(t, "/etc/passwd", "passwd")
	if got, err := e.fsys.Readlink(ctx, "/passwd"); err == nil || strings.Contains(got, "etc") {
		t.Fatalf("Readlink(/passwd) = %q, %v", got, err)
	} else {
		assertPermission(t, "Readlink", err)
	}
	// An absolute link into the root reads back as a root path.
	if err := os.WriteFile(filepath.Join(e.root, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.symlinkOnDisk(t, filepath.Join(e.root, "f"), "inside")
	if got, err := e.fsys.Readlink(ctx, "/inside"); err != nil || got != "/f" {
		t.Fatalf("Readlink(/inside) = %q, %v; want /f", got, err)
	}
}

func TestSymlinkCreationCannotEscape(t *testing.T) {
	e := newEscapeFixture(t)
	ctx := t.Context()
	relOutside, err := filepath.Rel(e.root, e.outside)
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{relOutside, filepath.Join(relOutside, "secret"), "../x", "a/../../x"} {
		err := e.fsys.Symlink(ctx, target, "/link")
		assertPermission(t, "Symlink "+target, err)
	}
	// An absolute target is a path in the Fs namespace, not on the host:
	// the link stays inside and finds nothing there.
	hostPath := filepath.Join(e.outside, "secret")
	if err := e.fsys.Symlink(ctx, hostPath, "/link"); err != nil {
		t.Fatal(err)
	}
	if s, err := readAll(ctx, e.fsys, "/link"); !errors.Is(err, fs.ErrNotExist) || s != "" {
		t.Fatalf("Open through a link to %q: %q, %v; want fs.ErrNotExist", hostPath, s, err)
	}
	stored, err := os.Readlink(filepath.Join(e.root, "link"))
	if err != nil || filepath.IsAbs(stored) {
		t.Fatalf("stored link text %q, %v: want a relative link", stored, err)
	}
	e.assertOutsideUntouched(t)
}

func TestHardlinkToOutsideRefused(t *testing.T) {
	e := newEscapeFixture(t)
	ctx := t.Context()
	relOut, err := filepath.Rel(e.root, filepath.Join(e.outside, "secret"))
	if err != nil {
		t.Fatal(err)
	}
	e.symlinkOnDisk(t, e.outside, "out")
	err = e.fsys.Link(ctx, "/out/secret", "/stolen")
	assertPermission(t, "Link through an escaping symlink", err)
	// A ".." name is cleaned into the root, where nothing exists.
	err = e.fsys.Link(ctx, filepath.ToSlash(relOut), "/stolen")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Link(%q): error = %v, want fs.ErrNotExist", relOut, err)
	}
	err = e.fsys.Link(ctx, filepath.Join(e.outside, "secret"), "/stolen")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Link(absolute host path): error = %v, want fs.ErrNotExist", err)
	}
	// Hard-linking a symlink that points outside links the symlink itself,
	// which stays refused when followed.
	if err := e.fsys.Link(ctx, "/out", "/out2"); err == nil {
		_, err := readAll(ctx, e.fsys, "/out2/secret")
		assertPermission(t, "Open through a hard-linked escaping symlink", err)
	}
	if _, err := e.fsys.Lstat(ctx, "/stolen"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("/stolen exists: %v", err)
	}
	e.assertOutsideUntouched(t)
}

// A directory checked with Stat and then swapped for a symlink (a classic
// time-of-check/time-of-use attack) is still refused, because os.Root
// resolves each component relative to an open directory handle.
func TestDirectorySwappedForSymlink(t *testing.T) {
	e := newEscapeFixture(t)
	ctx := t.Context()
	dir := filepath.Join(e.root, "d")
	makeDir := func() {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("inside"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	makeDir()
	fi, err := e.fsys.Stat(ctx, "/d")
	if err != nil || !fi.IsDir() {
		t.Fatalf("check: %v, %v", fi, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	e.symlinkOnDisk(t, e.outside, "d")
	s, err := readAll(ctx, e.fsys, "/d/secret")
	if err == nil || s == secret {
		t.Fatalf("after the swap, Open(/d/secret) read %q, %v", s, err)
	}
	assertPermission(t, "Open after the swap", err)

	// Now race the swap against readers and writers.
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	makeDir()
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		tmpLink := filepath.Join(e.root, "tmplink")
		parked := filepath.Join(e.root, "parked")
		for i := 0; !stop.Load(); i++ {
			// Atomically replace the directory with the link and back.
			_ = os.Remove(tmpLink)
			if err := os.Symlink(e.outside, tmpLink); err != nil {
				continue
			}
			_ = os.Rename(dir, parked)
			_ = os.Rename(tmpLink, dir)
			_ = os.Remove(dir)
			_ = os.Rename(parked, dir)
		}
	})
	reads, insideReads := 0, 0
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		s, err := readAll(ctx, e.fsys, "/d/secret")
		reads++
		if s == secret {
			stop.Store(true)
			wg.Wait()
			t.Fatal("read the outside secret through a swapped directory")
		}
		if err == nil && s == "inside" {
			insideReads++
		}
		if w, err := e.fsys.Create(ctx, "/d/written", vfs.CreateOptions{Size: -1}); err == nil {
			_, _ = w.Write([]byte("x"))
			_ = w.Close()
		}
		_ = e.fsys.Chmod(ctx, "/d/secret", 0o600)
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d reads during the swap race, %d saw the inside file", reads, insideReads)
	e.assertOutsideUntouched(t)
}

func TestFIFODoesNotBlock(t *testing.T) {
	e := newEscapeFixture(t)
	if err := syscall.Mkfifo(filepath.Join(e.root, "fifo"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := readAll(t.Context(), e.fsys, "/fifo")
		if err == nil {
			_, err = e.fsys.Create(t.Context(), "/fifo", vfs.CreateOptions{Size: -1})
		}
		done <- err
	}()
	select {
	case err := <-done:
		assertPermission(t, "Open of a FIFO", err)
	case <-time.After(5 * time.Second):
		t.Fatal("Open of a FIFO blocked")
	}
	_, err := e.fsys.Create(t.Context(), "/fifo", vfs.CreateOptions{Size: -1})
	if err == nil {
		t.Fatal("Create over a FIFO without a reader succeeded")
	}
}

func TestRootCannotBeRemovedOrRenamed(t *testing.T) {
	fsys := newTestFs(t)
	ctx := t.Context()
	assertPermission(t, "Remove /", fsys.Remove(ctx, "/"))
	assertPermission(t, "Rename /", fsys.Rename(ctx, "/", "/x"))
	assertPermission(t, "Rename onto /", fsys.Rename(ctx, "/x", "/"))
	if _, err := os.Stat(fsys.Root()); err != nil {
		t.Fatal(err)
	}
}

func TestNULRejected(t *testing.T) {
	fsys := newTestFs(t)
	_, err := fsys.Stat(t.Context(), "/a\x00b")
	if !errors.Is(err, fs.ErrInvalid) {
		t.Fatalf("Stat with NUL: %v, want fs.ErrInvalid", err)
	}
	err = fsys.Symlink(t.Context(), "a\x00b", "/l")
	if !errors.Is(err, fs.ErrInvalid) {
		t.Fatalf("Symlink with NUL target: %v, want fs.ErrInvalid", err)
	}
}

func assertPermission(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("%s: error = %v, want fs.ErrPermission", what, err)
	}
}
