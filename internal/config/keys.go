package config

import (
	"reflect"
	"sort"
)

// KeyInfo describes one leaf config key: its generic path (list items
// written as "[]", e.g. "httpd.bindings[].port"), and the Go struct type
// and field that hold it, so tools and tests can tell where it is read.
type KeyInfo struct {
	Path   string
	Struct string // Go type name of the struct holding the field
	Field  string // Go field name
}

// Keys returns every leaf key the loader accepts, sorted by path. A list
// of objects contributes the keys of one item; a list of scalars is a leaf.
func Keys() []KeyInfo {
	var out []KeyInfo
	walkKeys(reflect.TypeFor[Config](), "", &out)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func walkKeys(t reflect.Type, path string, out *[]KeyInfo) {
	for i := range t.NumField() {
		f := t.Field(i)
		name := jsonName(f)
		if name == "" {
			continue
		}
		p := joinKey(path, name)
		ft := f.Type
		switch {
		case ft.Kind() == reflect.Struct:
			walkKeys(ft, p, out)
		case isStructSlice(ft):
			walkKeys(ft.Elem(), p+"[]", out)
		default:
			*out = append(*out, KeyInfo{Path: p, Struct: t.Name(), Field: f.Name})
		}
	}
}
