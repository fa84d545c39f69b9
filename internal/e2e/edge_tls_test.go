package e2e

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// edgePKI is a CA with a server certificate for 127.0.0.1, two client
// certificates and a CRL revoking the second.
type edgePKI struct {
	rootPool        *x509.CertPool
	good, revoked   tls.Certificate
	caFile, crlFile string
	certFile        string
	keyFile         string
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func newEdgePKI(t *testing.T, dir string) *edgePKI {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "edge test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	p := &edgePKI{rootPool: x509.NewCertPool(), caFile: filepath.Join(dir, "ca.pem"), crlFile: filepath.Join(dir, "ca.crl"),
		certFile: filepath.Join(dir, "server.pem"), keyFile: filepath.Join(dir, "server.key")}
	p.rootPool.AddCert(ca)
	writePEM(t, p.caFile, "CERTIFICATE", caDER)
	// An RSA server key, so the ECDHE-RSA suites of the cases apply.
	srvKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, p.certFile, "CERTIFICATE", srvDER)
	writePEM(t, p.keyFile, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(srvKey))
	client := func(serial int64) tls.Certificate {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "client" + strconv.FormatInt(serial, 10)},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
	}
	p.good, p.revoked = client(10), client(11)
	crlDER, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1),
		ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(24 * time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: big.NewInt(11), RevocationTime: time.Now()}}}, ca, caKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, p.crlFile, "X509 CRL", crlDER)
	return p
}

// edgeBinding is one TLS setting every protocol gets a binding for.
type edgeBinding struct {
	name    string
	minTLS  int
	ciphers string
	auth    int
}

var edgeBindings = []edgeBinding{
	{name: "defaults"},
	{name: "min13", minTLS: 13},
	{name: "cbc named", ciphers: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
	{name: "client certificates", auth: 1},
}

// edgeTLSInstance starts sftpgo with, for each edgeBindings entry i, an
// implicit FTPS, a WebDAVS and an HTTPS binding; it returns their ports
// by protocol.
func edgeTLSInstance(t *testing.T) (*edgePKI, map[string][]int) {
	t.Helper()
	dir := t.TempDir()
	pki := newEdgePKI(t, dir)
	ports := map[string][]int{}
	var env []string
	for _, sec := range []string{"FTPD", "WEBDAVD", "HTTPD"} {
		env = append(env,
			"SFTPGO_"+sec+"__CERTIFICATE_FILE="+pki.certFile,
			"SFTPGO_"+sec+"__CERTIFICATE_KEY_FILE="+pki.keyFile,
			"SFTPGO_"+sec+"__CA_CERTIFICATES="+pki.caFile,
			"SFTPGO_"+sec+"__CA_REVOCATION_LISTS="+pki.crlFile)
	}
	for i, b := range edgeBindings {
		// FTP binding 0 and HTTP binding 0 are the harness's plain ones.
		for _, pb := range []struct {
			proto, sec string
		}{{"ftps", "FTPD"}, {"webdavs", "WEBDAVD"}, {"https", "HTTPD"}} {
			proto, sec, idx := pb.proto, pb.sec, i+1
			port := freePort(t)
			ports[proto] = append(ports[proto], port)
			pre := fmt.Sprintf("SFTPGO_%s__BINDINGS__%d__", sec, idx)
			env = append(env, pre+"ADDRESS=127.0.0.1", pre+"PORT="+strconv.Itoa(port),
				pre+"MIN_TLS_VERSION="+strconv.Itoa(max(b.minTLS, 12)),
				pre+"CLIENT_AUTH_TYPE="+strconv.Itoa(b.auth), pre+"TLS_CIPHER_SUITES="+b.ciphers)
			switch sec {
			case "FTPD":
				env = append(env, pre+"TLS_MODE=2")
			default:
				env = append(env, pre+"ENABLE_HTTPS=true")
				if b.ciphers != "" {
					// HTTP/2 needs an AES-128-GCM suite
					env = append(env, pre+"TLS_PROTOCOLS=http/1.1")
				}
			}
		}
	}
	// WebDAV binding 0 of the harness is not needed here.
	env = append(env, "SFTPGO_WEBDAVD__BINDINGS__0__PORT=0")
	in := newInstance(t, dir, env...)
	in.start()
	return pki, ports
}

// edgeDial opens a TLS connection and reads the protocol's first answer,
// so a refusal after the handshake (TLS 1.3 client certificates) counts.
func edgeDial(proto string, port int, cfg *tls.Config) error {
	d := &net.Dialer{Timeout: 10 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", "127.0.0.1:"+strconv.Itoa(port), cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	want := "220"
	if proto != "ftps" {
		if _, err := c.Write([]byte("OPTIONS / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")); err != nil {
			return err
		}
		want = "HTTP/1.1 "
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, want) {
		return fmt.Errorf("unexpected answer %q", line)
	}
	return nil
}

// TestEdgeTLSSameOnEveryProtocol: the same TLS settings give the same
// outcome on FTPS, WebDAVS and HTTPS.
func TestEdgeTLSSameOnEveryProtocol(t *testing.T) {
	pki, ports := edgeTLSInstance(t)
	client := func(minV, maxV uint16, suites []uint16, cert *tls.Certificate) *tls.Config {
		c := &tls.Config{RootCAs: pki.rootPool, ServerName: "127.0.0.1", MinVersion: minV, MaxVersion: maxV,
			CipherSuites: suites, NextProtos: nil}
		if cert != nil {
			c.Certificates = []tls.Certificate{*cert}
		}
		return c
	}
	cbc := []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}
	gcm := []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}
	cases := []struct {
		name    string
		binding int
		cfg     *tls.Config
		ok      bool
	}{
		{"TLS 1.3 by default", 0, client(tls.VersionTLS13, 0, nil, nil), true},
		{"TLS 1.2 AEAD by default", 0, client(tls.VersionTLS12, tls.VersionTLS12, gcm, nil), true},
		{"TLS 1.1 refused by default", 0, client(tls.VersionTLS10, tls.VersionTLS11, nil, nil), false},
		{"CBC SHA-1 suite refused by default", 0, client(tls.VersionTLS12, tls.VersionTLS12, cbc, nil), false},
		{"min 13 refuses TLS 1.2", 1, client(tls.VersionTLS12, tls.VersionTLS12, gcm, nil), false},
		{"min 13 accepts TLS 1.3", 1, client(tls.VersionTLS13, 0, nil, nil), true},
		{"named CBC suite accepted", 2, client(tls.VersionTLS12, tls.VersionTLS12, cbc, nil), true},
		{"named CBC suite only: AEAD refused", 2, client(tls.VersionTLS12, tls.VersionTLS12, gcm, nil), false},
		{"no client certificate refused", 3, client(tls.VersionTLS12, 0, nil, nil), false},
		{"valid client certificate accepted", 3, client(tls.VersionTLS12, 0, nil, &pki.good), true},
		{"revoked client certificate refused", 3, client(tls.VersionTLS12, 0, nil, &pki.revoked), false},
		{"revoked client certificate refused on TLS 1.2", 3, client(tls.VersionTLS12, tls.VersionTLS12, nil, &pki.revoked), false},
	}
	for _, tc := range cases {
		for _, proto := range []string{"ftps", "webdavs", "https"} {
			err := edgeDial(proto, ports[proto][tc.binding], tc.cfg.Clone())
			if (err == nil) != tc.ok {
				t.Errorf("%s on %s (%s binding): error %v, want success %v", tc.name, proto, edgeBindings[tc.binding].name, err, tc.ok)
			}
		}
	}
}

// TestEdgeNmapNoWeakSuites: nmap's ssl-enum-ciphers sees no CBC or SHA-1
// suite on any protocol's listener with default settings.
func TestEdgeNmapNoWeakSuites(t *testing.T) {
	nmap := requireTool(t, "nmap")
	_, ports := edgeTLSInstance(t)
	weak := regexp.MustCompile(`TLS_\w*(_CBC_|_RC4_|3DES)\w*|TLS_\w+_SHA\b`)
	for _, proto := range []string{"ftps", "webdavs", "https"} {
		port := ports[proto][0]
		out, err := exec.Command(nmap, "-Pn", "-n", "--script", "ssl-enum-ciphers", "-p", strconv.Itoa(port), "127.0.0.1").CombinedOutput()
		if err != nil {
			t.Fatalf("nmap on %s: %v\n%s", proto, err, out)
		}
		s := string(out)
		if !strings.Contains(s, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256") {
			t.Fatalf("nmap found no expected suite on %s:\n%s", proto, s)
		}
		if m := weak.FindAllString(s, -1); len(m) > 0 {
			t.Errorf("%s offers weak suites %v:\n%s", proto, m, s)
		}
		if strings.Contains(s, "TLSv1.0") || strings.Contains(s, "TLSv1.1") {
			t.Errorf("%s offers TLS < 1.2:\n%s", proto, s)
		}
	}
}
