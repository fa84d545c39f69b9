package sftpd

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
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

func signCert(t *testing.T, ca ssh.Signer, key userKey, principal string, after, before time.Time, critical ...string) (ssh.Signer, *ssh.Certificate) {
	t.Helper()
	var principals []string
	if principal != "" {
		principals = []string{principal}
	}
	opts := map[string]string{}
	for i := 0; i+1 < len(critical); i += 2 {
		opts[critical[i]] = critical[i+1]
	}
	cert := &ssh.Certificate{
		Key:             key.signer.PublicKey(),
		CertType:        ssh.UserCert,
		KeyId:           "test",
		ValidPrincipals: principals,
		ValidAfter:      uint64(after.Unix()),
		ValidBefore:     uint64(before.Unix()),
		Permissions:     ssh.Permissions{CriticalOptions: opts, Extensions: map[string]string{"permit-pty": ""}},
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
	fromLoopback, _ := signCert(t, ca, key, "hank", now.Add(-time.Hour), now.Add(time.Hour), "source-address", "127.0.0.0/8")
	c, err = e.dial(t, "hank", ssh.PublicKeys(fromLoopback))
	if err != nil {
		t.Fatalf("certificate restricted to the client's network: %v", err)
	}
	c.Close()
	cases := map[string]ssh.Signer{
		"no principals": func() ssh.Signer { s, _ := signCert(t, ca, key, "", now.Add(-time.Hour), now.Add(time.Hour)); return s }(),
		"other network": func() ssh.Signer {
			s, _ := signCert(t, ca, key, "hank", now.Add(-time.Hour), now.Add(time.Hour), "source-address", "10.1.2.0/24")
			return s
		}(),
		"unknown option": func() ssh.Signer {
			s, _ := signCert(t, ca, key, "hank", now.Add(-time.Hour), now.Add(time.Hour), "force-command", "ls")
			return s
		}(),
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

func TestTOTPOverKeyboardInteractive(t *testing.T) {
	e := newEnv(t, envOpts{})
	key := []byte("0123456789abcdef0123")
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(key)
	pub := newUserKey(t)
	e.addUser(t, "tara", pub, func(u *dataprovider.User) {
		u.Filters.TOTPConfig = dataprovider.TOTPConfig{Enabled: true, ConfigName: "Default",
			Secret: kms.NewPlainSecret(secret), Protocols: []string{"SSH"}}
	})
	kbd := func(password, code string) ssh.AuthMethod {
		return ssh.KeyboardInteractive(func(name, instruction string, questions []string, echos []bool) ([]string, error) {
			switch {
			case len(questions) == 1 && questions[0] == "Password: ":
				return []string{password}, nil
			case len(questions) == 1 && questions[0] == "Authentication code: ":
				return []string{code}, nil
			}
			return nil, errors.New("unexpected questions")
		})
	}
	good := common.TOTPCode(key, time.Now().Unix()/30, "sha1", 6)
	c, err := e.dial(t, "tara", kbd(testPassword, good))
	if err != nil {
		t.Fatalf("password and code: %v", err)
	}
	c.Close()
	bad := "000000"
	if bad == good {
		bad = "111111"
	}
	if c, err := e.dial(t, "tara", kbd(testPassword, bad)); err == nil {
		c.Close()
		t.Fatal("wrong code accepted")
	}
	if c, err := e.dial(t, "tara", ssh.Password(testPassword)); err == nil {
		c.Close()
		t.Fatal("password alone accepted with a second factor")
	}
	// public keys are not affected by the second factor
	c, err = e.dial(t, "tara", ssh.PublicKeys(pub.signer))
	if err != nil {
		t.Fatalf("public key: %v", err)
	}
	c.Close()
}
