package common

import (
	"bytes"
	"context"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// TestSendTo: a plain local download hands its file to the writer's
// ReadFrom from the given offset and counts the bytes; a bandwidth limit,
// a data transfer allowance or an encrypted backend keep the bytes on the
// ReadAt path (ok=false, nothing sent).
func TestSendTo(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 700_000) // > 2 chunks
	cases := []struct {
		name   string
		mutate func(*dataprovider.User)
		want   bool
	}{
		{"plain", func(*dataprovider.User) {}, true},
		{"bandwidth", func(u *dataprovider.User) { u.DownloadBandwidth = 1 << 20 }, false},
		{"allowance", func(u *dataprovider.User) { u.TotalDataTransfer = 1 << 20 }, false},
		{"crypt", func(u *dataprovider.User) { u.FsConfig.Provider = dataprovider.CryptedFilesystemProvider }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, store := newTestServer(t, config.CommonConfig{})
			u := testUser(t, "u")
			tc.mutate(&u)
			c := newTestConn(t, s, store, u)
			if err := upload(t, c, "/f", data); err != nil {
				t.Fatal(err)
			}
			tr, err := c.OpenForRead(context.Background(), "/f", 0)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			var out bytes.Buffer
			chunks := 0
			const off = 1000
			n, ok, err := tr.SendTo(&out, off, int64(len(data)-off), func() { chunks++ })
			if ok != tc.want || err != nil {
				t.Fatalf("ok %v err %v, want ok %v", ok, err, tc.want)
			}
			if !ok {
				if n != 0 || out.Len() != 0 || tr.BytesTransferred() != 0 {
					t.Fatalf("sent %d bytes though not handled", n)
				}
				return
			}
			if n != int64(len(data)-off) || !bytes.Equal(out.Bytes(), data[off:]) {
				t.Fatalf("sent %d bytes, content equal %v", n, bytes.Equal(out.Bytes(), data[off:]))
			}
			if tr.BytesTransferred() != n || chunks != 3 {
				t.Fatalf("accounted %d of %d bytes, %d chunks", tr.BytesTransferred(), n, chunks)
			}
			// n < 0: up to the end of the file, which is no error
			out.Reset()
			n, ok, err = tr.SendTo(&out, 5, -1, nil)
			if !ok || err != nil || n != int64(len(data)-5) || !bytes.Equal(out.Bytes(), data[5:]) {
				t.Fatalf("to the end: ok %v err %v, %d bytes", ok, err, n)
			}
		})
	}
}
