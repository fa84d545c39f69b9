package httpd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/language"
)

// Translations. The templates and the Go code write English; a page in
// another language is the English page with every text node and every
// translatable attribute looked up in that language's catalogue, one
// JSON object per language in the templates' i18n/ directory
// (i18n/de.json: {"Users": "Benutzer", ...}), which httpd.templates_path
// can replace like any template. A key with %s is a pattern: it matches a
// text made of the fixed parts around any values, and the translation
// gets the values in the same order ("Page %s" -> "Seite %s"). Text in
// script, style, textarea, pre and code elements, and under an element
// with translate="no", is left alone: it is data, not interface.

// uiLanguage is one language the web UI offers.
type uiLanguage struct {
	Code string // BCP 47, as in httpd.bindings[].languages
	Name string // in the language itself, for the language menu
}

// knownLanguages are the languages with a catalogue, English first.
var knownLanguages = []uiLanguage{{"en", "English"}, {"de", "Deutsch"}, {"it", "Italiano"}}

// langCookie keeps the language picked in the menu.
const langCookie = "sftpgo_lang"

// catalogue holds one language's translations.
type catalogue struct {
	exact    map[string]string
	patterns []catPattern
	keys     map[string]bool // every key, normalised
	values   map[string]bool // every translation without %s
	outputs  []*regexp.Regexp
}

type catPattern struct {
	re  *regexp.Regexp
	out string // with %s for each value
}

var spaceRun = regexp.MustCompile(`\s+`)

// decorations are what a page prints beside a label ("Name *", "Name:",
// a sort arrow); a label with them translates as the label.
const decorations = " *:…↑↓"

// normText is the key of a text: trimmed, inner white space folded.
func normText(s string) string { return spaceRun.ReplaceAllString(strings.TrimSpace(s), " ") }

// parseCatalogue reads a catalogue file.
func parseCatalogue(b []byte) (*catalogue, error) {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	c := &catalogue{exact: make(map[string]string, len(m)), keys: map[string]bool{}, values: map[string]bool{}}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// longer patterns first, so "Event action %s created" wins over
	// "Event action %s"
	slices.SortFunc(keys, func(a, b string) int { return len(b) - len(a) })
	for _, k := range keys {
		v := m[k]
		if v == "" {
			continue
		}
		c.keys[normText(k)] = true
		if !strings.Contains(k, "%s") {
			c.exact[normText(k)] = v
			c.values[normText(v)] = true
			continue
		}
		if strings.Count(k, "%s") != strings.Count(v, "%s") {
			return nil, fmt.Errorf("%q: the translation %q has a different number of %%s", k, v)
		}
		re, err := patternRegexp(k)
		if err != nil {
			return nil, err
		}
		c.patterns = append(c.patterns, catPattern{re: re, out: v})
		if out, err := patternRegexp(v); err == nil {
			c.outputs = append(c.outputs, out)
		}
	}
	return c, nil
}

func patternRegexp(s string) (*regexp.Regexp, error) {
	parts := strings.Split(normText(s), "%s")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.Compile("^" + strings.Join(parts, "(.+?)") + "$")
}

// has reports whether the catalogue has a key.
func (c *catalogue) has(key string) bool { return c.keys[normText(key)] }

// isTranslation reports whether a text is one the catalogue produces.
func (c *catalogue) isTranslation(s string) bool {
	k := normText(s)
	if c.values[k] || c.values[strings.TrimRight(k, decorations)] {
		return true
	}
	for _, re := range c.outputs {
		if re.MatchString(k) {
			return true
		}
	}
	return false
}

// lookup translates one text, keeping its leading and trailing spaces;
// ok is false when the catalogue has nothing for it.
func (c *catalogue) lookup(s string) (string, bool) {
	key := normText(s)
	if key == "" {
		return s, false
	}
	lead := s[:len(s)-len(strings.TrimLeft(s, " \t\r\n"))]
	trail := s[len(strings.TrimRight(s, " \t\r\n")):]
	if v, ok := c.exact[key]; ok {
		return lead + v + trail, true
	}
	// a label with a decoration printed next to it: "Name *", "Name:"
	if core := strings.TrimRight(key, decorations); core != key && core != "" {
		if v, ok := c.exact[core]; ok {
			return lead + v + key[len(core):] + trail, true
		}
	}
	for _, p := range c.patterns {
		m := p.re.FindStringSubmatch(key)
		if m == nil {
			continue
		}
		out := p.out
		for _, v := range m[1:] {
			// a value that is itself a known text is translated too
			// ("Permission %s denied" with a permission label)
			if t, ok := c.exact[v]; ok {
				v = t
			}
			out = strings.Replace(out, "%s", v, 1)
		}
		return lead + out + trail, true
	}
	return s, false
}

// T translates a message for code that builds text outside a template.
func (c *catalogue) T(s string) string {
	if c == nil {
		return s
	}
	out, _ := c.lookup(s)
	return out
}

// loadCatalogues reads the catalogue of every known language but English.
func loadCatalogues(tfs interface {
	ReadFile(string) ([]byte, error)
}) (map[string]*catalogue, error) {
	cats := map[string]*catalogue{}
	for _, l := range knownLanguages[1:] {
		b, err := tfs.ReadFile("i18n/" + l.Code + ".json")
		if err != nil {
			return nil, fmt.Errorf("httpd: translations %s: %w", l.Code, err)
		}
		c, err := parseCatalogue(b)
		if err != nil {
			return nil, fmt.Errorf("httpd: translations %s: %w", l.Code, err)
		}
		cats[l.Code] = c
	}
	return cats, nil
}

// translatedAttrs are the attributes whose values are interface text.
var translatedAttrs = map[string]bool{"placeholder": true, "title": true, "aria-label": true, "alt": true,
	"data-confirm": true, "data-empty": true}

func translatedAttr(name string) bool {
	return translatedAttrs[name] || strings.HasPrefix(name, "data-msg-")
}

// rawElements hold data, never interface text.
var rawElements = map[atom.Atom]bool{atom.Script: true, atom.Style: true, atom.Textarea: true, atom.Pre: true, atom.Code: true}

// dataScope follows the open elements of a page whose content is data,
// not interface text: raw elements and anything under translate="no".
// The translator and the tests' template walker share it.
type dataScope struct{ open []atom.Atom }

// inData reports whether the current position is inside data.
func (d *dataScope) inData() bool { return len(d.open) > 0 }

// start records a start tag; the element's own attributes are read
// before it (they are interface text unless the scope is already data).
func (d *dataScope) start(tt html.TokenType, tok html.Token) {
	if tt != html.StartTagToken || isVoid(tok.DataAtom) {
		return
	}
	if d.inData() || rawElements[tok.DataAtom] || slices.ContainsFunc(tok.Attr, func(a html.Attribute) bool {
		return a.Key == "translate" && a.Val == "no"
	}) {
		d.open = append(d.open, tok.DataAtom)
	}
}

// end records an end tag.
func (d *dataScope) end(name []byte) {
	if n := len(d.open); n > 0 && atom.Lookup(name) == d.open[n-1] {
		d.open = d.open[:n-1]
	}
}

// translateHTML rewrites a rendered page: text nodes and translatable
// attributes found in the catalogue are replaced, everything else is
// copied byte for byte.
func translateHTML(src []byte, c *catalogue) []byte {
	var out bytes.Buffer
	out.Grow(len(src) + len(src)/8)
	z := html.NewTokenizer(bytes.NewReader(src))
	var scope dataScope
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return out.Bytes()
		case html.TextToken:
			raw := z.Raw()
			if !scope.inData() {
				if t, ok := c.lookup(html.UnescapeString(string(raw))); ok {
					out.WriteString(html.EscapeString(t))
					continue
				}
			}
			out.Write(raw)
		case html.StartTagToken, html.SelfClosingTagToken:
			// Token lower-cases names in the tokenizer's buffer: keep the
			// raw bytes first
			raw := append([]byte(nil), z.Raw()...)
			tok := z.Token()
			changed := false
			for i, a := range tok.Attr {
				if !scope.inData() && translatedAttr(a.Key) {
					if t, ok := c.lookup(a.Val); ok {
						tok.Attr[i].Val = t
						changed = true
					}
				}
			}
			if changed {
				out.WriteString(tok.String())
			} else {
				out.Write(raw)
			}
			scope.start(tt, tok)
		case html.EndTagToken:
			out.Write(z.Raw())
			name, _ := z.TagName()
			scope.end(name)
		default:
			out.Write(z.Raw())
		}
	}
}

func isVoid(a atom.Atom) bool {
	switch a {
	case atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Hr, atom.Img, atom.Input, atom.Link,
		atom.Meta, atom.Source, atom.Track, atom.Wbr:
		return true
	}
	return false
}

// bindingLanguages are the languages a binding offers, in its order;
// codes without a catalogue are left out (a start-up warning names them).
func bindingLanguages(codes []string) []uiLanguage {
	var out []uiLanguage
	for _, code := range codes {
		for _, l := range knownLanguages {
			if strings.EqualFold(l.Code, code) && !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	if len(out) == 0 {
		out = knownLanguages[:1]
	}
	return out
}

// pageLanguage picks the language of a page: ?lang= (remembered in a
// cookie), the cookie, then the browser's Accept-Language, among the
// binding's languages; the binding's first language otherwise.
func (s *Server) pageLanguage(w http.ResponseWriter, r *http.Request) (string, []uiLanguage) {
	langs := knownLanguages[:1]
	if wb := webBindingFrom(r.Context()); wb != nil {
		langs = wb.langs
	}
	offered := func(code string) (string, bool) {
		for _, l := range langs {
			if strings.EqualFold(l.Code, code) {
				return l.Code, true
			}
		}
		return "", false
	}
	if q := r.URL.Query().Get("lang"); q != "" {
		if code, ok := offered(q); ok {
			http.SetCookie(w, &http.Cookie{Name: langCookie, Value: code, Path: s.webRoot + "/",
				MaxAge: int((365 * 24 * time.Hour).Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
			return code, langs
		}
	}
	if ck, err := r.Cookie(langCookie); err == nil {
		if code, ok := offered(ck.Value); ok {
			return code, langs
		}
	}
	if len(langs) > 1 {
		if tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language")); err == nil && len(tags) > 0 {
			supported := make([]language.Tag, len(langs))
			for i, l := range langs {
				supported[i] = language.Make(l.Code)
			}
			_, idx, conf := language.NewMatcher(supported).Match(tags...)
			if conf != language.No {
				return langs[idx].Code, langs
			}
		}
	}
	return langs[0].Code, langs
}
