package dataprovider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// DumpVersion is written in the "version" field of dumps.
const DumpVersion = 16

// Dump returns every object for a backup: password hashes, API key
// hashes and secrets in their encrypted form, never in clear.
func (s *Store) Dump(ctx context.Context) (*BackupData, error) {
	s.flushQuota(ctx) // a dump carries current usage
	d := s.driver
	var err error
	data := &BackupData{Version: DumpVersion}
	data.Users, err = d.ListUsers(ctx, 0, 0, false)
	if err = s.logSkipped(err); err != nil {
		return nil, err
	}
	if data.Groups, err = d.ListGroups(ctx, 0, 0, false); err != nil {
		return nil, err
	}
	data.Folders, err = d.ListFolders(ctx, 0, 0, false)
	if err = s.logSkipped(err); err != nil {
		return nil, err
	}
	if data.Admins, err = d.ListAdmins(ctx, 0, 0, false); err != nil {
		return nil, err
	}
	if data.APIKeys, err = d.ListAPIKeys(ctx, 0, 0, false); err != nil {
		return nil, err
	}
	if data.Shares, err = d.ListShares(ctx, 0, 0, false); err != nil {
		return nil, err
	}
	if data.Roles, err = dumpRoles(ctx, d); err != nil {
		return nil, err
	}
	if data.EventActions, data.EventRules, err = dumpEvents(ctx, d); err != nil {
		return nil, err
	}
	// a database loaded before schema 6 kept them as opaque sections
	for _, sec := range []struct {
		name string
		dst  *[]json.RawMessage
	}{{sectionEventActions, &data.EventActions}, {sectionEventRules, &data.EventRules}} {
		if len(*sec.dst) > 0 {
			continue
		}
		if b, err := d.GetSection(ctx, sec.name); err == nil && len(b) > 0 {
			_ = json.Unmarshal(b, sec.dst)
		}
	}
	if data.IPLists, err = dumpIPLists(ctx, d); err != nil {
		return nil, err
	}
	if data.IPLists == nil {
		data.IPLists = []IPListEntry{}
	}
	if b, err := d.GetSection(ctx, sectionConfigs); err != nil {
		return nil, err
	} else if len(b) > 0 {
		data.Configs = json.RawMessage(b)
	}
	// empty lists rather than null, as the reference product writes them
	if data.Users == nil {
		data.Users = []User{}
	}
	if data.Groups == nil {
		data.Groups = []Group{}
	}
	if data.Folders == nil {
		data.Folders = []BaseVirtualFolder{}
	}
	if data.Admins == nil {
		data.Admins = []Admin{}
	}
	if data.APIKeys == nil {
		data.APIKeys = []APIKey{}
	}
	if data.Shares == nil {
		data.Shares = []Share{}
	}
	return data, nil
}

// Restore loads a backup in one transaction: folders, groups, users,
// admins, API keys, shares, then the opaque sections. In
// RestoreModeAddOnly existing objects are left alone; otherwise they are
// replaced (usage counters kept). Any invalid object aborts the whole
// restore and leaves the database unchanged.
func (s *Store) Restore(ctx context.Context, data *BackupData, mode int) error {
	defer s.notifyUserChange("")
	if data == nil {
		return invalid("", "no data to restore")
	}
	if mode != RestoreModeAddUpdate && mode != RestoreModeAddOnly && mode != RestoreModeDisconnect {
		return invalid("mode", "unknown restore mode %d", mode)
	}
	if err := s.checkBackupSecrets(data); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	err := s.driver.InTx(ctx, func(ops Ops) error {
		return s.restoreOps(ctx, ops, data, mode == RestoreModeAddOnly)
	})
	if err == nil && (len(data.EventActions) > 0 || len(data.EventRules) > 0) {
		s.notifyEventRulesChange()
	}
	for i := range data.Users {
		s.pwdCache.remove("u:" + s.name(data.Users[i].Username))
	}
	for i := range data.Admins {
		s.pwdCache.remove("a:" + s.name(data.Admins[i].Username))
	}
	for i := range data.APIKeys {
		s.pwdCache.remove("k:" + data.APIKeys[i].KeyID)
	}
	return err
}

// restoreOps restores a backup through ops (one transaction).
func (s *Store) restoreOps(ctx context.Context, ops Ops, data *BackupData, addOnly bool) error {
	{
		if err := s.restoreRoles(ctx, ops, data.Roles, addOnly); err != nil {
			return err
		}
		for i := range data.Folders {
			f := deepCopy(data.Folders[i])
			f.Name = s.name(f.Name)
			if err := restoreOne(ctx, "folder", f.Name, addOnly,
				func() error { _, err := ops.GetFolder(ctx, f.Name); return err },
				func() error {
					if err := s.prepareFolder(&f, nil); err != nil {
						return err
					}
					return ops.AddFolder(ctx, &f)
				},
				func() error {
					old, err := ops.GetFolder(ctx, f.Name)
					if err != nil {
						return err
					}
					if err := s.prepareFolder(&f, &old); err != nil {
						return err
					}
					return ops.UpdateFolder(ctx, &f)
				}); err != nil {
				return err
			}
		}
		for i := range data.Groups {
			g := deepCopy(data.Groups[i])
			g.Name = s.name(g.Name)
			if err := restoreOne(ctx, "group", g.Name, addOnly,
				func() error { _, err := ops.GetGroup(ctx, g.Name); return err },
				func() error {
					if err := s.prepareGroup(ctx, ops, &g, nil); err != nil {
						return err
					}
					return ops.AddGroup(ctx, &g)
				},
				func() error {
					old, err := ops.GetGroup(ctx, g.Name)
					if err != nil {
						return err
					}
					if err := s.prepareGroup(ctx, ops, &g, &old); err != nil {
						return err
					}
					return ops.UpdateGroup(ctx, &g)
				}); err != nil {
				return err
			}
		}
		for i := range data.Users {
			u := deepCopy(data.Users[i])
			u.Username = s.name(u.Username)
			if err := restoreOne(ctx, "user", u.Username, addOnly,
				func() error { _, err := ops.GetUser(ctx, u.Username); return err },
				func() error {
					if err := s.prepareUser(ctx, ops, &u, nil); err != nil {
						return err
					}
					return ops.AddUser(ctx, &u)
				},
				func() error {
					old, err := ops.GetUser(ctx, u.Username)
					if err != nil {
						return err
					}
					if err := s.prepareUser(ctx, ops, &u, &old); err != nil {
						return err
					}
					return ops.UpdateUser(ctx, &u)
				}); err != nil {
				return err
			}
		}
		for i := range data.Admins {
			a := deepCopy(data.Admins[i])
			a.Username = s.name(a.Username)
			s.dropUnknownAdminPerms(&a)
			if err := restoreOne(ctx, "admin", a.Username, addOnly,
				func() error { _, err := ops.GetAdmin(ctx, a.Username); return err },
				func() error {
					if err := s.prepareAdmin(ctx, ops, &a, nil); err != nil {
						return err
					}
					return ops.AddAdmin(ctx, &a)
				},
				func() error {
					old, err := ops.GetAdmin(ctx, a.Username)
					if err != nil {
						return err
					}
					if err := s.prepareAdmin(ctx, ops, &a, &old); err != nil {
						return err
					}
					return ops.UpdateAdmin(ctx, &a)
				}); err != nil {
				return err
			}
		}
		for i := range data.APIKeys {
			k := data.APIKeys[i]
			if k.KeyID == "" {
				return fmt.Errorf("restore API key %q: %w", k.Name, invalid("id", "is required"))
			}
			if err := restoreOne(ctx, "API key", k.KeyID, addOnly,
				func() error { _, err := ops.GetAPIKey(ctx, k.KeyID); return err },
				func() error {
					if err := s.prepareRestoredAPIKey(ctx, ops, &k); err != nil {
						return err
					}
					return ops.AddAPIKey(ctx, &k)
				},
				func() error {
					if err := s.prepareRestoredAPIKey(ctx, ops, &k); err != nil {
						return err
					}
					return ops.UpdateAPIKey(ctx, &k)
				}); err != nil {
				return err
			}
		}
		for i := range data.Shares {
			sh := deepCopy(data.Shares[i])
			if err := restoreOne(ctx, "share", sh.ShareID, addOnly,
				func() error { _, err := ops.GetShare(ctx, sh.ShareID); return err },
				func() error {
					if err := s.prepareShare(&sh); err != nil {
						return err
					}
					return ops.AddShare(ctx, &sh)
				},
				func() error {
					if err := s.prepareShare(&sh); err != nil {
						return err
					}
					return ops.UpdateShare(ctx, &sh)
				}); err != nil {
				return err
			}
		}
		if err := restoreIPLists(ctx, ops, data.IPLists, addOnly); err != nil {
			return err
		}
		if err := s.restoreEvents(ctx, ops, data.EventActions, data.EventRules, addOnly); err != nil {
			return err
		}
		return s.restoreSections(ctx, ops, data, addOnly)
	}
}

// restoreOne adds an object or, when it exists, updates it (or skips it
// in add-only mode).
func restoreOne(ctx context.Context, kind, name string, addOnly bool, get, add, update func() error) error {
	err := get()
	switch {
	case err == nil && addOnly:
		return nil
	case err == nil:
		err = update()
	case errors.Is(err, ErrNotFound):
		err = add()
	}
	if err != nil {
		return fmt.Errorf("restore %s %q: %w", kind, name, err)
	}
	return nil
}

// prepareRestoredAPIKey validates a key from a dump: its Key holds the
// hash, which is kept (a plain value is hashed).
func (s *Store) prepareRestoredAPIKey(ctx context.Context, ops Ops, k *APIKey) error {
	if err := s.prepareAPIKey(ctx, ops, k); err != nil {
		return err
	}
	switch {
	case k.Key == "":
		return invalid("key", "is required")
	case !IsPasswordHashed(k.Key) && !strings.HasPrefix(k.Key, sha256KeyPrefix):
		k.Key = hashAPIKeySecret(k.Key)
	}
	if k.CreatedAt == 0 {
		k.CreatedAt = nowMillis()
	}
	if k.UpdatedAt == 0 {
		k.UpdatedAt = k.CreatedAt
	}
	return nil
}

// prepareShare validates a share from a dump and hashes a clear password.
func (s *Store) prepareShare(sh *Share) error {
	if sh.ShareID == "" {
		return invalid("id", "is required")
	}
	sh.Username = s.name(sh.Username)
	if sh.Username == "" {
		return invalid("username", "is required")
	}
	if sh.Scope < 1 || sh.Scope > 3 {
		return invalid("scope", "must be 1, 2 or 3")
	}
	if len(sh.Paths) == 0 {
		return invalid("paths", "at least one path is required")
	}
	for i, p := range sh.Paths {
		if sh.Paths[i] = CleanVirtualPath(p); p == "" {
			return invalid("paths", "empty path")
		}
	}
	if err := validateCIDRs("allow_from", sh.AllowFrom); err != nil {
		return err
	}
	if sh.Password != "" {
		var err error
		if sh.Password, err = s.hashPassword(sh.Password); err != nil {
			return err
		}
	}
	if sh.CreatedAt == 0 {
		sh.CreatedAt = nowMillis()
	}
	return nil
}

func (s *Store) restoreSections(ctx context.Context, ops Ops, data *BackupData, addOnly bool) error {
	set := func(name string, b []byte) error {
		if len(b) == 0 || string(b) == "null" {
			return nil
		}
		if addOnly {
			cur, err := ops.GetSection(ctx, name)
			if err != nil {
				return err
			}
			if len(cur) > 0 {
				return nil
			}
		}
		return ops.SetSection(ctx, name, b)
	}
	return set(sectionConfigs, data.Configs)
}

// dropUnknownAdminPerms removes, with a warning, admin permissions this
// build does not know, so a dump from a newer reference product still
// loads; an admin left without any permission fails validation.
func (s *Store) dropUnknownAdminPerms(a *Admin) {
	var known, unknown []string
	for _, p := range a.Permissions {
		if slices.Contains(ValidAdminPerms, p) {
			known = append(known, p)
		} else {
			unknown = append(unknown, p)
		}
	}
	if len(unknown) > 0 && len(known) > 0 {
		s.log.Warn("restore: dropping unknown admin permissions", "admin", a.Username, "permissions", unknown)
		a.Permissions = known
	}
}
