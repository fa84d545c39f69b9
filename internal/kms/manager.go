package kms

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// LocalKeyFile is the name, inside the config dir, of the random key that
// earlier versions of this server used when no master key was configured.
// It is no longer created; when present it is read so secrets written
// then still decrypt. Keep it (and back it up) while such secrets exist.
const LocalKeyFile = "kms.key"

const (
	keySize  = 32 // AES-256, XSalsa20
	saltSize = 32
)

// Secret modes stored in Secret.Mode, as SFTPGo writes them.
const (
	// ModeLocalKey marks a secret whose key derives from the secret alone
	// (no master key configured when it was written).
	ModeLocalKey = 0
	// ModeMasterKey marks a secret encrypted under the master key.
	ModeMasterKey = 1
)

// ErrDecrypt is returned when a payload cannot be authenticated: wrong
// key, tampered payload or salt, or additional data that does not match.
var ErrDecrypt = errors.New("kms: cannot decrypt secret: authentication failed (wrong key, tampered payload or additional data mismatch)")

// Manager encrypts and decrypts secrets. New secrets are written in
// SFTPGo's Secretbox layout, so a dump or database we write loads into
// SFTPGo with the same kms configuration. It reads SFTPGo's Secretbox and
// AES-256-GCM layouts and the AES-256-GCM layout of earlier versions of
// this server. It holds no mutable state and is safe for concurrent use.
type Manager struct {
	master []byte // the configured master key, nil without one
	local  []byte // legacy LocalKeyFile content, nil when absent
	files  []string
}

// KeyFiles returns the key files the manager read (master_key_path, the
// legacy local key), so the caller can check they are private.
func (m *Manager) KeyFiles() []string { return append([]string(nil), m.files...) }

// NewManager builds the provider from kms.secrets: a master key inline or
// from master_key_path (relative to configDir); configDir/LocalKeyFile is
// read when it exists, for secrets written by earlier versions.
func NewManager(cfg config.KMSConfig, configDir string) (*Manager, error) {
	if err := checkURL(cfg.Secrets.URL); err != nil {
		return nil, err
	}
	m := &Manager{}
	if p := strings.TrimSpace(cfg.Secrets.MasterKeyPath); p != "" {
		p = config.ResolvePath(configDir, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("kms: read master key file: %w", err)
		}
		key := strings.TrimSpace(string(data))
		if key == "" {
			return nil, fmt.Errorf("kms: master key file %q is empty", p)
		}
		m.master = []byte(key)
		m.files = append(m.files, p)
	} else if cfg.Secrets.MasterKey != "" {
		m.master = []byte(cfg.Secrets.MasterKey)
	}
	localPath := filepath.Join(configDir, LocalKeyFile)
	local, err := loadLocalKey(localPath)
	if err != nil {
		return nil, err
	}
	m.local = local
	if local != nil {
		m.files = append(m.files, localPath)
	}
	return m, nil
}

// checkURL accepts only the built-in providers (SFTPGo's local:// and
// builtin:// schemes). The URL itself is never echoed back: remote KMS
// URLs may carry tokens.
func checkURL(u string) error {
	u = strings.TrimSpace(u)
	switch strings.ToLower(u) {
	case "", "builtin", "builtin://", "local", "local://":
		return nil
	}
	scheme := "(none)"
	if i := strings.Index(u, "://"); i > 0 {
		scheme = u[:i]
	}
	return fmt.Errorf("kms: unsupported KMS url (scheme %q): only the built-in provider is available, leave kms.secrets.url empty", scheme)
}

// loadLocalKey reads the legacy local key; a missing file is no error.
func loadLocalKey(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("kms: read local key file: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) != keySize {
		return nil, fmt.Errorf("kms: local key file %q is corrupted: want %d base64-encoded bytes", path, keySize)
	}
	return key, nil
}

// Encrypt turns a Plain secret into an encrypted one in place, bound to
// additionalData (the owner's name, as SFTPGo binds it). Other statuses
// are left alone. The result is SFTPGo's Secretbox layout: see
// secretbox.go.
func (m *Manager) Encrypt(s *Secret, additionalData string) error {
	if s == nil {
		return errors.New("kms: encrypt: nil secret")
	}
	if s.Status != StatusPlain {
		return nil
	}
	enc, err := sealSecretbox([]byte(s.Payload), additionalData, m.master)
	if err != nil {
		return err
	}
	*s = *enc
	return nil
}

// Decrypt returns the clear payload of a Plain or encrypted secret.
// An empty secret decrypts to "". The secret is not modified.
func (m *Manager) Decrypt(s *Secret) (string, error) {
	if s.IsEmpty() {
		return "", nil
	}
	switch s.Status {
	case StatusPlain:
		return s.Payload, nil
	case StatusSecretBox:
		return openSecretbox(s, m.master)
	case StatusAES256GCM:
		if isSFTPGoAESLayout(s) {
			return openSFTPGoAES(s)
		}
		return m.openLegacyAES(s)
	case StatusRedacted:
		return "", errors.New("kms: cannot decrypt a redacted secret")
	case StatusGCP, StatusAWS, StatusVault, StatusAzure, StatusOracle:
		return "", fmt.Errorf("kms: secret status %q needs a remote KMS (an SFTPGo KMS plugin), which this server does not support: set the secret again in clear (status %q) so it is re-encrypted locally", s.Status, StatusPlain)
	default:
		return "", fmt.Errorf("kms: unsupported secret status %q: only %q, %q and %q are supported", s.Status, StatusPlain, StatusSecretBox, StatusAES256GCM)
	}
}

// legacyHKDFInfo is the HKDF info of this server's first AES-256-GCM
// layout: key and payload base64, key material the master or local key.
const legacyHKDFInfo = "sftpgo-ng kms builtin AES-256-GCM v1"

func (m *Manager) legacyAEAD(s *Secret, salt []byte) (cipher.AEAD, error) {
	ikm := m.local
	if s.Mode == ModeMasterKey {
		ikm = m.master
	}
	if ikm == nil {
		if s.Mode == ModeMasterKey {
			return nil, errors.New("kms: cannot decrypt secret: it was encrypted with a master key, configure kms.secrets.master_key or master_key_path")
		}
		return nil, fmt.Errorf("kms: cannot decrypt secret: it was encrypted with the local key file %s, which is missing from the config dir", LocalKeyFile)
	}
	key, err := hkdf.Key(sha256.New, ikm, salt, legacyHKDFInfo, keySize)
	if err != nil {
		return nil, fmt.Errorf("kms: derive key: %w", err)
	}
	return newGCM(key)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("kms: %w", err)
	}
	return cipher.NewGCM(block)
}

// openLegacyAES decrypts this server's first layout: Key base64 of a
// 32-byte HKDF salt, Payload base64(nonce||ciphertext).
func (m *Manager) openLegacyAES(s *Secret) (string, error) {
	salt, err := base64.StdEncoding.DecodeString(s.Key)
	if err != nil || len(salt) != saltSize {
		return "", errors.New("kms: cannot decrypt secret: invalid key field")
	}
	sealed, err := base64.StdEncoding.DecodeString(s.Payload)
	if err != nil {
		return "", errors.New("kms: cannot decrypt secret: payload is not valid base64")
	}
	gcm, err := m.legacyAEAD(s, salt)
	if err != nil {
		return "", err
	}
	return openGCM(gcm, sealed, s.AdditionalData)
}

func openGCM(gcm cipher.AEAD, sealed []byte, ad string) (string, error) {
	if len(sealed) < gcm.NonceSize()+gcm.Overhead() {
		return "", errors.New("kms: cannot decrypt secret: payload too short")
	}
	nonce, ct := sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():]
	plain, err := gcm.Open(nil, nonce, ct, []byte(ad))
	if err != nil {
		return "", ErrDecrypt
	}
	return string(plain), nil
}

// randomBytes returns n bytes from crypto/rand.
func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("kms: random: %w", err)
	}
	return b, nil
}
