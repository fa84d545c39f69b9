package cryptfs

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"

	"github.com/minio/sio"
)

// On-disk format, version 1:
//
//	offset size
//	0      6    magic "SGNGEF"
//	6      1    format version, 1
//	7      1    cipher: 0 = DARE 2.0 with AES-256-GCM
//	8      32   nonce: random per file, the HKDF salt
//	40     16   key check: HKDF-SHA256(passphrase, nonce, infoCheck)
//	56     ...  the DARE 2.0 stream (sio) of the plaintext
//
// The file key is HKDF-SHA256(passphrase, nonce, infoKey), 32 bytes. A
// fresh nonce per file gives every file (and every overwrite) its own key,
// so DARE's per-stream nonce never has to carry uniqueness alone. The key
// check tells a wrong passphrase apart from a damaged file at once, before
// any data is read; it reveals no more than the GCM tags already do.
const (
	magic        = "SGNGEF"
	version1     = 1
	cipherAESGCM = 0
	nonceSize    = 32
	checkSize    = 16
	headerSize   = len(magic) + 2 + nonceSize + checkSize

	infoKey   = "sftpgo-ng cryptfs v1 file key"
	infoCheck = "sftpgo-ng cryptfs v1 key check"

	// DARE 2.0 package geometry (sio): each package carries up to 64 KiB
	// of plaintext plus a 16-byte header and a 16-byte GCM tag.
	payloadSize = 64 << 10
	overhead    = 32
	packageSize = payloadSize + overhead
)

// header is a parsed file header.
type header struct {
	nonce [nonceSize]byte
	check [checkSize]byte
}

func newHeader() (*header, error) {
	h := &header{}
	if _, err := rand.Read(h.nonce[:]); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *header) marshal(check []byte) []byte {
	b := make([]byte, 0, headerSize)
	b = append(b, magic...)
	b = append(b, version1, cipherAESGCM)
	b = append(b, h.nonce[:]...)
	return append(b, check...)
}

func parseHeader(b []byte) (*header, error) {
	if len(b) != headerSize || string(b[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: no cryptfs header", ErrCorrupt)
	}
	if v := b[len(magic)]; v != version1 {
		return nil, fmt.Errorf("%w: unknown format version %d", ErrCorrupt, v)
	}
	if c := b[len(magic)+1]; c != cipherAESGCM {
		return nil, fmt.Errorf("%w: unknown cipher %d", ErrCorrupt, c)
	}
	h := &header{}
	copy(h.nonce[:], b[len(magic)+2:])
	copy(h.check[:], b[len(magic)+2+nonceSize:])
	return h, nil
}

// keys derives the file key and the key check for this header's nonce.
func (h *header) keys(passphrase []byte) (key, check []byte, err error) {
	key, err = hkdf.Key(sha256.New, passphrase, h.nonce[:], infoKey, 32)
	if err != nil {
		return nil, nil, err
	}
	check, err = hkdf.Key(sha256.New, passphrase, h.nonce[:], infoCheck, checkSize)
	if err != nil {
		return nil, nil, err
	}
	return key, check, nil
}

// verify derives the file key, failing with ErrWrongPassphrase when the
// key check does not match.
func (h *header) verify(passphrase []byte) ([]byte, error) {
	key, check, err := h.keys(passphrase)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(check, h.check[:]) != 1 {
		return nil, ErrWrongPassphrase
	}
	return key, nil
}

// sioConfig is the DARE configuration: version 2.0 and AES-256-GCM only,
// starting at package seq.
func sioConfig(key []byte, seq uint32) sio.Config {
	return sio.Config{
		MinVersion:     sio.Version20,
		MaxVersion:     sio.Version20,
		CipherSuites:   []byte{sio.AES_256_GCM},
		Key:            key,
		SequenceNumber: seq,
	}
}

// PlainSize returns the plaintext size of an encrypted file of fileSize
// bytes (header included). A file too short for a header counts as empty;
// a stream whose last package is cut short counts its whole packages only
// and reports an error wrapping ErrCorrupt.
func PlainSize(fileSize int64) (int64, error) {
	if fileSize <= int64(headerSize) {
		if fileSize == 0 || fileSize == int64(headerSize) {
			return 0, nil
		}
		return 0, fmt.Errorf("%w: %d bytes, shorter than the header", ErrCorrupt, fileSize)
	}
	n, err := sio.DecryptedSize(uint64(fileSize - int64(headerSize)))
	if err != nil {
		whole := (fileSize - int64(headerSize)) / packageSize * payloadSize
		return whole, fmt.Errorf("%w: %d bytes is no valid stream size: %v", ErrCorrupt, fileSize, err)
	}
	return int64(n), nil
}

// EncryptedSize returns the file size (header included) that holds size
// plaintext bytes.
func EncryptedSize(size int64) (int64, error) {
	if size < 0 {
		return 0, fmt.Errorf("cryptfs: negative size %d", size)
	}
	n, err := sio.EncryptedSize(uint64(size))
	if err != nil {
		return 0, err
	}
	return int64(n) + int64(headerSize), nil
}
