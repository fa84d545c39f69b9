package sftpd

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
)

// checkAlgorithms verifies every configured name is one the SSH library
// implements (secure or not: an administrator may enable legacy ones).
func checkAlgorithms(kind string, configured, supported, insecure []string) error {
	for _, a := range configured {
		if !slices.Contains(supported, a) && !slices.Contains(insecure, a) {
			return fmt.Errorf("sftpd: unsupported %s %q (supported: %s)", kind, a, strings.Join(supported, ", "))
		}
	}
	return nil
}

func applyAlgorithms(sc *ssh.ServerConfig, hostKeys []ssh.Signer, kex, ciphers, macs, pubKeyAlgos, hostKeyAlgos []string) error {
	sup, ins := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
	if err := checkAlgorithms("kex algorithm", kex, sup.KeyExchanges, ins.KeyExchanges); err != nil {
		return err
	}
	if err := checkAlgorithms("cipher", ciphers, sup.Ciphers, ins.Ciphers); err != nil {
		return err
	}
	if err := checkAlgorithms("MAC", macs, sup.MACs, ins.MACs); err != nil {
		return err
	}
	if err := checkAlgorithms("public key algorithm", pubKeyAlgos, sup.PublicKeyAuths, ins.PublicKeyAuths); err != nil {
		return err
	}
	if err := checkAlgorithms("host key algorithm", hostKeyAlgos, sup.HostKeys, ins.HostKeys); err != nil {
		return err
	}
	sc.KeyExchanges = kex
	sc.Ciphers = ciphers
	sc.MACs = macs
	if len(pubKeyAlgos) > 0 {
		sc.PublicKeyAuthAlgorithms = pubKeyAlgos
	}
	added := 0
	for _, k := range hostKeys {
		if len(hostKeyAlgos) == 0 {
			sc.AddHostKey(k)
			added++
			continue
		}
		as, ok := k.(ssh.AlgorithmSigner)
		if !ok {
			continue
		}
		var algos []string
		for _, a := range hostKeyAlgos {
			if algoMatchesKey(a, k.PublicKey().Type()) {
				algos = append(algos, a)
			}
		}
		if len(algos) == 0 {
			continue
		}
		ms, err := ssh.NewSignerWithAlgorithms(as, algos)
		if err != nil {
			return fmt.Errorf("sftpd: host key algorithms: %w", err)
		}
		sc.AddHostKey(ms)
		added++
	}
	if added == 0 {
		return fmt.Errorf("sftpd: no host key usable with host_key_algorithms %v", hostKeyAlgos)
	}
	return nil
}

// algoMatchesKey reports whether a signature algorithm can be produced by
// a key of keyType.
func algoMatchesKey(algo, keyType string) bool {
	if keyType == ssh.KeyAlgoRSA {
		return algo == ssh.KeyAlgoRSA || algo == ssh.KeyAlgoRSASHA256 || algo == ssh.KeyAlgoRSASHA512
	}
	return algo == keyType
}
