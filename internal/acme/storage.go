package acme

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	legoacme "github.com/go-acme/lego/v5/acme"
	"github.com/go-acme/lego/v5/certcrypto"
)

// The files under certs_path, in the layout SFTPGo (and lego's CLI)
// writes, so a taken-over installation keeps its account and
// certificates:
//
//	<certs_path>/<ca host>_<ca port>/<email>.json   account (registration URL)
//	<certs_path>/<ca host>_<ca port>/<email>.key    account key (PEM)
//	<certs_path>/<first domain>.crt                 certificate + chain (PEM)
//	<certs_path>/<first domain>.key                 certificate key (PEM)
//	<certs_path>/<first domain>.json                metadata (domains, URLs)

// accountDir is the directory of the accounts of the CA at endpoint:
// its host and port joined by "_" (port 443 when the URL names none).
func accountDir(certsPath, endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("acme: ca_endpoint %q is not a URL", endpoint)
	}
	port := u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	return filepath.Join(certsPath, sanitize(u.Hostname())+"_"+port), nil
}

// sanitize turns a domain or host into a file name: the wildcard and
// characters unsafe in file names become "_".
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '*', '/', '\\', ':', '?', '"', '<', '>', '|':
			return '_'
		}
		return r
	}, s)
}

// account is the ACME account as stored in <email>.json. registration
// keeps lego v4's shape ({"body": {...}, "uri": "..."}), which SFTPGo
// writes.
type account struct {
	Email        string      `json:"email"`
	Registration *accountReg `json:"registration"`
	key          crypto.Signer
}

type accountReg struct {
	Body legoacme.Account `json:"body"`
	URI  string           `json:"uri"`
}

func (a *account) GetEmail() string { return a.Email }

func (a *account) GetPrivateKey() crypto.Signer { return a.key }

func (a *account) GetRegistration() *legoacme.ExtendedAccount {
	if a.Registration == nil || a.Registration.URI == "" {
		return nil
	}
	return &legoacme.ExtendedAccount{Account: a.Registration.Body, Location: a.Registration.URI}
}

// loadAccount reads the account of email in dir; a missing account
// returns one with a new key and no registration (not yet saved).
func loadAccount(dir, email string) (*account, error) {
	base := filepath.Join(dir, sanitize(email))
	keyPEM, err := os.ReadFile(base + ".key")
	if errors.Is(err, fs.ErrNotExist) {
		key, err := certcrypto.GeneratePrivateKey(certcrypto.EC256)
		if err != nil {
			return nil, fmt.Errorf("acme: account key: %w", err)
		}
		return &account{Email: email, key: key}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("acme: account key: %w", err)
	}
	key, err := certcrypto.ParsePEMPrivateKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("acme: account key %q: %w", base+".key", err)
	}
	a := &account{Email: email, key: key}
	data, err := os.ReadFile(base + ".json")
	if errors.Is(err, fs.ErrNotExist) {
		return a, nil // key kept, registration lost: register again with it
	}
	if err != nil {
		return nil, fmt.Errorf("acme: account: %w", err)
	}
	if err := json.Unmarshal(data, a); err != nil {
		return nil, fmt.Errorf("acme: account %q: %w", base+".json", err)
	}
	a.key = key
	return a, nil
}

func (a *account) save(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("acme: %w", err)
	}
	base := filepath.Join(dir, sanitize(a.Email))
	if err := writeFile(base+".key", certcrypto.PEMEncode(a.key), 0o600); err != nil {
		return err
	}
	data, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return fmt.Errorf("acme: %w", err)
	}
	return writeFile(base+".json", data, 0o600)
}

// certMeta is <domain>.json: lego v4's fields (which SFTPGo writes) plus
// the list of domains.
type certMeta struct {
	Domain        string   `json:"domain"`
	Domains       []string `json:"domains,omitempty"`
	CertURL       string   `json:"certUrl"`
	CertStableURL string   `json:"certStableUrl"`
}

// writeFile replaces name atomically, so a reader (a reloading edge
// store) never sees half a certificate.
func writeFile(name string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-"+filepath.Base(name)+"-*")
	if err != nil {
		return fmt.Errorf("acme: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("acme: write %q: %w", name, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("acme: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("acme: %w", err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("acme: %w", err)
	}
	return nil
}

// readLeaf returns the first certificate of the PEM file name.
func readLeaf(name string) (*x509.Certificate, []byte, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, nil, err
	}
	certs, err := certcrypto.ParsePEMBundle(data)
	if err != nil {
		return nil, nil, fmt.Errorf("acme: %q: %w", name, err)
	}
	return certs[0], data, nil
}
