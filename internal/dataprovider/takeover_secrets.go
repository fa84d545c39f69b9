package dataprovider

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// checkBackupSecrets decrypts every encrypted secret a backup (or an
// SFTPGo database being taken over) would store as is, so a secret this
// server cannot read fails the load naming its object and field instead
// of breaking at first use.
func (s *Store) checkBackupSecrets(data *BackupData) error {
	check := func(kind, name string, fields []secretField) error {
		for _, f := range fields {
			sec := *f.ptr
			if !sec.IsEncrypted() || sec.Payload == "" {
				continue
			}
			if _, err := s.secrets.Decrypt(sec); err != nil {
				return fmt.Errorf("%s %q: %s: secret (status %s) cannot be decrypted: %w", kind, name, f.name, sec.Status, err)
			}
		}
		return nil
	}
	for i := range data.Users {
		u := deepCopy(data.Users[i])
		if err := check("user", u.Username, prefixed("filesystem.", userSecrets(&u))); err != nil {
			return err
		}
	}
	for i := range data.Groups {
		g := deepCopy(data.Groups[i])
		if err := check("group", g.Name, prefixed("user_settings.filesystem.", fsSecrets(&g.UserSettings.FsConfig))); err != nil {
			return err
		}
	}
	for i := range data.Folders {
		f := deepCopy(data.Folders[i])
		if err := check("folder", f.Name, prefixed("filesystem.", fsSecrets(&f.FsConfig))); err != nil {
			return err
		}
	}
	for i := range data.Admins {
		a := deepCopy(data.Admins[i])
		if err := check("admin", a.Username, adminSecrets(&a)); err != nil {
			return err
		}
	}
	// the opaque sections: any object shaped like a secret
	for _, sec := range []struct {
		kind string
		list []json.RawMessage
	}{{"event action", data.EventActions}, {"event rule", data.EventRules}} {
		for _, raw := range sec.list {
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				return fmt.Errorf("%s: %w", sec.kind, err)
			}
			name, _ := v.(map[string]any)["name"].(string)
			if err := s.checkJSONSecrets(sec.kind, name, v, ""); err != nil {
				return err
			}
		}
	}
	if len(data.Configs) > 0 {
		var v any
		if err := json.Unmarshal(data.Configs, &v); err == nil {
			if err := s.checkJSONSecrets("configs", "configs", v, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// prefixed qualifies field names: filesystem secrets under fsPrefix, the
// second-factor ones (named "filters....") left alone.
func prefixed(fsPrefix string, fields []secretField) []secretField {
	out := make([]secretField, len(fields))
	for i, f := range fields {
		out[i] = f
		if !strings.HasPrefix(f.name, "filters.") {
			out[i].name = fsPrefix + f.name
		}
	}
	return out
}

// checkJSONSecrets walks a JSON value and decrypts each object that has a
// secret's status and payload.
func (s *Store) checkJSONSecrets(kind, name string, v any, path string) error {
	switch t := v.(type) {
	case map[string]any:
		if st, ok := t["status"].(string); ok {
			if p, ok := t["payload"].(string); ok && p != "" {
				sec := &kms.Secret{Status: kms.SecretStatus(st), Payload: p}
				sec.Key, _ = t["key"].(string)
				sec.AdditionalData, _ = t["additional_data"].(string)
				if m, ok := t["mode"].(float64); ok {
					sec.Mode = int(m)
				}
				if sec.IsEncrypted() {
					if _, err := s.secrets.Decrypt(sec); err != nil {
						return fmt.Errorf("%s %q: %s: secret (status %s) cannot be decrypted: %w", kind, name, strings.TrimPrefix(path, "."), st, err)
					}
				}
				return nil
			}
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := s.checkJSONSecrets(kind, name, t[k], path+"."+k); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range t {
			if err := s.checkJSONSecrets(kind, name, e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}
