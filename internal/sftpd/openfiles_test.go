package sftpd

import (
	"os"
	"strings"
	"testing"

	"github.com/pkg/sftp"

	"github.com/sftpgo-ng/sftpgo/internal/common"
)

// TestOpenFilesPerUserCapped: one user's sessions together hold at most
// common.MaxOpenFilesPerUser open files. Each session stays under its own
// handle cap, the open over the user's cap fails with a message that
// names the limit (and an existing file opened for writing is left
// intact), another user is not affected, and closing a file makes room.
func TestOpenFilesPerUserCapped(t *testing.T) {
	e := newEnv(t, envOpts{})
	key := newUserKey(t)
	e.addUser(t, "hoarder", key, nil)
	other := newUserKey(t)
	e.addUser(t, "bystander", other, nil)
	var sessions []*sftp.Client
	for range 3 {
		sessions = append(sessions, e.sftpClient(t, "hoarder", sshPublicKeys(key)))
	}
	if err := put(sessions[0], "/f", []byte("keep me")); err != nil {
		t.Fatal(err)
	}
	var files []*sftp.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	perSession := common.MaxOpenFilesPerUser / 2
	if perSession > maxHandlesPerSession {
		t.Fatalf("the test needs MaxOpenFilesPerUser <= 2 * maxHandlesPerSession")
	}
	for i := range common.MaxOpenFilesPerUser {
		f, err := sessions[i/perSession].Open("/f")
		if err != nil {
			t.Fatalf("open #%d under the cap: %v", i+1, err)
		}
		files = append(files, f)
	}
	if n := e.common.OpenFiles("hoarder"); n != common.MaxOpenFilesPerUser {
		t.Fatalf("open files counted %d, want %d", n, common.MaxOpenFilesPerUser)
	}
	overCap := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s over the cap succeeded", what)
		}
		var se *sftp.StatusError
		if !strings.Contains(err.Error(), "too many open files") {
			t.Fatalf("%s over the cap: %v, want \"too many open files\"", what, err)
		}
		if asStatus(err, &se) && se.FxCode() != sftp.ErrSSHFxFailure {
			t.Fatalf("%s over the cap: code %v, want SSH_FX_FAILURE", what, se.FxCode())
		}
	}
	third := sessions[2]
	_, err := third.Open("/f")
	overCap("open for read", err)
	_, err = third.OpenFile("/f", os.O_WRONLY|os.O_TRUNC)
	overCap("open for write", err)
	_, err = third.Create("/g")
	overCap("create", err)
	// nothing was truncated or created by the refused opens
	if _, err := third.Stat("/g"); err == nil {
		t.Fatal("a refused create left /g behind")
	}
	// the other user opens files as usual
	oc := e.sftpClient(t, "bystander", sshPublicKeys(other))
	if err := put(oc, "/x", []byte("x")); err != nil {
		t.Fatalf("another user at the first one's cap: %v", err)
	}
	// closing one makes room
	if err := files[0].Close(); err != nil {
		t.Fatal(err)
	}
	files = files[1:]
	f, err := third.Open("/f")
	if err != nil {
		t.Fatalf("open after a close: %v", err)
	}
	files = append(files, f)
	for _, f := range files {
		f.Close()
	}
	files = nil
	if b, err := get(third, "/f"); err != nil || string(b) != "keep me" {
		t.Fatalf("file after the refused opens: %q %v", b, err)
	}
	if n := e.common.OpenFiles("hoarder"); n != 0 {
		t.Fatalf("%d open files still counted after closing all", n)
	}
}
