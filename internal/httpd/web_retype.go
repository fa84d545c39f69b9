package httpd

import (
	"net/url"
	"strings"
)

// typedSecrets reports whether a posted form carried a password or a
// storage secret. A form re-rendered after a failed save keeps every
// other typed value, but never sends these back to the browser (they
// would sit in the page's HTML), so the page asks for them again.
func typedSecrets(v url.Values) bool {
	secret := map[string]bool{}
	for _, pd := range fsProviders {
		for _, f := range pd.Fields {
			if f.Kind == "secret" || f.Kind == "secretarea" {
				secret[f.Key] = true
			}
		}
	}
	for name, vals := range v {
		typed := false
		for _, s := range vals {
			if strings.TrimSpace(s) != "" {
				typed = true
			}
		}
		if !typed {
			continue
		}
		if name == "password" {
			return true
		}
		// storage fields are named "<prefix>.<section>.<key>"
		for key := range secret {
			if strings.HasSuffix(name, "."+key) {
				return true
			}
		}
	}
	return false
}
