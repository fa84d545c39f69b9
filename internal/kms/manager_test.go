package kms

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

const clearText = "s3cr3t-Passw0rd-\u00e8\u00e0"

func masterCfg(key string) config.KMSConfig {
	return config.KMSConfig{Secrets: config.KMSSecrets{MasterKey: key}}
}

func newManager(t *testing.T, cfg config.KMSConfig, dir string) *Manager {
	t.Helper()
	m, err := NewManager(cfg, dir)
	if err != nil {
		t.Fatalf("NewManager: %v", err)
	}
	return m
}

func encrypted(t *testing.T, m *Manager, payload, aad string) *Secret {
	t.Helper()
	s := NewPlainSecret(payload)
	if err := m.Encrypt(s, aad); err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	return s
}

// checkNoLeak fails if err's text contains the clear payload or any key.
func checkNoLeak(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Fatalf("error %q leaks secret material %q", err, s)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]config.KMSConfig{
		"master key": masterCfg("0123456789abcdef-master"),
		"local key":  {},
		"builtin":    {Secrets: config.KMSSecrets{URL: "builtin", MasterKey: "k"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m := newManager(t, cfg, t.TempDir())
			for _, payload := range []string{clearText, "", strings.Repeat("x", 100000)} {
				s := encrypted(t, m, payload, "user1")
				if s.Status != StatusSecretBox {
					t.Fatalf("status = %q, want %q", s.Status, StatusSecretBox)
				}
				if k, err := hex.DecodeString(s.Key); err != nil || len(k) != 32 {
					t.Fatalf("key %q is not hex of 32 bytes, as SFTPGo writes it", s.Key)
				}
				if payload != "" && strings.Contains(s.Payload, payload) {
					t.Fatal("payload stored in clear")
				}
				if s.AdditionalData != "user1" {
					t.Fatalf("additional data = %q", s.AdditionalData)
				}
				if _, err := base64.StdEncoding.DecodeString(s.Payload); err != nil {
					t.Fatalf("payload not base64: %v", err)
				}
				got, err := m.Decrypt(s)
				if err != nil {
					t.Fatalf("Decrypt: %v", err)
				}
				if got != payload {
					t.Fatalf("round trip mismatch: got %d bytes, want %d", len(got), len(payload))
				}
			}
		})
	}
}

func TestEncryptIsRandomized(t *testing.T) {
	t.Parallel()
	m := newManager(t, masterCfg("k"), t.TempDir())
	a := encrypted(t, m, clearText, "u")
	b := encrypted(t, m, clearText, "u")
	if a.Payload == b.Payload || a.Key == b.Key {
		t.Fatal("two encryptions of the same secret are identical: nonce/salt not random")
	}
}

func TestEncryptLeavesNonPlainAlone(t *testing.T) {
	t.Parallel()
	m := newManager(t, masterCfg("k"), t.TempDir())
	s := encrypted(t, m, clearText, "u")
	before := *s
	if err := m.Encrypt(s, "other"); err != nil {
		t.Fatal(err)
	}
	if *s != before {
		t.Fatal("an already encrypted secret was re-encrypted")
	}
	if err := m.Encrypt(nil, "x"); err == nil {
		t.Fatal("Encrypt(nil) succeeded")
	}
}

func TestModeRecordsKeyKind(t *testing.T) {
	t.Parallel()
	if s := encrypted(t, newManager(t, masterCfg("k"), t.TempDir()), "x", ""); s.Mode != ModeMasterKey {
		t.Fatalf("mode with master key = %d", s.Mode)
	}
	if s := encrypted(t, newManager(t, config.KMSConfig{}, t.TempDir()), "x", ""); s.Mode != ModeLocalKey {
		t.Fatalf("mode with local key = %d", s.Mode)
	}
}

func TestDecryptFailures(t *testing.T) {
	t.Parallel()
	const master = "the-right-master-key"
	m := newManager(t, masterCfg(master), t.TempDir())
	good := encrypted(t, m, clearText, "alice")

	tamperPayload := good.Clone()
	raw, _ := base64.StdEncoding.DecodeString(tamperPayload.Payload)
	raw[len(raw)-1] ^= 0x01
	tamperPayload.Payload = base64.StdEncoding.EncodeToString(raw)

	tamperNonce := good.Clone()
	raw, _ = base64.StdEncoding.DecodeString(tamperNonce.Payload)
	raw[0] ^= 0x80
	tamperNonce.Payload = base64.StdEncoding.EncodeToString(raw)

	tamperSalt := good.Clone()
	raw, _ = hex.DecodeString(tamperSalt.Key)
	raw[3] ^= 0x10
	tamperSalt.Key = hex.EncodeToString(raw)

	aadMismatch := good.Clone()
	aadMismatch.AdditionalData = "bob"

	truncated := good.Clone()
	truncated.Payload = base64.StdEncoding.EncodeToString([]byte("short"))

	badB64 := good.Clone()
	badB64.Payload = "!!!not base64"

	wrongKey := newManager(t, masterCfg("a-wrong-master-key"), t.TempDir())
	localKey := newManager(t, config.KMSConfig{}, t.TempDir())

	cases := []struct {
		name    string
		m       *Manager
		s       *Secret
		wantErr error
	}{
		{"wrong master key", wrongKey, good, ErrDecrypt},
		{"no master key for a mode 1 secret", localKey, good, nil},
		{"mode 0 read as mode 1", m, withMode(encrypted(t, localKey, clearText, "alice"), ModeMasterKey), ErrDecrypt},
		{"unknown mode", m, withMode(good.Clone(), 7), nil},
		{"tampered ciphertext", m, tamperPayload, ErrDecrypt},
		{"tampered nonce", m, tamperNonce, ErrDecrypt},
		{"tampered salt", m, tamperSalt, ErrDecrypt},
		{"additional data mismatch", m, aadMismatch, ErrDecrypt},
		{"truncated payload", m, truncated, nil},
		{"payload not base64", m, badB64, nil},
		{"redacted", m, &Secret{Status: StatusRedacted}, nil},
		{"unknown status", m, &Secret{Status: "Whatever", Payload: "abc"}, nil},
		{"secretbox with a bad key field", m, &Secret{Status: StatusSecretBox, Payload: "abc", Key: "def"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.m.Decrypt(tc.s)
			if err == nil {
				t.Fatalf("Decrypt succeeded with %q", got)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if got != "" {
				t.Fatalf("failed Decrypt returned data %q", got)
			}
			checkNoLeak(t, err, clearText, master, "a-wrong-master-key")
		})
	}
}

func TestDecryptUnknownStatusNamesIt(t *testing.T) {
	t.Parallel()
	m := newManager(t, masterCfg("k"), t.TempDir())
	_, err := m.Decrypt(&Secret{Status: StatusAWS, Payload: "x"})
	if err == nil || !strings.Contains(err.Error(), `"AWS"`) {
		t.Fatalf("error = %v, want it to name the status", err)
	}
}

func TestDecryptPlainAndEmpty(t *testing.T) {
	t.Parallel()
	m := newManager(t, masterCfg("k"), t.TempDir())
	if got, err := m.Decrypt(NewPlainSecret(clearText)); err != nil || got != clearText {
		t.Fatalf("plain: got %q, %v", got, err)
	}
	for _, s := range []*Secret{nil, {}} {
		if got, err := m.Decrypt(s); err != nil || got != "" {
			t.Fatalf("empty: got %q, %v", got, err)
		}
	}
}

func TestLocalKeyCorrupted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	secretish := "c29tZXRoaW5nLXNlY3JldA=="
	if err := os.WriteFile(filepath.Join(dir, LocalKeyFile), []byte(secretish), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := NewManager(config.KMSConfig{}, dir)
	if err == nil {
		t.Fatal("a corrupted local key was accepted")
	}
	checkNoLeak(t, err, secretish)
}

// Without a master key nothing is written to the config dir: new
// secrets need no key file, as in SFTPGo.
func TestNoKeyFileCreated(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	m := newManager(t, config.KMSConfig{}, dir)
	s := encrypted(t, m, clearText, "u")
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("config dir has %d entries, want none", len(entries))
	}
	// Another server with the same (empty) kms config reads it: the key
	// derives from the secret itself.
	other := newManager(t, config.KMSConfig{}, filepath.Join(t.TempDir(), "missing"))
	if got, err := other.Decrypt(s); err != nil || got != clearText {
		t.Fatalf("mode 0 secret in another dir: %q, %v", got, err)
	}
}

func withMode(s *Secret, mode int) *Secret {
	s.Mode = mode
	return s
}

func TestMasterKeyPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const key = "file-master-key-value"
	if err := os.WriteFile(filepath.Join(dir, "master.key"), []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Relative path, resolved against the config dir; it wins over master_key.
	mFile := newManager(t, config.KMSConfig{Secrets: config.KMSSecrets{
		MasterKeyPath: "master.key", MasterKey: "ignored"}}, dir)
	s := encrypted(t, mFile, clearText, "x")

	mInline := newManager(t, masterCfg(key), t.TempDir())
	if got, err := mInline.Decrypt(s); err != nil || got != clearText {
		t.Fatalf("inline key equal to file key (newline trimmed) cannot decrypt: %q, %v", got, err)
	}
	mAbs := newManager(t, config.KMSConfig{Secrets: config.KMSSecrets{
		MasterKeyPath: filepath.Join(dir, "master.key")}}, t.TempDir())
	if got, err := mAbs.Decrypt(s); err != nil || got != clearText {
		t.Fatalf("absolute master_key_path: %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, LocalKeyFile)); err == nil {
		t.Fatal("a local key was created although a master key is configured")
	}

	_, err := NewManager(config.KMSConfig{Secrets: config.KMSSecrets{MasterKeyPath: "nope.key"}}, dir)
	if err == nil {
		t.Fatal("missing master key file accepted")
	}
	if err := os.WriteFile(filepath.Join(dir, "empty.key"), []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewManager(config.KMSConfig{Secrets: config.KMSSecrets{MasterKeyPath: "empty.key"}}, dir); err == nil {
		t.Fatal("empty master key file accepted")
	}
}

func TestUnsupportedURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"awskms:///alias/x", "hashivault://vault:8200/transit/keys/k?token=TOPSECRET", "gcpkms://x", "something"} {
		_, err := NewManager(config.KMSConfig{Secrets: config.KMSSecrets{URL: u}}, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "unsupported KMS url") {
			t.Fatalf("url %q: error = %v", u, err)
		}
		checkNoLeak(t, err, "TOPSECRET")
	}
	for _, u := range []string{"", "builtin", "builtin://", " BUILTIN "} {
		if _, err := NewManager(config.KMSConfig{Secrets: config.KMSSecrets{URL: u, MasterKey: "k"}}, t.TempDir()); err != nil {
			t.Fatalf("url %q rejected: %v", u, err)
		}
	}
}
