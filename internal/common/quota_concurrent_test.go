package common

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// diskUsage sums the sizes of the regular files under dir.
func diskUsage(t *testing.T, dir string) (int64, int) {
	t.Helper()
	var size int64
	files := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			size += fi.Size()
			files++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return size, files
}

// Concurrent uploads of one user, each on its own connection and all open
// at once, must not together pass the size quota, in the home and in a
// virtual folder with a quota of its own, in every upload mode.
func TestQuotaConcurrentUploads(t *testing.T) {
	const (
		mib     = 1 << 20
		quota   = 5 * mib
		perFile = 3 * mib
		n       = 4
		chunk   = 32 * 1024
	)
	for _, mode := range []int{UploadModeStandard, UploadModeAtomic, UploadModeAtomicWithResume} {
		for _, inFolder := range []bool{false, true} {
			t.Run(fmt.Sprintf("mode%d/folder=%v", mode, inFolder), func(t *testing.T) {
				s, store := newTestServer(t, config.CommonConfig{UploadMode: mode})
				u := testUser(t, "quser")
				dir, base := u.HomeDir, "/"
				if inFolder {
					dir = filepath.Join(t.TempDir(), "vf")
					u.VirtualFolders = []dataprovider.VirtualFolder{{
						BaseVirtualFolder: dataprovider.BaseVirtualFolder{Name: "vf", MappedPath: dir},
						VirtualPath:       "/vf", QuotaSize: quota,
					}}
					base = "/vf/"
				} else {
					u.QuotaSize = quota
				}
				store.AddUser(u)
				conns := make([]*BaseConnection, n)
				for i := range conns {
					c := s.NewConnection(fmt.Sprintf("qc%d", i), dataprovider.ProtocolSSH, "127.0.0.1:1", "test", u, nil)
					if err := s.AddConnection(c); err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { c.Close() })
					conns[i] = c
				}
				// open every upload before any byte is written
				trs := make([]*Transfer, n)
				for i, c := range conns {
					tr, err := c.OpenForWrite(context.Background(), fmt.Sprintf("%sf%d", base, i), WriteOptions{Truncate: true, Size: -1})
					if err != nil {
						t.Fatalf("open %d: %v", i, err)
					}
					trs[i] = tr
				}
				data := make([]byte, chunk)
				var wg sync.WaitGroup
				errs := make([]error, n)
				for i, tr := range trs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						var werr error
						for off := int64(0); off < perFile && werr == nil; off += chunk {
							_, werr = tr.WriteAt(data, off)
						}
						if cerr := tr.Close(); werr == nil {
							werr = cerr
						}
						errs[i] = werr
					}()
				}
				wg.Wait()
				ok := 0
				for i, err := range errs {
					switch {
					case err == nil:
						ok++
					case errors.Is(err, vfs.ErrQuotaExceeded):
					default:
						t.Errorf("upload %d: unexpected error %v", i, err)
					}
				}
				// which uploads win depends on scheduling; that not all
				// of them do does not
				if ok == n {
					t.Errorf("all %d uploads succeeded past the quota", n)
				}
				size, files := diskUsage(t, dir)
				if size > quota {
					t.Fatalf("disk usage %d bytes passes the quota of %d", size, quota)
				}
				if size < int64(ok)*perFile {
					t.Errorf("disk usage %d, want at least %d for %d complete uploads", size, int64(ok)*perFile, ok)
				}
				var usedSize int64
				var usedFiles int
				if inFolder {
					f, _ := store.GetFolder(context.Background(), "vf")
					usedSize, usedFiles = f.UsedQuotaSize, f.UsedQuotaFiles
				} else {
					su, _ := store.GetUser(context.Background(), u.Username)
					usedSize, usedFiles = su.UsedQuotaSize, su.UsedQuotaFiles
				}
				if usedSize != size || usedFiles != files {
					t.Errorf("recorded usage %d bytes/%d files, disk has %d/%d", usedSize, usedFiles, size, files)
				}
				// once every transfer closed, the claims are gone
				if in, inf := s.quota.inflightOf(conns[0].scopeKey(trs[0].loc)); in != 0 || inf != 0 {
					t.Errorf("claims left after close: %d bytes, %d files", in, inf)
				}
			})
		}
	}
}

// The files quota counts uploads still open.
func TestQuotaConcurrentFiles(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{})
	u := testUser(t, "fuser")
	u.QuotaFiles = 2
	c := newTestConn(t, s, store, u)
	var open []*Transfer
	for i := range 3 {
		tr, err := c.OpenForWrite(context.Background(), fmt.Sprintf("/f%d", i), WriteOptions{Truncate: true, Size: -1})
		if i < 2 {
			if err != nil {
				t.Fatalf("open %d: %v", i, err)
			}
			open = append(open, tr)
			continue
		}
		if !errors.Is(err, vfs.ErrQuotaExceeded) {
			t.Fatalf("third open with a files quota of 2: %v, want quota error", err)
		}
	}
	for _, tr := range open {
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
