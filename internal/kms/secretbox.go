package kms

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"golang.org/x/crypto/nacl/secretbox"
)

// SFTPGo's two built-in secret layouts, as its data format is documented
// for takeovers (our own implementation, not derived from its code):
//
// Secretbox: Key = hex of a random 32-byte salt S; key material M is the
// master key when one is configured and Mode is 1, else
// SHA-256(S || additional_data || S); the box key is
// HKDF-SHA256(M, salt S, info additional_data); Payload is standard
// base64 of a 24-byte nonce followed by the NaCl secretbox.
//
// AES-256-GCM: Key = hex of a random 32-byte S; the AES key is
// SHA-256(S || additional_data || S); Payload is hex(12-byte nonce ||
// ciphertext+tag) with additional_data as the GCM additional data.

const nonceSize = 24

// saltedDigest is SHA-256(s || ad || s).
func saltedDigest(s []byte, ad string) []byte {
	h := sha256.New()
	h.Write(s)
	h.Write([]byte(ad))
	h.Write(s)
	return h.Sum(nil)
}

func secretboxKey(salt []byte, ad string, mode int, master []byte) (*[keySize]byte, error) {
	var material []byte
	switch mode {
	case ModeLocalKey:
		material = saltedDigest(salt, ad)
	case ModeMasterKey:
		if len(master) == 0 {
			return nil, errors.New("kms: cannot decrypt secret: it was encrypted with a master key (mode 1), configure kms.secrets.master_key or master_key_path")
		}
		material = master
	default:
		return nil, fmt.Errorf("kms: cannot decrypt secret: unknown mode %d", mode)
	}
	k, err := hkdf.Key(sha256.New, material, salt, ad, keySize)
	if err != nil {
		return nil, fmt.Errorf("kms: derive key: %w", err)
	}
	var key [keySize]byte
	copy(key[:], k)
	return &key, nil
}

// sealSecretbox encrypts plain as SFTPGo does: mode 1 under master when
// given, else mode 0.
func sealSecretbox(plain []byte, ad string, master []byte) (*Secret, error) {
	salt, err := randomBytes(saltSize)
	if err != nil {
		return nil, err
	}
	mode := ModeLocalKey
	if len(master) > 0 {
		mode = ModeMasterKey
	}
	key, err := secretboxKey(salt, ad, mode, master)
	if err != nil {
		return nil, err
	}
	nb, err := randomBytes(nonceSize)
	if err != nil {
		return nil, err
	}
	var nonce [nonceSize]byte
	copy(nonce[:], nb)
	box := secretbox.Seal(nonce[:], plain, &nonce, key)
	return &Secret{
		Status:         StatusSecretBox,
		Payload:        base64.StdEncoding.EncodeToString(box),
		Key:            hex.EncodeToString(salt),
		AdditionalData: ad,
		Mode:           mode,
	}, nil
}

func openSecretbox(s *Secret, master []byte) (string, error) {
	salt, err := hex.DecodeString(s.Key)
	if err != nil || len(salt) != saltSize {
		return "", errors.New("kms: cannot decrypt secret: invalid key field")
	}
	box, err := base64.StdEncoding.DecodeString(s.Payload)
	if err != nil {
		return "", errors.New("kms: cannot decrypt secret: payload is not valid base64")
	}
	if len(box) < nonceSize+secretbox.Overhead {
		return "", errors.New("kms: cannot decrypt secret: payload too short")
	}
	key, err := secretboxKey(salt, s.AdditionalData, s.Mode, master)
	if err != nil {
		return "", err
	}
	var nonce [nonceSize]byte
	copy(nonce[:], box[:nonceSize])
	plain, ok := secretbox.Open(nil, box[nonceSize:], &nonce, key)
	if !ok {
		return "", ErrDecrypt
	}
	return string(plain), nil
}

// isSFTPGoAESLayout tells SFTPGo's AES-256-GCM layout (hex key of 32
// bytes, 64 characters) from ours (base64 key, 44 characters): the two
// encodings of a 32-byte value never have the same length.
func isSFTPGoAESLayout(s *Secret) bool {
	b, err := hex.DecodeString(s.Key)
	return err == nil && len(b) == saltSize
}

func openSFTPGoAES(s *Secret) (string, error) {
	salt, _ := hex.DecodeString(s.Key)
	sealed, err := hex.DecodeString(s.Payload)
	if err != nil {
		return "", errors.New("kms: cannot decrypt secret: payload is not valid hex")
	}
	gcm, err := newGCM(saltedDigest(salt, s.AdditionalData))
	if err != nil {
		return "", err
	}
	return openGCM(gcm, sealed, s.AdditionalData)
}
