package ftpd

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/edge"
)

type certPair struct{ cert, key string }

// certSources names the files of every certificate, CA and CRL.
type certSources struct {
	global     certPair
	perBinding []certPair
	cas        []string
	crls       []string
}

// certMaterial is one loaded generation of the files (an edge.Material
// plus the binding index to certificate mapping); Reload swaps it.
type certMaterial struct {
	*edge.Material
	keys []edge.CertPair // per binding; unset: global
	pool *x509.CertPool  // nil: no CA configured
}

// certFor returns the certificate of binding i, or nil when it has none.
func (m *certMaterial) certFor(i int) *tls.Certificate {
	var k edge.CertPair
	if i < len(m.keys) {
		k = m.keys[i]
	}
	return m.Certificate(k)
}

// certStore loads the certificates through edge and tells the bindings
// about each reload.
type certStore struct {
	edge *edge.Store
	keys []edge.CertPair
	// onReload lets bindings rebuild their TLS configurations.
	onReload []func(*certMaterial)
}

func newCertStore(src certSources, configDir string) (*certStore, error) {
	es, err := edge.NewStore(edge.StoreOptions{
		Section:         "ftpd",
		ConfigDir:       configDir,
		Global:          edge.CertPair{Cert: src.global.cert, Key: src.global.key},
		CACertificates:  src.cas,
		RevocationLists: src.crls,
	})
	if err != nil {
		return nil, err
	}
	cs := &certStore{edge: es}
	for i, p := range src.perBinding {
		k, err := es.AddCert(edge.CertPair{Cert: p.cert, Key: p.key})
		if err != nil {
			return nil, fmt.Errorf("ftpd: bindings[%d]: %w", i, err)
		}
		cs.keys = append(cs.keys, k)
	}
	es.OnReload(func(m *edge.Material) {
		w := cs.wrap(m)
		for _, f := range cs.onReload {
			f(w)
		}
	})
	return cs, nil
}

func (cs *certStore) wrap(m *edge.Material) *certMaterial {
	return &certMaterial{Material: m, keys: cs.keys, pool: m.ClientCAs()}
}

func (cs *certStore) material() *certMaterial { return cs.wrap(cs.edge.Current()) }

func (cs *certStore) reload() error { return cs.edge.Reload() }

// innerTLS is the TLS used on the in-memory leg between a control
// connection's front and ftpserverlib: the library must run TLS itself
// to know the control connection is protected, while the real handshake
// with the client happens in the front.
type innerTLS struct {
	server *tls.Config
	client *tls.Config
}

func newInnerTLS() (*innerTLS, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ftpd: inner key: %w", err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "ftpd inner leg"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(100, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("ftpd: inner certificate: %w", err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return &innerTLS{
		server: &tls.Config{
			Certificates:           []tls.Certificate{cert},
			MinVersion:             tls.VersionTLS13,
			SessionTicketsDisabled: true,
		},
		client: &tls.Config{
			MinVersion: tls.VersionTLS13,
			// the peer is our own goroutine: accept exactly our certificate
			InsecureSkipVerify: true,
			VerifyConnection: func(cs tls.ConnectionState) error {
				if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, der) {
					return errors.New("unexpected inner certificate")
				}
				return nil
			},
		},
	}, nil
}

func newTicketKey() ([32]byte, error) {
	var k [32]byte
	_, err := rand.Read(k[:])
	return k, err
}
