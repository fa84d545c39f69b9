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
		if enc != int64(sioEnc)+int64(headerSize) {
			t.Fatalf("EncryptedSize(%d) = %d, sio says %d + header %d", n, enc, sioEnc, headerSize)
		}
		// Packages of 64 KiB + 32 bytes; the last one partial.
		full, rest := n/payloadSize, n%payloadSize
		want := int64(headerSize) + full*packageSize
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
	for _, bad := range []int64{1, int64(headerSize) - 1, int64(headerSize) + 1, int64(headerSize) + overhead, int64(headerSize) + packageSize + 5} {
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
	if string(a[:6]) != magic || a[6] != 1 || a[7] != 0 {
		t.Fatalf("header starts %q", a[:8])
	}
	if bytes.Contains(a, []byte("plaintext-marker")) {
		t.Fatal("plaintext visible on disk")
	}
	if bytes.Equal(a[8:40], b[8:40]) || bytes.Equal(a[headerSize:headerSize+1000], b[headerSize:headerSize+1000]) {
		t.Fatal("two files share a nonce or ciphertext")
	}
	// Overwriting draws a new nonce (and key).
	vfstest.WriteFile(t, fsys, "/a", data)
	if a2 := rawFile(t, fsys, "/a"); bytes.Equal(a[8:40], a2[8:40]) {
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
	pkg := func(i int) int { return headerSize + i*packageSize }
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
		// The key check cannot tell a changed nonce from another passphrase.
		{"change the nonce", func(b []byte) []byte { b[10] ^= 1; return b }, ErrWrongPassphrase},
		{"change the key check", func(b []byte) []byte { b[headerSize-1] ^= 1; return b }, ErrWrongPassphrase},
		{"change the version", func(b []byte) []byte { b[6] = 2; return b }, nil},
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
	raw[headerSize+100] ^= 1 // damage package 0
	writeRaw(t, fsys, "/f", raw)
	for _, off := range []int64{payloadSize, 3*payloadSize + 7, size - 1} {
		if got := vfstest.ReadFile(t, fsys, "/f", off); !bytes.Equal(got, data[off:]) {
			t.Fatalf("Open at %d: wrong content", off)
		}
	}
	ra, err := fsys.OpenReaderAt(ctx, "/f")
	if err != nil {
		t.Fatal(err)
	}
	defer ra.Close()
	buf := make([]byte, 100)
	if _, err := ra.ReadAt(buf, 2*payloadSize); err != nil || !bytes.Equal(buf, data[2*payloadSize:2*payloadSize+100]) {
		t.Fatalf("ReadAt in an intact package: %v", err)
	}
	if _, err := ra.ReadAt(buf, 50); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("ReadAt in the damaged package: error = %v, want ErrCorrupt", err)
	}
	if _, err := fsys.Open(ctx, "/f", 10); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open in the damaged package: error = %v, want ErrCorrupt", err)
	}
}

// TestGoldenFile pins format version 1: a file written by this code at the
// time the format was fixed must stay readable.
func TestGoldenFile(t *testing.T) {
	dir := t.TempDir()
	golden, err := os.ReadFile(filepath.Join("testdata", "v1.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "golden"), golden, 0o600); err != nil {
		t.Fatal(err)
	}
	fsys, err := New(dir, "golden passphrase", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	want := bytes.Repeat([]byte("sftpgo-ng cryptfs format v1\n"), 3000) // 84000 bytes, two packages
	if got := vfstest.ReadFile(t, fsys, "/golden", 0); !bytes.Equal(got, want) {
		t.Fatalf("golden file: read %d bytes, want %d", len(got), len(want))
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
