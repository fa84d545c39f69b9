package dataprovider

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Everything written to the bolt driver is there again after a reopen,
// and nothing secret is in the file in clear.
func TestBoltPersists(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := testConfig("bolt")
	s, err := Open(ctx, Options{Config: cfg, ConfigDir: dir, Secrets: testEncrypter{}})
	must(t, err)
	must(t, s.Migrate(ctx))
	populate(t, s)
	must(t, s.DeleteFolder(ctx, "plain")) // a deletion must persist too
	before, err := s.Dump(ctx)
	must(t, err)
	// a failed restore must not reach the file
	bad := newUser("broken")
	bad.Permissions = map[string][]string{"/": {"nope"}}
	if err := s.Restore(ctx, &BackupData{Users: []User{newUser("ok"), bad}}, RestoreModeAddUpdate); err == nil {
		t.Fatal("invalid restore accepted")
	}
	must(t, s.Close())

	raw, err := os.ReadFile(filepath.Join(dir, "sftpgo.bolt"))
	must(t, err)
	for _, plain := range []string{plainFolderSecret, plainUserSecret, plainTOTPSecret, "adminpw", "secret-kate"} {
		if strings.Contains(string(raw), plain) {
			t.Fatalf("bolt file holds %q in clear", plain)
		}
	}
	s2, err := Open(ctx, Options{Config: cfg, ConfigDir: dir, Secrets: testEncrypter{}})
	must(t, err)
	defer s2.Close()
	must(t, s2.CheckSchema(ctx))
	after, err := s2.Dump(ctx)
	must(t, err)
	if a, b := comparable(t, before), comparable(t, after); a != b {
		t.Fatalf("reopened bolt store differs:\n%s\n---\n%s", a, b)
	}
	if _, err := s2.GetUser(ctx, "ok"); err == nil {
		t.Fatal("user of a failed restore persisted")
	}
	// ids keep growing after a reopen
	u := newUser("newcomer")
	must(t, s2.AddUser(ctx, &u))
	for _, old := range after.Users {
		if old.ID == u.ID {
			t.Fatalf("id %d reused after reopen", u.ID)
		}
	}
	// the counters written through the dedicated methods persist
	k, _ := s2.GetUser(ctx, "kate")
	if k.UsedQuotaSize != 4096 || k.LastLogin == 0 {
		t.Fatalf("counters after reopen: %+v", k)
	}
}
