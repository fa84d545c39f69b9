package kms

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// fixturesDir is the SFTPGo fixture set (data written by SFTPGo itself);
// SFTPGO_FIXTURES_DIR overrides its location.
func fixturesDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SFTPGO_FIXTURES_DIR")
	if dir == "" {
		dir = "../../../shared/sftpgo-fixtures" // shared/ sits beside the checkout
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if _, err := os.Stat(filepath.Join(dir, "dump.json")); err != nil {
		t.Fatalf("SFTPGo fixtures missing (set SFTPGO_FIXTURES_DIR): %v", err)
	}
	return dir
}

// fixturePlaintexts maps each secret of the fixture set, by where it
// sits, to the clear value its README documents.
func fixturePlaintexts(t *testing.T, dir string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "accounts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var acc struct {
		Users struct {
			Local struct{ Password string }
			Crypt struct{ Passphrase string } `json:"cryptfs"`
			S3    struct {
				AccessSecret string `json:"access_secret"`
			}
			TOTP struct {
				Secret        string   `json:"totp_secret"`
				RecoveryCodes []string `json:"recovery_codes"`
			} `json:"totp"`
		}
	}
	if err := json.Unmarshal(data, &acc); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"devs-vault/cryptconfig.passphrase":   acc.Users.Crypt.Passphrase,
		"devs-relay/sftpconfig.password":      acc.Users.Local.Password, // the relay logs in as devs-alice
		"devs-archive/s3config.access_secret": acc.Users.S3.AccessSecret,
		"devs-otp/totp_config.secret":         acc.Users.TOTP.Secret,
		"devs-notify/http_config.password":    "Hook-70b64130be49cf74", // README: event action devs-notify
	}
	for _, c := range acc.Users.TOTP.RecoveryCodes {
		want["devs-otp/recovery_codes[]#"+c] = c
	}
	for k, v := range want {
		if v == "" {
			t.Fatalf("accounts.json gives no value for %s", k)
		}
	}
	return want
}

// collectSecrets finds every {"status","payload",...} object in v; name
// is the key path of its last two levels.
func collectSecrets(v any, path []string, out map[string]*Secret) {
	switch x := v.(type) {
	case map[string]any:
		if st, ok := x["status"].(string); ok {
			if _, ok := x["payload"]; ok {
				b, _ := json.Marshal(x)
				var s Secret
				if json.Unmarshal(b, &s) == nil && st != "" {
					out[strings.Join(path, ".")] = &s
				}
				return
			}
		}
		for k, c := range x {
			collectSecrets(c, append(path, k), out)
		}
	case []any:
		for i, c := range x {
			collectSecrets(c, append(path[:len(path):len(path)], fmt.Sprintf("[%d]", i)), out)
		}
	}
}

// checkFixtureSecrets decrypts secrets and compares them with want: the
// additional data names the owner, the last path segments the field.
func checkFixtureSecrets(t *testing.T, m *Manager, secrets []*Secret, paths []string, want map[string]string) {
	t.Helper()
	seen := map[string]bool{}
	for i, s := range secrets {
		if s.Status != StatusSecretBox {
			t.Errorf("%s: status %q, want Secretbox", paths[i], s.Status)
			continue
		}
		got, err := m.Decrypt(s)
		if err != nil {
			t.Errorf("%s: %v", paths[i], err)
			continue
		}
		segs := strings.Split(paths[i], ".")
		key := s.AdditionalData + "/" + strings.Join(segs[max(0, len(segs)-2):], ".")
		if strings.Contains(paths[i], "recovery_codes") {
			key = s.AdditionalData + "/recovery_codes[]#" + got
		}
		exp, ok := want[key]
		if !ok {
			t.Errorf("%s (%s) decrypted to a value the fixture does not document", paths[i], key)
			continue
		}
		if got != exp {
			t.Errorf("%s: decrypted to a wrong value (%d bytes)", paths[i], len(got))
		}
		seen[key] = true
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("no secret of the fixture decrypted to %s", k)
		}
	}
}

// TestSFTPGoDumpSecrets: every secret of a dump SFTPGo wrote without a
// master key decrypts to the documented value, with or without a master
// key configured here (mode 0 secrets never need one).
func TestSFTPGoDumpSecrets(t *testing.T) {
	dir := fixturesDir(t)
	data, err := os.ReadFile(filepath.Join(dir, "dump.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dump map[string]any
	if err := json.Unmarshal(data, &dump); err != nil {
		t.Fatal(err)
	}
	found := map[string]*Secret{}
	collectSecrets(dump, nil, found)
	// event_rules repeat the actions they use: count each action once.
	var paths []string
	for p := range found {
		if !strings.HasPrefix(p, "event_rules") {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	secrets := make([]*Secret, len(paths))
	for i, p := range paths {
		secrets[i] = found[p]
	}
	want := fixturePlaintexts(t, dir)
	for name, cfg := range map[string]config.KMSConfig{"no master key": {}, "master key": masterCfg("some-master-key")} {
		t.Run(name, func(t *testing.T) {
			checkFixtureSecrets(t, newManager(t, cfg, t.TempDir()), secrets, paths, want)
		})
	}
}

// TestSFTPGoDatabaseSecrets reads the same secrets from SFTPGo's SQLite
// database, where they sit in JSON columns.
func TestSFTPGoDatabaseSecrets(t *testing.T) {
	dir := fixturesDir(t)
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "sftpgo.db")+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	found := map[string]*Secret{}
	for _, q := range []string{
		"SELECT username, filesystem FROM users", "SELECT username, filters FROM users",
		"SELECT name, options FROM events_actions",
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var name string
			var js sql.NullString
			if err := rows.Scan(&name, &js); err != nil {
				t.Fatal(err)
			}
			var v any
			if js.Valid && json.Unmarshal([]byte(js.String), &v) == nil {
				collectSecrets(v, []string{name}, found)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	var paths []string
	for p := range found {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	secrets := make([]*Secret, len(paths))
	for i, p := range paths {
		secrets[i] = found[p]
	}
	checkFixtureSecrets(t, newManager(t, config.KMSConfig{}, t.TempDir()), secrets, paths, fixturePlaintexts(t, dir))
}

// sftpgoAESVector was made with Python's cryptography package following
// SFTPGo's documented AES-256-GCM layout (an implementation independent
// of ours): key = hex(S), AES key = SHA-256(S || ad || S), payload =
// hex(nonce || ciphertext+tag).
var sftpgoAESVector = Secret{
	Status:         StatusAES256GCM,
	Payload:        "9ea249160e465bf01cb41a09cdc1015d9ea78c4bd46f293bcf45805d0dc00ae3575c41885cd61c9e346f871cdb",
	Key:            "4b6ae50fd6921da2bcf52f915b6df833d7bcc8d1aafef0c8ec9f366678ce6226",
	AdditionalData: "folder_archive",
}

const sftpgoAESPlain = "GCM-plain-\u00e8-text"

func TestSFTPGoAESGCM(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]config.KMSConfig{"no master key": {}, "master key": masterCfg("m")} {
		m := newManager(t, cfg, t.TempDir())
		got, err := m.Decrypt(&sftpgoAESVector)
		if err != nil || got != sftpgoAESPlain {
			t.Fatalf("%s: got %q, %v", name, got, err)
		}
	}
	m := newManager(t, config.KMSConfig{}, t.TempDir())
	bad := sftpgoAESVector
	bad.AdditionalData = "folder_other"
	if _, err := m.Decrypt(&bad); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("other additional data: %v, want ErrDecrypt", err)
	}
	bad = sftpgoAESVector
	bad.Payload = "zz" + bad.Payload[2:]
	if _, err := m.Decrypt(&bad); err == nil {
		t.Fatal("non-hex payload accepted")
	}
}

// sealLegacy writes a secret in this server's first AES-256-GCM layout
// (base64 key and payload, HKDF of the master or local key), as versions
// before the SFTPGo layouts wrote it.
func sealLegacy(t *testing.T, m *Manager, plain, ad string, mode int) *Secret {
	t.Helper()
	salt, err := randomBytes(saltSize)
	if err != nil {
		t.Fatal(err)
	}
	s := &Secret{Status: StatusAES256GCM, Key: base64.StdEncoding.EncodeToString(salt), AdditionalData: ad, Mode: mode}
	gcm, err := m.legacyAEAD(s, salt)
	if err != nil {
		t.Fatal(err)
	}
	nonce, err := randomBytes(gcm.NonceSize())
	if err != nil {
		t.Fatal(err)
	}
	s.Payload = base64.StdEncoding.EncodeToString(gcm.Seal(nonce, nonce, []byte(plain), []byte(ad)))
	return s
}

// TestLegacyAESGCM: secrets our earlier versions wrote under the same
// status name still decrypt, with the master key or the kms.key file.
func TestLegacyAESGCM(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, _ := randomBytes(keySize)
	if err := os.WriteFile(filepath.Join(dir, LocalKeyFile), []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withLocal := newManager(t, config.KMSConfig{}, dir)
	local := sealLegacy(t, withLocal, clearText, "u1", ModeLocalKey)
	withMaster := newManager(t, masterCfg("legacy-master"), dir)
	master := sealLegacy(t, withMaster, clearText, "u2", ModeMasterKey)

	for name, c := range map[string]struct {
		m *Manager
		s *Secret
	}{"local key": {withLocal, local}, "master key": {withMaster, master}, "local key with master configured": {withMaster, local}} {
		got, err := c.m.Decrypt(c.s)
		if err != nil || got != clearText {
			t.Errorf("%s: got %q, %v", name, got, err)
		}
	}
	// Without the key file the error says what is missing.
	_, err := newManager(t, config.KMSConfig{}, t.TempDir()).Decrypt(local)
	if err == nil || !strings.Contains(err.Error(), LocalKeyFile) {
		t.Errorf("missing kms.key: %v", err)
	}
	// Another key file fails authentication.
	other := t.TempDir()
	key2, _ := randomBytes(keySize)
	if err := os.WriteFile(filepath.Join(other, LocalKeyFile), []byte(base64.StdEncoding.EncodeToString(key2)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := newManager(t, config.KMSConfig{}, other).Decrypt(local); !errors.Is(err, ErrDecrypt) {
		t.Errorf("other kms.key: %v, want ErrDecrypt", err)
	}
	// Re-encrypting a value read from the old layout gives SFTPGo's.
	s := NewPlainSecret(clearText)
	if err := withLocal.Encrypt(s, "u1"); err != nil || s.Status != StatusSecretBox {
		t.Fatalf("new secret: %v %q", err, s.Status)
	}
}

// TestMasterKeySecretbox: with a master key, new secrets are mode 1 and
// need that master key; mode 0 secrets keep working.
func TestMasterKeySecretbox(t *testing.T) {
	t.Parallel()
	m := newManager(t, masterCfg("master-A"), t.TempDir())
	s := encrypted(t, m, clearText, "folder_f")
	if s.Status != StatusSecretBox || s.Mode != ModeMasterKey {
		t.Fatalf("status %q mode %d, want Secretbox mode 1", s.Status, s.Mode)
	}
	if _, err := newManager(t, masterCfg("master-B"), t.TempDir()).Decrypt(s); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("other master key: %v, want ErrDecrypt", err)
	}
	_, err := newManager(t, config.KMSConfig{}, t.TempDir()).Decrypt(s)
	if err == nil || !strings.Contains(err.Error(), "master key") {
		t.Fatalf("no master key: %v", err)
	}
	// The same secret with mode 0 would derive its key from itself: a
	// mode switch must not decrypt.
	s0 := s.Clone()
	s0.Mode = ModeLocalKey
	if _, err := m.Decrypt(s0); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("mode 1 secret read as mode 0: %v", err)
	}
}

func TestRemoteKMSStatusesRefused(t *testing.T) {
	t.Parallel()
	m := newManager(t, config.KMSConfig{}, t.TempDir())
	for _, st := range []SecretStatus{StatusGCP, StatusAWS, StatusVault, StatusAzure, StatusOracle} {
		_, err := m.Decrypt(&Secret{Status: st, Payload: "cGF5bG9hZA==", Key: "k"})
		if err == nil || !strings.Contains(err.Error(), `"`+string(st)+`"`) || !strings.Contains(err.Error(), "not support") {
			t.Errorf("%s: error %v, want a refusal naming the status", st, err)
		}
	}
}
