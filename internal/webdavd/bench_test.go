package webdavd

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// BenchmarkWebDAV moves data through the real server on loopback with
// net/http: a 64 MiB upload and download, small PUTs and Depth-1
// PROPFINDs of a 200-entry collection.
func BenchmarkWebDAV(b *testing.B) {
	const size = 64 << 20
	e := newEnv(b, envOpts{})
	e.addUser(b, "bench", nil)
	data := randomBytes(b, size)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	send := func(method, p string, body []byte, hdr map[string]string, want int) {
		var r io.Reader
		if body != nil {
			r = bytes.NewReader(body)
		}
		resp := e.do(b, client, method, p, "bench", r, hdr)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			b.Fatalf("%s %s: %d", method, p, resp.StatusCode)
		}
	}
	send("PUT", "/bench.bin", data, nil, http.StatusCreated)
	b.Run("upload", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			send("PUT", "/bench.bin", data, nil, http.StatusNoContent)
		}
	})
	b.Run("download", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			send("GET", "/bench.bin", nil, nil, http.StatusOK)
		}
	})
	small := randomBytes(b, 4096)
	send("MKCOL", "/small", nil, nil, http.StatusCreated)
	for i := range 200 {
		send("PUT", fmt.Sprintf("/small/f%d", i), small, nil, http.StatusCreated)
	}
	b.Run("small-put", func(b *testing.B) {
		i := 0
		for b.Loop() {
			send("PUT", fmt.Sprintf("/small/f%d", i%200), small, nil, http.StatusNoContent)
			i++
		}
	})
	b.Run("propfind-depth1-200", func(b *testing.B) {
		for b.Loop() {
			send("PROPFIND", "/small/", nil, map[string]string{"Depth": "1"}, http.StatusMultiStatus)
		}
	})
}
