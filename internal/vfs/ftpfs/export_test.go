package ftpfs

// NoDirRename makes cfg's Fs move directories entry by entry, as it does
// for servers that cannot rename a non-empty directory.
func NoDirRename(cfg *Config) { cfg.noDirRename = true }
