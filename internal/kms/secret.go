// Package kms holds the secret type used for backend credentials and the
// providers that encrypt secrets at rest.
package kms

// SecretStatus says in what form a Secret's payload is held.
type SecretStatus string

// Secret statuses. Clients send Plain; the store keeps an encrypted status;
// API responses carry Redacted with an empty payload.
const (
	StatusPlain     SecretStatus = "Plain"
	StatusAES256GCM SecretStatus = "AES-256-GCM"
	StatusSecretBox SecretStatus = "Secretbox"
	StatusGCP       SecretStatus = "GCP"
	StatusAWS       SecretStatus = "AWS"
	StatusVault     SecretStatus = "VaultTransit"
	StatusAzure     SecretStatus = "AzureKeyVault"
	StatusOracle    SecretStatus = "OracleKeyVault"
	StatusRedacted  SecretStatus = "Redacted"
)

// Secret is a value that must never be stored or returned in clear:
// backend passwords, access secrets, private keys, passphrases.
// The JSON shape is the reference product's.
type Secret struct {
	Status         SecretStatus `json:"status,omitempty"`
	Payload        string       `json:"payload,omitempty"`
	Key            string       `json:"key,omitempty"`
	AdditionalData string       `json:"additional_data,omitempty"`
	Mode           int          `json:"mode,omitempty"`
}

// NewPlainSecret returns a secret holding payload in clear, ready to be
// encrypted by a Manager.
func NewPlainSecret(payload string) *Secret {
	return &Secret{Status: StatusPlain, Payload: payload}
}

// IsEmpty reports whether the secret holds nothing.
func (s *Secret) IsEmpty() bool {
	return s == nil || (s.Status == "" && s.Payload == "" && s.Key == "")
}

// IsPlain reports whether the payload is in clear.
func (s *Secret) IsPlain() bool { return s != nil && s.Status == StatusPlain }

// IsEncrypted reports whether the payload is held encrypted.
func (s *Secret) IsEncrypted() bool {
	return s != nil && s.Status != "" && s.Status != StatusPlain && s.Status != StatusRedacted
}

// IsRedacted reports whether the payload was removed for display.
func (s *Secret) IsRedacted() bool { return s != nil && s.Status == StatusRedacted }

// Clone returns a deep copy (nil stays nil).
func (s *Secret) Clone() *Secret {
	if s == nil {
		return nil
	}
	c := *s
	return &c
}

// Redacted returns a copy safe to show: the status stays, the payload,
// key and additional data go. An empty secret stays empty. A client that
// sends such a secret back on update means "keep the stored value".
func (s *Secret) Redacted() *Secret {
	if s.IsEmpty() {
		return nil
	}
	st := s.Status
	if st == StatusPlain {
		st = StatusRedacted
	}
	return &Secret{Status: st}
}

// IsKeepStored reports whether a secret received on update stands for the
// value already stored: redacted, or an encrypted status with no payload.
func (s *Secret) IsKeepStored() bool {
	if s == nil {
		return false
	}
	return s.Status == StatusRedacted || (s.IsEncrypted() && s.Payload == "")
}
