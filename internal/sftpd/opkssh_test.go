package sftpd

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// writeOPKSSH writes a program with opkssh's verify contract standing in
// for the real binary (which needs an OpenID provider to sign its
// certificates): for "verify alice ..." it prints what opkssh prints on
// success, a cert-authority line with the certificate's signing key and
// principals; any other user fails. It records its arguments.
func writeOPKSSH(t *testing.T, caLine string) (path, sum, argsFile string) {
	t.Helper()
	dir := t.TempDir()
	path, argsFile = filepath.Join(dir, "opkssh"), filepath.Join(dir, "args")
	script := fmt.Sprintf(`#!/bin/sh
echo "$@" >> %s
[ "$1" = verify ] && [ "$2" = alice ] || { echo "policy: denied" >&2; exit 1; }
echo 'cert-authority,principals="alice@example.com" %s'
`, argsFile, caLine)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte(script))
	return path, hex.EncodeToString(h[:]), argsFile
}

func TestOPKSSHLogin(t *testing.T) {
	ca, _ := newCA(t)
	other, _ := newCA(t)
	caLine := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(ca.PublicKey())))
	path, sum, argsFile := writeOPKSSH(t, caLine)
	key := newUserKey(t)
	now := time.Now()
	revokedKey := newUserKey(t)
	revoked, revokedCert := signCert(t, ca, revokedKey, "alice@example.com", now.Add(-time.Hour), now.Add(time.Hour))
	revokedFile := filepath.Join(t.TempDir(), "revoked.json")
	b, _ := json.Marshal([]string{ssh.FingerprintSHA256(revokedCert)})
	if err := os.WriteFile(revokedFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOpts{sftpd: func(c *config.SFTPDConfig) {
		c.OPKSSHPath, c.OPKSSHChecksum = path, "sha256:"+strings.ToUpper(sum)
		c.RevokedUserCertsFile = revokedFile
	}})
	e.addUser(t, "alice", userKey{}, nil) // no public keys: opkssh vouches
	e.addUser(t, "bob", userKey{}, nil)
	good, cert := signCert(t, ca, key, "alice@example.com", now.Add(-time.Hour), now.Add(time.Hour))
	c, err := e.dial(t, "alice", ssh.PublicKeys(good))
	if err != nil {
		t.Fatalf("certificate opkssh authorizes: %v", err)
	}
	c.Close()
	args, _ := os.ReadFile(argsFile)
	want := "verify alice " + strings.Fields(string(ssh.MarshalAuthorizedKey(cert)))[1] + " " + cert.Type()
	if !strings.Contains(string(args), want) {
		t.Errorf("opkssh arguments %q, want a line %q", args, want)
	}
	cases := map[string]struct {
		user   string
		signer ssh.Signer
	}{
		"user opkssh refuses": {"bob", good},
		"other principal": {"alice", func() ssh.Signer {
			s, _ := signCert(t, ca, key, "mallory@example.com", now.Add(-time.Hour), now.Add(time.Hour))
			return s
		}()},
		"expired": {"alice", func() ssh.Signer {
			s, _ := signCert(t, ca, key, "alice@example.com", now.Add(-2*time.Hour), now.Add(-time.Hour))
			return s
		}()},
		"other signer": {"alice", func() ssh.Signer {
			s, _ := signCert(t, other, key, "alice@example.com", now.Add(-time.Hour), now.Add(time.Hour))
			return s
		}()},
		"revoked":   {"alice", revoked},
		"plain key": {"alice", key.signer},
	}
	for name, tc := range cases {
		if c, err := e.dial(t, tc.user, ssh.PublicKeys(tc.signer)); err == nil {
			c.Close()
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestOPKSSHBinaryChecks(t *testing.T) {
	path, sum, _ := writeOPKSSH(t, "ssh-ed25519 AAAA")
	runner := (&Server{}).hookRunner
	if _, err := newOPKSSH(path, sum, runner); err != nil {
		t.Fatalf("right checksum: %v", err)
	}
	for name, c := range map[string][2]string{
		"wrong checksum":       {path, strings.Repeat("0", 64)},
		"relative path":        {"bin/opkssh", ""},
		"missing binary":       {filepath.Join(t.TempDir(), "opkssh"), ""},
		"not executable":       {writeFileMode(t, 0o644), ""},
		"checksum without bin": {"", sum},
	} {
		if _, err := newOPKSSH(c[0], c[1], runner); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func writeFileMode(t *testing.T, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "opkssh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
		t.Fatal(err)
	}
	return p
}
