package config

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// keyError is a problem with one config key: unknown, or of the wrong
// type. path is the dotted key with list indexes, e.g.
// "ftpd.bindings[0].tls_mode".
type keyError struct {
	path      string
	line, col int
	msg       string
}

func (e *keyError) Error() string {
	s := ""
	if e.line > 0 {
		s = fmt.Sprintf("line %d, column %d: ", e.line, e.col)
	}
	return s + e.msg
}

func unknownKey(path string, pos [2]int) error {
	msg := fmt.Sprintf("unknown config key %q", path)
	if hint, ok := removedKeys[genericPath(path)]; ok {
		msg += ": " + hint
	}
	return &keyError{path: path, line: pos[0], col: pos[1], msg: msg}
}

// removedKeys are keys of releases of the reference product older than
// 2.4 (see obsoleteKeys for 2.4 and later). They are still errors,
// because silently ignoring e.g. a listening port would be worse, but the
// message says what replaced them.
var removedKeys = map[string]string{
	"sftpd.bind_port":                "removed, use sftpd.bindings[0].port",
	"sftpd.bind_address":             "removed, use sftpd.bindings[0].address",
	"ftpd.bind_port":                 "removed, use ftpd.bindings[0].port",
	"ftpd.bind_address":              "removed, use ftpd.bindings[0].address",
	"webdavd.bind_port":              "removed, use webdavd.bindings[0].port",
	"webdavd.bind_address":           "removed, use webdavd.bindings[0].address",
	"httpd.bind_port":                "removed, use httpd.bindings[0].port",
	"httpd.bind_address":             "removed, use httpd.bindings[0].address",
	"httpd.backups_path":             "moved to data_provider.backups_path",
	"sftpd.idle_timeout":             "moved to common.idle_timeout",
	"sftpd.upload_mode":              "moved to common.upload_mode",
	"sftpd.actions":                  "moved to common.actions",
	"sftpd.keys":                     "renamed to sftpd.host_keys",
	"sftpd.enable_scp":               "removed, scp is enabled through sftpd.enabled_ssh_commands",
	"data_provider.credentials_path": "removed, credentials are stored encrypted in the data provider",
}

// genericPath replaces list indexes with [] so removedKeys can match.
func genericPath(path string) string {
	var b strings.Builder
	skip := false
	for _, r := range path {
		switch {
		case r == '[':
			skip = true
			b.WriteString("[]")
		case r == ']':
			skip = false
		case !skip:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func typeError(path string, n *node, format string, args ...any) error {
	return &keyError{path: path, line: n.line, col: n.col,
		msg: fmt.Sprintf("config key %q: ", path) + fmt.Sprintf(format, args...)}
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldByKey finds the struct field whose json name is key. Keys are
// matched case-insensitively, as the reference product does.
func fieldByKey(t reflect.Type, key string) (int, bool) {
	key = strings.ToLower(key)
	for i := range t.NumField() {
		if name := jsonName(t.Field(i)); name != "" && name == key {
			return i, true
		}
	}
	return 0, false
}

func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

// newItem returns a fresh value for list item i: a deep copy of the
// current item i when there is one, so a file that sets only the port of
// the first binding keeps the other default values, otherwise the
// default item of that list.
func newItem(cur reflect.Value, i int) reflect.Value {
	elem := cur.Type().Elem()
	v := reflect.New(elem).Elem()
	if i < cur.Len() {
		v.Set(deepCopy(cur.Index(i)))
	} else if def, ok := itemDefault(v.Interface()); ok {
		v.Set(reflect.ValueOf(def))
	}
	return v
}

// deepCopy copies v so that no slice is shared with the original.
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(deepCopy(v.Index(i)))
		}
		return c
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			if c.Field(i).CanSet() {
				c.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return c
	}
	return v
}

// decode applies n to v (settable). Keys absent from n keep v's value.
// An obsolete key (see obsoleteKeys) is skipped with a note in nt.
func decode(path string, n *node, v reflect.Value, nt *notes) error {
	if n.kind == kindNull {
		if v.Kind() == reflect.Slice {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Struct:
		if n.kind != kindObject {
			return typeError(path, n, "expected an object, got %s", n.kind)
		}
		for i, key := range n.keys {
			kpath := joinKey(path, strings.ToLower(key))
			fi, ok := fieldByKey(v.Type(), key)
			if !ok {
				if nt.obsolete(kpath, n.kpos[i]) {
					continue
				}
				return unknownKey(kpath, n.kpos[i])
			}
			if err := decode(kpath, n.vals[i], v.Field(fi), nt); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		if n.kind == kindString && stringWasList[genericPath(path)] {
			// SFTPGo 2.4 and 2.5 had single strings where lists are now
			// (branding default_css): read a string as a comma-separated
			// list, as in the environment.
			return setStringList(path, n, v)
		}
		if n.kind != kindList {
			return typeError(path, n, "expected a list, got %s", n.kind)
		}
		s := reflect.MakeSlice(v.Type(), len(n.items), len(n.items))
		for i, item := range n.items {
			e := newItem(v, i)
			if err := decode(fmt.Sprintf("%s[%d]", path, i), item, e, nt); err != nil {
				return err
			}
			s.Index(i).Set(e)
		}
		v.Set(s)
		return nil
	}
	switch n.kind {
	case kindList, kindObject:
		return typeError(path, n, "expected %s, got %s", scalarName(v.Kind()), n.kind)
	}
	if err := setScalar(v, n.text); err != nil {
		return typeError(path, n, "%v", err)
	}
	return nil
}

func scalarName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Float32, reflect.Float64:
		return "a number"
	default:
		return "an integer"
	}
}

// quoteShort quotes s for an error message, cut to a readable length.
func quoteShort(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return strconv.Quote(s)
}

// setScalar sets a string, bool or number from its text. Numbers and
// booleans written as strings ("2022", "true") are accepted, as the
// reference product does; numbers and booleans are accepted for strings.
func setScalar(v reflect.Value, text string) error {
	switch v.Kind() {
	case reflect.String:
		v.SetString(text)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(text))
		if err != nil {
			return fmt.Errorf("cannot use %s as a boolean (true, false, 1 or 0)", quoteShort(text))
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := parseInt(strings.TrimSpace(text), v.Type().Bits())
		if err != nil {
			return fmt.Errorf("cannot use %s as an integer: %v", quoteShort(text), err)
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := parseUint(strings.TrimSpace(text), v.Type().Bits())
		if err != nil {
			return fmt.Errorf("cannot use %s as a non-negative integer: %v", quoteShort(text), err)
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(text), v.Type().Bits())
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("cannot use %s as a number", quoteShort(text))
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("unsupported field type %s", v.Type())
	}
	return nil
}

var errRange = errors.New("out of range")

// intBase is 10 unless s has an explicit 0x, 0o or 0b prefix: a leading
// zero ("0022") never means octal.
func intBase(s string) int {
	t := strings.TrimLeft(s, "+-")
	if len(t) > 2 && t[0] == '0' && strings.ContainsRune("xXoObB", rune(t[1])) {
		return 0
	}
	return 10
}

func parseInt(s string, bits int) (int64, error) {
	if i, err := strconv.ParseInt(s, intBase(s), bits); err == nil {
		return i, nil
	} else if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		return 0, errRange
	}
	// 20.0 or 1e3 are integers written as floats.
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("not an integer")
	}
	lim := math.Ldexp(1, bits-1)
	if f < -lim || f >= lim {
		return 0, errRange
	}
	return int64(f), nil
}

func parseUint(s string, bits int) (uint64, error) {
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("negative")
	}
	if u, err := strconv.ParseUint(s, intBase(s), bits); err == nil {
		return u, nil
	} else if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		return 0, errRange
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("not an integer")
	}
	if f < 0 || f >= math.Ldexp(1, bits) {
		return 0, errRange
	}
	return uint64(f), nil
}

// stringWasList are list keys that SFTPGo releases wrote as one string.
var stringWasList = map[string]bool{
	"httpd.bindings[].branding.web_admin.default_css":  true,
	"httpd.bindings[].branding.web_client.default_css": true,
}

func setStringList(_ string, n *node, v reflect.Value) error {
	parts := []string{}
	for _, p := range strings.Split(n.text, ",") {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	s := reflect.MakeSlice(v.Type(), len(parts), len(parts))
	for i, p := range parts {
		s.Index(i).SetString(p)
	}
	v.Set(s)
	return nil
}
