package sftpd

import (
	"net"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// TestHostKeysMatchWhatClientsSee: the fingerprints reported for the
// status page are those of the keys the server presents.
func TestHostKeysMatchWhatClientsSee(t *testing.T) {
	e := newEnv(t, envOpts{})
	infos := e.sftpd.HostKeys()
	if len(infos) == 0 {
		t.Fatal("no host keys reported")
	}
	known := map[string]bool{}
	for _, i := range infos {
		if !strings.HasPrefix(i.Fingerprint, "SHA256:") || len(i.Algorithms) == 0 {
			t.Errorf("host key %+v: missing fingerprint or algorithms", i)
		}
		known[i.Fingerprint] = true
	}
	var seen string
	c, err := ssh.Dial("tcp", e.addr, &ssh.ClientConfig{User: "nobody", Auth: []ssh.AuthMethod{ssh.Password("x")},
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error {
			seen = ssh.FingerprintSHA256(k)
			return nil
		}})
	if err == nil {
		c.Close()
	}
	if !known[seen] {
		t.Errorf("the server presented %q, not among %v", seen, infos)
	}
}

// TestKeyboardInteractiveSendsNoName: OpenSSH prints the challenge's name
// field on a line of its own, so every password login showed the username
// as a stray line.
func TestKeyboardInteractiveSendsNoName(t *testing.T) {
	e := newEnv(t, envOpts{sftpd: func(c *config.SFTPDConfig) { c.PasswordAuthentication = false }})
	e.addUser(t, "kbd", userKey{}, nil)
	var names []string
	c, err := e.dial(t, "kbd", ssh.KeyboardInteractive(func(name, _ string, questions []string, _ []bool) ([]string, error) {
		names = append(names, name)
		answers := make([]string, len(questions))
		for i := range answers {
			answers[i] = testPassword
		}
		return answers, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	for _, n := range names {
		if n != "" {
			t.Errorf("challenge name %q, want empty", n)
		}
	}
	if len(names) == 0 {
		t.Fatal("no keyboard-interactive challenge")
	}
}
