package ftpd

import (
	"crypto/tls"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jlaffaye/ftp"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func TestFTPSecurityUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "secure", func(u *dataprovider.User) { u.Filters.FTPSecurity = 1 })
	writeHome(t, e, "secure", "f.txt", []byte("x"))
	// cleartext: refused at USER
	c, err := e.dial(t, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login("secure", testPassword); err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Fatalf("cleartext login of an ftp_security user: %v", err)
	}
	c.Quit()
	// TLS control and data: fine
	tc := e.login(t, 0, "secure", ftp.DialWithExplicitTLS(pki.clientTLS()))
	if _, err := retr(tc, "f.txt"); err != nil {
		t.Fatalf("TLS download: %v", err)
	}
	// TLS control with a cleartext data connection: refused
	r := dialRaw(t, e.addrs[0])
	r.startTLS(pki.clientTLS())
	r.login("secure")
	r.expect(200, "PROT C")
	dc, _ := r.pasv()
	defer dc.Close()
	r.expect(421, "RETR f.txt")
}

func TestForceStartTLSAndControlOnlyMode(t *testing.T) {
	t.Parallel()
	cases := map[string]func(*config.FTPDConfig){
		"force_starttls": func(c *config.FTPDConfig) { c.ForceStartTLS = true },
		"tls_mode 3":     func(c *config.FTPDConfig) { c.Bindings[0].TLSMode = tlsModeControlOnly },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{ftpd: mutate})
			e.addUser(t, "alice", nil)
			writeHome(t, e, "alice", "f.txt", []byte("clear data"))
			r := dialRaw(t, e.addrs[0])
			if msg := r.expect(530, "USER alice"); !strings.Contains(msg, "AUTH TLS") {
				t.Fatalf("USER before AUTH TLS: %q", msg)
			}
			// after AUTH TLS the data connection may stay in cleartext
			r2 := dialRaw(t, e.addrs[0])
			r2.startTLS(pki.clientTLS())
			r2.login("alice")
			dc, _ := r2.pasv()
			r2.expect(150, "RETR f.txt")
			got, _ := io.ReadAll(dc)
			r2.want(226)
			if string(got) != "clear data" {
				t.Fatalf("got %q", got)
			}
		})
	}
}

func TestExplicitModeRefusesCleartextData(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) { c.Bindings[0].TLSMode = tlsModeExplicit }})
	e.addUser(t, "alice", nil)
	writeHome(t, e, "alice", "f.txt", []byte("x"))
	r := dialRaw(t, e.addrs[0])
	r.startTLS(pki.clientTLS())
	r.login("alice")
	dc, _ := r.pasv()
	defer dc.Close()
	r.expect(421, "RETR f.txt")
	r.expect(503, "AUTH TLS")
}

func TestDeniedLoginMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "nopass", func(u *dataprovider.User) { u.Filters.DeniedLoginMethods = []string{dataprovider.LoginMethodPassword} })
	e.addUser(t, "noftp", func(u *dataprovider.User) { u.Filters.DeniedProtocols = []string{dataprovider.ProtocolFTP} })
	for _, user := range []string{"nopass", "noftp"} {
		c, err := e.dial(t, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Login(user, testPassword); err == nil {
			t.Errorf("%s logged in", user)
		}
		c.Quit()
	}
	r := dialRaw(t, e.addrs[0])
	r.expect(331, "USER nopass")
	if msg := r.expect(530, "PASS %s", testPassword); !strings.Contains(msg, "login method password is not allowed") {
		t.Errorf("failure message: %q", msg)
	}
	if !strings.Contains(e.logs.String(), `"msg":"connection failed","client_ip":"127.0.0.1","username":"nopass","login_type":"password","protocol":"FTP"`) {
		t.Error("no connection failed line logged")
	}
}

func TestWrongPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	r := dialRaw(t, e.addrs[0])
	r.expect(331, "USER alice")
	if msg := r.expect(530, "PASS wrong"); strings.Contains(msg, "password") {
		t.Errorf("failure message reveals details: %q", msg)
	}
	r2 := dialRaw(t, e.addrs[0])
	r2.expect(331, "USER nobody")
	r2.expect(530, "PASS whatever")
	if n := len(e.common.Connections()); n != 0 {
		t.Fatalf("%d connections registered after failed logins", n)
	}
}

// certClient returns a client TLS configuration presenting a certificate
// for cn issued by the test CA, and its PEM.
func certClient(t *testing.T, cn string) (*tls.Config, string) {
	t.Helper()
	certFile, keyFile, _, err := pki.issue(cn, false)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := pki.clientTLS()
	cfg.Certificates = []tls.Certificate{cert}
	pemData, _ := os.ReadFile(certFile)
	return cfg, string(pemData)
}

func certEnv(t *testing.T, clientAuth int) *env {
	return newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) {
		c.Bindings[0].TLSMode = tlsModeExplicit
		c.Bindings[0].ClientAuthType = clientAuth
		c.CACertificates = []string{pki.caFile}
	}})
}

func TestClientCertificateLogin(t *testing.T) {
	t.Parallel()
	e := certEnv(t, 2)
	cnUser := func(mutate func(*dataprovider.User)) func(*dataprovider.User) {
		return func(u *dataprovider.User) {
			u.Filters.TLSUsername = "CommonName"
			if mutate != nil {
				mutate(u)
			}
		}
	}
	e.addUser(t, "cert", cnUser(nil))
	e.addUser(t, "certpwd", cnUser(func(u *dataprovider.User) {
		u.Filters.DeniedLoginMethods = []string{dataprovider.LoginMethodTLSCertificate, dataprovider.LoginMethodPassword}
	}))
	e.addUser(t, "pwdonly", func(u *dataprovider.User) {})
	otherCfg, otherPEM := certClient(t, "pinned")
	e.addUser(t, "pinned", cnUser(func(u *dataprovider.User) { u.Filters.TLSCerts = []string{otherPEM} }))
	e.addUser(t, "pinnedother", cnUser(func(u *dataprovider.User) { u.Filters.TLSCerts = []string{otherPEM} }))

	dialCert := func(cfg *tls.Config) *raw {
		r := dialRaw(t, e.addrs[0])
		r.startTLS(cfg)
		return r
	}
	certCfg, _ := certClient(t, "cert")
	// the certificate logs in as its CN, no password asked
	r := dialCert(certCfg)
	r.expect(230, "USER cert")
	dc, _ := r.pasv()
	dc.Close()
	// with jlaffaye too (USER answered 230)
	c, err := e.dial(t, 0, ftp.DialWithExplicitTLS(certCfg))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login("cert", "ignored"); err != nil {
		t.Fatalf("certificate login: %v", err)
	}
	if err := c.Stor("f.txt", strings.NewReader("by cert")); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	// a certificate for another name does not log in as "cert"
	wrongCfg, _ := certClient(t, "someoneelse")
	r = dialCert(wrongCfg)
	r.expect(530, "USER cert")
	// certificate + password
	cpCfg, _ := certClient(t, "certpwd")
	r = dialCert(cpCfg)
	r.expect(331, "USER certpwd")
	r.expect(230, "PASS %s", testPassword)
	r = dialCert(cpCfg)
	r.expect(331, "USER certpwd")
	r.expect(530, "PASS wrong")
	// without the certificate, password alone is denied for certpwd
	r = dialCert(pki.clientTLS())
	r.expect(331, "USER certpwd")
	r.expect(530, "PASS %s", testPassword)
	// tls_username unset: the certificate is not an identity
	pwCfg, _ := certClient(t, "pwdonly")
	r = dialCert(pwCfg)
	r.expect(331, "USER pwdonly")
	r.expect(230, "PASS %s", testPassword)
	// pinning: only the listed certificate
	r = dialCert(otherCfg)
	r.expect(230, "USER pinned")
	poCfg, _ := certClient(t, "pinnedother")
	r = dialCert(poCfg)
	r.expect(530, "USER pinnedother")
	logs := e.logs.String()
	for _, m := range []string{`"method":"TLSCertificate"`, `"method":"TLSCertificate+password"`} {
		if !strings.Contains(logs, m) {
			t.Errorf("no login with %s logged", m)
		}
	}
}

func TestClientCertificateRequired(t *testing.T) {
	t.Parallel()
	e := certEnv(t, 1)
	e.addUser(t, "alice", nil)
	// TLS 1.3 reports the missing certificate to the client on its first
	// read after the handshake, so the refusal shows in Dial or Login
	c, err := e.dial(t, 0, ftp.DialWithExplicitTLS(pki.clientTLS()))
	if err == nil {
		err = c.Login("alice", testPassword)
		c.Quit()
	}
	if err == nil {
		t.Fatal("a client without certificate was accepted with client_auth_type 1")
	}
	cfg, _ := certClient(t, "alice")
	c = e.login(t, 0, "alice", ftp.DialWithExplicitTLS(cfg))
	if err := c.Stor("f", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
}

func TestRevocationListReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	crlFile := filepath.Join(dir, "ca.crl")
	pki.crl(t, crlFile)
	e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) {
		c.Bindings[0].TLSMode = tlsModeExplicit
		c.Bindings[0].ClientAuthType = 1
		c.CACertificates = []string{pki.caFile}
		c.CARevocationLists = []string{crlFile}
	}})
	e.addUser(t, "alice", func(u *dataprovider.User) { u.Filters.TLSUsername = "CommonName" })
	certFile, keyFile, serial, err := pki.issue("alice", false)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := tls.LoadX509KeyPair(certFile, keyFile)
	cfg := func() *tls.Config {
		c := pki.clientTLS()
		c.Certificates = []tls.Certificate{cert}
		return c
	}
	login := func() error {
		c, err := e.dial(t, 0, ftp.DialWithExplicitTLS(cfg()))
		if err != nil {
			return err
		}
		defer c.Quit()
		return c.Login("alice", "")
	}
	if err := login(); err != nil {
		t.Fatalf("login before revocation: %v", err)
	}
	pki.crl(t, crlFile, serial)
	if err := login(); err != nil {
		t.Fatalf("the new list applies only after Reload: %v", err)
	}
	if err := e.srv.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := login(); err == nil {
		t.Fatal("a revoked certificate logged in after Reload")
	}
	// a broken list is refused and the previous one stays
	os.WriteFile(crlFile, []byte("garbage"), 0o600)
	if err := e.srv.Reload(); err == nil {
		t.Fatal("Reload accepted a broken revocation list")
	}
	if err := login(); err == nil {
		t.Fatal("a failed Reload dropped the revocation list")
	}
}

func TestCertificateReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "c.key")
	copyFile(t, pki.certFile, certFile)
	copyFile(t, pki.keyFile, keyFile)
	e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) {
		c.CertificateFile, c.CertificateKeyFile = "", ""
		c.Bindings[0].CertificateFile, c.Bindings[0].CertificateKeyFile = certFile, keyFile
		c.Bindings[0].TLSMode = tlsModeImplicit
	}})
	serial := func() string {
		conn, err := tls.Dial("tcp", e.addrs[0], pki.clientTLS())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	before := serial()
	newCert, newKey, _, err := pki.issue("server", true)
	if err != nil {
		t.Fatal(err)
	}
	copyFile(t, newCert, certFile)
	copyFile(t, newKey, keyFile)
	if err := e.srv.Reload(); err != nil {
		t.Fatal(err)
	}
	if after := serial(); after == before {
		t.Fatal("the reloaded certificate is not served")
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTLSVersionsAndCiphers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) {
		min13 := testBinding(tlsModeImplicit)
		min13.MinTLSVersion = 13
		max12 := testBinding(tlsModeImplicit)
		max12.MaxTLSVersion = 12
		max12.TLSCipherSuites = []string{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"}
		c.Bindings = []config.FTPDBinding{min13, max12}
	}})
	dialTLS := func(i int, mutate func(*tls.Config)) (tls.ConnectionState, error) {
		cfg := pki.clientTLS()
		mutate(cfg)
		conn, err := tls.Dial("tcp", e.addrs[i], cfg)
		if err != nil {
			return tls.ConnectionState{}, err
		}
		defer conn.Close()
		return conn.ConnectionState(), nil
	}
	if _, err := dialTLS(0, func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 }); err == nil {
		t.Error("a TLS 1.2 client was accepted by a minimum TLS 1.3 binding")
	}
	if st, err := dialTLS(0, func(*tls.Config) {}); err != nil || st.Version != tls.VersionTLS13 {
		t.Errorf("TLS 1.3 client: %v", err)
	}
	if _, err := dialTLS(1, func(c *tls.Config) { c.MinVersion = tls.VersionTLS13 }); err == nil {
		t.Error("a TLS 1.3-only client was accepted by a maximum TLS 1.2 binding")
	}
	st, err := dialTLS(1, func(*tls.Config) {})
	if err != nil || st.CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 {
		t.Errorf("cipher suite %x, %v", st.CipherSuite, err)
	}
	if _, err := dialTLS(1, func(c *tls.Config) {
		c.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
	}); err == nil {
		t.Error("a cipher suite outside tls_cipher_suites was accepted")
	}
}

// TestSessionTicketsDisabled checks tls_session_reuse 2: the data
// connection of a client with a session cache cannot resume.
func TestSessionTicketsDisabled(t *testing.T) {
	t.Parallel()
	for _, reuse := range []int{sessionReuseUnchecked, sessionReuseDisabled} {
		e := newEnv(t, envOpts{ftpd: func(c *config.FTPDConfig) {
			c.Bindings[0].TLSMode = tlsModeExplicit
			c.Bindings[0].TLSSessionReuse = reuse
		}})
		e.addUser(t, "alice", nil)
		writeHome(t, e, "alice", "f", []byte("x"))
		cfg := pki.clientTLS()
		r := dialRaw(t, e.addrs[0])
		r.startTLS(cfg)
		r.login("alice")
		r.expect(200, "PBSZ 0")
		r.expect(200, "PROT P")
		dc, _ := r.pasv()
		r.expect(150, "RETR f")
		tc := tls.Client(dc, cfg)
		io.ReadAll(tc)
		r.want(226)
		resumed := tc.ConnectionState().DidResume
		if resumed != (reuse == sessionReuseUnchecked) {
			t.Errorf("tls_session_reuse %d: data connection resumed = %v", reuse, resumed)
		}
	}
}

func TestInvalidConfigurations(t *testing.T) {
	t.Parallel()
	cases := map[string]func(*config.FTPDConfig){
		"TLS without certificate": func(c *config.FTPDConfig) {
			c.CertificateFile, c.CertificateKeyFile = "", ""
			c.Bindings[0].TLSMode = tlsModeExplicit
		},
		"reuse required with implicit": func(c *config.FTPDConfig) {
			c.Bindings[0].TLSMode = tlsModeImplicit
			c.Bindings[0].TLSSessionReuse = 1
		},
		"client auth without CA":   func(c *config.FTPDConfig) { c.Bindings[0].ClientAuthType = 1 },
		"unknown cipher":           func(c *config.FTPDConfig) { c.Bindings[0].TLSCipherSuites = []string{"TLS_NOPE"} },
		"max below min":            func(c *config.FTPDConfig) { c.Bindings[0].MinTLSVersion = 13; c.Bindings[0].MaxTLSVersion = 12 },
		"missing key":              func(c *config.FTPDConfig) { c.CertificateKeyFile = "" },
		"missing CA file":          func(c *config.FTPDConfig) { c.CACertificates = []string{"/nonexistent"} },
		"unknown disabled command": func(c *config.FTPDConfig) { c.DisabledCommands = []string{"RETR"} },
		"bad passive override": func(c *config.FTPDConfig) {
			c.Bindings[0].PassiveIPOverrides = []config.PassiveIPOverride{{Networks: []string{"x"}}}
		},
		"bad local network":          func(c *config.FTPDConfig) { c.Bindings[0].PassiveLocalNetworks = []string{"10.0.0.1"} },
		"IPv6 TLS passive IP":        func(c *config.FTPDConfig) { c.Bindings[0].ForcePassiveIPTLS = "::1" },
		"missing banner file":        func(c *config.FTPDConfig) { c.BannerFile = "nope.txt" },
		"too many bindings":          func(c *config.FTPDConfig) { c.Bindings = make([]config.FTPDBinding, 11) },
		"CRL not signed by the CA":   func(c *config.FTPDConfig) { c.CARevocationLists = []string{pki.caFile} },
		"force_starttls without TLS": func(c *config.FTPDConfig) { c.CertificateFile, c.CertificateKeyFile = "", ""; c.ForceStartTLS = true },
	}
	base := newEnv(t, envOpts{})
	for name, mutate := range cases {
		cfg := testFTPDConfig()
		mutate(&cfg)
		if _, err := New(cfg, base.common, base.store, base.base, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(testFTPDConfig(), nil, base.store, "", nil); err == nil {
		t.Error("New without a common server succeeded")
	}
}
