package common

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/httpfs/httpfstest"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

// TestHTTPStorageBackend: provider 6 builds an httpfs backend with the
// decrypted password and API key; inside a Server, an endpoint that is
// one of the server's own listeners is refused unless self connections
// are allowed.
func TestHTTPStorageBackend(t *testing.T) {
	srv, err := httpfstest.Start(t.TempDir(), httpfstest.Options{Prefix: "/v1", Username: "u", Password: "p-1", APIKey: "k-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	fsConfig := func(apiKey string) dataprovider.Filesystem {
		return dataprovider.Filesystem{Provider: dataprovider.HTTPFilesystemProvider, HTTPConfig: dataprovider.HTTPConfig{
			Endpoint: srv.URL, Username: "u", Password: kms.NewPlainSecret("p-1"), APIKey: kms.NewPlainSecret(apiKey),
		}}
	}
	fsys, err := NewFs(fsConfig("k-1"), "", plainKMS{})
	if err != nil {
		t.Fatal(err)
	}
	vfstest.WriteFile(t, fsys, "/f", []byte("through provider 6"))
	if got := vfstest.ReadFile(t, fsys, "/f", 0); string(got) != "through provider 6" {
		t.Fatalf("read back %q", got)
	}
	fsys.Close()
	if _, err := NewFs(fsConfig("wrong"), "", plainKMS{}); err == nil {
		t.Fatal("a wrong API key built a backend")
	}
	if _, err := NewFs(fsConfig("k-1"), "", nil); err == nil {
		t.Fatal("secrets used without a KMS")
	}

	addr := srv.HTTP.Listener.Addr().(*net.TCPAddr)
	for _, allow := range []bool{false, true} {
		r := newRemoteStorage(allow, slog.New(slog.NewTextHandler(io.Discard, nil)))
		unregister := r.listeners.add(addr)
		fsys, err := r.newFs(fsConfig("k-1"), "", plainKMS{})
		if allow {
			if err != nil {
				t.Fatalf("allow_self_connections 1: %v", err)
			}
			fsys.Close()
		} else if !errors.Is(err, ErrSelfConnection) {
			t.Fatalf("endpoint on our own listener: error = %v, want ErrSelfConnection", err)
		}
		unregister()
		r.close()
	}
}
