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

// LocalKeyFile is the name, inside the config dir, of the random key used
// when no master key is configured. Losing it makes every stored secret
// unreadable, so back it up together with the data provider.
const LocalKeyFile = "kms.key"

const (
	keySize  = 32 // AES-256
	saltSize = 32
	// hkdfInfo separates our derived keys from any other use of the same
	// master key material.
	hkdfInfo = "sftpgo-ng kms builtin AES-256-GCM v1"
)

// Secret modes stored in Secret.Mode, so an administrator can tell which
// kind of key a stored secret needs.
const (
	// ModeLocalKey marks a secret encrypted with the random local key.
	ModeLocalKey = 0
	// ModeMasterKey marks a secret encrypted with the configured master key.
	ModeMasterKey = 1
)

// ErrDecrypt is returned when a payload cannot be authenticated: wrong
// key, tampered payload or salt, or additional data that does not match.
var ErrDecrypt = errors.New("kms: cannot decrypt secret: authentication failed (wrong key, tampered payload or additional data mismatch)")

// Manager encrypts and decrypts secrets with the configured provider.
// It holds no mutable state and is safe for concurrent use.
type Manager struct {
	ikm  []byte // input key material: the master key or the local key
	mode int
}

// NewManager builds the provider from kms.secrets: a master key (inline or
// from master_key_path, relative to configDir) keys AES-256-GCM; without
// one a random local key is used, created once in configDir/LocalKeyFile.
func NewManager(cfg config.KMSConfig, configDir string) (*Manager, error) {
	if err := checkURL(cfg.Secrets.URL); err != nil {
		return nil, err
	}
	if p := strings.TrimSpace(cfg.Secrets.MasterKeyPath); p != "" {
		if !filepath.IsAbs(p) {
			p = filepath.Join(configDir, p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("kms: read master key file: %w", err)
		}
		key := strings.TrimSpace(string(data))
		if key == "" {
			return nil, fmt.Errorf("kms: master key file %q is empty", p)
		}
		return &Manager{ikm: []byte(key), mode: ModeMasterKey}, nil
	}
	if cfg.Secrets.MasterKey != "" {
		return &Manager{ikm: []byte(cfg.Secrets.MasterKey), mode: ModeMasterKey}, nil
	}
	key, err := loadOrCreateLocalKey(filepath.Join(configDir, LocalKeyFile))
	if err != nil {
		return nil, err
	}
	return &Manager{ikm: key, mode: ModeLocalKey}, nil
}

// checkURL accepts only the built-in provider. The URL itself is never
// echoed back: remote KMS URLs may carry tokens.
func checkURL(u string) error {
	u = strings.TrimSpace(u)
	switch strings.ToLower(u) {
	case "", "builtin", "builtin://":
		return nil
	}
	scheme := "(none)"
	if i := strings.Index(u, "://"); i > 0 {
		scheme = u[:i]
	}
	return fmt.Errorf("kms: unsupported KMS url (scheme %q): only the built-in provider is available, leave kms.secrets.url empty", scheme)
}

func loadOrCreateLocalKey(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, keySize)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("kms: generate local key: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			// Another process created it in the meantime: use theirs.
			return loadOrCreateLocalKey(path)
		}
		if err != nil {
			return nil, fmt.Errorf("kms: create local key file: %w", err)
		}
		_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			_ = os.Remove(path)
			return nil, fmt.Errorf("kms: write local key file: %w", werr)
		}
		return key, nil
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

func (m *Manager) aead(salt []byte) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, m.ikm, salt, hkdfInfo, keySize)
	if err != nil {
		return nil, fmt.Errorf("kms: derive key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("kms: %w", err)
	}
	return cipher.NewGCM(block)
}

// Encrypt turns a Plain secret into an encrypted one in place, bound to
// additionalData (e.g. the owner's name). Other statuses are left alone.
//
// The stored form is: Status AES-256-GCM, Key the base64 random salt of
// the per-secret HKDF-SHA256 key, Payload base64(nonce||ciphertext),
// AdditionalData the GCM additional data, Mode ModeMasterKey or
// ModeLocalKey.
func (m *Manager) Encrypt(s *Secret, additionalData string) error {
	if s == nil {
		return errors.New("kms: encrypt: nil secret")
	}
	if s.Status != StatusPlain {
		return nil
	}
	salt := make([]byte, saltSize)
	if _, err := rand.Read(salt); err != nil {
		return fmt.Errorf("kms: encrypt: %w", err)
	}
	gcm, err := m.aead(salt)
	if err != nil {
		return err
	}
	nonce := make([]byte, gcm.NonceSize(), gcm.NonceSize()+len(s.Payload)+gcm.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("kms: encrypt: %w", err)
	}
	sealed := gcm.Seal(nonce, nonce, []byte(s.Payload), []byte(additionalData))
	*s = Secret{
		Status:         StatusAES256GCM,
		Payload:        base64.StdEncoding.EncodeToString(sealed),
		Key:            base64.StdEncoding.EncodeToString(salt),
		AdditionalData: additionalData,
		Mode:           m.mode,
	}
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
	case StatusAES256GCM:
	case StatusRedacted:
		return "", errors.New("kms: cannot decrypt a redacted secret")
	default:
		return "", fmt.Errorf("kms: unsupported secret status %q: only %q and %q are supported", s.Status, StatusPlain, StatusAES256GCM)
	}
	salt, err := base64.StdEncoding.DecodeString(s.Key)
	if err != nil || len(salt) != saltSize {
		return "", errors.New("kms: cannot decrypt secret: invalid key field")
	}
	sealed, err := base64.StdEncoding.DecodeString(s.Payload)
	if err != nil {
		return "", errors.New("kms: cannot decrypt secret: payload is not valid base64")
	}
	gcm, err := m.aead(salt)
	if err != nil {
		return "", err
	}
	if len(sealed) < gcm.NonceSize()+gcm.Overhead() {
		return "", errors.New("kms: cannot decrypt secret: payload too short")
	}
	nonce, ct := sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():]
	plain, err := gcm.Open(nil, nonce, ct, []byte(s.AdditionalData))
	if err != nil {
		return "", ErrDecrypt
	}
	return string(plain), nil
}
