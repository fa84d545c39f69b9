package common

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// newOsfsServer is newTestServer with the production backends (osfs),
// which honour cancelled contexts.
func newOsfsServer(t *testing.T, cfg config.CommonConfig) (*Server, *BaseConnection, dataprovider.User) {
	t.Helper()
	store := newStoreOnly()
	s, err := New(cfg, Deps{Store: store, UsersBaseDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	u := testUser(t, "osuser")
	store.AddUser(u)
	c := s.NewConnection("c-os-"+t.Name(), dataprovider.ProtocolSSH, "127.0.0.1:1", "test", u, nil)
	if err := s.AddConnection(c); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return s, c, u
}

// A time set while the file is open for writing (tar over sshfs, pkg/sftp
// Chtimes before Close) is applied at commit, though the SETSTAT
// request's context is long cancelled by then.
func TestChtimesWhileUploadingSurvivesRequest(t *testing.T) {
	for _, mode := range []int{UploadModeStandard, UploadModeAtomic} {
		t.Run(fmt.Sprint("mode", mode), func(t *testing.T) {
			_, c, _ := newOsfsServer(t, config.CommonConfig{UploadMode: mode})
			bg := context.Background()
			tr, err := c.OpenForWrite(bg, "/f.txt", WriteOptions{Truncate: true, Size: -1})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tr.WriteAt([]byte("hello"), 0); err != nil {
				t.Fatal(err)
			}
			want := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
			reqCtx, cancel := context.WithCancel(bg)
			if err := c.Chtimes(reqCtx, "/f.txt", want, want); err != nil {
				t.Fatal(err)
			}
			cancel() // the request is answered: its context ends
			if err := tr.Close(); err != nil {
				t.Fatal(err)
			}
			fi, err := c.Stat(bg, "/f.txt")
			if err != nil {
				t.Fatal(err)
			}
			if !fi.ModTime().Equal(want) {
				t.Fatalf("mtime %v, want %v", fi.ModTime().UTC(), want)
			}
		})
	}
}
