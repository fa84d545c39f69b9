package sftpd

import (
	"strings"
	"testing"

	"github.com/pkg/sftp"
)

// TestOpenHandlesCapped: one session holds at most maxHandlesPerSession
// files and directory listings; the request over the cap fails with a
// clear message, and closing a handle makes room again.
func TestOpenHandlesCapped(t *testing.T) {
	e := newEnv(t, envOpts{})
	key := newUserKey(t)
	e.addUser(t, "hoarder", key, nil)
	c := e.sftpClient(t, "hoarder", sshPublicKeys(key))
	if err := put(c, "/f", []byte("data")); err != nil {
		t.Fatal(err)
	}
	if err := c.Mkdir("/d"); err != nil {
		t.Fatal(err)
	}
	var files []*sftp.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for i := 0; i < maxHandlesPerSession; i++ {
		f, err := c.Open("/f")
		if err != nil {
			t.Fatalf("open #%d under the cap: %v", i+1, err)
		}
		files = append(files, f)
	}
	overCap := func(what string, err error) {
		t.Helper()
		var se *sftp.StatusError
		if err == nil {
			t.Fatalf("%s over the cap succeeded", what)
		}
		if !strings.Contains(err.Error(), "too many open handles") {
			t.Fatalf("%s over the cap: %v, want \"too many open handles\"", what, err)
		}
		if asStatus(err, &se) && se.FxCode() != sftp.ErrSSHFxFailure {
			t.Fatalf("%s over the cap: code %v, want SSH_FX_FAILURE", what, se.FxCode())
		}
	}
	_, err := c.Open("/f")
	overCap("open for read", err)
	_, err = c.Create("/g")
	overCap("create", err)
	_, err = c.ReadDir("/d")
	overCap("opendir", err)
	// requests that keep no handle still work
	if _, err := c.Stat("/f"); err != nil {
		t.Fatalf("stat at the cap: %v", err)
	}

	if err := files[0].Close(); err != nil {
		t.Fatal(err)
	}
	files = files[1:]
	if _, err := c.ReadDir("/d"); err != nil {
		t.Fatalf("opendir after a close: %v", err)
	}
	f, err := c.Open("/f")
	if err != nil {
		t.Fatalf("open after a close: %v", err)
	}
	files = append(files, f)
	_, err = c.Open("/f")
	overCap("open when full again", err)

	// the cap is per session: another session of the same user opens files
	c2 := e.sftpClient(t, "hoarder", sshPublicKeys(key))
	f2, err := c2.Open("/f")
	if err != nil {
		t.Fatalf("second session: %v", err)
	}
	f2.Close()
}

func asStatus(err error, se **sftp.StatusError) bool {
	s, ok := err.(*sftp.StatusError)
	if ok {
		*se = s
	}
	return ok
}
