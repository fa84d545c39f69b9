package dataprovider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// prepareUser validates u and brings it into its stored form: names
// normalized, password hashed, secrets sealed, paths cleaned. old is the
// stored user on update, nil on add. ops resolves groups and folders.
func (s *Store) prepareUser(ctx context.Context, ops Ops, u *User, old *User) error {
	var err error
	if u.Username, err = validateName("username", u.Username, s.cfg.NamingRules); err != nil {
		return err
	}
	if u.Status != StatusDisabled && u.Status != StatusEnabled {
		return invalid("status", "must be 0 or 1")
	}
	if err := nonNegative("expiration_date", u.ExpirationDate, "uid", u.UID, "gid", u.GID,
		"max_sessions", u.MaxSessions, "quota_size", u.QuotaSize, "quota_files", u.QuotaFiles,
		"upload_bandwidth", u.UploadBandwidth, "download_bandwidth", u.DownloadBandwidth,
		"upload_data_transfer", u.UploadDataTransfer, "download_data_transfer", u.DownloadDataTransfer,
		"total_data_transfer", u.TotalDataTransfer, "used_quota_size", u.UsedQuotaSize,
		"used_quota_files", u.UsedQuotaFiles); err != nil {
		return err
	}
	switch {
	case u.Password == "" && old != nil:
		u.Password = old.Password
		u.LastPasswordChange = old.LastPasswordChange
	case u.Password != "":
		if old == nil || u.Password != old.Password {
			if err := checkPasswordStrength(u.Password, s.cfg.PasswordValidation.Users.MinEntropy); err != nil {
				return err
			}
			if u.Password, err = s.hashPassword(u.Password); err != nil {
				return err
			}
			if u.LastPasswordChange == 0 || old != nil {
				u.LastPasswordChange = nowMillis()
			}
		}
	}
	u.HasPassword = u.Password != ""
	if u.PublicKeys, err = validatePublicKeys(u.PublicKeys); err != nil {
		return err
	}
	if u.Permissions, err = validatePermissions("permissions", u.Permissions, true); err != nil {
		return err
	}
	if err := validateFilters(&u.Filters); err != nil {
		return err
	}
	u.Role = s.name(u.Role)
	if err := checkRoleExists(ctx, ops, u.Role); err != nil {
		return err
	}
	if err := s.prepareUserGroups(ctx, ops, u); err != nil {
		return err
	}
	if err := s.prepareHomeDir(ctx, ops, u); err != nil {
		return err
	}
	if err := normalizeFilesystem(&u.FsConfig); err != nil {
		return err
	}
	var oldSecrets []secretField
	if old != nil {
		oldCopy := *old
		oldSecrets = userSecrets(&oldCopy)
	}
	if err := s.checkFsSecretEntropy(&u.FsConfig); err != nil {
		return err
	}
	if err := sealSecrets(s.secrets, userSecrets(u), oldSecrets, u.Username); err != nil {
		return err
	}
	if err := validateFilesystem(&u.FsConfig); err != nil {
		return err
	}
	if err := s.prepareMounts(ctx, ops, u.VirtualFolders); err != nil {
		return err
	}
	now := nowMillis()
	if old != nil {
		u.ID, u.CreatedAt = old.ID, old.CreatedAt
	} else if u.CreatedAt == 0 {
		u.CreatedAt = now
	}
	u.UpdatedAt = now
	return nil
}

// prepareUserGroups checks the group mappings: known types, existing
// groups, at most one primary group, no group twice.
func (s *Store) prepareUserGroups(ctx context.Context, ops Ops, u *User) error {
	seen := map[string]bool{}
	primary := 0
	for i := range u.Groups {
		g := &u.Groups[i]
		field := fmt.Sprintf("groups[%d]", i)
		g.Name = s.name(g.Name)
		if g.Type < GroupTypePrimary || g.Type > GroupTypeMembership {
			return invalid(field+".type", "must be 1 (primary), 2 (secondary) or 3 (membership)")
		}
		if g.Type == GroupTypePrimary {
			primary++
		}
		if seen[g.Name] {
			return invalid(field+".name", "group %q is listed twice", g.Name)
		}
		seen[g.Name] = true
		if _, err := ops.GetGroup(ctx, g.Name); err != nil {
			if errors.Is(err, ErrNotFound) {
				return invalid(field+".name", "group %q does not exist", g.Name)
			}
			return err
		}
	}
	if primary > 1 {
		return invalid("groups", "only one primary group is allowed")
	}
	return nil
}

// prepareHomeDir cleans home_dir or fills it from users_base_dir. It may
// stay empty when the primary group sets a home directory.
func (s *Store) prepareHomeDir(ctx context.Context, ops Ops, u *User) error {
	var err error
	if u.HomeDir != "" {
		u.HomeDir, err = validateHomeDir("home_dir", u.HomeDir)
		return err
	}
	for _, m := range u.Groups {
		if m.Type != GroupTypePrimary {
			continue
		}
		g, err := ops.GetGroup(ctx, m.Name)
		if err != nil {
			return err
		}
		if g.UserSettings.HomeDir != "" {
			return nil
		}
	}
	if s.usersBaseDir != "" {
		u.HomeDir = filepath.Join(s.usersBaseDir, u.Username)
		return nil
	}
	if !u.FsConfig.Provider.UsesLocalHome() {
		return nil // object stores and remote servers need no local home
	}
	return invalid("home_dir", "home_dir is required for local and encrypted storage (or set data_provider.users_base_dir)")
}

// prepareMounts validates virtual folder mounts and checks the folders
// exist.
func (s *Store) prepareMounts(ctx context.Context, ops Ops, vfs []VirtualFolder) error {
	for i := range vfs {
		vfs[i].Name = s.name(vfs[i].Name)
	}
	if err := validateFolderMounts(vfs); err != nil {
		return err
	}
	for i, vf := range vfs {
		if _, err := ops.GetFolder(ctx, vf.Name); err != nil {
			if errors.Is(err, ErrNotFound) {
				return invalid(fmt.Sprintf("virtual_folders[%d].name", i), "folder %q does not exist", vf.Name)
			}
			return err
		}
	}
	return nil
}

// AddUser validates, hashes the password, encrypts secrets and stores u;
// on success u holds the stored values (ID, timestamps).
func (s *Store) AddUser(ctx context.Context, u *User) error {
	c := deepCopy(*u)
	if err := s.prepareUser(ctx, s.driver, &c, nil); err != nil {
		return err
	}
	if err := s.driver.AddUser(ctx, &c); err != nil {
		return err
	}
	stored, err := s.driver.GetUser(ctx, c.Username)
	if err != nil {
		return err
	}
	*u = stored
	s.notifyObjectChange(ctx, ObjectActionAdd, ObjectTypeUser, stored.Username, stored)
	return nil
}

// UpdateUser replaces a user; an empty password keeps the stored hash and
// a redacted secret keeps the stored secret. Usage counters are kept.
func (s *Store) UpdateUser(ctx context.Context, u *User) error {
	defer s.notifyUserChange(s.name(u.Username))
	c := deepCopy(*u)
	c.Username = s.name(c.Username)
	// hash before the transaction: bcrypt/argon2 must not hold the
	// database's write lock
	if c.Password != "" && !IsPasswordHashed(c.Password) {
		if err := checkPasswordStrength(c.Password, s.cfg.PasswordValidation.Users.MinEntropy); err != nil {
			return err
		}
		var err error
		if c.Password, err = s.hashPassword(c.Password); err != nil {
			return err
		}
	}
	var stored User
	err := s.driver.InTx(ctx, func(ops Ops) error {
		old, err := ops.GetUser(ctx, c.Username)
		if err != nil {
			return err
		}
		if err := s.prepareUser(ctx, ops, &c, &old); err != nil {
			return err
		}
		if err := ops.UpdateUser(ctx, &c); err != nil {
			return err
		}
		stored, err = ops.GetUser(ctx, c.Username)
		return err
	})
	s.pwdCache.remove("u:" + c.Username)
	if err != nil {
		return err
	}
	*u = stored
	s.notifyObjectChange(ctx, ObjectActionUpdate, ObjectTypeUser, stored.Username, stored)
	return nil
}

// DeleteUser removes a user, its API keys and its shares.
func (s *Store) DeleteUser(ctx context.Context, username string) error {
	defer s.notifyUserChange(s.name(username))
	username = s.name(username)
	s.pwdCache.remove("u:" + username)
	if s.quota != nil {
		s.quota.dropUser(username)
	}
	old := s.beforeDelete(ctx, func() (any, error) { return s.driver.GetUser(ctx, username) })
	err := s.driver.DeleteUser(ctx, username)
	s.afterDelete(ctx, err, ObjectTypeUser, username, old)
	return err
}

// GetUser returns a user as stored (password hash, encrypted secrets),
// virtual folders resolved.
func (s *Store) GetUser(ctx context.Context, username string) (User, error) {
	u, err := s.driver.GetUser(ctx, s.name(username))
	return s.withPendingUser(u), err
}

// ListUsers pages through users ordered by username; order "ASC" or
// "DESC"; limit <= 0 means no limit.
func (s *Store) ListUsers(ctx context.Context, limit, offset int, order string) ([]User, error) {
	desc, err := parseOrder(order)
	if err != nil {
		return nil, err
	}
	users, err := s.driver.ListUsers(ctx, limit, max(offset, 0), desc)
	for i := range users {
		users[i] = s.withPendingUser(users[i])
	}
	return users, s.logSkipped(err)
}

// errLogin wraps ErrInvalidCredentials with the reason for the log.
func errLogin(reason string) error { return fmt.Errorf("%s: %w", reason, ErrInvalidCredentials) }

// loginUser loads a user for authentication and checks it may log in.
func (s *Store) loginUser(ctx context.Context, username string) (User, error) {
	u, err := s.driver.GetUser(ctx, s.name(username))
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			s.spendVerification()
			return User{}, errLogin("unknown user")
		}
		return User{}, err
	}
	if u.Status != StatusEnabled {
		return User{}, errLogin("user disabled")
	}
	if u.IsExpired() {
		return User{}, errLogin("user expired")
	}
	return u, nil
}

// CheckUserPassword authenticates a user by password and returns the
// effective user; ErrInvalidCredentials on any mismatch (also for
// disabled or expired accounts).
func (s *Store) CheckUserPassword(ctx context.Context, username, password string) (User, error) {
	u, err := s.loginUser(ctx, username)
	if err != nil {
		return User{}, err
	}
	if password == "" || u.Password == "" {
		return User{}, errLogin("no password")
	}
	key := "u:" + u.Username
	if !s.pwdCache.check(key, u.Password, password) {
		if verifyPassword(u.Password, password) != nil {
			return User{}, errLogin("wrong password")
		}
		s.pwdCache.add(key, u.Password, password)
	}
	return s.effectiveUser(ctx, s.driver, u)
}

// CheckUserPublicKey authenticates a user by an SSH public key in wire
// format and returns the effective user.
func (s *Store) CheckUserPublicKey(ctx context.Context, username string, pubKey []byte) (User, error) {
	u, err := s.loginUser(ctx, username)
	if err != nil {
		return User{}, err
	}
	for _, k := range u.PublicKeys {
		parsed, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k))
		if err != nil {
			continue
		}
		if bytes.Equal(parsed.Marshal(), pubKey) {
			return s.effectiveUser(ctx, s.driver, u)
		}
	}
	return User{}, errLogin("unknown public key")
}

// UpdateUserQuota adds to (or, with reset, sets) a user's used quota.
func (s *Store) UpdateUserQuota(ctx context.Context, username string, size int64, files int, reset bool) error {
	if err := checkQuotaUpdate(reset, "used_quota_size", size, "used_quota_files", files); err != nil {
		return err
	}
	username = s.name(username)
	if s.quota != nil {
		if !reset {
			return s.addQuota(true, username, quotaDelta{size: size, files: files}, func() error {
				return s.driver.UpdateUserQuota(ctx, username, size, files, false)
			})
		}
		s.quota.forgetUser(username, true, false)
	}
	return s.driver.UpdateUserQuota(ctx, username, size, files, reset)
}

// UpdateUserTransferQuota adds to (or resets) a user's transferred bytes.
func (s *Store) UpdateUserTransferQuota(ctx context.Context, username string, uploaded, downloaded int64, reset bool) error {
	if err := checkQuotaUpdate(reset, "used_upload_data_transfer", uploaded, "used_download_data_transfer", downloaded); err != nil {
		return err
	}
	username = s.name(username)
	if s.quota != nil {
		if !reset {
			return s.addQuota(true, username, quotaDelta{uploaded: uploaded, downloaded: downloaded}, func() error {
				return s.driver.UpdateUserTransferQuota(ctx, username, uploaded, downloaded, false)
			})
		}
		s.quota.forgetUser(username, false, true)
	}
	return s.driver.UpdateUserTransferQuota(ctx, username, uploaded, downloaded, reset)
}

// UpdateLastLogin records a successful login.
func (s *Store) UpdateLastLogin(ctx context.Context, username string) error {
	return s.driver.SetUserLastLogin(ctx, s.name(username), nowMillis())
}
