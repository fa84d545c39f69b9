package e2e

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
)

// TestCommonConcurrentQuotaOverSFTP: four pkg/sftp clients, each on its
// own SSH connection, upload 3 MiB at once against a 5 MiB quota through
// the built binary; what is left in the home stays within the quota.
func TestCommonConcurrentQuotaOverSFTP(t *testing.T) {
	const (
		mib     = 1 << 20
		quota   = 5 * mib
		perFile = 3 * mib
		n       = 4
	)
	in := newInstance(t, t.TempDir(), "SFTPGO_COMMON__UPLOAD_MODE=1")
	in.start()
	token := in.token("admin", "admin-pass")
	home := in.addUser(token, "quinn", "quinn-pass", map[string]any{"quota_size": quota})
	files := make([]*sftp.File, n)
	for i := range files {
		conn, client := dialSFTP(t, in.sftpPort, "quinn", "quinn-pass")
		t.Cleanup(func() { client.Close(); conn.Close() })
		f, err := client.OpenFile(fmt.Sprintf("/f%d.bin", i), os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		files[i] = f
	}
	chunk := make([]byte, 32*1024)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			for written := 0; written < perFile && err == nil; written += len(chunk) {
				_, err = f.Write(chunk)
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		}
	}
	var size int64
	filepath.WalkDir(home, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				size += fi.Size()
			}
		}
		return nil
	})
	if ok == n || size > quota {
		t.Fatalf("%d of %d uploads succeeded, %d bytes in the home against a quota of %d\n%s", ok, n, size, quota, in.log.String())
	}
}

// TestCommonChtimesOnOpenFileOverSFTP: a time set on a file still open
// for writing survives the close (tar x over sshfs relies on it).
func TestCommonChtimesOnOpenFileOverSFTP(t *testing.T) {
	in := newInstance(t, t.TempDir())
	in.start()
	token := in.token("admin", "admin-pass")
	in.addUser(token, "tara", "tara-pass", nil)
	conn, client := dialSFTP(t, in.sftpPort, "tara", "tara-pass")
	defer conn.Close()
	defer client.Close()
	f, err := client.OpenFile("/t.txt", os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("archive member")); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2003, 4, 5, 6, 7, 8, 0, time.UTC)
	if err := client.Chtimes("/t.txt", want, want); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := client.Stat("/t.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !fi.ModTime().Equal(want) {
		t.Fatalf("mtime %v after close, want %v", fi.ModTime().UTC(), want)
	}
}
