package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
)

// DefaultFileName is the config file name, without extension, looked for
// in the config dir when no file is given.
const DefaultFileName = "sftpgo"

// fileExts are the accepted extensions, in lookup order.
var fileExts = []string{".json", ".yaml", ".yml", ".toml"}

// ResolveFile returns the config file Load reads: configFile (relative to
// configDir unless absolute) when given, else the first of sftpgo.json,
// sftpgo.yaml, sftpgo.yml, sftpgo.toml present in configDir. found is
// false when that file does not exist, in which case Load uses defaults
// and the environment only.
func ResolveFile(configDir, configFile string) (path string, found bool) {
	if configFile != "" {
		path = configFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(configDir, path)
		}
		_, err := os.Stat(path)
		return path, err == nil
	}
	for _, ext := range fileExts {
		p := filepath.Join(configDir, DefaultFileName+ext)
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	return filepath.Join(configDir, DefaultFileName+".json"), false
}

// Load builds the configuration from, in increasing precedence: Default(),
// the config file (see ResolveFile; a missing file is not an error),
// <configDir>/env.d/*.env, and the process environment. Unknown keys and
// values of the wrong type are errors that name the key. Load does not
// call Validate.
func Load(configDir, configFile string) (Config, error) {
	return LoadEnviron(configDir, configFile, os.Environ())
}

// LoadEnviron is Load with the process environment given as KEY=VALUE
// strings, so callers and tests need not touch the real environment.
func LoadEnviron(configDir, configFile string, environ []string) (Config, error) {
	cfg := Default()
	nt := &notes{}
	path, found := ResolveFile(configDir, configFile)
	if found {
		if err := loadFile(&cfg, path, nt); err != nil {
			return Config{}, err
		}
	}
	env, err := Environment(configDir, environ)
	if err != nil {
		return Config{}, err
	}
	if err := applyEnv(&cfg, env, nt); err != nil {
		return Config{}, err
	}
	if err := readPasswordFile(&cfg.DataProvider, configDir); err != nil {
		return Config{}, err
	}
	cfg.loadNotes = nt.list
	return cfg, nil
}

// readPasswordFile replaces data_provider.password with the content of
// data_provider.password_file, when set: the file's text without its
// trailing line break (an empty file is an empty password).
func readPasswordFile(d *DataProviderConfig, configDir string) error {
	p := strings.TrimSpace(d.PasswordFile)
	if p == "" {
		return nil
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(configDir, p)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("config: data_provider.password_file: %w", err)
	}
	d.Password = strings.TrimRight(string(data), "\r\n")
	return nil
}

func loadFile(cfg *Config, path string, nt *notes) error {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("config: %w", err)
	}
	if err := decodeFile(cfg, filepath.Ext(path), data, nt); err != nil {
		return fmt.Errorf("config: %s: %w", path, err)
	}
	return nil
}

// decodeFile applies a file's content, in the format its extension names,
// on top of cfg. On error cfg may be partly modified.
func decodeFile(cfg *Config, ext string, data []byte, nt *notes) error {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var parse func([]byte) (*node, error)
	switch strings.ToLower(ext) {
	case ".json":
		parse = parseJSON
	case ".yaml", ".yml":
		parse = parseYAML
	case ".toml":
		parse = parseTOML
	default:
		return fmt.Errorf("unsupported config file extension %q: use .json, .yaml, .yml or .toml", ext)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	root, err := parse(data)
	if err != nil {
		return err
	}
	return decode("", root, reflect.ValueOf(cfg).Elem(), nt)
}

// ResolvePath makes a path of the configuration relative to the config
// dir; an empty or absolute path is returned as it is.
func ResolvePath(configDir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(configDir, p)
}
