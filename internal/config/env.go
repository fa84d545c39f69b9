package config

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// EnvPrefix starts every environment variable that sets a config key.
const EnvPrefix = "SFTPGO_"

// envDir is the directory, inside the config dir, of *.env files.
const envDir = "env.d"

// maxEnvListIndex is the highest list index an environment variable may
// address, as in the reference product.
const maxEnvListIndex = 9

// Environment returns the variables that configure the service: those of
// <configDir>/env.d/*.env, overridden by environ (KEY=VALUE strings, as
// from os.Environ). The service reads non-config variables such as
// SFTPGO_DEFAULT_ADMIN_USERNAME from it, so they work from env.d too.
func Environment(configDir string, environ []string) (map[string]string, error) {
	env, err := readEnvDir(filepath.Join(configDir, envDir))
	if err != nil {
		return nil, err
	}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && k != "" {
			env[k] = v
		}
	}
	return env, nil
}

// readEnvDir reads every *.env file of dir in lexical order; a later file
// overrides an earlier one. A missing dir is fine.
func readEnvDir(dir string) (map[string]string, error) {
	env := map[string]string{}
	files, err := filepath.Glob(filepath.Join(dir, "*.env"))
	if err != nil {
		return nil, fmt.Errorf("config: env.d: %w", err)
	}
	sort.Strings(files)
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.IsDir() {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if err := parseEnvFile(data, env); err != nil {
			return nil, fmt.Errorf("config: %s: %w", f, err)
		}
	}
	return env, nil
}

// parseEnvFile reads KEY=VALUE lines into env. Blank lines and lines
// starting with # are skipped, an optional "export " prefix is dropped, a
// value in matching single or double quotes is unquoted (double quotes
// understand \n, \t, \" and \\), and an unquoted value ends at " #".
func parseEnvFile(data []byte, env map[string]string) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if lineNo == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, " \t\"'") {
			return fmt.Errorf("line %d: expected KEY=VALUE", lineNo)
		}
		val = strings.TrimSpace(val)
		switch {
		case len(val) >= 2 && val[0] == '"' && strings.LastIndexByte(val, '"') > 0:
			end := strings.LastIndexByte(val, '"')
			if rest := strings.TrimSpace(val[end+1:]); rest != "" && !strings.HasPrefix(rest, "#") {
				return fmt.Errorf("line %d: unexpected text after the closing quote", lineNo)
			}
			uq, err := strconv.Unquote(val[:end+1])
			if err != nil {
				// Not a Go-style literal: keep the text between the quotes.
				uq = val[1:end]
			}
			val = uq
		case len(val) >= 2 && val[0] == '\'' && strings.LastIndexByte(val, '\'') > 0:
			end := strings.LastIndexByte(val, '\'')
			if rest := strings.TrimSpace(val[end+1:]); rest != "" && !strings.HasPrefix(rest, "#") {
				return fmt.Errorf("line %d: unexpected text after the closing quote", lineNo)
			}
			val = val[1:end]
		default:
			if i := strings.Index(val, " #"); i >= 0 {
				val = strings.TrimSpace(val[:i])
			}
		}
		env[key] = val
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", lineNo+1, err)
	}
	return nil
}

// sectionNames are the top-level keys: an SFTPGO_ variable whose first
// segment is one of them must name a valid key.
func sectionNames() map[string]bool {
	t := reflect.TypeFor[Config]()
	names := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		names[jsonName(t.Field(i))] = true
	}
	return names
}

// applyEnv sets the config keys named by SFTPGO_<SECTION>__<KEY>...
// variables of env, in sorted order so list items are created the same
// way every time.
func applyEnv(cfg *Config, env map[string]string, nt *notes) error {
	sections := sectionNames()
	names := make([]string, 0, len(env))
	for k := range env {
		if strings.HasPrefix(k, EnvPrefix) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	root := reflect.ValueOf(cfg).Elem()
	for _, name := range names {
		segs := strings.Split(strings.ToLower(strings.TrimPrefix(name, EnvPrefix)), "__")
		if !sections[segs[0]] {
			continue // not a config key: SFTPGO_DEFAULT_ADMIN_*, CLI flags, hook variables
		}
		if err := setEnvKey(root, segs, env[name], name, nt); err != nil {
			return fmt.Errorf("config: environment variable %s: %w", name, err)
		}
	}
	return nil
}

func setEnvKey(v reflect.Value, segs []string, value, name string, nt *notes) error {
	path := ""
	for _, seg := range segs {
		switch v.Kind() {
		case reflect.Struct:
			if seg == "" {
				return fmt.Errorf("empty key segment after %q", path)
			}
			path = joinKey(path, seg)
			fi, ok := fieldByKey(v.Type(), seg)
			if !ok {
				if nt.obsoleteEnv(path, name) {
					return nil
				}
				msg := fmt.Sprintf("unknown config key %q", path)
				if hint, ok := removedKeys[genericPath(path)]; ok {
					msg += ": " + hint
				}
				return fmt.Errorf("%s", msg)
			}
			v = v.Field(fi)
		case reflect.Slice:
			if !isStructSlice(v.Type()) {
				return fmt.Errorf("config key %q is a list of values: set it as a comma-separated list", path)
			}
			idx, err := strconv.Atoi(seg)
			if err != nil || idx < 0 || idx > maxEnvListIndex || strconv.Itoa(idx) != seg {
				return fmt.Errorf("config key %q is a list: expected an index 0..%d, got %q", path, maxEnvListIndex, seg)
			}
			path = fmt.Sprintf("%s[%d]", path, idx)
			if idx >= v.Len() {
				// Extend with default items up to idx.
				s := reflect.MakeSlice(v.Type(), idx+1, idx+1)
				for i := range idx + 1 {
					s.Index(i).Set(newItem(v, i))
				}
				v.Set(s)
			}
			v = v.Index(idx)
		default:
			return fmt.Errorf("config key %q is a value and has no key %q", path, seg)
		}
	}
	switch v.Kind() {
	case reflect.Struct:
		return fmt.Errorf("config key %q is a section: set its keys, e.g. %s%s__KEY", path, EnvPrefix, strings.ToUpper(strings.Join(segs, "__")))
	case reflect.Slice:
		if isStructSlice(v.Type()) {
			return fmt.Errorf("config key %q is a list of objects: set its items' keys, e.g. %s%s__0__KEY", path, EnvPrefix, strings.ToUpper(strings.Join(segs, "__")))
		}
		parts := []string{}
		for _, p := range strings.Split(value, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		s := reflect.MakeSlice(v.Type(), len(parts), len(parts))
		for i, p := range parts {
			if err := setScalar(s.Index(i), p); err != nil {
				return fmt.Errorf("config key %q, item %d: %w", path, i, err)
			}
		}
		v.Set(s)
		return nil
	}
	if err := setScalar(v, value); err != nil {
		return fmt.Errorf("config key %q: %w", path, err)
	}
	return nil
}

func isStructSlice(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct
}
