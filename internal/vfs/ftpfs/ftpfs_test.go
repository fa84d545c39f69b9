package ftpfs_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/connpool"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/ftpfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/vfstest"
)

func TestConformanceVsftpd(t *testing.T) {
	for _, c := range []struct {
		name string
		opts vsftpdOpts
	}{
		{"plain", vsftpdOpts{}},
		{"explicit TLS", vsftpdOpts{tlsMode: ftpfs.TLSExplicit, sslReuse: true}},
		{"implicit TLS", vsftpdOpts{tlsMode: ftpfs.TLSImplicit, sslReuse: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := startVsftpd(t, c.opts)
			conns := connpool.NewShared(time.Minute)
			t.Cleanup(func() { conns.Close() })
			vfstest.Run(t, func(t *testing.T) vfs.Fs {
				cfg := srv.config(filepath.Join(srv.dir, shortName(t)))
				cfg.Conns = conns
				fsys, err := ftpfs.New(t.Context(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				return fsys
			})
		})
	}
}
