package common

import (
	"bytes"
	"crypto/rand"
	"errors"
	mrand "math/rand/v2"
	"sync"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

func randomData(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

type chunkAt struct{ off, end int }

func chunksOf(size, chunk int) []chunkAt {
	var out []chunkAt
	for off := 0; off < size; off += chunk {
		out = append(out, chunkAt{off, min(off+chunk, size)})
	}
	return out
}

func TestReorderRandomPermutations(t *testing.T) {
	data := randomData(t, 300_000)
	for seed := range uint64(50) {
		rng := mrand.New(mrand.NewPCG(seed, seed*7+1))
		chunk := 1 + rng.IntN(40_000)
		chunks := chunksOf(len(data), chunk)
		rng.Shuffle(len(chunks), func(i, j int) { chunks[i], chunks[j] = chunks[j], chunks[i] })
		var out bytes.Buffer
		// a small memory limit forces spilling in most seeds
		mem := int64(rng.IntN(200_000))
		r := NewReorderWriter(&out, 0, mem, int64(len(data)), t.TempDir())
		for _, c := range chunks {
			n, err := r.WriteAt(data[c.off:c.end], int64(c.off))
			if err != nil || n != c.end-c.off {
				t.Fatalf("seed %d: WriteAt(%d): n=%d err=%v", seed, c.off, n, err)
			}
		}
		if err := r.Close(); err != nil {
			t.Fatalf("seed %d: close: %v", seed, err)
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Fatalf("seed %d (chunk %d, mem %d): output differs", seed, chunk, mem)
		}
	}
}

func TestReorderGapFailsAtClose(t *testing.T) {
	var out bytes.Buffer
	r := NewReorderWriter(&out, 0, 0, 0, "")
	r.WriteAt([]byte("abc"), 0)
	r.WriteAt([]byte("ghi"), 6)
	if got := r.Pending(); got != 3 {
		t.Fatalf("pending %d", got)
	}
	if err := r.Close(); !errors.Is(err, ErrWriteGap) {
		t.Fatalf("close: %v, want ErrWriteGap", err)
	}
	if out.String() != "abc" {
		t.Fatalf("stream %q", out.String())
	}
}

func TestReorderRewriteRefused(t *testing.T) {
	var out bytes.Buffer
	r := NewReorderWriter(&out, 0, 0, 0, "")
	r.WriteAt([]byte("abcdef"), 0)
	if _, err := r.WriteAt([]byte("x"), 2); !errors.Is(err, vfs.ErrNotSupported) {
		t.Fatalf("rewrite: %v", err)
	}
}

func TestReorderPendingLimit(t *testing.T) {
	var out bytes.Buffer
	r := NewReorderWriter(&out, 0, 10, 20, t.TempDir())
	if _, err := r.WriteAt(make([]byte, 15), 100); err != nil {
		t.Fatal(err)
	}
	if _, err := r.WriteAt(make([]byte, 15), 200); !errors.Is(err, vfs.ErrNotSupported) {
		t.Fatalf("over limit: %v", err)
	}
	// the writer stays failed
	if _, err := r.WriteAt(make([]byte, 1), 0); err == nil {
		t.Fatal("write after failure succeeded")
	}
}

func TestReorderOverlappingChunks(t *testing.T) {
	data := []byte("0123456789abcdefghij")
	var out bytes.Buffer
	r := NewReorderWriter(&out, 0, 0, 0, "")
	r.WriteAt(data[8:20], 8)
	r.WriteAt(data[4:12], 4) // overlaps the pending chunk
	r.WriteAt(data[0:4], 0)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if out.String() != string(data) {
		t.Fatalf("got %q", out.String())
	}
}

func TestReorderConcurrentWriters(t *testing.T) {
	data := randomData(t, 1<<20)
	chunks := chunksOf(len(data), 32*1024)
	var out bytes.Buffer
	r := NewReorderWriter(&out, 0, 64*1024, int64(len(data)), t.TempDir())
	var wg sync.WaitGroup
	work := make(chan chunkAt)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				if _, err := r.WriteAt(data[c.off:c.end], int64(c.off)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	rng := mrand.New(mrand.NewPCG(1, 2))
	rng.Shuffle(len(chunks), func(i, j int) { chunks[i], chunks[j] = chunks[j], chunks[i] })
	for _, c := range chunks {
		work <- c
	}
	close(work)
	wg.Wait()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), data) {
		t.Fatal("output differs")
	}
}

func FuzzReorder(f *testing.F) {
	f.Add(uint64(1), uint16(100), uint32(1000))
	f.Add(uint64(99), uint16(7), uint32(3))
	f.Fuzz(func(t *testing.T, seed uint64, chunk uint16, mem uint32) {
		if chunk == 0 {
			chunk = 1
		}
		data := make([]byte, 5000)
		rng := mrand.New(mrand.NewPCG(seed, 0))
		for i := range data {
			data[i] = byte(rng.IntN(256))
		}
		chunks := chunksOf(len(data), int(chunk))
		rng.Shuffle(len(chunks), func(i, j int) { chunks[i], chunks[j] = chunks[j], chunks[i] })
		var out bytes.Buffer
		r := NewReorderWriter(&out, 0, int64(mem%8000), int64(len(data)), t.TempDir())
		for _, c := range chunks {
			if _, err := r.WriteAt(data[c.off:c.end], int64(c.off)); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Fatal("output differs")
		}
	})
}

// BenchmarkReorder measures 32 KiB writes arriving in windows of 64
// requests shuffled within each window, as an SFTP client sends them.
func BenchmarkReorder(b *testing.B) {
	const chunk, window = 32 * 1024, 64
	data := randomData(b, 16<<20)
	chunks := chunksOf(len(data), chunk)
	rng := mrand.New(mrand.NewPCG(3, 4))
	for i := 0; i < len(chunks); i += window {
		w := chunks[i:min(i+window, len(chunks))]
		rng.Shuffle(len(w), func(a, c int) { w[a], w[c] = w[c], w[a] })
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReorderWriter(discard{}, 0, 0, 0, b.TempDir())
		for _, c := range chunks {
			if _, err := r.WriteAt(data[c.off:c.end], int64(c.off)); err != nil {
				b.Fatal(err)
			}
		}
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
