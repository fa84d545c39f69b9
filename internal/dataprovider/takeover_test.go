package dataprovider

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// fixtureDir is the SFTPGo fixture set (SFTPGO_FIXTURES_DIR overrides).
func fixtureDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("SFTPGO_FIXTURES_DIR")
	if dir == "" {
		dir = "../../../shared/sftpgo-fixtures"
	}
	dir, _ = filepath.Abs(dir)
	if _, err := os.Stat(filepath.Join(dir, "sftpgo.db")); err != nil {
		t.Fatalf("SFTPGo fixtures missing (set SFTPGO_FIXTURES_DIR): %v", err)
	}
	return dir
}

// copyFixtureDB copies SFTPGo's database into a fresh dir.
func copyFixtureDB(t testing.TB) (string, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir(t), "sftpgo.db"))
	must(t, err)
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "sftpgo.db"), b, 0o600))
	return dir, filepath.Join(dir, "sftpgo.db")
}

// openFixtureStore opens a store with the real KMS (no master key, as
// SFTPGo ran) on the database in dir, without migrating.
func openFixtureStore(t testing.TB, dir string) *Store {
	t.Helper()
	km, err := kms.NewManager(config.KMSConfig{}, dir)
	must(t, err)
	cfg := testConfig("sqlite")
	s, err := Open(context.Background(), Options{Config: cfg, ConfigDir: dir, KMS: km})
	must(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func sqliteExec(t testing.TB, file string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+file)
	must(t, err)
	defer db.Close()
	for _, st := range stmts {
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
}

// checkFixtureData asserts that the store holds what SFTPGo held: the
// accounts of the fixture README log in, secrets decrypt, relations,
// counters and the opaque sections are there.
func checkFixtureData(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	for user, pwd := range map[string]string{"devs-alice": "Ali-d0e09b575c862f54", "devs-vault": "Vlt-d1292bc5d72eb41c",
		"devs-relay": "Rly-e7f07a7bf6b02ec5", "devs-archive": "Arc-e1b90c01dcacd3e3", "devs-otp": "Otp-3f8a2336073b7765"} {
		if _, err := s.CheckUserPassword(ctx, user, pwd); err != nil {
			t.Errorf("user %s password: %v", user, err)
		}
	}
	for admin, pwd := range map[string]string{"admin": "Adm-910def25c49af066", "devs-ops": "Ops-ffdc14eb01ada8d4"} {
		if _, err := s.CheckAdminPassword(ctx, admin, pwd); err != nil {
			t.Errorf("admin %s password: %v", admin, err)
		}
	}
	k, err := s.AuthenticateAPIKey(ctx, "3iKzaSwktqjxmb7c74weBd.Q4zTcz6jfhediUQi7tjXpw")
	if err != nil || k.Admin != "devs-ops" || k.Name != "devs-automation" {
		t.Errorf("API key: %v %+v", err, k)
	}
	alice, err := s.GetUser(ctx, "devs-alice")
	must(t, err)
	if len(alice.PublicKeys) != 1 || !strings.HasPrefix(alice.PublicKeys[0], "ssh-ed25519 ") {
		t.Errorf("alice public keys: %v", alice.PublicKeys)
	}
	if alice.UsedQuotaSize != 3145780 || alice.UsedQuotaFiles != 3 || alice.LastLogin != 1796317808956 ||
		alice.FirstUpload != 1796317809570 || alice.FirstDownload != 1796317810031 || alice.CreatedAt != 1796317807571 {
		t.Errorf("alice counters: quota %d/%d last login %d first up/down %d/%d created %d", alice.UsedQuotaSize,
			alice.UsedQuotaFiles, alice.LastLogin, alice.FirstUpload, alice.FirstDownload, alice.CreatedAt)
	}
	if len(alice.Groups) != 1 || alice.Groups[0].Name != "devs-team" || alice.Groups[0].Type != GroupTypePrimary {
		t.Errorf("alice groups: %+v", alice.Groups)
	}
	if len(alice.VirtualFolders) != 1 || alice.VirtualFolders[0].Name != "devs-userdocs" || alice.VirtualFolders[0].VirtualPath != "/docs" ||
		alice.VirtualFolders[0].QuotaSize != -1 {
		t.Errorf("alice folders: %+v", alice.VirtualFolders)
	}
	g, err := s.GetGroup(ctx, "devs-team")
	must(t, err)
	if g.UserSettings.MaxSessions != 20 || g.UserSettings.QuotaSize != 1<<30 || len(g.VirtualFolders) != 1 ||
		g.VirtualFolders[0].MappedPath != "/tmp/sftpgo-takeover-devset/folders/teamdocs" {
		t.Errorf("group: %+v", g)
	}
	secrets := map[string]struct {
		sec  func(User) *kms.Secret
		want string
	}{
		"devs-vault":   {func(u User) *kms.Secret { return u.FsConfig.CryptConfig.Passphrase }, "hSa1xJtk8loUxX+vTVip0wbjXA/BeejV"},
		"devs-relay":   {func(u User) *kms.Secret { return u.FsConfig.SFTPConfig.Password }, "Ali-d0e09b575c862f54"},
		"devs-archive": {func(u User) *kms.Secret { return u.FsConfig.S3Config.AccessSecret }, "Zw0S5KgGsg+oQx+bM1mHLWt284MFn3sCA8VJWDtH"},
		"devs-otp":     {func(u User) *kms.Secret { return u.Filters.TOTPConfig.Secret }, "GKIHQJEL4N2H6OCJXTXUICX62YCWD76F"},
	}
	for name, c := range secrets {
		u, err := s.GetUser(ctx, name)
		must(t, err)
		got, err := s.DecryptSecret(c.sec(u))
		if err != nil || got != c.want {
			t.Errorf("user %s secret: %q %v", name, got, err)
		}
	}
	arch, err := s.GetUser(ctx, "devs-archive")
	must(t, err)
	if arch.Role != "devs-auditors" || arch.FsConfig.S3Config.Bucket != "fixture-archive" {
		t.Errorf("archive user: role %q bucket %q", arch.Role, arch.FsConfig.S3Config.Bucket)
	}
	sh, err := s.GetShare(ctx, "E3CX83tCfF6UMZ22jiEcQj")
	if err != nil || sh.Username != "devs-alice" || sh.Scope != 1 || len(sh.Paths) != 1 {
		t.Errorf("share: %v %+v", err, sh)
	} else if verifyPassword(sh.Password, "Shr-f7d857f8df68f3d5") != nil {
		t.Errorf("share password hash not kept: %q", sh.Password)
	}
	dump, err := s.Dump(ctx)
	must(t, err)
	if len(dump.Roles) != 1 || len(dump.IPLists) != 1 || len(dump.EventActions) != 1 || len(dump.EventRules) != 1 {
		t.Fatalf("opaque sections: roles %d ip lists %d actions %d rules %d", len(dump.Roles), len(dump.IPLists),
			len(dump.EventActions), len(dump.EventRules))
	}
	var rule struct {
		Name    string `json:"name"`
		Actions []struct {
			Name  string `json:"name"`
			Order int    `json:"order"`
		} `json:"actions"`
	}
	must(t, json.Unmarshal(dump.EventRules[0], &rule))
	if rule.Name != "devs-on-report" || len(rule.Actions) != 1 || rule.Actions[0].Name != "devs-notify" {
		t.Errorf("event rule: %s", dump.EventRules[0])
	}
	if b, _ := json.Marshal(dump.IPLists); !strings.Contains(string(b), `"203.0.113.0/24"`) {
		t.Errorf("ip list: %s", b)
	}
}

func TestTakeoverSQLiteFixture(t *testing.T) {
	ctx := context.Background()
	dir, file := copyFixtureDB(t)
	s := openFixtureStore(t, dir)
	if err := s.CheckSchema(ctx); !errors.Is(err, ErrSchemaOutdated) || !strings.Contains(err.Error(), "SFTPGo") {
		t.Fatalf("check schema on an SFTPGo database: %v", err)
	}
	must(t, s.Migrate(ctx))
	if v, _ := s.SchemaVersion(ctx); v != CurrentSchemaVersion {
		t.Fatalf("schema after takeover: %d", v)
	}
	must(t, s.CheckSchema(ctx))
	must(t, s.Migrate(ctx)) // a second run is a no-op
	checkFixtureData(t, s)
	// SFTPGo's tables are kept aside, untouched
	db, err := sql.Open("sqlite3", "file:"+file)
	must(t, err)
	defer db.Close()
	var n, v int
	must(t, db.QueryRow("SELECT count(*) FROM sftpgo_users").Scan(&n))
	must(t, db.QueryRow("SELECT version FROM sftpgo_schema_version").Scan(&v))
	if n != 5 || v != 35 {
		t.Fatalf("kept tables: %d users, version %d", n, v)
	}
}

func TestTakeoverRefusesOldSchema(t *testing.T) {
	ctx := context.Background()
	dir, file := copyFixtureDB(t)
	sqliteExec(t, file, "UPDATE schema_version SET version = 29")
	s := openFixtureStore(t, dir)
	err := s.Migrate(ctx)
	if !errors.Is(err, ErrSFTPGoSchemaTooOld) || !strings.Contains(err.Error(), "2.7") {
		t.Fatalf("takeover of schema 29: %v", err)
	}
	if v, ok, _ := s.driver.(*sqlDriver).sftpgoSchema(ctx); !ok || v != 29 {
		t.Fatalf("database changed by a refused takeover: %d %v", v, ok)
	}
}

func TestTakeoverSchema33And34(t *testing.T) {
	ctx := context.Background()
	for _, v := range []int{33, 34} {
		dir, file := copyFixtureDB(t)
		// SFTPGo's 34 -> 35 and 33 -> 34 steps, undone
		stmts := []string{"UPDATE schema_version SET version = 34"}
		for _, tbl := range []string{"users_folders_mapping", "groups_folders_mapping"} {
			stmts = append(stmts, "DROP INDEX "+tbl+"_folder_id_idx", "DROP INDEX "+tbl+"_sort_order_idx",
				"ALTER TABLE "+tbl+" DROP COLUMN exposed_subpaths")
		}
		if v == 33 {
			stmts = append(stmts, "DROP TABLE shares_groups_mapping", "UPDATE schema_version SET version = 33")
		}
		sqliteExec(t, file, stmts...)
		s := openFixtureStore(t, dir)
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("takeover of schema %d: %v", v, err)
		}
		checkFixtureData(t, s)
	}
}

func TestTakeoverUndecryptableSecretFails(t *testing.T) {
	ctx := context.Background()
	dir, file := copyFixtureDB(t)
	// a master key SFTPGo never used: mode 1 secrets cannot be read
	sqliteExec(t, file, `UPDATE users SET filesystem = replace(filesystem, '"additional_data":"devs-vault"', '"additional_data":"devs-vault","mode":1') WHERE username = 'devs-vault'`)
	km, err := kms.NewManager(config.KMSConfig{Secrets: config.KMSSecrets{MasterKey: "another-master-key"}}, dir)
	must(t, err)
	s, err := Open(ctx, Options{Config: testConfig("sqlite"), ConfigDir: dir, KMS: km})
	must(t, err)
	defer s.Close()
	err = s.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), `user "devs-vault"`) || !strings.Contains(err.Error(), "filesystem.cryptconfig.passphrase") {
		t.Fatalf("takeover with an undecryptable secret: %v", err)
	}
	if _, ok, _ := s.driver.(*sqlDriver).sftpgoSchema(ctx); !ok {
		t.Fatal("a failed takeover changed the database")
	}
}

func TestTakeoverUnsupportedSubpathFails(t *testing.T) {
	ctx := context.Background()
	dir, file := copyFixtureDB(t)
	sqliteExec(t, file, "UPDATE users_folders_mapping SET subpath = '/part'")
	s := openFixtureStore(t, dir)
	if err := s.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "devs-alice") || !strings.Contains(err.Error(), "/part") {
		t.Fatalf("takeover with a sub-path mapping: %v", err)
	}
}

func TestLoadFixtureDumpChecksSecrets(t *testing.T) {
	ctx := context.Background()
	b, err := os.ReadFile(filepath.Join(fixtureDir(t), "dump.json"))
	must(t, err)
	dir := t.TempDir()
	s := openFixtureStore(t, dir)
	must(t, s.Migrate(ctx))
	var data BackupData
	must(t, json.Unmarshal(b, &data))
	must(t, s.Restore(ctx, &data, RestoreModeAddUpdate))
	checkFixtureData(t, s)

	// the same dump where a server with another master key cannot read
	// the action's secret: the load fails naming it
	km, err := kms.NewManager(config.KMSConfig{Secrets: config.KMSSecrets{MasterKey: "k"}}, dir)
	must(t, err)
	s2, err := Open(ctx, Options{Config: testConfig("memory"), KMS: km})
	must(t, err)
	defer s2.Close()
	bad := strings.Replace(string(b), `"additional_data":"devs-notify"`, `"additional_data":"devs-notify","mode":1`, 1)
	if bad == string(b) {
		t.Fatal("fixture dump layout changed")
	}
	var data2 BackupData
	must(t, json.Unmarshal([]byte(bad), &data2))
	err = s2.Restore(ctx, &data2, RestoreModeAddUpdate)
	if err == nil || !strings.Contains(err.Error(), `event action "devs-notify"`) || !strings.Contains(err.Error(), "options.http_config.password") {
		t.Fatalf("restore with an undecryptable secret: %v", err)
	}
}

// sqliteSchema lists the tables and indexes of a SQLite database.
func sqliteSchema(t *testing.T, file string) map[string]string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+file)
	must(t, err)
	defer db.Close()
	rows, err := db.Query("SELECT type, name, COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
	must(t, err)
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var typ, name, text string
		must(t, rows.Scan(&typ, &name, &text))
		out[typ+" "+name] = text
	}
	return out
}

// changeAfterTakeover makes changes that a revert must carry back.
func changeAfterTakeover(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	u := newUser("added-after")
	u.Groups = []GroupMapping{{Name: "devs-team", Type: GroupTypeSecondary}}
	must(t, s.AddUser(ctx, &u))
	arch, err := s.GetUser(ctx, "devs-archive")
	must(t, err)
	arch.Description = "changed after the takeover"
	arch.Password = ""
	must(t, s.UpdateUser(ctx, &arch))
}

func checkChangesCameBack(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.CheckUserPassword(ctx, "added-after", "secret-added-after"); err != nil {
		t.Errorf("user added after the takeover: %v", err)
	}
	arch, err := s.GetUser(ctx, "devs-archive")
	if err != nil || arch.Description != "changed after the takeover" {
		t.Errorf("change after the takeover: %v %q", err, arch.Description)
	}
}

func TestRevertTakeoverSQLite(t *testing.T) {
	ctx := context.Background()
	dir, file := copyFixtureDB(t)
	orig := sqliteSchema(t, file)
	s := openFixtureStore(t, dir)
	must(t, s.Migrate(ctx))
	changeAfterTakeover(t, s)
	if err := s.Revert(ctx, 34); err == nil || !strings.Contains(err.Error(), "revert to 35 ") {
		t.Fatalf("revert to another SFTPGo schema: %v", err)
	}
	must(t, s.Revert(ctx, 35))
	// SFTPGo's own schema, table by table and index by index
	got := sqliteSchema(t, file)
	for k, v := range orig {
		if got[k] != v {
			t.Errorf("%s after revert:\n got %s\nwant %s", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := orig[k]; !ok {
			t.Errorf("%s left after revert", k)
		}
	}
	v, ok, err := s.driver.(*sqlDriver).sftpgoSchema(ctx)
	if err != nil || !ok || v != 35 {
		t.Fatalf("after revert: SFTPGo schema %d %v %v", v, ok, err)
	}
	// what SFTPGo reads: the rows, in its shape, then the same takeover again
	must(t, s.Migrate(ctx))
	checkFixtureData(t, s)
	checkChangesCameBack(t, s)
}

func TestRevertRefusesOwnDatabase(t *testing.T) {
	s := newTestStore(t, "sqlite")
	err := s.Revert(context.Background(), 33)
	if err == nil || !strings.Contains(err.Error(), "not taken over from SFTPGo") || !strings.Contains(err.Error(), "dumpdata") {
		t.Fatalf("revert of a database we created: %v", err)
	}
}

func TestTakeoverWithTablePrefix(t *testing.T) {
	ctx := context.Background()
	dir, file := copyFixtureDB(t)
	var stmts []string
	for _, tbl := range sftpgoTables {
		if tbl != "nodes" {
			stmts = append(stmts, "ALTER TABLE "+tbl+" RENAME TO sg_"+tbl)
		}
	}
	sqliteExec(t, file, stmts...)
	km, err := kms.NewManager(config.KMSConfig{}, dir)
	must(t, err)
	cfg := testConfig("sqlite")
	cfg.SQLTablesPrefix = "sg_"
	s, err := Open(ctx, Options{Config: cfg, ConfigDir: dir, KMS: km})
	must(t, err)
	defer s.Close()
	must(t, s.Migrate(ctx))
	checkFixtureData(t, s)
	db, err := sql.Open("sqlite3", "file:"+file)
	must(t, err)
	defer db.Close()
	var n int
	must(t, db.QueryRow("SELECT count(*) FROM sg_sftpgo_users").Scan(&n))
	if n != 5 {
		t.Fatalf("kept prefixed SFTPGo users: %d", n)
	}
	must(t, s.Revert(ctx, 35))
	if v, ok, _ := s.driver.(*sqlDriver).sftpgoSchema(ctx); !ok || v != 35 {
		t.Fatalf("prefixed revert: %d %v", v, ok)
	}
}

// legacySecret seals plain in this server's first AES-256-GCM layout
// (base64 key, HKDF of the master key), which SFTPGo cannot read.
func legacySecret(t *testing.T, master, plain, ad string) *kms.Secret {
	t.Helper()
	salt := make([]byte, 32)
	_, _ = rand.Read(salt)
	key, err := hkdf.Key(sha256.New, []byte(master), salt, "sftpgo-ng kms builtin AES-256-GCM v1", 32)
	must(t, err)
	block, err := aes.NewCipher(key)
	must(t, err)
	gcm, err := cipher.NewGCM(block)
	must(t, err)
	nonce := make([]byte, gcm.NonceSize())
	_, _ = rand.Read(nonce)
	return &kms.Secret{Status: kms.StatusAES256GCM, Key: base64.StdEncoding.EncodeToString(salt), AdditionalData: ad,
		Mode: kms.ModeMasterKey, Payload: base64.StdEncoding.EncodeToString(gcm.Seal(nonce, nonce, []byte(plain), []byte(ad)))}
}

func TestRevertReencryptsLegacySecrets(t *testing.T) {
	ctx := context.Background()
	dir, file := copyFixtureDB(t)
	km, err := kms.NewManager(config.KMSConfig{Secrets: config.KMSSecrets{MasterKey: "mk"}}, dir)
	must(t, err)
	s, err := Open(ctx, Options{Config: testConfig("sqlite"), ConfigDir: dir, KMS: km})
	must(t, err)
	defer s.Close()
	must(t, s.Migrate(ctx))
	u, err := s.driver.GetUser(ctx, "devs-vault")
	must(t, err)
	u.FsConfig.CryptConfig.Passphrase = legacySecret(t, "mk", "legacy-pass", "devs-vault")
	must(t, s.driver.UpdateUser(ctx, &u))
	if got, err := s.DecryptSecret(u.FsConfig.CryptConfig.Passphrase); err != nil || got != "legacy-pass" {
		t.Fatalf("legacy secret: %q %v", got, err)
	}
	must(t, s.Revert(ctx, 35))
	db, err := sql.Open("sqlite3", "file:"+file)
	must(t, err)
	defer db.Close()
	var fsJSON string
	must(t, db.QueryRow("SELECT filesystem FROM users WHERE username = 'devs-vault'").Scan(&fsJSON))
	var fs Filesystem
	must(t, json.Unmarshal([]byte(fsJSON), &fs))
	sec := fs.CryptConfig.Passphrase
	if sec == nil || sec.Status != kms.StatusSecretBox || sec.AdditionalData != "devs-vault" {
		t.Fatalf("reverted secret: %+v", sec)
	}
	if got, err := km.Decrypt(sec); err != nil || got != "legacy-pass" {
		t.Fatalf("reverted secret decrypts to %q %v", got, err)
	}
}
