package config

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// fixturesDir is the SFTPGo fixture set (real files written by SFTPGo);
// SFTPGO_FIXTURES_DIR overrides its location.
func fixturesDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SFTPGO_FIXTURES_DIR")
	if dir == "" {
		dir = "../../../shared/sftpgo-fixtures" // shared/ sits beside the checkout
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if _, err := os.Stat(filepath.Join(dir, "configs")); err != nil {
		t.Fatalf("SFTPGo fixtures missing (set SFTPGO_FIXTURES_DIR): %v", err)
	}
	return dir
}

// TestSFTPGoReleaseConfigsLoad loads the default sftpgo.json of every
// SFTPGo release of the fixtures unchanged: it must load and validate,
// and warn exactly about the obsolete keys it holds, once each.
func TestSFTPGoReleaseConfigsLoad(t *testing.T) {
	obsolete := func(keys ...string) []string { return keys }
	removed24 := obsolete("common.data_retention_hook", "common.defender.blocklist", "common.defender.blocklist_file",
		"common.defender.safelist", "common.defender.safelist_file", "common.rate_limiters[].allow_list",
		"common.whitelist_file", "httpd.bindings[].branding.web_admin.login_image_path",
		"httpd.bindings[].branding.web_client.login_image_path", "httpd.bindings[].security.expect_ct_header",
		"httpd.bindings[].web_client_integrations", "sftpd.banner", "sftpd.moduli")
	want := map[string][]string{
		"v2.4.6": removed24,
		"v2.5.6": obsolete("common.data_retention_hook", "httpd.bindings[].branding.web_admin.login_image_path",
			"httpd.bindings[].branding.web_client.login_image_path", "httpd.bindings[].security.expect_ct_header",
			"httpd.bindings[].web_client_integrations", "sftpd.banner", "sftpd.moduli"),
		"v2.6.6": obsolete("common.data_retention_hook", "sftpd.min_dh_group_exchange_key_size"),
		"v2.7.0": nil,
		"v2.7.5": nil,
		"HEAD":   nil,
	}
	fx := fixturesDir(t)
	for rel, keys := range want {
		t.Run(rel, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(fx, "configs", "sftpgo-"+rel+".json"))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			writeFile(t, dir, "sftpgo.json", string(data))
			cfg := mustLoad(t, dir, "")
			if err := cfg.Validate(); err != nil {
				t.Fatalf("validate: %v", err)
			}
			ws := cfg.Warnings()
			var got []string
			for _, w := range ws {
				if !strings.Contains(w, "is obsolete and ignored") {
					// Older releases had other defaults for a few keys
					// without effect yet (smtp.port 25): a warning is
					// right there, but the current defaults warn of nothing.
					if !strings.Contains(w, "has no effect yet") || strings.HasPrefix(rel, "v2.7") || rel == "HEAD" {
						t.Errorf("unexpected warning: %s", w)
					}
					continue
				}
				got = append(got, genericPath(strings.Split(w, `"`)[1]))
			}
			sort.Strings(got)
			exp := append([]string(nil), keys...)
			sort.Strings(exp)
			if strings.Join(got, ",") != strings.Join(exp, ",") {
				t.Errorf("obsolete warnings for\n %v\nwant\n %v", got, exp)
			}
		})
	}
}

// TestObsoleteKeysAreNotInHEAD keeps obsoleteKeys honest: a key SFTPGo
// HEAD still has must be implemented or on the noEffect list instead.
func TestObsoleteKeysAreNotInHEAD(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(fixturesDir(t), "configs", "sftpgo-HEAD.json"))
	if err != nil {
		t.Fatal(err)
	}
	root, err := parseJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	head := map[string]bool{}
	var walk func(path string, n *node)
	walk = func(path string, n *node) {
		head[path] = true
		switch n.kind {
		case kindObject:
			for i, k := range n.keys {
				walk(joinKey(path, strings.ToLower(k)), n.vals[i])
			}
		case kindList:
			for _, it := range n.items {
				if it.kind == kindObject {
					walk(path+"[]", it)
				}
			}
		}
	}
	walk("", root)
	for k := range obsoleteKeys {
		if head[k] {
			t.Errorf("obsolete key %s is in SFTPGo HEAD's sftpgo.json", k)
		}
	}
	// And every HEAD key loads as a typed key of ours.
	for k := range head {
		if k == "" {
			continue
		}
		if _, ok := typedKey(k); !ok {
			t.Errorf("SFTPGo HEAD key %s is not a key of ours", k)
		}
	}
}

// typedKey reports whether a generic path names a key or a section of
// Config.
func typedKey(path string) (string, bool) {
	for _, k := range Keys() {
		if k.Path == path || strings.HasPrefix(k.Path, path+".") || strings.HasPrefix(k.Path, path+"[]") {
			return k.Path, true
		}
	}
	return "", false
}

func TestObsoleteKeyWarnsOnce(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "sftpgo.json", `{"common": {"rate_limiters": [{"allow_list": []}, {"allow_list": ["10.0.0.0/8"]}],
 "defender": {"safelist": ["1.2.3.4"]}}}`)
	cfg := mustLoad(t, dir, "", "SFTPGO_SFTPD__MODULI=/etc/ssh/moduli", "SFTPGO_COMMON__DEFENDER__SAFELIST=5.6.7.8")
	ws := cfg.Warnings()
	if len(ws) != 3 {
		t.Fatalf("warnings %q, want 3 (one per key)", ws)
	}
	for _, want := range []string{`"common.rate_limiters[0].allow_list" (line 1, column 32)`, `"common.defender.safelist"`, "SFTPGO_SFTPD__MODULI"} {
		found := false
		for _, w := range ws {
			found = found || strings.Contains(w, want)
		}
		if !found {
			t.Errorf("no warning mentions %s: %q", want, ws)
		}
	}
	if len(cfg.Common.RateLimiters) != 2 {
		t.Errorf("rate limiters %d, want 2: the items load without the obsolete key", len(cfg.Common.RateLimiters))
	}
}

// A key no release ever had stays an error with its position: typos must
// not pass.
func TestTypoStillRefused(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "sftpgo.json", "{\n  \"common\": {\n    \"secret_min_entrop\": 80\n  }\n}\n")
	msg := loadErr(t, dir, "")
	if !strings.Contains(msg, `"common.secret_min_entrop"`) || !strings.Contains(msg, "line 3, column 5") {
		t.Errorf("error %q does not name the key and its position", msg)
	}
	msg = loadErr(t, t.TempDir(), "", "SFTPGO_COMMON__DEFENDER__SAFELISTS=1")
	if !strings.Contains(msg, "SFTPGO_COMMON__DEFENDER__SAFELISTS") || !strings.Contains(msg, `"common.defender.safelists"`) {
		t.Errorf("env error %q does not name the variable and key", msg)
	}
}

func TestNoEffectWarnings(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "sftpgo.json", `{"telemetry": {"bind_port": 10000},
 "httpd": {"bindings": [{"port": 8080, "languages": ["de", "fr"]}, {"port": 8081, "languages": ["it"]}]}}`)
	cfg := mustLoad(t, dir, "", "SFTPGO_COMMON__SECRET_MIN_ENTROPY=60")
	ws := cfg.Warnings()
	want := []string{
		`config key "httpd.bindings[0].languages[1]": "fr" has no translations yet`,
	}
	// telemetry.bind_port and common.secret_min_entropy act: no warning
	if len(ws) != len(want) {
		t.Fatalf("warnings %q, want %d", ws, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(ws[i], want[i]) {
			t.Errorf("warning %d = %q, want prefix %q", i, ws[i], want[i])
		}
	}
	if cfg.Common.SecretMinEntropy != 60 {
		t.Errorf("secret_min_entropy = %v, want 60", cfg.Common.SecretMinEntropy)
	}
	if ws := Default().Warnings(); len(ws) != 0 {
		t.Errorf("defaults warn: %q", ws)
	}
}

func TestNoEffectListHasNoStaleEntries(t *testing.T) {
	for p := range noEffect {
		if _, ok := typedKey(p); !ok {
			t.Errorf("noEffect entry %q is not a key", p)
		}
	}
}

// TestDocsMarkNoEffect: every key without effect yet says so in
// docs/configuration.md, with its issue.
func TestDocsMarkNoEffect(t *testing.T) {
	data, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "| `") {
			k, _, _ := strings.Cut(strings.TrimPrefix(line, "| `"), "`")
			rows[k] = line
		}
	}
	for _, p := range keyPaths() {
		reason, listed := noEffectEntry(p)
		row := rows[p]
		marked := strings.Contains(row, "Accepted, no effect yet")
		switch {
		case listed && !strings.Contains(row, "Accepted, no effect yet: "+reason+"."):
			t.Errorf("docs row of %s does not say \"Accepted, no effect yet: %s.\"", p, reason)
		case !listed && marked:
			t.Errorf("docs row of %s says it has no effect, but it is not on the noEffect list", p)
		}
	}
}

func TestPasswordFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "secrets/db.pass", "s3cr3t pass\n")
	writeFile(t, dir, "sftpgo.json", `{"data_provider": {"password": "inline", "password_file": "secrets/db.pass"}}`)
	cfg := mustLoad(t, dir, "")
	if cfg.DataProvider.Password != "s3cr3t pass" {
		t.Errorf("password = %q, want the file's content", cfg.DataProvider.Password)
	}
	abs := filepath.Join(t.TempDir(), "p")
	if err := os.WriteFile(abs, []byte("abs\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg = mustLoad(t, t.TempDir(), "", "SFTPGO_DATA_PROVIDER__PASSWORD_FILE="+abs)
	if cfg.DataProvider.Password != "abs" {
		t.Errorf("password = %q, want abs", cfg.DataProvider.Password)
	}
	msg := loadErr(t, t.TempDir(), "", "SFTPGO_DATA_PROVIDER__PASSWORD_FILE=missing")
	if !strings.Contains(msg, "data_provider.password_file") {
		t.Errorf("error %q does not name the key", msg)
	}
}
