package sftpd

import (
	"os"

	"golang.org/x/crypto/ssh"
)

// HostKeyInfo describes one host key for the status page and
// /api/v2/status, as SFTPGo reports them.
type HostKeyInfo struct {
	Path        string   `json:"path"`
	Fingerprint string   `json:"fingerprint"` // SHA256:..., as ssh-keygen -l prints
	Algorithms  []string `json:"algorithms"`
}

// HostKeys reads the public half of every host key the server uses.
func (s *Server) HostKeys() []HostKeyInfo {
	out := make([]HostKeyInfo, 0, len(s.hostKeys))
	for _, p := range s.hostKeys {
		info := HostKeyInfo{Path: p}
		if b, err := os.ReadFile(p); err == nil {
			if signer, err := ssh.ParsePrivateKey(b); err == nil {
				pub := signer.PublicKey()
				info.Fingerprint = ssh.FingerprintSHA256(pub)
				info.Algorithms = hostKeyAlgorithms(pub.Type())
			}
		}
		out = append(out, info)
	}
	return out
}

// hostKeyAlgorithms lists the signature algorithms a key of this type
// signs with.
func hostKeyAlgorithms(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}
	}
	return []string{keyType}
}
