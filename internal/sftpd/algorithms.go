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
	def := defaultAlgorithms()
	sc.KeyExchanges = orDefault(kex, def.KeyExchanges)
	sc.Ciphers = orDefault(ciphers, def.Ciphers)
	sc.MACs = orDefault(macs, def.MACs)
	sc.PublicKeyAuthAlgorithms = orDefault(pubKeyAlgos, def.PublicKeyAuths)
	added := 0
	for _, k := range hostKeys {
		if len(hostKeyAlgos) == 0 {
			ms, err := withoutSHA1(k)
			if err != nil {
				return err
			}
			sc.AddHostKey(ms)
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

// defaultAlgorithms is what an empty kex_algorithms, ciphers, macs or
// public_key_algorithms list means: the SSH library's secure set without
// anything built on SHA-1 (the library still counts hmac-sha1 as
// supported). Legacy algorithms stay available by naming them.
func defaultAlgorithms() ssh.Algorithms {
	sup := ssh.SupportedAlgorithms()
	return ssh.Algorithms{
		KeyExchanges:   dropSHA1(sup.KeyExchanges),
		Ciphers:        sup.Ciphers,
		MACs:           dropSHA1(sup.MACs),
		HostKeys:       dropSHA1(sup.HostKeys),
		PublicKeyAuths: dropSHA1(sup.PublicKeyAuths),
	}
}

// isSHA1 reports whether an algorithm name hashes or signs with SHA-1
// ("ssh-rsa" is RSA with SHA-1 signatures).
func isSHA1(name string) bool {
	return strings.Contains(name, "sha1") || name == ssh.KeyAlgoRSA || name == "ssh-dss" ||
		name == ssh.CertAlgoRSAv01 || name == "ssh-dss-cert-v01@openssh.com"
}

func dropSHA1(names []string) []string {
	return slices.DeleteFunc(slices.Clone(names), isSHA1)
}

func orDefault(configured, def []string) []string {
	if len(configured) > 0 {
		return configured
	}
	return def
}

// withoutSHA1 restricts an RSA host key (or certificate) to SHA-2
// signatures; the SSH library would otherwise also offer ssh-rsa.
func withoutSHA1(k ssh.Signer) (ssh.Signer, error) {
	t := k.PublicKey().Type()
	if t != ssh.KeyAlgoRSA && t != ssh.CertAlgoRSAv01 {
		return k, nil
	}
	as, ok := k.(ssh.AlgorithmSigner)
	if !ok {
		return k, nil
	}
	ms, err := ssh.NewSignerWithAlgorithms(as, []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256})
	if err != nil {
		return nil, fmt.Errorf("sftpd: host key: %w", err)
	}
	return ms, nil
}
