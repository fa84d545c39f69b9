package sftpd

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func newCA(t *testing.T) (ssh.Signer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "ca.pub")
	os.WriteFile(p, ssh.MarshalAuthorizedKey(s.PublicKey()), 0o644)
	return s, p
}

func signCert(t *testing.T, ca ssh.Signer, key userKey, principal string, after, before time.Time) (ssh.Signer, *ssh.Certificate) {
	t.Helper()
	cert := &ssh.Certificate{
		Key:             key.signer.PublicKey(),
		CertType:        ssh.UserCert,
		KeyId:           "test",
		ValidPrincipals: []string{principal},
		ValidAfter:      uint64(after.Unix()),
		ValidBefore:     uint64(before.Unix()),
		Permissions:     ssh.Permissions{Extensions: map[string]string{"permit-pty": ""}},
	}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewCertSigner(cert, key.signer)
	if err != nil {
		t.Fatal(err)
	}
	return s, cert
}

func TestCertificateAuth(t *testing.T) {
	ca, caFile := newCA(t)
	other, _ := newCA(t)
	key := newUserKey(t)
	now := time.Now()
	revokedKey := newUserKey(t)
	revoked, revokedCert := signCert(t, ca, revokedKey, "hank", now.Add(-time.Hour), now.Add(time.Hour))
	revokedFile := filepath.Join(t.TempDir(), "revoked.json")
	b, _ := json.Marshal([]string{ssh.FingerprintSHA256(revokedCert)})
	os.WriteFile(revokedFile, b, 0o644)

	e := newEnv(t, envOpts{sftpd: func(c *config.SFTPDConfig) {
		c.TrustedUserCAKeys = []string{caFile}
		c.RevokedUserCertsFile = revokedFile
	}})
	e.addUser(t, "hank", userKey{}, nil) // no public keys: the CA vouches
	good, _ := signCert(t, ca, key, "hank", now.Add(-time.Hour), now.Add(time.Hour))
	c, err := e.dial(t, "hank", ssh.PublicKeys(good))
	if err != nil {
		t.Fatalf("valid certificate: %v", err)
	}
	c.Close()
	cases := map[string]ssh.Signer{
		"wrong principal": func() ssh.Signer {
			s, _ := signCert(t, ca, key, "other", now.Add(-time.Hour), now.Add(time.Hour))
			return s
		}(),
		"expired": func() ssh.Signer {
			s, _ := signCert(t, ca, key, "hank", now.Add(-2*time.Hour), now.Add(-time.Hour))
			return s
		}(),
		"untrusted CA": func() ssh.Signer {
			s, _ := signCert(t, other, key, "hank", now.Add(-time.Hour), now.Add(time.Hour))
			return s
		}(),
		"revoked":   revoked,
		"plain key": key.signer,
	}
	for name, s := range cases {
		if c, err := e.dial(t, "hank", ssh.PublicKeys(s)); err == nil {
			c.Close()
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestMaxSessions(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "ivan", userKey{}, func(u *dataprovider.User) { u.MaxSessions = 1 })
	e.sftpClient(t, "ivan", ssh.Password(testPassword))
	conn, err := e.dial(t, "ivan", ssh.Password(testPassword))
	if err == nil {
		defer conn.Close()
		if c, err := sftp.NewClient(conn); err == nil {
			c.Close()
			t.Fatal("second session allowed with max_sessions 1")
		}
	}
}
