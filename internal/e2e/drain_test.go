package e2e

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMDrainsTransfers: SIGTERM with uploads in flight refuses new
// logins, lets the open uploads finish within the grace time and then
// exits; every file arrives whole. Atomic upload mode, so a cut upload
// would leave no file at all.
func TestSIGTERMDrainsTransfers(t *testing.T) {
	const uploads, chunk, chunks = 10, 64 << 10, 8
	in := newInstance(t, t.TempDir(), "SFTPGO_COMMON__UPLOAD_MODE=1", "SFTPGO_GRACE_TIME=20")
	in.start()
	home := in.addUser(in.token("admin", "admin-pass"), "drain", "drain-Pa55", nil)

	payload := bytes.Repeat([]byte("0123456789abcdef"), chunk/16)
	var started, wg sync.WaitGroup
	errs := make([]error, uploads)
	proceed := make(chan struct{})
	for i := range uploads {
		_, c := dialSFTP(t, in.sftpPort, "drain", "drain-Pa55")
		started.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := c.Create(fmt.Sprintf("/f%d", i))
			if err != nil {
				errs[i] = err
				started.Done()
				return
			}
			_, err = f.Write(payload)
			started.Done()
			<-proceed
			for n := 1; n < chunks && err == nil; n++ {
				_, err = f.Write(payload)
				time.Sleep(50 * time.Millisecond)
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			errs[i] = err
		}()
	}
	started.Wait()
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// new logins are refused while draining
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := sshDialPassword(in.sftpPort, "drain", "drain-Pa55")
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("new SFTP logins still accepted after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(proceed)
	wg.Wait()
	select {
	case err := <-in.done:
		in.done <- err // for the cleanup's stop
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not exit after the transfers finished")
	}
	want := sha256.Sum256(bytes.Repeat(payload, chunks))
	for i, err := range errs {
		if err != nil {
			t.Errorf("upload %d failed during the drain: %v", i, err)
			continue
		}
		got, err := os.ReadFile(filepath.Join(home, fmt.Sprintf("f%d", i)))
		if err != nil || sha256.Sum256(got) != want {
			t.Errorf("upload %d: file missing or not whole (%d bytes, %v)", i, len(got), err)
		}
	}
}
