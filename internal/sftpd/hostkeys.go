package sftpd

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// defaultHostKeys are generated in the config dir when host_keys is empty.
var defaultHostKeys = []string{"id_rsa", "id_ecdsa", "id_ed25519"}

// loadHostKeys reads the configured host keys, generating the default
// ones (0600, OpenSSH format) when they do not exist yet.
func loadHostKeys(configDir string, names []string) ([]ssh.Signer, []string, error) {
	if len(names) == 0 {
		names = defaultHostKeys
	}
	var signers []ssh.Signer
	var paths []string
	for _, name := range names {
		p := config.ResolvePath(configDir, name)
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			kind := filepath.Base(p)
			if !isDefaultKeyName(kind) {
				return nil, nil, fmt.Errorf("sftpd: host key %q: %w", p, err)
			}
			if data, err = generateHostKey(p, kind); err != nil {
				return nil, nil, err
			}
		} else if err != nil {
			return nil, nil, fmt.Errorf("sftpd: host key %q: %w", p, err)
		}
		signer, err := ssh.ParsePrivateKey(data)
		if err != nil {
			return nil, nil, fmt.Errorf("sftpd: parse host key %q: %w", p, err)
		}
		signers = append(signers, signer)
		paths = append(paths, p)
	}
	return signers, paths, nil
}

func isDefaultKeyName(name string) bool {
	for _, n := range defaultHostKeys {
		if n == name {
			return true
		}
	}
	return false
}

func generateHostKey(path, kind string) ([]byte, error) {
	var key crypto.Signer
	var err error
	switch kind {
	case "id_rsa":
		key, err = rsa.GenerateKey(rand.Reader, 3072)
	case "id_ecdsa":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		return nil, fmt.Errorf("sftpd: generate host key %s: %w", kind, err)
	}
	block, err := ssh.MarshalPrivateKey(key, "")
	if err != nil {
		return nil, fmt.Errorf("sftpd: encode host key %s: %w", kind, err)
	}
	data := pem.EncodeToMemory(block)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sftpd: host key dir: %w", err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, fmt.Errorf("sftpd: write host key: %w", err)
	}
	pub, err := ssh.NewPublicKey(key.Public())
	if err == nil {
		os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(pub), 0o644)
	}
	return data, nil
}
