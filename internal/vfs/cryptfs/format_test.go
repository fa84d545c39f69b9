package cryptfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/minio/sio"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

// boundarySizes straddle DARE's 64 KiB packages.
var boundarySizes = []int64{
	0, 1, 2, 31, 32, 33,
	payloadSize - 1, payloadSize, payloadSize + 1,
	2*payloadSize - 1, 2 * payloadSize, 2*payloadSize + 1,
	3<<20 - 1, 3 << 20, 3<<20 + 1, 5<<20 + 12345,
}

func TestSizeArithmetic(t *testing.T) {
	check := func(n int64) {
		t.Helper()
		enc, err := EncryptedSize(n)
		if err != nil {
			t.Fatal(err)
		}
		sioEnc, _ := sio.EncryptedSize(uint64(n))
		if enc != int64(sioEnc)+int64(sftpgoHeaderSize) {
			t.Fatalf("EncryptedSize(%d) = %d, sio says %d + header %d", n, enc, sioEnc, sftpgoHeaderSize)
		}
		// Packages of 64 KiB + 32 bytes; the last one partial.
		full, rest := n/payloadSize, n%payloadSize
		want := int64(sftpgoHeaderSize) + full*packageSize
		if rest > 0 {
			want += rest + overhead
		}
		if enc != want {
			t.Fatalf("EncryptedSize(%d) = %d, want %d", n, enc, want)
		}
		got, err := PlainSize(enc)
		if err != nil || got != n {
			t.Fatalf("PlainSize(EncryptedSize(%d)) = %d, %v", n, got, err)
		}
	}
	for _, n := range boundarySizes {
		check(n)
	}
	for n := int64(0); n < 4*payloadSize; n += 997 {
		check(n)
	}
	check(1 << 40)
	// Sizes no stream can have: a last package with no payload.
	for _, bad := range []int64{1, int64(sftpgoHeaderSize) - 1, int64(sftpgoHeaderSize) + 1, int64(sftpgoHeaderSize) + overhead, int64(sftpgoHeaderSize) + packageSize + 5} {
		if _, err := PlainSize(bad); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("PlainSize(%d): error = %v, want ErrCorrupt", bad, err)
		}
	}
}

func TestSizesOnDisk(t *testing.T) {
	fsys := newTestFs(t)
	ctx := t.Context()
	for _, n := range boundarySizes {
		data := vfstest.RandomData(t, int(n))
		name := fmt.Sprintf("/f-%d", n)
		vfstest.WriteFile(t, fsys, name, data)
		host, err := fsys.LocalPath(name)
		if err != nil {
			t.Fatal(err)
		}
		hfi, err := os.Stat(host)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := EncryptedSize(n)
		if hfi.Size() != want {
			t.Fatalf("%d plaintext bytes take %d bytes on disk, want %d", n, hfi.Size(), want)
		}
		fi, err := fsys.Stat(ctx, name)
		if err != nil || fi.Size() != n {
			t.Fatalf("Stat(%s) size %v, %v; want %d", name, fi, err, n)
		}
		if got := vfstest.ReadFile(t, fsys, name, 0); !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: content differs", n)
		}
	}
	infos := vfstest.ListInfos(t, fsys, "/", 5)
	if len(infos) != len(boundarySizes) {
		t.Fatalf("ReadDir: %d entries, want %d", len(infos), len(boundarySizes))
	}
	for _, fi := range infos {
		var n int64
		if _, err := fmt.Sscanf(fi.Name(), "f-%d", &n); err != nil {
			t.Fatal(err)
		}
		if fi.Size() != n {
			t.Fatalf("ReadDir: %s size %d, want %d", fi.Name(), fi.Size(), n)
		}
	}
}

func TestHeaderAndCiphertext(t *testing.T) {
	fsys := newTestFs(t)
	data := bytes.Repeat([]byte("plaintext-marker "), 10000)
	vfstest.WriteFile(t, fsys, "/a", data)
	vfstest.WriteFile(t, fsys, "/b", data)
	a, b := rawFile(t, fsys, "/a"), rawFile(t, fsys, "/b")
	if a[0] != sftpgoVersion {
		t.Fatalf("header starts %x, want SFTPGo's version byte 0x10", a[:8])
	}
	if bytes.Contains(a, []byte("plaintext-marker")) {
		t.Fatal("plaintext visible on disk")
	}
	if bytes.Equal(a[1:33], b[1:33]) || bytes.Equal(a[sftpgoHeaderSize:sftpgoHeaderSize+1000], b[sftpgoHeaderSize:sftpgoHeaderSize+1000]) {
		t.Fatal("two files share a nonce or ciphertext")
	}
	// Overwriting draws a new nonce (and key).
	vfstest.WriteFile(t, fsys, "/a", data)
	if a2 := rawFile(t, fsys, "/a"); bytes.Equal(a[1:33], a2[1:33]) {
		t.Fatal("overwrite reused the nonce")
	}
}

func rawFile(t *testing.T, fsys *Fs, name string) []byte {
	t.Helper()
	p, err := fsys.LocalPath(name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeRaw(t *testing.T, fsys *Fs, name string, b []byte) {
	t.Helper()
	p, err := fsys.LocalPath(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWrongPassphrase(t *testing.T) {
	dir := t.TempDir()
	good, err := New(dir, testPassphrase, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	data := vfstest.RandomData(t, 200000)
	vfstest.WriteFile(t, good, "/f", data)
	vfstest.WriteFile(t, good, "/small", []byte("x"))
	bad, err := New(dir, "another passphrase", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	ctx := t.Context()
	for _, name := range []string{"/f", "/small"} {
		if _, err := bad.Open(ctx, name, 0); !errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("Open(%s) with a wrong passphrase: error = %v, want ErrWrongPassphrase", name, err)
		}
		if _, err := bad.Open(ctx, name, 1); !errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("Open(%s, 1) with a wrong passphrase: error = %v", name, err)
		}
		if _, err := bad.OpenReaderAt(ctx, name); !errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("OpenReaderAt(%s) with a wrong passphrase: error = %v", name, err)
		}
	}
	// Metadata still works: it needs no key.
	if fi, err := bad.Stat(ctx, "/f"); err != nil || fi.Size() != 200000 {
		t.Fatalf("Stat with a wrong passphrase: %v, %v", fi, err)
	}
	if got := vfstest.ReadFile(t, good, "/f", 0); !bytes.Equal(got, data) {
		t.Fatal("right passphrase: content differs")
	}
}

// TestTampering: any change to the stream is an error, never garbage.
func TestTampering(t *testing.T) {
	const size = 4*payloadSize + 1000
	data := vfstest.RandomData(t, size)
	pkg := func(i int) int { return sftpgoHeaderSize + i*packageSize }
	tests := []struct {
		name   string
		modify func([]byte) []byte
		want   error // ErrCorrupt when nil
	}{
		{"flip a payload byte", func(b []byte) []byte { b[pkg(2)+100] ^= 1; return b }, nil},
		{"flip a tag byte", func(b []byte) []byte { b[pkg(1)+packageSize-1] ^= 0x80; return b }, nil},
		{"flip a package header byte", func(b []byte) []byte { b[pkg(3)+5] ^= 1; return b }, nil},
		{"swap two packages", func(b []byte) []byte {
			p1 := bytes.Clone(b[pkg(1):pkg(2)])
			copy(b[pkg(1):], b[pkg(2):pkg(3)])
			copy(b[pkg(2):], p1)
			return b
		}, nil},
		{"drop the last package", func(b []byte) []byte { return b[:pkg(4)] }, nil},
		{"drop a middle package", func(b []byte) []byte { return append(b[:pkg(1)], b[pkg(2):]...) }, nil},
		{"cut inside a package", func(b []byte) []byte { return b[:pkg(2)+500] }, nil},
		{"append a package", func(b []byte) []byte { return append(b, b[pkg(0):pkg(1)]...) }, nil},
		// A changed nonce derives another key: to SFTPGo's layout that is
		// the same as another passphrase.
		{"change the nonce", func(b []byte) []byte { b[10] ^= 1; return b }, ErrWrongPassphrase},
		{"change the nonce's last byte", func(b []byte) []byte { b[sftpgoHeaderSize-1] ^= 1; return b }, ErrWrongPassphrase},
		{"change the version", func(b []byte) []byte { b[0] = 0x11; return b }, nil},
		{"header only, body cut", func(b []byte) []byte { return b[:sftpgoHeaderSize+10] }, nil},
		{"not encrypted at all", func(b []byte) []byte { return bytes.Repeat([]byte("plain"), 100) }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := newTestFs(t)
			defer fsys.Close()
			ctx := t.Context()
			vfstest.WriteFile(t, fsys, "/f", data)
			writeRaw(t, fsys, "/f", tc.modify(rawFile(t, fsys, "/f")))
			r, err := fsys.Open(ctx, "/f", 0)
			if err == nil {
				var got []byte
				got, err = io.ReadAll(r)
				r.Close()
				if !bytes.HasPrefix(data, got) {
					t.Fatalf("read %d bytes that are not the original content", len(got))
				}
			}
			want := tc.want
			if want == nil {
				want = ErrCorrupt
			}
			if !errors.Is(err, want) {
				t.Fatalf("read of a tampered file: error = %v, want %v", err, want)
			}
		})
	}
}

// Decryption from an offset starts at the package holding it: a damaged
// first package does not stop a read of the last one, proving nothing
// before the offset is decrypted.
func TestOpenAtOffsetSkipsEarlierPackages(t *testing.T) {
	fsys := newTestFs(t)
	ctx := t.Context()
	const size = 4*payloadSize + 1000
	data := vfstest.RandomData(t, size)
	vfstest.WriteFile(t, fsys, "/f", data)
	raw := rawFile(t, fsys, "/f")
	raw[sftpgoHeaderSize+100] ^= 1 // damage package 0
	writeRaw(t, fsys, "/f", raw)
	for _, off := range []int64{payloadSize, 3*payloadSize + 7, size - 1} {
		if got := vfstest.ReadFile(t, fsys, "/f", off); !bytes.Equal(got, data[off:]) {
			t.Fatalf("Open at %d: wrong content", off)
		}
	}
	if _, err := fsys.Open(ctx, "/f", 10); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open in the damaged package: error = %v, want ErrCorrupt", err)
	}
	// OpenReaderAt checks the key on package 0; each ReadAt then decrypts
	// only the packages it covers.
	if _, err := fsys.OpenReaderAt(ctx, "/f"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("OpenReaderAt with package 0 damaged: error = %v, want ErrCorrupt", err)
	}
	vfstest.WriteFile(t, fsys, "/f", data)
	raw = rawFile(t, fsys, "/f")
	raw[sftpgoHeaderSize+packageSize+100] ^= 1 // damage package 1
	writeRaw(t, fsys, "/f", raw)
	ra, err := fsys.OpenReaderAt(ctx, "/f")
	if err != nil {
		t.Fatal(err)
	}
	defer ra.Close()
	buf := make([]byte, 100)
	for _, off := range []int64{0, 2 * payloadSize, 4 * payloadSize} {
		if _, err := ra.ReadAt(buf, off); err != nil || !bytes.Equal(buf, data[off:off+100]) {
			t.Fatalf("ReadAt %d in an intact package: %v", off, err)
		}
	}
	_, err = ra.ReadAt(buf, payloadSize+50)
	if !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("ReadAt in the damaged package after a good key check: error = %v, want ErrCorrupt only", err)
	}
}

// TestGoldenFile pins the legacy layout (format version 1 of earlier
// versions of this server): a file written by that code must stay
// readable, listed with its plaintext size, and copied intact; it is
// never written any more.
func TestGoldenFile(t *testing.T) {
	dir := t.TempDir()
	golden, err := os.ReadFile(filepath.Join("testdata", "v1.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if string(golden[:len(legacyMagic)]) != legacyMagic {
		t.Fatal("testdata/v1.bin is not in the legacy layout")
	}
	if err := os.WriteFile(filepath.Join(dir, "golden"), golden, 0o600); err != nil {
		t.Fatal(err)
	}
	fsys, err := New(dir, "golden passphrase", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	ctx := t.Context()
	want := bytes.Repeat([]byte("sftpgo-ng cryptfs format v1\n"), 3000) // 84000 bytes, two packages
	if got := vfstest.ReadFile(t, fsys, "/golden", 0); !bytes.Equal(got, want) {
		t.Fatalf("golden file: read %d bytes, want %d", len(got), len(want))
	}
	if got := vfstest.ReadFile(t, fsys, "/golden", payloadSize+3); !bytes.Equal(got, want[payloadSize+3:]) {
		t.Fatal("golden file from an offset in package 1: wrong content")
	}
	ra, err := fsys.OpenReaderAt(ctx, "/golden")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1000)
	if _, err := ra.ReadAt(buf, payloadSize-500); err != nil || !bytes.Equal(buf, want[payloadSize-500:payloadSize+500]) {
		t.Fatalf("golden file ReadAt across packages: %v", err)
	}
	ra.Close()
	// Its size: 56 bytes of header would count wrong as SFTPGo's 33.
	if fi, err := fsys.Stat(ctx, "/golden"); err != nil || fi.Size() != int64(len(want)) {
		t.Fatalf("Stat(golden) = %v, %v; want size %d", fi, err, len(want))
	}
	// Copy keeps the ciphertext (and so the layout); overwriting writes
	// SFTPGo's layout.
	if err := fsys.Copy(ctx, "/golden", "/copy"); err != nil {
		t.Fatal(err)
	}
	if got := vfstest.ReadFile(t, fsys, "/copy", 0); !bytes.Equal(got, want) {
		t.Fatal("copy of the golden file differs")
	}
	vfstest.WriteFile(t, fsys, "/copy", want)
	if raw := rawFile(t, fsys, "/copy"); raw[0] != sftpgoVersion {
		t.Fatalf("rewritten file starts %x, want SFTPGo's layout", raw[:8])
	}
	if got := vfstest.ReadFile(t, fsys, "/copy", 0); !bytes.Equal(got, want) {
		t.Fatal("rewritten file differs")
	}
	// The legacy key check names a wrong passphrase for what it is.
	other, err := New(dir, "not the golden passphrase", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, err = other.Open(ctx, "/golden", 0)
	if !errors.Is(err, ErrWrongPassphrase) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("legacy file, wrong passphrase: error = %v, want ErrWrongPassphrase only", err)
	}
}

func TestWriterMisuse(t *testing.T) {
	fsys := newTestFs(t)
	w, err := fsys.Create(t.Context(), "/f", vfs.CreateOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("late")); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("Write after Close: error = %v, want fs.ErrClosed", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err = fsys.Create(t.Context(), "/f", vfs.CreateOptions{Append: true})
	if !errors.Is(err, vfs.ErrNotSupported) {
		t.Fatalf("Append: error = %v, want ErrNotSupported", err)
	}
	if _, err := New(t.TempDir(), "", Options{}); err == nil {
		t.Fatal("New with an empty passphrase succeeded")
	}
}

// A zero-byte file (not written by cryptfs) reads as empty.
func TestEmptyRawFile(t *testing.T) {
	fsys := newTestFs(t)
	writeRaw(t, fsys, "/empty", nil)
	if got := vfstest.ReadFile(t, fsys, "/empty", 0); len(got) != 0 {
		t.Fatalf("read %d bytes", len(got))
	}
}
