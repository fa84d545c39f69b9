package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the repo-root sftpgo.json from Default()")

const repoDefaultFile = "../../sftpgo.json"

// marshalDefault is the canonical sftpgo.json: Default() as JSON with
// two-space indentation, keys in struct order, trailing newline.
func marshalDefault(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(Default()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestRepoDefaultFile keeps the repo-root sftpgo.json equal to Default().
// Run with -update after changing a default.
func TestRepoDefaultFile(t *testing.T) {
	want := marshalDefault(t)
	if *update {
		if err := os.WriteFile(repoDefaultFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(repoDefaultFile)
	if err != nil {
		t.Fatalf("read %s: %v (run go test ./internal/config -run TestRepoDefaultFile -update)", repoDefaultFile, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from Default(): run go test ./internal/config -run TestRepoDefaultFile -update", repoDefaultFile)
	}
	// And loading it gives exactly the defaults.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sftpgo.json"), got, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadEnviron(dir, "", nil)
	if err != nil {
		t.Fatalf("load repo sftpgo.json: %v", err)
	}
	if !reflect.DeepEqual(cfg, Default()) {
		t.Fatal("loading the repo sftpgo.json does not give Default()")
	}
}

func TestDefaultIsValid(t *testing.T) {
	t.Parallel()
	cfg := Default()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Default() is not valid: %v", err)
	}
}

// TestDefaultListsNonNil walks Default() and fails on any nil slice, which
// would encode as null instead of [].
func TestDefaultListsNonNil(t *testing.T) {
	t.Parallel()
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				if name := jsonName(v.Type().Field(i)); name != "" {
					walk(joinKey(path, name), v.Field(i))
				}
			}
		case reflect.Slice:
			if v.IsNil() {
				t.Errorf("%s is nil", path)
			}
			for i := range v.Len() {
				walk(path+"[]", v.Index(i))
			}
		}
	}
	walk("", reflect.ValueOf(Default()))
	for _, d := range []any{defaultFTPDBinding(), defaultHTTPDBinding(), defaultPlugin(), defaultCommandEntry(), defaultPassiveIPOverride()} {
		walk(reflect.TypeOf(d).Name(), reflect.ValueOf(d))
	}
}

func TestDefaultReferenceValues(t *testing.T) {
	t.Parallel()
	c := Default()
	checks := []struct {
		name      string
		got, want any
	}{
		{"sftpd port", c.SFTPD.Bindings[0].Port, 2022},
		{"httpd port", c.HTTPD.Bindings[0].Port, 8080},
		{"httpd address", c.HTTPD.Bindings[0].Address, ""},
		{"web admin", c.HTTPD.Bindings[0].EnableWebAdmin, true},
		{"web client", c.HTTPD.Bindings[0].EnableWebClient, true},
		{"rest api", c.HTTPD.Bindings[0].EnableRESTAPI, true},
		{"ftpd port", c.FTPD.Bindings[0].Port, 0},
		{"webdavd port", c.WebDAVD.Bindings[0].Port, 0},
		{"passive range", c.FTPD.PassivePortRange, PortRange{50000, 50100}},
		{"driver", c.DataProvider.Driver, "sqlite"},
		{"db name", c.DataProvider.Name, "sftpgo.db"},
		{"track quota", c.DataProvider.TrackQuota, 2},
		{"bcrypt cost", c.DataProvider.PasswordHashing.BcryptOptions.Cost, 10},
		{"argon2", c.DataProvider.PasswordHashing.Argon2Options, Argon2Options{65536, 1, 2}},
		{"backups", c.DataProvider.BackupsPath, "backups"},
		{"idle timeout", c.Common.IdleTimeout, 15},
		{"per host", c.Common.MaxPerHostConnections, 20},
		{"telemetry address", c.Telemetry.BindAddress, "127.0.0.1"},
		{"http timeout", c.HTTP.Timeout, 20.0},
		{"command timeout", c.Command.Timeout, 30},
		{"totp", c.MFA.TOTP, []TOTPConfig{{"Default", "SFTPGo", "sha1"}}},
		{"smtp port", c.SMTP.Port, 587},
		{"non 20", c.FTPD.ActiveTransfersPortNon20, true},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

// keyPaths lists every key of Config as docs/configuration.md writes it:
// dotted, with [] for the items of a list of objects.
func keyPaths() []string {
	var paths []string
	var walk func(path string, t reflect.Type)
	walk = func(path string, t reflect.Type) {
		switch {
		case t.Kind() == reflect.Struct:
			for i := range t.NumField() {
				if name := jsonName(t.Field(i)); name != "" {
					walk(joinKey(path, name), t.Field(i).Type)
				}
			}
		case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
			paths = append(paths, path)
			walk(path+"[]", t.Elem())
		default:
			paths = append(paths, path)
		}
	}
	walk("", reflect.TypeFor[Config]())
	return paths
}

func TestDocsCoverEveryKey(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range keyPaths() {
		if !bytes.Contains(data, []byte("| `"+p+"` |")) {
			t.Errorf("docs/configuration.md has no row for %s", p)
		}
	}
	if t.Failed() {
		t.Logf("document %d keys", len(keyPaths()))
	}
}
