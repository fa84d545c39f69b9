package cryptfs

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"fmt"

	"github.com/minio/sio"
)

// Two on-disk layouts are read; new files are always written in the
// first, SFTPGo's, so a tree written here is readable by SFTPGo and the
// other way round.
//
// SFTPGo layout (what SFTPGo's encrypted local storage writes):
//
//	offset size
//	0      1    version byte 0x10
//	1      32   nonce: random per file, the HKDF salt
//	33     ...  the DARE 2.0 stream (sio) of the plaintext
//
// The file key is HKDF-SHA256(secret = passphrase, salt = nonce, info =
// empty), 32 bytes. The layout has no key check: a wrong passphrase shows
// as the first package failing authentication, which cannot be told apart
// from damage (see errAuth). A 33-byte file is empty.
//
// The legacy layout of earlier versions of this server is described in
// legacy.go; it starts with the magic "SGNGEF".
const (
	sftpgoVersion    = 0x10
	nonceSize        = 32
	sftpgoHeaderSize = 1 + nonceSize

	// DARE 2.0 package geometry (sio): each package carries up to 64 KiB
	// of plaintext plus a 16-byte header and a 16-byte GCM tag.
	payloadSize = 64 << 10
	overhead    = 32
	packageSize = payloadSize + overhead
)

// layout identifies an on-disk layout.
type layout int

const (
	layoutSFTPGo layout = iota + 1
	layoutLegacy
)

// headerSize is the length of the layout's header.
func (l layout) headerSize() int64 {
	if l == layoutLegacy {
		return int64(legacyHeaderSize)
	}
	return sftpgoHeaderSize
}

// sniffSize is how many leading bytes detectLayout needs at most.
const sniffSize = len(legacyMagic)

// detectLayout tells the layout from the first bytes of a non-empty file.
func detectLayout(prefix []byte) (layout, error) {
	switch {
	case len(prefix) > 0 && prefix[0] == sftpgoVersion:
		return layoutSFTPGo, nil
	case len(prefix) >= len(legacyMagic) && string(prefix[:len(legacyMagic)]) == legacyMagic:
		return layoutLegacy, nil
	}
	return 0, fmt.Errorf("%w: no cryptfs header", ErrCorrupt)
}

// newSFTPGoHeader draws a nonce and returns the header to write and the
// file key it implies.
func newSFTPGoHeader(passphrase []byte) (hdr, key []byte, err error) {
	hdr = make([]byte, sftpgoHeaderSize)
	hdr[0] = sftpgoVersion
	if _, err := rand.Read(hdr[1:]); err != nil {
		return nil, nil, err
	}
	key, err = sftpgoKey(passphrase, hdr[1:])
	if err != nil {
		return nil, nil, err
	}
	return hdr, key, nil
}

// sftpgoKey derives the file key of the SFTPGo layout.
func sftpgoKey(passphrase, nonce []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, passphrase, nonce, "", 32)
}

// sioConfig is the DARE configuration: version 2.0 only, starting at
// package seq. suites nil accepts sio's default suites (AES-256-GCM and
// ChaCha20-Poly1305: SFTPGo lets sio choose when it writes).
func sioConfig(key []byte, seq uint32, suites []byte) sio.Config {
	return sio.Config{
		MinVersion:     sio.Version20,
		MaxVersion:     sio.Version20,
		CipherSuites:   suites,
		Key:            key,
		SequenceNumber: seq,
	}
}

// writeSuites is what new files use: AES-256-GCM, which every reader of
// either layout accepts.
var writeSuites = []byte{sio.AES_256_GCM}

// PlainSize returns the plaintext size of a file of fileSize bytes
// (header included) in SFTPGo's layout, the one new files use. A file too
// short for a header counts as empty; a stream whose last package is cut
// short counts its whole packages only and reports an error wrapping
// ErrCorrupt.
func PlainSize(fileSize int64) (int64, error) { return plainSize(layoutSFTPGo, fileSize) }

func plainSize(l layout, fileSize int64) (int64, error) {
	hs := l.headerSize()
	if fileSize <= hs {
		if fileSize == 0 || fileSize == hs {
			return 0, nil
		}
		return 0, fmt.Errorf("%w: %d bytes, shorter than the header", ErrCorrupt, fileSize)
	}
	n, err := sio.DecryptedSize(uint64(fileSize - hs))
	if err != nil {
		whole := (fileSize - hs) / packageSize * payloadSize
		return whole, fmt.Errorf("%w: %d bytes is no valid stream size: %v", ErrCorrupt, fileSize, err)
	}
	return int64(n), nil
}

// EncryptedSize returns the file size (header included) that holds size
// plaintext bytes in SFTPGo's layout.
func EncryptedSize(size int64) (int64, error) {
	if size < 0 {
		return 0, fmt.Errorf("cryptfs: negative size %d", size)
	}
	n, err := sio.EncryptedSize(uint64(size))
	if err != nil {
		return 0, err
	}
	return int64(n) + sftpgoHeaderSize, nil
}
