package sftpd

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/hooks"
)

// opkssh verifies OpenPubkey SSH certificates (sftpd.opkssh_path) the way
// OpenSSH does with "AuthorizedKeysCommand opkssh verify %u %k %t": it
// runs
//
//	opkssh verify USERNAME BASE64-CERTIFICATE CERTIFICATE-TYPE
//
// and, when the program exits 0, reads its output as authorized_keys
// lines. opkssh checks the OpenID token embedded in the certificate and
// its policy mapping identities to user names, then prints
// `cert-authority[,principals="..."] KEY`, KEY being the key that signed
// the certificate; the certificate is then checked as sshd would: signed
// by that key, within its validity, for the user name or one of the
// listed principals.
type opkssh struct {
	path   string
	runner func() (*hooks.Runner, error)
}

// opksshTimeout bounds one verification when the command section sets no
// timeout of its own.
const opksshTimeout = 15 * time.Second

// newOPKSSH checks the configured binary: an absolute path to an
// executable file whose SHA-256, when checksum is set, is checksum.
func newOPKSSH(path, checksum string, runner func() (*hooks.Runner, error)) (*opkssh, error) {
	if path == "" {
		if checksum != "" {
			return nil, errors.New("sftpd: opkssh_checksum is set without opkssh_path")
		}
		return nil, nil
	}
	if !filepath.IsAbs(path) {
		return nil, fmt.Errorf("sftpd: opkssh_path must be an absolute path: %q", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sftpd: opkssh_path: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("sftpd: opkssh_path: %w", err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return nil, fmt.Errorf("sftpd: opkssh_path %q is not an executable file", path)
	}
	if checksum != "" {
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return nil, fmt.Errorf("sftpd: opkssh_path: %w", err)
		}
		want := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(checksum), "sha256:"))
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			return nil, fmt.Errorf("sftpd: the SHA-256 of %s is %s, not opkssh_checksum %s", path, got, want)
		}
	}
	return &opkssh{path: path, runner: runner}, nil
}

// check runs "opkssh verify" for username and the offered certificate.
func (o *opkssh) check(ctx context.Context, username string, cert *ssh.Certificate) error {
	r, err := o.runner()
	if err != nil {
		return err
	}
	wire := cert.Marshal()
	out, err := r.Exec(ctx, hooks.KindOPKSSH, o.path, nil, opksshTimeout,
		"verify", username, base64.StdEncoding.EncodeToString(wire), cert.Type())
	if err != nil {
		return err
	}
	for rest := out; len(bytes.TrimSpace(rest)) > 0; {
		key, _, options, next, err := ssh.ParseAuthorizedKey(rest)
		if err != nil {
			break
		}
		if authorizes(key, options, username, cert) == nil {
			return nil
		}
		rest = next
	}
	return errors.New("opkssh verify did not authorize the certificate")
}

// authorizes applies one authorized_keys line to the offered certificate:
// the certificate itself, or a cert-authority key that signed it.
func authorizes(key ssh.PublicKey, options []string, username string, cert *ssh.Certificate) error {
	if bytes.Equal(key.Marshal(), cert.Marshal()) {
		return nil
	}
	authority := false
	var principals []string
	for _, o := range options {
		name, value, _ := strings.Cut(o, "=")
		switch strings.ToLower(name) {
		case "cert-authority":
			authority = true
		case "principals":
			principals = strings.Split(strings.Trim(value, `"`), ",")
		}
	}
	if !authority || !bytes.Equal(key.Marshal(), cert.SignatureKey.Marshal()) {
		return errors.New("not the certificate's authority")
	}
	principal := username
	if principals != nil {
		principal = ""
		for _, p := range principals {
			if slices.Contains(cert.ValidPrincipals, p) {
				principal = p
				break
			}
		}
		if principal == "" {
			return errors.New("no principal of the certificate is listed")
		}
	}
	checker := ssh.CertChecker{
		SupportedCriticalOptions: []string{"source-address"},
		IsUserAuthority:          func(k ssh.PublicKey) bool { return bytes.Equal(k.Marshal(), key.Marshal()) },
	}
	return checker.CheckCert(principal, cert)
}
