package dataprovider

// checkFsSecretEntropy refuses weak key material for data at rest, as
// common.secret_min_entropy asks: the encrypted backend's passphrase and
// the S3 SSE-C key, when they are submitted in clear (a stored or dumped
// encrypted value is not re-checked). 0 disables the check.
func (s *Store) checkFsSecretEntropy(fs *Filesystem) error {
	if s.secretMinEntropy <= 0 {
		return nil
	}
	check := func(field, value string) error {
		if e := passwordEntropy(value); e < s.secretMinEntropy {
			return invalid(field, "the secret is too weak (estimated entropy %.0f bits, %.0f required by common.secret_min_entropy): use a longer random value", e, s.secretMinEntropy)
		}
		return nil
	}
	switch fs.Provider {
	case CryptedFilesystemProvider:
		if p := fs.CryptConfig.Passphrase; p.IsPlain() && p.Payload != "" {
			return check("filesystem.cryptconfig.passphrase", p.Payload)
		}
	case S3FilesystemProvider:
		if k := fs.S3Config.SSECustomerKey; k.IsPlain() && k.Payload != "" {
			return check("filesystem.s3config.sse_customer_key", k.Payload)
		}
	}
	return nil
}
