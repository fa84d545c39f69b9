package ftpd

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jlaffaye/ftp"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

func TestRoundTripModes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		mode    int
		opts    func() []ftp.DialOption
		epsvOff bool
	}{
		{"plain", tlsModeCleartext, func() []ftp.DialOption { return nil }, false},
		{"plain-pasv", tlsModeCleartext, func() []ftp.DialOption { return nil }, true},
		{"explicit-on-cleartext-binding", tlsModeCleartext, func() []ftp.DialOption {
			return []ftp.DialOption{ftp.DialWithExplicitTLS(pki.clientTLS())}
		}, false},
		{"explicit", tlsModeExplicit, func() []ftp.DialOption {
			return []ftp.DialOption{ftp.DialWithExplicitTLS(pki.clientTLS())}
		}, false},
		{"implicit", tlsModeImplicit, func() []ftp.DialOption {
			return []ftp.DialOption{ftp.DialWithTLS(pki.clientTLS())}
		}, true},
		{"control-only", tlsModeControlOnly, func() []ftp.DialOption {
			return []ftp.DialOption{ftp.DialWithExplicitTLS(pki.clientTLS())}
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) { c.Bindings[0].TLSMode = tc.mode }})
			e.addUser(t, "alice", nil)
			opts := append(tc.opts(), ftp.DialWithDisabledEPSV(tc.epsvOff))
			c := e.login(t, 0, "alice", opts...)
			data := randomBytes(t, 5<<20+123)
			if err := c.Stor("big.bin", bytes.NewReader(data)); err != nil {
				t.Fatalf("stor: %v", err)
			}
			onDisk, err := os.ReadFile(filepath.Join(e.home("alice"), "big.bin"))
			if err != nil || sum(onDisk) != sum(data) {
				t.Fatalf("stored file differs (err %v, %d bytes)", err, len(onDisk))
			}
			got, err := retr(c, "big.bin")
			if err != nil {
				t.Fatalf("retr: %v", err)
			}
			if sum(got) != sum(data) {
				t.Fatalf("downloaded %d bytes differ from the %d uploaded", len(got), len(data))
			}
			size, err := c.FileSize("big.bin")
			if err != nil || size != int64(len(data)) {
				t.Fatalf("SIZE = %d, %v", size, err)
			}
		})
	}
}

func TestExplicitBindingRefusesCleartextLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) { c.Bindings[0].TLSMode = tlsModeExplicit }})
	e.addUser(t, "alice", nil)
	c, err := e.dial(t, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Quit()
	err = c.Login("alice", testPassword)
	if err == nil || !strings.Contains(err.Error(), "TLS is required") {
		t.Fatalf("cleartext login on an explicit TLS binding: %v", err)
	}
}

func TestSessionReuse(t *testing.T) {
	t.Parallel()
	for _, reuse := range []int{sessionReuseUnchecked, sessionReuseRequired, sessionReuseDisabled} {
		for _, maxVer := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			t.Run(fmt.Sprintf("reuse%d-tls%x", reuse, maxVer), func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) {
					c.Bindings[0].TLSMode = tlsModeExplicit
					c.Bindings[0].TLSSessionReuse = reuse
				}})
				e.addUser(t, "alice", nil)
				for _, cache := range []bool{true, false} {
					cfg := pki.clientTLS()
					cfg.MaxVersion = maxVer
					if !cache {
						cfg.ClientSessionCache = nil
					}
					c := e.login(t, 0, "alice", ftp.DialWithExplicitTLS(cfg))
					err := c.Stor("f.txt", strings.NewReader("hello"))
					// resumption needs the client's cache and tickets from the server
					wantOK := reuse != sessionReuseRequired || cache
					if wantOK && err != nil {
						t.Fatalf("cache %v: upload failed: %v", cache, err)
					}
					if !wantOK && err == nil {
						t.Fatalf("cache %v: a data connection that did not resume was accepted", cache)
					}
				}
			})
		}
	}
}
