package dataprovider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// missingKeys lists the paths of want (SFTPGo's JSON) that got lacks or
// holds with another value; ids are ours to choose.
func missingKeys(want, got any, path string, out *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: %v, want an object", path, got))
			return
		}
		for k, wv := range w {
			// ids are ours to choose; a restore is an update
			if (k == "id" && !strings.HasPrefix(path, ".api_keys") && !strings.HasPrefix(path, ".shares")) || k == "updated_at" {
				continue
			}
			gv, ok := g[k]
			if !ok {
				// SFTPGo writes empty secrets as {} and zero values; we omit them
				if isEmptyJSON(wv) {
					continue
				}
				*out = append(*out, path+"."+k+" missing")
				continue
			}
			missingKeys(wv, gv, path+"."+k, out)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			*out = append(*out, fmt.Sprintf("%s: %d items, want %d", path, len(g), len(w)))
			return
		}
		for i := range w {
			// objects are matched by name, whatever order each side lists them in
			match := g[i]
			if key := objectKey(w[i]); key != "" {
				for _, gi := range g {
					if objectKey(gi) == key {
						match = gi
					}
				}
			}
			missingKeys(w[i], match, fmt.Sprintf("%s[%d]", path, i), out)
		}
	default:
		if !reflect.DeepEqual(want, got) {
			*out = append(*out, fmt.Sprintf("%s: %v, want %v", path, got, want))
		}
	}
}

func objectKey(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	for _, k := range []string{"username", "name", "ipornet"} {
		if s, ok := m[k].(string); ok {
			return k + "=" + s
		}
	}
	return ""
}

func isEmptyJSON(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case bool:
		return !t
	case float64:
		return t == 0
	case string:
		return t == ""
	case []any:
		return len(t) == 0
	case map[string]any:
		for _, e := range t {
			if !isEmptyJSON(e) {
				return false
			}
		}
		return true
	}
	return false
}

// TestDumpKeepsSFTPGoShape loads SFTPGo's dump and dumps it back: every
// field SFTPGo wrote comes back with its name and value, secrets in
// SFTPGo's Secretbox form, so the dump loads into SFTPGo again.
func TestDumpKeepsSFTPGoShape(t *testing.T) {
	ctx := context.Background()
	b, err := os.ReadFile(filepath.Join(fixtureDir(t), "dump.json"))
	must(t, err)
	s := openFixtureStore(t, t.TempDir())
	must(t, s.Migrate(ctx))
	var data BackupData
	must(t, json.Unmarshal(b, &data))
	must(t, s.Restore(ctx, &data, RestoreModeAddUpdate))
	dump, err := s.Dump(ctx)
	must(t, err)
	ours, err := json.Marshal(dump)
	must(t, err)
	var want, got map[string]any
	must(t, json.Unmarshal(b, &want))
	must(t, json.Unmarshal(ours, &got))
	delete(want, "version")
	var diffs []string
	missingKeys(want, got, "", &diffs)
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Fatalf("our dump differs from SFTPGo's:\n%s", strings.Join(diffs, "\n"))
	}
	if v, _ := got["version"].(float64); int(v) < 16 {
		t.Fatalf("dump version %v", got["version"])
	}
}

func TestDumpScopes(t *testing.T) {
	if _, err := ParseDumpScopes([]string{"users,bogus"}); err == nil {
		t.Fatal("unknown scope accepted")
	}
	scopes, err := ParseDumpScopes([]string{"users, event_rules", "users"})
	must(t, err)
	if strings.Join(scopes, ",") != "users,rules" {
		t.Fatalf("scopes: %v", scopes)
	}
	d := &BackupData{Users: []User{{Username: "u"}}, Groups: []Group{{Name: "g"}},
		EventRules: []json.RawMessage{json.RawMessage(`{}`)}, EventActions: []json.RawMessage{json.RawMessage(`{}`)}}
	FilterDump(d, scopes)
	if len(d.Users) != 1 || len(d.Groups) != 0 || len(d.EventRules) != 1 || len(d.EventActions) != 0 {
		t.Fatalf("filtered dump: %+v", d)
	}
}
