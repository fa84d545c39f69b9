package httpd

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1000), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key}
}

func (ca *testCA) clientCert(t *testing.T, serial int64) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func (ca *testCA) writeCRL(t *testing.T, path string, serials ...int64) {
	t.Helper()
	var entries []x509.RevocationListEntry
	for _, s := range serials {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: big.NewInt(s), RevocationTime: time.Now()})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(time.Now().UnixNano()), ThisUpdate: time.Now().Add(-time.Minute), NextUpdate: time.Now().Add(time.Hour),
		RevokedCertificateEntries: entries,
	}, ca.cert, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestReloadCertificateAndCRL(t *testing.T) {
	dir := t.TempDir()
	_, _, pool1 := writeSelfSigned(t, dir)
	ca := newTestCA(t)
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	ca.writeCRL(t, filepath.Join(dir, "ca.crl"), 2)
	port := freePort(t)
	e := newTestEnv(t, func(o *Options) {
		o.ConfigDir = dir
		o.Config.CACertificates = []string{"ca.pem"}
		o.Config.CARevocationLists = []string{"ca.crl"}
		o.Config.Bindings = []config.HTTPDBinding{{Address: "127.0.0.1", Port: port, EnableRESTAPI: true,
			EnableHTTPS: true, CertificateFile: "cert.pem", CertificateKeyFile: "key.pem", ClientAuthType: 1}}
	})
	if err := e.srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.srv.Shutdown(context.Background()) })
	url := "https://127.0.0.1:" + strconv.Itoa(port) + "/healthz"
	get := func(pool *x509.CertPool, client *tls.Certificate) error {
		cfg := &tls.Config{RootCAs: pool}
		if client != nil {
			cfg.Certificates = []tls.Certificate{*client}
		}
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}}
		resp, err := c.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	good, revoked, later := ca.clientCert(t, 1), ca.clientCert(t, 2), ca.clientCert(t, 3)
	if err := get(pool1, &good); err != nil {
		t.Fatalf("valid client certificate: %v", err)
	}
	if err := get(pool1, nil); err == nil {
		t.Fatal("no client certificate accepted")
	}
	if err := get(pool1, &revoked); err == nil {
		t.Fatal("revoked client certificate accepted")
	}

	// New server certificate and CRL on disk, then SIGHUP.
	_, _, pool2 := writeSelfSigned(t, dir)
	ca.writeCRL(t, filepath.Join(dir, "ca.crl"), 2, 3)
	if err := get(pool1, &later); err != nil {
		t.Fatalf("before reload: %v", err)
	}
	if err := e.srv.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := get(pool1, &good); err == nil {
		t.Fatal("old certificate still served after Reload")
	}
	if err := get(pool2, &good); err != nil {
		t.Fatalf("new certificate: %v", err)
	}
	if err := get(pool2, &later); err == nil {
		t.Fatal("CRL not reloaded")
	}
	// A broken file keeps the previous certificate.
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Reload(); err == nil {
		t.Fatal("broken certificate reloaded without error")
	}
	if err := get(pool2, &good); err != nil {
		t.Fatalf("previous certificate lost: %v", err)
	}
}
