// Package edge holds what every listener shares: TLS configuration and
// its reload, PROXY protocol, client IP from trusted proxy headers and IP
// network sets.
package edge

import (
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// DefaultCipherSuites returns the TLS 1.2 suites offered when a binding
// names none: ECDHE key exchange with AEAD ciphers only. Go's own defaults
// also offer CBC suites with SHA-1 MACs (e.g. ECDHE-RSA-AES128-SHA); those
// stay available by naming them in tls_cipher_suites. TLS 1.3 suites are
// not configurable and always AEAD.
func DefaultCipherSuites() []uint16 {
	return []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	}
}

// ParseTLSVersion maps the configuration's 10/11/12/13 to crypto/tls
// constants; 0 means unset and returns 0.
func ParseTLSVersion(v int) (uint16, error) {
	switch v {
	case 0:
		return 0, nil
	case 10:
		return tls.VersionTLS10, nil
	case 11:
		return tls.VersionTLS11, nil
	case 12:
		return tls.VersionTLS12, nil
	case 13:
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("unsupported TLS version %d (use 12 or 13)", v)
}

// ParseCipherSuites maps suite names as crypto/tls spells them (the names
// sftpgo.json uses, e.g. TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256) to IDs.
// Insecure suites are accepted when named. An empty list returns the
// AEAD-only defaults.
func ParseCipherSuites(names []string) ([]uint16, error) {
	if len(names) == 0 {
		return DefaultCipherSuites(), nil
	}
	known := map[string]uint16{}
	for _, c := range tls.CipherSuites() {
		known[c.Name] = c.ID
	}
	for _, c := range tls.InsecureCipherSuites() {
		known[c.Name] = c.ID
	}
	out := make([]uint16, 0, len(names))
	for _, n := range names {
		id, ok := known[strings.TrimSpace(n)]
		if !ok {
			return nil, fmt.Errorf("unknown cipher suite %q", n)
		}
		out = append(out, id)
	}
	return out, nil
}

// Settings are the TLS options of one binding as the configuration
// spells them.
type Settings struct {
	MinVersion   int      // min_tls_version: 0 (12), 10, 11, 12, 13
	MaxVersion   int      // max_tls_version: 0 (no limit), 10..13
	CipherSuites []string // tls_cipher_suites; empty: AEAD-only defaults
	// ClientAuthType: 0 no client certificates, 1 required and verified,
	// 2 verified when given.
	ClientAuthType int
	NextProtos     []string // ALPN, e.g. h2, http/1.1
}

// Params are parsed Settings.
type Params struct {
	MinVersion, MaxVersion uint16
	CipherSuites           []uint16
	ClientAuth             tls.ClientAuthType
	NextProtos             []string
}

// ParseSettings validates s.
func ParseSettings(s Settings) (Params, error) {
	var p Params
	var err error
	if p.MinVersion, err = ParseTLSVersion(s.MinVersion); err != nil {
		return p, fmt.Errorf("min_tls_version: %w", err)
	}
	if p.MinVersion == 0 {
		p.MinVersion = tls.VersionTLS12
	}
	if p.MaxVersion, err = ParseTLSVersion(s.MaxVersion); err != nil {
		return p, fmt.Errorf("max_tls_version: %w", err)
	}
	if p.MaxVersion != 0 && p.MaxVersion < p.MinVersion {
		return p, errors.New("max_tls_version is lower than min_tls_version")
	}
	if p.CipherSuites, err = ParseCipherSuites(s.CipherSuites); err != nil {
		return p, fmt.Errorf("tls_cipher_suites: %w", err)
	}
	switch s.ClientAuthType {
	case 0:
		p.ClientAuth = tls.NoClientCert
	case 1:
		p.ClientAuth = tls.RequireAndVerifyClientCert
	case 2:
		p.ClientAuth = tls.VerifyClientCertIfGiven
	default:
		return p, fmt.Errorf("invalid client_auth_type %d", s.ClientAuthType)
	}
	p.NextProtos = append([]string(nil), s.NextProtos...)
	if len(p.CipherSuites) > 0 && slices.Contains(p.NextProtos, "h2") && (p.MaxVersion == 0 || p.MaxVersion >= tls.VersionTLS12) &&
		!slices.Contains(p.CipherSuites, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) &&
		!slices.Contains(p.CipherSuites, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256) {
		// net/http refuses to serve HTTP/2 without one of them
		return p, errors.New("tls_cipher_suites: HTTP/2 needs TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 or TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256; name one or set tls_protocols to http/1.1")
	}
	return p, nil
}

// Apply sets p's versions, suites, ALPN and (with m's CAs and CRLs)
// client certificate checks on c. cert may be nil when c gets its
// certificate some other way.
func (p Params) Apply(c *tls.Config, m *Material, cert *tls.Certificate) {
	if cert != nil {
		c.Certificates = []tls.Certificate{*cert}
	}
	c.MinVersion, c.MaxVersion = p.MinVersion, p.MaxVersion
	c.CipherSuites = append([]uint16(nil), p.CipherSuites...)
	if len(p.NextProtos) > 0 {
		c.NextProtos = append([]string(nil), p.NextProtos...)
	}
	if p.ClientAuth != tls.NoClientCert && m != nil && m.pool != nil {
		c.ClientCAs = m.pool
		c.ClientAuth = p.ClientAuth
		c.VerifyConnection = m.VerifyNotRevoked
	}
}
