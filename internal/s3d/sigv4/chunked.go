package sigv4

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/minio/crc64nvme"
)

// hashReader passes a body through and fails at its end when its SHA-256
// is not the signed one.
type hashReader struct {
	r    io.ReadCloser
	want string
	h    hash.Hash
	done bool
}

func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	if err == io.EOF && !h.done {
		h.done = true
		if hex.EncodeToString(h.h.Sum(nil)) != h.want {
			return n, newErr(http.StatusBadRequest, "XAmzContentSHA256Mismatch", "the provided x-amz-content-sha256 header does not match what was computed")
		}
	}
	return n, err
}

func (h *hashReader) Close() error { return h.r.Close() }

// lineReader reads the chunk headers of aws-chunked bodies.
type lineReader struct{ *bufio.Reader }

func newLineReader(r io.Reader) *lineReader { return &lineReader{bufio.NewReaderSize(r, 64<<10)} }

// line reads one CRLF-terminated line, at most 4 KiB.
func (l *lineReader) line() (string, error) {
	var b []byte
	for {
		part, isPrefix, err := l.ReadLine()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		b = append(b, part...)
		if len(b) > 4096 {
			return "", errChunk("a chunk header is too long")
		}
		if !isPrefix {
			return string(b), nil
		}
	}
}

func errChunk(msg string) *Error {
	return newErr(http.StatusBadRequest, "IncompleteBody", "aws-chunked body: %s", msg)
}

// chunkedReader decodes an aws-chunked body: "hex-size[;chunk-signature=
// sig]\r\n" + data + "\r\n", ending with a zero-size chunk and, for the
// unsigned trailer form, trailing headers with the checksum. A signed
// chunk is handed on only once its signature, chained from the seed
// signature, is checked.
type chunkedReader struct {
	r      *lineReader
	closer io.Closer
	left   int64 // decoded bytes still expected; -1 unknown
	max    int

	signed    bool
	key       []byte
	prevSig   string
	stsPrefix string

	trailer string // the checksum header named by x-amz-trailer
	sum     hash.Hash

	buf  []byte // the verified chunk being handed on
	off  int
	err  error
	done bool
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	for c.off == len(c.buf) {
		if c.err != nil {
			return 0, c.err
		}
		if c.done {
			return 0, io.EOF
		}
		c.err = c.next()
	}
	n := copy(p, c.buf[c.off:])
	c.off += n
	return n, nil
}

func (c *chunkedReader) Close() error { return c.closer.Close() }

// next reads and checks one chunk into buf.
func (c *chunkedReader) next() error {
	head, err := c.r.line()
	if err != nil {
		return err
	}
	sizeHex, ext, _ := strings.Cut(head, ";")
	size, err := strconv.ParseInt(strings.TrimSpace(sizeHex), 16, 64)
	if err != nil || size < 0 {
		return errChunk("bad chunk size " + strconv.Quote(sizeHex))
	}
	limit := int64(c.max)
	if limit <= 0 {
		limit = 16 << 20
	}
	if size > limit {
		return errChunk("a chunk is larger than " + strconv.FormatInt(limit, 10) + " bytes")
	}
	var sig string
	if c.signed {
		s, ok := strings.CutPrefix(strings.TrimSpace(ext), "chunk-signature=")
		if !ok {
			return errChunk("a chunk has no signature")
		}
		sig = s
	}
	if cap(c.buf) < int(size) {
		c.buf = make([]byte, size)
	}
	c.buf, c.off = c.buf[:size], 0
	if _, err := io.ReadFull(c.r, c.buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	if c.signed {
		sts := c.stsPrefix + c.prevSig + "\n" + emptySHA256 + "\n" + hexSHA256(c.buf)
		want := hex.EncodeToString(hmacSHA256(c.key, sts))
		if !hmac.Equal([]byte(want), []byte(sig)) {
			c.buf = c.buf[:0]
			return newErr(http.StatusForbidden, "SignatureDoesNotMatch", "the signature of a chunk does not match")
		}
		c.prevSig = sig
	}
	if c.left >= 0 {
		if size > c.left {
			return errChunk("more data than x-amz-decoded-content-length")
		}
		c.left -= size
	}
	if c.trailer != "" {
		if c.sum == nil {
			if c.sum = checksumHash(c.trailer); c.sum == nil {
				return newErr(http.StatusBadRequest, "InvalidRequest", "the trailing checksum %s is not supported", c.trailer)
			}
		}
		c.sum.Write(c.buf)
	}
	if size == 0 {
		c.done = true
		if c.left > 0 {
			return errChunk("less data than x-amz-decoded-content-length")
		}
		return c.readTrailer()
	}
	// the CRLF after the data
	if crlf, err := c.r.line(); err != nil || crlf != "" {
		return errChunk("a chunk's data is not followed by CRLF")
	}
	return nil
}

// readTrailer reads what follows the last chunk: nothing but an empty
// line for the signed form, the checksum header for the trailer form.
func (c *chunkedReader) readTrailer() error {
	var got string
	for {
		l, err := c.r.line()
		if err != nil {
			if c.trailer == "" && err == io.ErrUnexpectedEOF {
				// some clients end the body right after "0;chunk-signature=...\r\n"
				return nil
			}
			return err
		}
		if l == "" {
			break
		}
		k, v, _ := strings.Cut(l, ":")
		if strings.EqualFold(strings.TrimSpace(k), c.trailer) {
			got = strings.TrimSpace(v)
		}
	}
	if c.trailer == "" {
		return nil
	}
	if c.sum == nil {
		if c.sum = checksumHash(c.trailer); c.sum == nil {
			return newErr(http.StatusBadRequest, "InvalidRequest", "the trailing checksum %s is not supported", c.trailer)
		}
	}
	if want := base64.StdEncoding.EncodeToString(c.sum.Sum(nil)); got != want {
		return newErr(http.StatusBadRequest, "BadDigest", "the %s you specified did not match the calculated checksum", c.trailer)
	}
	return nil
}

// checksumHash returns the hash of a trailing checksum header, nil for
// one not known.
func checksumHash(header string) hash.Hash {
	switch header {
	case "x-amz-checksum-crc32":
		return crc32.NewIEEE()
	case "x-amz-checksum-crc32c":
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "x-amz-checksum-crc64nvme":
		return crc64nvme.New()
	case "x-amz-checksum-sha1":
		return sha1.New()
	case "x-amz-checksum-sha256":
		return sha256.New()
	}
	return nil
}
