package httpd

import (
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// Forms are rendered from url.Values, named after the JSON path of the
// model field they set ("filters.max_upload_file_size"). A stored object
// becomes values to show, posted values become the object, and a failed
// save re-renders exactly what was typed with each validation error
// next to the field it names.

// field is what the field templates get.
type field struct {
	Name, Label, Type, Value, Error, Help, Placeholder string
	Required                                           bool
	Options                                            []option
	Values                                             []string // selected values (multi)
}

type option struct {
	Value, Label string
}

var templateFuncs = template.FuncMap{
	"hasSuffix": strings.HasSuffix,
	// fld builds a field from the page's form values and errors.
	"fld": func(p *page, name, label, typ string, extra ...string) field {
		f := field{Name: name, Label: label, Type: typ, Value: p.Form.Get(name), Error: p.Errors[name]}
		if len(extra) > 0 {
			f.Help = extra[0]
		}
		if len(extra) > 1 {
			f.Placeholder = extra[1]
		}
		return f
	},
	"req": func(f field) field { f.Required = true; return f },
	// opts turns "value|label" pairs into select options.
	"opts": func(f field, pairs ...string) field {
		for _, p := range pairs {
			v, l, ok := strings.Cut(p, "|")
			if !ok {
				l = v
			}
			f.Options = append(f.Options, option{Value: v, Label: l})
		}
		return f
	},
	"optlist": func(f field, values []string) field {
		for _, v := range values {
			f.Options = append(f.Options, option{Value: v, Label: v})
		}
		return f
	},
	"multi":       func(p *page, f field) field { f.Values = p.Form[f.Name]; return f },
	"has":         func(list []string, v string) bool { return slices.Contains(list, v) },
	"col":         func(p *page, name string, i int) string { return nth(p.Form[name], i) },
	"rows":        func(p *page, names ...string) []int { return rowIndexes(p.Form, names...) },
	"size":        formatSize,
	"ms":          formatMillis,
	"rfc":         func(t string) string { return t },
	"join":        strings.Join,
	"add":         func(a, b int) int { return a + b },
	"lower":       strings.ToLower,
	"q":           url.QueryEscape,
	"pathq":       url.PathEscape,
	"fv":          func(p *page, name string) string { return p.Form.Get(name) },
	"fvs":         func(p *page, name string) []string { return p.Form[name] },
	"fe":          func(p *page, name string) string { return p.Errors[name] },
	"stored":      func(p *page, name string) bool { return p.Form.Get(name+storedMark) == "1" },
	"fsproviders": func() []fsProviderDef { return fsProviders },
	"fsname":      func(prefix, key string) string { return prefix + "." + key },
	"hsize":       humanSize,
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vals := range v {
		out[k] = append([]string(nil), vals...)
	}
	return out
}

func nth(list []string, i int) string {
	if i < len(list) {
		return list[i]
	}
	return ""
}

// rowIndexes lists the rows of a repeated group (same-name inputs) plus
// one empty row to fill in.
func rowIndexes(v url.Values, names ...string) []int {
	n := 0
	for _, name := range names {
		n = max(n, len(v[name]))
	}
	out := make([]int, n+1)
	for i := range out {
		out[i] = i
	}
	return out
}

// formatSize shows bytes the way parseSize reads them ("0", "512", "10M",
// "1.5G" only when exact).
func formatSize(b int64) string {
	if b == 0 {
		return "0"
	}
	for _, u := range []struct {
		s string
		n int64
	}{{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if b%u.n == 0 {
			return strconv.FormatInt(b/u.n, 10) + u.s
		}
	}
	return strconv.FormatInt(b, 10)
}

// humanSize is for display only.
func humanSize(b int64) string {
	if b < 1024 {
		return strconv.FormatInt(b, 10) + " B"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}
	v := float64(b)
	i := -1
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[i]
}

// parseSize reads bytes with an optional binary unit: "1024", "10M",
// "1.5GB", "2 GiB".
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToUpper(s))
	if s == "" {
		return 0, nil
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, "B"), "I")
	mult := int64(1)
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult > 1 {
			s = strings.TrimSpace(s[:n-1])
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || f*float64(mult) > math.MaxInt64/2 {
		return 0, errors.New("not a valid size: use bytes or a number with K, M, G or T")
	}
	return int64(f * float64(mult)), nil
}

func formatMillis(ms int64) string {
	if ms <= 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04 UTC")
}

// formParser reads typed values from a form and collects the errors.
type formParser struct {
	v      url.Values
	errors map[string]string
}

func newFormParser(v url.Values) *formParser {
	return &formParser{v: v, errors: map[string]string{}}
}

func (p *formParser) str(name string) string { return strings.TrimSpace(p.v.Get(name)) }

func (p *formParser) bool(name string) bool {
	switch p.v.Get(name) {
	case "1", "true", "on", "yes":
		return true
	}
	return false
}

func (p *formParser) int(name string) int {
	s := p.str(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		p.errors[name] = "must be a whole number"
	}
	return n
}

func (p *formParser) int64(name string) int64 {
	s := p.str(name)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		p.errors[name] = "must be a whole number"
	}
	return n
}

func (p *formParser) size(name string) int64 {
	n, err := parseSize(p.v.Get(name))
	if err != nil {
		p.errors[name] = err.Error()
	}
	return n
}

// list splits a textarea or comma list into trimmed non-empty items.
func (p *formParser) list(name string) []string {
	return splitList(p.v.Get(name))
}

func splitList(s string) []string {
	var out []string
	for _, item := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// lines splits a textarea into trimmed non-empty lines (items that may
// contain commas, like public keys).
func (p *formParser) lines(name string) []string {
	var out []string
	for _, l := range strings.Split(p.v.Get(name), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// values returns the checked boxes / selected options of name.
func (p *formParser) values(name string) []string {
	var out []string
	for _, v := range p.v[name] {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// date reads a yyyy-mm-dd date as Unix milliseconds at the end of that
// day (UTC); empty is 0.
func (p *formParser) date(name string) int64 {
	s := p.str(name)
	if s == "" {
		return 0
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		p.errors[name] = "must be a date (YYYY-MM-DD)"
		return 0
	}
	return t.Add(24*time.Hour - time.Millisecond).UnixMilli()
}

func formatDate(ms int64) string {
	if ms <= 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02")
}

// column returns the i-th value of each named repeated input.
func (p *formParser) column(name string) []string { return p.v[name] }

func (p *formParser) err() error {
	if len(p.errors) == 0 {
		return nil
	}
	return errFormInvalid
}

var errFormInvalid = errors.New("the form has errors: see the highlighted fields")

// msgFormInvalid is the page banner for a form with field errors.
const msgFormInvalid = "Please correct the highlighted fields."

// fieldErrors maps a store error to the form: a validation error goes
// next to the field it names (or the nearest enclosing one the form
// shows); anything else becomes the page's general error.
func (s *Server) fieldErrors(r *http.Request, err error, known func(string) bool) (map[string]string, string) {
	s.logErrorDetail(r, err)
	var ve *dataprovider.ValidationError
	if !errors.As(err, &ve) {
		if errors.Is(err, dataprovider.ErrConflict) {
			return nil, "an object with this name already exists"
		}
		if errors.Is(err, dataprovider.ErrNotFound) {
			return nil, err.Error()
		}
		return nil, "the change could not be saved: see the server log"
	}
	name := ve.Field
	for name != "" {
		if known(name) {
			return map[string]string{name: ve.Msg}, "Please correct the highlighted fields."
		}
		i := strings.LastIndexAny(name, ".[")
		if i < 0 {
			break
		}
		name = name[:i]
	}
	return nil, ve.Error()
}

// formKnows returns a predicate for the field names a posted form sent
// (plus extra names the template shows errors for).
func formKnows(v url.Values, extra ...string) func(string) bool {
	return func(name string) bool {
		if _, ok := v[name]; ok {
			return true
		}
		return slices.Contains(extra, name)
	}
}
