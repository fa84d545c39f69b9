package dataprovider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// prepareGroup validates g and brings it into its stored form.
func (s *Store) prepareGroup(ctx context.Context, ops Ops, g *Group, old *Group) error {
	var err error
	if g.Name, err = validateName("name", g.Name, s.cfg.NamingRules); err != nil {
		return err
	}
	us := &g.UserSettings
	if us.HomeDir != "" {
		if us.HomeDir, err = validateHomeDir("user_settings.home_dir", us.HomeDir); err != nil {
			return err
		}
	}
	if err := nonNegative("user_settings.max_sessions", us.MaxSessions, "user_settings.quota_size", us.QuotaSize,
		"user_settings.quota_files", us.QuotaFiles, "user_settings.upload_bandwidth", us.UploadBandwidth,
		"user_settings.download_bandwidth", us.DownloadBandwidth,
		"user_settings.upload_data_transfer", us.UploadDataTransfer,
		"user_settings.download_data_transfer", us.DownloadDataTransfer,
		"user_settings.total_data_transfer", us.TotalDataTransfer, "user_settings.expires_in", us.ExpiresIn); err != nil {
		return err
	}
	if us.Permissions, err = validatePermissions("user_settings.permissions", us.Permissions, false); err != nil {
		return err
	}
	if err := validateFilters(&us.Filters); err != nil {
		return err
	}
	if err := normalizeFilesystem(&us.FsConfig); err != nil {
		return err
	}
	var oldSecrets []secretField
	if old != nil {
		oc := *old
		oldSecrets = fsSecrets(&oc.UserSettings.FsConfig)
	}
	if err := s.checkFsSecretEntropy(&us.FsConfig); err != nil {
		return err
	}
	if err := sealSecrets(s.secrets, fsSecrets(&us.FsConfig), oldSecrets, g.Name); err != nil {
		return err
	}
	if err := validateFilesystem(&us.FsConfig); err != nil {
		return err
	}
	if err := s.prepareMounts(ctx, ops, g.VirtualFolders); err != nil {
		return err
	}
	g.Users, g.Admins = nil, nil
	now := nowMillis()
	if old != nil {
		g.ID, g.CreatedAt = old.ID, old.CreatedAt
	} else if g.CreatedAt == 0 {
		g.CreatedAt = now
	}
	g.UpdatedAt = now
	return nil
}

// AddGroup validates and stores a group.
func (s *Store) AddGroup(ctx context.Context, g *Group) error {
	c := deepCopy(*g)
	if err := s.prepareGroup(ctx, s.driver, &c, nil); err != nil {
		return err
	}
	if err := s.driver.AddGroup(ctx, &c); err != nil {
		return err
	}
	stored, err := s.driver.GetGroup(ctx, c.Name)
	if err == nil {
		*g = stored
		s.notifyObjectChange(ctx, ObjectActionAdd, ObjectTypeGroup, stored.Name, stored)
	}
	return err
}

// UpdateGroup replaces a group.
func (s *Store) UpdateGroup(ctx context.Context, g *Group) error {
	defer s.notifyUserChange("")
	c := deepCopy(*g)
	c.Name = s.name(c.Name)
	var stored Group
	err := s.driver.InTx(ctx, func(ops Ops) error {
		old, err := ops.GetGroup(ctx, c.Name)
		if err != nil {
			return err
		}
		if err := s.prepareGroup(ctx, ops, &c, &old); err != nil {
			return err
		}
		if err := ops.UpdateGroup(ctx, &c); err != nil {
			return err
		}
		stored, err = ops.GetGroup(ctx, c.Name)
		return err
	})
	if err == nil {
		*g = stored
		s.notifyObjectChange(ctx, ObjectActionUpdate, ObjectTypeGroup, stored.Name, stored)
	}
	return err
}

// DeleteGroup removes a group; ErrConflict while users are members.
func (s *Store) DeleteGroup(ctx context.Context, name string) error {
	defer s.notifyUserChange("")
	name = s.name(name)
	old := s.beforeDelete(ctx, func() (any, error) { return s.driver.GetGroup(ctx, name) })
	err := s.driver.DeleteGroup(ctx, name)
	s.afterDelete(ctx, err, ObjectTypeGroup, name, old)
	return err
}

// GetGroup returns a group with its member users and admins.
func (s *Store) GetGroup(ctx context.Context, name string) (Group, error) {
	return s.driver.GetGroup(ctx, s.name(name))
}

// ListGroups pages through groups.
func (s *Store) ListGroups(ctx context.Context, limit, offset int, order string) ([]Group, error) {
	desc, err := parseOrder(order)
	if err != nil {
		return nil, err
	}
	return s.driver.ListGroups(ctx, limit, max(offset, 0), desc)
}

// prepareFolder validates f and brings it into its stored form.
func (s *Store) prepareFolder(f *BaseVirtualFolder, old *BaseVirtualFolder) error {
	var err error
	if f.Name, err = validateName("name", f.Name, s.cfg.NamingRules); err != nil {
		return err
	}
	if err := normalizeFilesystem(&f.FsConfig); err != nil {
		return err
	}
	switch {
	case f.MappedPath != "":
		if f.MappedPath, err = validateHomeDir("mapped_path", f.MappedPath); err != nil {
			return err
		}
	case f.FsConfig.Provider == LocalFilesystemProvider || f.FsConfig.Provider == CryptedFilesystemProvider:
		return invalid("mapped_path", "is required for local and encrypted folders")
	}
	if err := nonNegative("used_quota_size", f.UsedQuotaSize, "used_quota_files", f.UsedQuotaFiles); err != nil {
		return err
	}
	var oldSecrets []secretField
	if old != nil {
		oc := *old
		oldSecrets = fsSecrets(&oc.FsConfig)
	}
	if err := s.checkFsSecretEntropy(&f.FsConfig); err != nil {
		return err
	}
	if err := sealSecrets(s.secrets, fsSecrets(&f.FsConfig), oldSecrets, f.Name); err != nil {
		return err
	}
	if err := validateFilesystem(&f.FsConfig); err != nil {
		return err
	}
	f.Users, f.Groups = nil, nil
	if old != nil {
		f.ID = old.ID
	}
	return nil
}

// AddFolder validates and stores a virtual folder.
func (s *Store) AddFolder(ctx context.Context, f *BaseVirtualFolder) error {
	c := deepCopy(*f)
	if err := s.prepareFolder(&c, nil); err != nil {
		return err
	}
	if err := s.driver.AddFolder(ctx, &c); err != nil {
		return err
	}
	stored, err := s.driver.GetFolder(ctx, c.Name)
	if err == nil {
		*f = stored
		s.notifyObjectChange(ctx, ObjectActionAdd, ObjectTypeFolder, stored.Name, stored)
	}
	return err
}

// UpdateFolder replaces a folder; its used quota is kept.
func (s *Store) UpdateFolder(ctx context.Context, f *BaseVirtualFolder) error {
	defer s.notifyUserChange("")
	c := deepCopy(*f)
	c.Name = s.name(c.Name)
	var stored BaseVirtualFolder
	err := s.driver.InTx(ctx, func(ops Ops) error {
		old, err := ops.GetFolder(ctx, c.Name)
		if err != nil {
			return err
		}
		if err := s.prepareFolder(&c, &old); err != nil {
			return err
		}
		if err := ops.UpdateFolder(ctx, &c); err != nil {
			return err
		}
		stored, err = ops.GetFolder(ctx, c.Name)
		return err
	})
	if err == nil {
		*f = stored
		s.notifyObjectChange(ctx, ObjectActionUpdate, ObjectTypeFolder, stored.Name, stored)
	}
	return err
}

// DeleteFolder removes a folder and its mappings.
func (s *Store) DeleteFolder(ctx context.Context, name string) error {
	defer s.notifyUserChange("")
	name = s.name(name)
	if s.quota != nil {
		s.quota.forgetFolder(name)
	}
	old := s.beforeDelete(ctx, func() (any, error) { return s.driver.GetFolder(ctx, name) })
	err := s.driver.DeleteFolder(ctx, name)
	s.afterDelete(ctx, err, ObjectTypeFolder, name, old)
	return err
}

// GetFolder returns a folder with the users and groups that mount it.
func (s *Store) GetFolder(ctx context.Context, name string) (BaseVirtualFolder, error) {
	f, err := s.driver.GetFolder(ctx, s.name(name))
	return s.withPendingFolder(f), err
}

// ListFolders pages through folders.
func (s *Store) ListFolders(ctx context.Context, limit, offset int, order string) ([]BaseVirtualFolder, error) {
	desc, err := parseOrder(order)
	if err != nil {
		return nil, err
	}
	folders, err := s.driver.ListFolders(ctx, limit, max(offset, 0), desc)
	for i := range folders {
		folders[i] = s.withPendingFolder(folders[i])
	}
	return folders, s.logSkipped(err)
}

// UpdateFolderQuota adds to (or, with reset, sets) a folder's used quota.
func (s *Store) UpdateFolderQuota(ctx context.Context, name string, size int64, files int, reset bool) error {
	if err := checkQuotaUpdate(reset, "used_quota_size", size, "used_quota_files", files); err != nil {
		return err
	}
	name = s.name(name)
	if s.quota != nil {
		if !reset {
			return s.addQuota(false, name, quotaDelta{size: size, files: files}, func() error {
				return s.driver.UpdateFolderQuota(ctx, name, size, files, false)
			})
		}
		s.quota.forgetFolder(name)
	}
	return s.driver.UpdateFolderQuota(ctx, name, size, files, reset)
}

// prepareAdmin validates a and brings it into its stored form.
func (s *Store) prepareAdmin(ctx context.Context, ops Ops, a *Admin, old *Admin) error {
	var err error
	if a.Username, err = validateName("username", a.Username, s.cfg.NamingRules); err != nil {
		return err
	}
	if a.Status != StatusDisabled && a.Status != StatusEnabled {
		return invalid("status", "must be 0 or 1")
	}
	switch {
	case a.Password == "" && old == nil:
		return invalid("password", "is required")
	case a.Password == "":
		a.Password = old.Password
	case old == nil || a.Password != old.Password:
		if err := checkPasswordStrength(a.Password, s.cfg.PasswordValidation.Admins.MinEntropy); err != nil {
			return err
		}
		if a.Password, err = s.hashPassword(a.Password); err != nil {
			return err
		}
	}
	if len(a.Permissions) == 0 {
		return invalid("permissions", "at least one permission is required")
	}
	var perms []string
	for _, p := range a.Permissions {
		if !slices.Contains(ValidAdminPerms, p) {
			return invalid("permissions", "invalid permission %q", p)
		}
		if !slices.Contains(perms, p) {
			perms = append(perms, p)
		}
	}
	if slices.Contains(perms, AdminPermAny) {
		perms = []string{AdminPermAny}
	}
	a.Permissions = perms
	a.Role = s.name(a.Role)
	if err := validateRoleAdmin(a); err != nil {
		return err
	}
	if err := checkRoleExists(ctx, ops, a.Role); err != nil {
		return err
	}
	if err := validateCIDRs("filters.allow_list", a.Filters.AllowList); err != nil {
		return err
	}
	if a.Email != "" && !strings.Contains(a.Email, "@") {
		return invalid("email", "%q is not a valid email address", a.Email)
	}
	seen := map[string]bool{}
	for i := range a.Groups {
		m := &a.Groups[i]
		field := fmt.Sprintf("groups[%d]", i)
		m.Name = s.name(m.Name)
		if seen[m.Name] {
			return invalid(field+".name", "group %q is listed twice", m.Name)
		}
		seen[m.Name] = true
		if m.Options.AddToUsersAs < 0 || m.Options.AddToUsersAs > GroupTypeMembership {
			return invalid(field+".options.add_to_users_as", "must be between 0 and 3")
		}
		if _, err := ops.GetGroup(ctx, m.Name); err != nil {
			if errors.Is(err, ErrNotFound) {
				return invalid(field+".name", "group %q does not exist", m.Name)
			}
			return err
		}
	}
	var oldSecrets []secretField
	if old != nil {
		oc := *old
		oldSecrets = adminSecrets(&oc)
	}
	if err := sealSecrets(s.secrets, adminSecrets(a), oldSecrets, a.Username); err != nil {
		return err
	}
	now := nowMillis()
	if old != nil {
		a.ID, a.CreatedAt = old.ID, old.CreatedAt
	} else if a.CreatedAt == 0 {
		a.CreatedAt = now
	}
	a.UpdatedAt = now
	return nil
}

// AddAdmin validates, hashes the password and stores an admin.
func (s *Store) AddAdmin(ctx context.Context, a *Admin) error {
	c := deepCopy(*a)
	if err := s.prepareAdmin(ctx, s.driver, &c, nil); err != nil {
		return err
	}
	if err := s.driver.AddAdmin(ctx, &c); err != nil {
		return err
	}
	stored, err := s.driver.GetAdmin(ctx, c.Username)
	if err == nil {
		*a = stored
		s.notifyObjectChange(ctx, ObjectActionAdd, ObjectTypeAdmin, stored.Username, stored)
	}
	return err
}

// UpdateAdmin replaces an admin; an empty password keeps the stored hash.
func (s *Store) UpdateAdmin(ctx context.Context, a *Admin) error {
	c := deepCopy(*a)
	c.Username = s.name(c.Username)
	if c.Password != "" && !IsPasswordHashed(c.Password) {
		if err := checkPasswordStrength(c.Password, s.cfg.PasswordValidation.Admins.MinEntropy); err != nil {
			return err
		}
		var err error
		if c.Password, err = s.hashPassword(c.Password); err != nil {
			return err
		}
	}
	var stored Admin
	err := s.driver.InTx(ctx, func(ops Ops) error {
		old, err := ops.GetAdmin(ctx, c.Username)
		if err != nil {
			return err
		}
		if err := s.prepareAdmin(ctx, ops, &c, &old); err != nil {
			return err
		}
		if err := ops.UpdateAdmin(ctx, &c); err != nil {
			return err
		}
		stored, err = ops.GetAdmin(ctx, c.Username)
		return err
	})
	s.pwdCache.remove("a:" + c.Username)
	if err == nil {
		*a = stored
		s.notifyObjectChange(ctx, ObjectActionUpdate, ObjectTypeAdmin, stored.Username, stored)
	}
	return err
}

// DeleteAdmin removes an admin and its API keys.
func (s *Store) DeleteAdmin(ctx context.Context, username string) error {
	username = s.name(username)
	s.pwdCache.remove("a:" + username)
	old := s.beforeDelete(ctx, func() (any, error) { return s.driver.GetAdmin(ctx, username) })
	err := s.driver.DeleteAdmin(ctx, username)
	s.afterDelete(ctx, err, ObjectTypeAdmin, username, old)
	return err
}

// GetAdmin returns an admin as stored (password hash included).
func (s *Store) GetAdmin(ctx context.Context, username string) (Admin, error) {
	return s.driver.GetAdmin(ctx, s.name(username))
}

// ListAdmins pages through admins.
func (s *Store) ListAdmins(ctx context.Context, limit, offset int, order string) ([]Admin, error) {
	desc, err := parseOrder(order)
	if err != nil {
		return nil, err
	}
	return s.driver.ListAdmins(ctx, limit, max(offset, 0), desc)
}

// HasAdmin reports whether at least one admin exists.
func (s *Store) HasAdmin(ctx context.Context) (bool, error) {
	n, err := s.driver.CountAdmins(ctx)
	return n > 0, err
}

// EnsureDefaultAdmin creates an admin with every permission when no admin
// exists yet (first start with create_default_admin); otherwise it does
// nothing.
func (s *Store) EnsureDefaultAdmin(ctx context.Context, username, password string) error {
	has, err := s.HasAdmin(ctx)
	if err != nil || has {
		return err
	}
	a := Admin{Username: username, Password: password, Status: StatusEnabled, Permissions: []string{AdminPermAny}}
	err = s.AddAdmin(ctx, &a)
	if errors.Is(err, ErrConflict) {
		return nil // created concurrently
	}
	return err
}

// CheckAdminPassword authenticates an admin.
func (s *Store) CheckAdminPassword(ctx context.Context, username, password string) (Admin, error) {
	a, err := s.driver.GetAdmin(ctx, s.name(username))
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			s.spendVerification()
			return Admin{}, errLogin("unknown admin")
		}
		return Admin{}, err
	}
	if a.Status != StatusEnabled {
		return Admin{}, errLogin("admin disabled")
	}
	if password == "" {
		return Admin{}, errLogin("no password")
	}
	key := "a:" + a.Username
	if !s.pwdCache.check(key, a.Password, password) {
		if verifyPassword(a.Password, password) != nil {
			return Admin{}, errLogin("wrong password")
		}
		s.pwdCache.add(key, a.Password, password)
	}
	return a, nil
}

// UpdateAdminLastLogin records a successful admin login.
func (s *Store) UpdateAdminLastLogin(ctx context.Context, username string) error {
	return s.driver.SetAdminLastLogin(ctx, s.name(username), nowMillis())
}
