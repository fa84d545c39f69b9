package sftpd

import (
	"net"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
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
