package dataprovider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/minio/sio"
)

// Quota scan modes after a load (serve/initprovider --loaddata-scan,
// loaddata scan_quota), as SFTPGo numbers them.
const (
	QuotaScanNone       = 0 // no scan
	QuotaScanAll        = 1 // scan every loaded user and folder
	QuotaScanRestricted = 2 // scan only users with a quota limit (and every folder)
)

// LoadDataOptions is what serve and initprovider load at start
// (--loaddata-from and friends, or SFTPGO_LOADDATA_*).
type LoadDataOptions struct {
	From  string // absolute path of a dump; empty: nothing to load
	Mode  int    // RestoreModeAddUpdate or RestoreModeAddOnly
	Scan  int    // QuotaScan*
	Clean bool   // remove the file after a successful load
}

// LoadDataFile restores the dump in opts.From, then runs the quota scans
// asked for and removes the file when opts.Clean is set.
func (s *Store) LoadDataFile(ctx context.Context, opts LoadDataOptions) error {
	if opts.From == "" {
		return nil
	}
	if !filepath.IsAbs(opts.From) {
		return fmt.Errorf("loaddata: %q must be an absolute path", opts.From)
	}
	if opts.Mode != RestoreModeAddUpdate && opts.Mode != RestoreModeAddOnly {
		return fmt.Errorf("loaddata: mode %d: 0 (add and update) or 1 (add only) required", opts.Mode)
	}
	if opts.Scan < QuotaScanNone || opts.Scan > QuotaScanRestricted {
		return fmt.Errorf("loaddata: quota scan %d: 0, 1 or 2 required", opts.Scan)
	}
	b, err := os.ReadFile(opts.From)
	if err != nil {
		return fmt.Errorf("loaddata: %w", err)
	}
	var data BackupData
	if err := json.Unmarshal(b, &data); err != nil {
		return fmt.Errorf("loaddata: decode %s: %w", opts.From, err)
	}
	if err := s.Restore(ctx, &data, opts.Mode); err != nil {
		return fmt.Errorf("loaddata %s: %w", opts.From, err)
	}
	s.log.Info("data loaded", "file", opts.From, "users", len(data.Users), "groups", len(data.Groups),
		"folders", len(data.Folders), "admins", len(data.Admins), "mode", opts.Mode)
	if err := s.ScanRestoredQuota(ctx, &data, opts.Scan); err != nil {
		return err
	}
	if opts.Clean {
		if err := os.Remove(opts.From); err != nil {
			return fmt.Errorf("loaddata: remove %s: %w", opts.From, err)
		}
		s.log.Info("loaddata file removed", "file", opts.From)
	}
	return nil
}

// ScanRestoredQuota recomputes the used quota of the users and folders of
// a restored backup, per scan mode.
func (s *Store) ScanRestoredQuota(ctx context.Context, data *BackupData, mode int) error {
	if mode == QuotaScanNone {
		return nil
	}
	for _, u := range data.Users {
		eff, err := s.GetEffectiveUser(ctx, s.name(u.Username))
		if err != nil {
			return fmt.Errorf("quota scan: %w", err)
		}
		if mode == QuotaScanRestricted && eff.QuotaSize <= 0 && eff.QuotaFiles <= 0 {
			continue
		}
		if err := s.ScanUserQuota(ctx, eff); err != nil {
			return err
		}
	}
	for _, f := range data.Folders {
		folder, err := s.GetFolder(ctx, s.name(f.Name))
		if err != nil {
			return fmt.Errorf("quota scan: %w", err)
		}
		if err := s.ScanFolderQuota(ctx, folder); err != nil {
			return err
		}
	}
	return nil
}

// ScanUserQuota sets a user's used quota to what its home directory
// and the virtual folders counted in its quota hold. Local and encrypted local storage are walked (plaintext sizes
// for the latter); other storages are left as they are, with a warning.
func (s *Store) ScanUserQuota(ctx context.Context, u User) error {
	size, files, ok, err := scanStorage(ctx, u.FsConfig.Provider, u.HomeDir)
	if err != nil {
		return fmt.Errorf("quota scan of user %q: %w", u.Username, err)
	}
	if !ok {
		s.log.Warn("quota scan: storage not scanned (only local and encrypted local storage are)", "user", u.Username,
			"provider", u.FsConfig.Provider)
		return nil
	}
	// folders counted in the user's quota (quota_size -1), as SFTPGo counts them
	for _, vf := range u.VirtualFolders {
		if vf.QuotaSize != -1 {
			continue
		}
		fs, ff, ok, err := scanStorage(ctx, vf.FsConfig.Provider, vf.MappedPath)
		if err != nil {
			return fmt.Errorf("quota scan of user %q, folder %q: %w", u.Username, vf.Name, err)
		}
		if ok {
			size, files = size+fs, files+ff
		}
	}
	s.log.Info("quota scan done", "user", u.Username, "size", size, "files", files)
	return s.UpdateUserQuota(ctx, u.Username, size, files, true)
}

// ScanFolderQuota sets a folder's used quota to what its path holds.
func (s *Store) ScanFolderQuota(ctx context.Context, f BaseVirtualFolder) error {
	size, files, ok, err := scanStorage(ctx, f.FsConfig.Provider, f.MappedPath)
	if err != nil {
		return fmt.Errorf("quota scan of folder %q: %w", f.Name, err)
	}
	if !ok {
		s.log.Warn("quota scan: storage not scanned (only local and encrypted local storage are)", "folder", f.Name,
			"provider", f.FsConfig.Provider)
		return nil
	}
	s.log.Info("quota scan done", "folder", f.Name, "size", size, "files", files)
	return s.UpdateFolderQuota(ctx, f.Name, size, files, true)
}

// cryptHeaderSize is the header of a file in SFTPGo's cryptfs layout
// (version byte and 32-byte nonce) before the DARE 2.0 body.
const cryptHeaderSize = 33

// scanStorage walks a local directory: total size and number of regular
// files (plaintext sizes for encrypted storage). A missing directory is
// empty. ok is false for storages it cannot walk.
func scanStorage(ctx context.Context, provider FilesystemProvider, root string) (int64, int, bool, error) {
	if provider != LocalFilesystemProvider && provider != CryptedFilesystemProvider {
		return 0, 0, false, nil
	}
	if root == "" {
		return 0, 0, false, nil
	}
	var size int64
	var files int
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return filepath.SkipAll
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n := info.Size()
		if provider == CryptedFilesystemProvider {
			if n <= cryptHeaderSize {
				n = 0
			} else if plain, err := sio.DecryptedSize(uint64(n - cryptHeaderSize)); err == nil {
				n = int64(plain)
			}
		}
		size += n
		files++
		return nil
	})
	return size, files, err == nil, err
}
