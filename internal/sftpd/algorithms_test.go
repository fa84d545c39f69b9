package sftpd

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// sshAuditReport is the part of `ssh-audit -j` output the tests read.
type sshAuditReport struct {
	Kex []auditAlgo `json:"kex"`
	Key []auditAlgo `json:"key"`
	Enc []auditAlgo `json:"enc"`
	Mac []auditAlgo `json:"mac"`
}

// auditAlgo is one algorithm: ssh-audit versions write either a bare name
// or an object with "algorithm".
type auditAlgo string

func (a *auditAlgo) UnmarshalJSON(b []byte) error {
	var name string
	if json.Unmarshal(b, &name) == nil {
		*a = auditAlgo(name)
		return nil
	}
	var o struct{ Algorithm string }
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	*a = auditAlgo(o.Algorithm)
	return nil
}

func (r sshAuditReport) all() []string {
	var out []string
	for _, l := range [][]auditAlgo{r.Kex, r.Key, r.Enc, r.Mac} {
		for _, a := range l {
			out = append(out, string(a))
		}
	}
	return out
}

// runSSHAudit scans the server with the real ssh-audit tool.
func runSSHAudit(t *testing.T, addr string) sshAuditReport {
	t.Helper()
	bin := requireTool(t, "ssh-audit")
	host, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	// ssh-audit exits non-zero when it finds any warning; the JSON is
	// what counts
	out, _ := exec.CommandContext(ctx, bin, "-j", "-t", "20", "-p", port, host).Output()
	var r sshAuditReport
	if err := json.Unmarshal(out, &r); err != nil || len(r.Kex) == 0 {
		t.Fatalf("ssh-audit output: %v\n%s", err, out)
	}
	return r
}

// TestDefaultAlgorithmsWithoutSHA1: by default the server offers no key
// exchange, host key signature or MAC built on SHA-1, as ssh-audit sees it.
func TestDefaultAlgorithmsWithoutSHA1(t *testing.T) {
	e := newEnv(t, envOpts{})
	r := runSSHAudit(t, e.addr)
	for _, a := range r.all() {
		if strings.Contains(a, "sha1") || a == "ssh-rsa" || a == "ssh-dss" || strings.HasPrefix(a, "ssh-rsa-cert") {
			t.Errorf("SHA-1 algorithm offered by default: %s", a)
		}
	}
	for _, want := range []string{"curve25519-sha256", "rsa-sha2-512", "ssh-ed25519", "hmac-sha2-256-etm@openssh.com", "aes128-gcm@openssh.com"} {
		if !slices.Contains(r.all(), want) {
			t.Errorf("%s not offered; got %v", want, r.all())
		}
	}
}

// TestLegacyAlgorithmsByName: SHA-1 algorithms stay available when the
// configuration names them.
func TestLegacyAlgorithmsByName(t *testing.T) {
	e := newEnv(t, envOpts{sftpd: func(c *config.SFTPDConfig) {
		c.KexAlgorithms = []string{"curve25519-sha256", "diffie-hellman-group14-sha1"}
		c.MACs = []string{"hmac-sha2-256", "hmac-sha1", "hmac-sha1-96"}
		c.HostKeyAlgorithms = []string{"rsa-sha2-256", "ssh-rsa"}
	}})
	r := runSSHAudit(t, e.addr)
	for _, want := range []string{"diffie-hellman-group14-sha1", "hmac-sha1", "hmac-sha1-96", "ssh-rsa"} {
		if !slices.Contains(r.all(), want) {
			t.Errorf("configured %s not offered; got %v", want, r.all())
		}
	}
}

// TestSHA1UserSignatures: a client signing with ssh-rsa (SHA-1) is
// refused by default and accepted once public_key_algorithms names it.
func TestSHA1UserSignatures(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	sha1Signer, err := ssh.NewSignerWithAlgorithms(signer.(ssh.AlgorithmSigner), []string{ssh.KeyAlgoRSA})
	if err != nil {
		t.Fatal(err)
	}
	key := userKey{signer: signer, authz: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))}
	for _, tc := range []struct {
		name   string
		algos  []string
		wantOK bool
	}{
		{"default", nil, false},
		{"named", []string{"rsa-sha2-256", "ssh-rsa", "ssh-ed25519"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{sftpd: func(c *config.SFTPDConfig) { c.PublicKeyAlgorithms = tc.algos }})
			e.addUser(t, "rsa1", key, nil)
			conn, err := e.dial(t, "rsa1", ssh.PublicKeys(sha1Signer))
			if conn != nil {
				conn.Close()
			}
			if (err == nil) != tc.wantOK {
				t.Fatalf("ssh-rsa signature: err=%v, want ok=%v", err, tc.wantOK)
			}
			// SHA-2 signatures with the same key always work
			conn, err = e.dial(t, "rsa1", ssh.PublicKeys(signer))
			if err != nil {
				t.Fatalf("rsa-sha2 signature: %v", err)
			}
			conn.Close()
		})
	}
}
