package commontest

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// MemStore is an in-memory store of users and folders for tests; it
// compares passwords in clear.
type MemStore struct {
	mu      sync.Mutex
	users   map[string]dataprovider.User
	folders map[string]dataprovider.BaseVirtualFolder
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore {
	return &MemStore{users: map[string]dataprovider.User{}, folders: map[string]dataprovider.BaseVirtualFolder{}}
}

// AddUser stores u (and its folders).
func (s *MemStore) AddUser(u dataprovider.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.Username] = u
	for _, f := range u.VirtualFolders {
		if _, ok := s.folders[f.Name]; !ok {
			s.folders[f.Name] = f.BaseVirtualFolder
		}
	}
}

// GetUser returns a user.
func (s *MemStore) GetUser(_ context.Context, username string) (dataprovider.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok {
		return u, fmt.Errorf("user %q: %w", username, dataprovider.ErrNotFound)
	}
	return u, nil
}

// GetEffectiveUser returns a user.
func (s *MemStore) GetEffectiveUser(ctx context.Context, username string) (dataprovider.User, error) {
	return s.GetUser(ctx, username)
}

// GetFolder returns a folder.
func (s *MemStore) GetFolder(_ context.Context, name string) (dataprovider.BaseVirtualFolder, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.folders[name]
	if !ok {
		return f, fmt.Errorf("folder %q: %w", name, dataprovider.ErrNotFound)
	}
	return f, nil
}

// CheckUserPassword compares in clear.
func (s *MemStore) CheckUserPassword(ctx context.Context, username, password string) (dataprovider.User, error) {
	u, err := s.GetUser(ctx, username)
	if err != nil || u.Password == "" || u.Password != password {
		return dataprovider.User{}, dataprovider.ErrInvalidCredentials
	}
	return u, nil
}

// CheckUserPublicKey looks pubKey (wire format) up in the user's keys.
func (s *MemStore) CheckUserPublicKey(ctx context.Context, username string, pubKey []byte) (dataprovider.User, error) {
	u, err := s.GetUser(ctx, username)
	if err != nil {
		return dataprovider.User{}, dataprovider.ErrInvalidCredentials
	}
	for _, k := range u.PublicKeys {
		pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k))
		if err == nil && bytes.Equal(pk.Marshal(), pubKey) {
			return u, nil
		}
	}
	return dataprovider.User{}, dataprovider.ErrInvalidCredentials
}

// UpdateUserQuota adds to a user's usage.
func (s *MemStore) UpdateUserQuota(_ context.Context, username string, size int64, files int, reset bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok {
		return dataprovider.ErrNotFound
	}
	if reset {
		u.UsedQuotaSize, u.UsedQuotaFiles = 0, 0
	}
	u.UsedQuotaSize += size
	u.UsedQuotaFiles += files
	s.users[username] = u
	return nil
}

// UpdateFolderQuota adds to a folder's usage.
func (s *MemStore) UpdateFolderQuota(_ context.Context, name string, size int64, files int, reset bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.folders[name]
	if !ok {
		return dataprovider.ErrNotFound
	}
	if reset {
		f.UsedQuotaSize, f.UsedQuotaFiles = 0, 0
	}
	f.UsedQuotaSize += size
	f.UsedQuotaFiles += files
	s.folders[name] = f
	return nil
}

// UpdateUserTransferQuota adds to a user's transferred bytes.
func (s *MemStore) UpdateUserTransferQuota(_ context.Context, username string, uploaded, downloaded int64, reset bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok {
		return dataprovider.ErrNotFound
	}
	if reset {
		u.UsedUploadDataTransfer, u.UsedDownloadDataTransfer = 0, 0
	}
	u.UsedUploadDataTransfer += uploaded
	u.UsedDownloadDataTransfer += downloaded
	s.users[username] = u
	return nil
}

// UpdateLastLogin is a no-op.
func (s *MemStore) UpdateLastLogin(context.Context, string) error { return nil }
