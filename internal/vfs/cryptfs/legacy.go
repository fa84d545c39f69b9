package cryptfs

import (
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"

	"github.com/minio/sio"
)

// Legacy layout (format version 1 of earlier versions of this server),
// still read, never written:
//
//	offset size
//	0      6    magic "SGNGEF"
//	6      1    format version, 1
//	7      1    cipher: 0 = DARE 2.0 with AES-256-GCM
//	8      32   nonce: random per file, the HKDF salt
//	40     16   key check: HKDF-SHA256(passphrase, nonce, legacyInfoCheck)
//	56     ...  the DARE 2.0 stream (sio) of the plaintext
//
// The file key is HKDF-SHA256(passphrase, nonce, legacyInfoKey), 32 bytes.
// The key check tells a wrong passphrase apart from a damaged file.
const (
	legacyMagic        = "SGNGEF"
	legacyVersion1     = 1
	legacyCipherAESGCM = 0
	legacyCheckSize    = 16
	legacyHeaderSize   = len(legacyMagic) + 2 + nonceSize + legacyCheckSize

	legacyInfoKey   = "sftpgo-ng cryptfs v1 file key"
	legacyInfoCheck = "sftpgo-ng cryptfs v1 key check"
)

// legacySuites: the legacy layout only ever used AES-256-GCM.
var legacySuites = []byte{sio.AES_256_GCM}

// legacyFileKey parses a legacy header and derives the file key, failing
// with ErrWrongPassphrase when the key check does not match.
func legacyFileKey(b, passphrase []byte) ([]byte, error) {
	if len(b) != legacyHeaderSize || string(b[:len(legacyMagic)]) != legacyMagic {
		return nil, fmt.Errorf("%w: no cryptfs header", ErrCorrupt)
	}
	if v := b[len(legacyMagic)]; v != legacyVersion1 {
		return nil, fmt.Errorf("%w: unknown format version %d", ErrCorrupt, v)
	}
	if c := b[len(legacyMagic)+1]; c != legacyCipherAESGCM {
		return nil, fmt.Errorf("%w: unknown cipher %d", ErrCorrupt, c)
	}
	nonce := b[len(legacyMagic)+2 : len(legacyMagic)+2+nonceSize]
	stored := b[len(legacyMagic)+2+nonceSize:]
	key, err := hkdf.Key(sha256.New, passphrase, nonce, legacyInfoKey, 32)
	if err != nil {
		return nil, err
	}
	check, err := hkdf.Key(sha256.New, passphrase, nonce, legacyInfoCheck, legacyCheckSize)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(check, stored) != 1 {
		return nil, ErrWrongPassphrase
	}
	return key, nil
}
