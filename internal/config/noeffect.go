package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// noEffect lists the keys the loader accepts (SFTPGo has them, so a
// taken-over sftpgo.json must load) that no component acts on yet. A key
// or a section (covering every key below it) maps to the issue that will
// implement it. Warnings reports each such key set to a non-default
// value; docs/configuration.md marks them; TestNoSilentStubs fails for an
// unread key missing here.
var noEffect = map[string]string{}

// TranslatedLanguages are the web UI languages with a catalogue; the
// other codes httpd.bindings[].languages accepts (SFTPGo has them) show
// their pages in English, with a warning at start.
var TranslatedLanguages = []string{"en", "de", "it"}

// actsInSection lists keys (or sections) that act although a section
// above them is on the noEffect list.
var actsInSection = map[string]bool{}

// noEffectEntry returns the noEffect reason for a generic key path: its
// own entry or that of the nearest section above it, unless a nearer
// actsInSection entry says the key acts.
func noEffectEntry(path string) (string, bool) {
	for p := path; p != ""; {
		if actsInSection[p] {
			return "", false
		}
		if r, ok := noEffect[p]; ok {
			return r, true
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return "", false
}

// NoEffectKeys returns the generic paths of every accepted key that has
// no effect yet, with the reason, for documentation and tooling.
func NoEffectKeys() map[string]string {
	out := map[string]string{}
	for _, k := range Keys() {
		if r, ok := noEffectEntry(k.Path); ok {
			out[k.Path] = r
		}
	}
	return out
}

// Warnings returns what the service should log at start: obsolete keys
// met while loading, and, once per key, each key that is set to a value
// other than its default but has no effect yet.
func (c Config) Warnings() []string {
	out := append([]string(nil), c.loadNotes...)
	seen := map[string]bool{}
	def := Default()
	diffKeys(reflect.ValueOf(c), reflect.ValueOf(def), "", func(path string) {
		g := genericPath(path)
		r, ok := noEffectEntry(g)
		if !ok || seen[g] {
			return
		}
		seen[g] = true
		out = append(out, fmt.Sprintf("config key %q is set but has no effect yet (%s)", path, r))
	})
	for i, b := range c.HTTPD.Bindings {
		for j, l := range b.Languages {
			if !slices.Contains(TranslatedLanguages, l) {
				out = append(out, fmt.Sprintf("config key \"httpd.bindings[%d].languages[%d]\": %q has no translations yet, its pages show in English", i, j, l))
			}
		}
	}
	return out
}

// diffKeys calls fn with the path of each leaf key of v whose value
// differs from def. A list item beyond def's items is compared with the
// default item of its list.
func diffKeys(v, def reflect.Value, path string, fn func(string)) {
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			name := jsonName(t.Field(i))
			if name == "" {
				continue
			}
			diffKeys(v.Field(i), def.Field(i), joinKey(path, name), fn)
		}
		return
	case reflect.Slice:
		if isStructSlice(v.Type()) {
			for i := range v.Len() {
				var d reflect.Value
				switch {
				case i < def.Len():
					d = def.Index(i)
				default:
					d = reflect.New(v.Type().Elem()).Elem()
					if item, ok := itemDefault(d.Interface()); ok {
						d.Set(reflect.ValueOf(item))
					}
				}
				diffKeys(v.Index(i), d, fmt.Sprintf("%s[%d]", path, i), fn)
			}
			return
		}
		if v.Len() == 0 && def.Len() == 0 {
			return
		}
	}
	if !reflect.DeepEqual(v.Interface(), def.Interface()) {
		fn(path)
	}
}
