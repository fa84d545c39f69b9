package httpd

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/net/html"

	"github.com/sftpgo-ng/sftpgo/templates"
)

// The template walker finds the interface texts of the templates as the
// translator sees them in a rendered page: text nodes and translatable
// attributes, with each printed value as %s, and the labels passed to
// the field helpers as string literals.

const (
	markValue    = "\ue000" // an action that prints a value
	markBoundary = "\ue001" // an action that prints markup or nothing
)

var (
	actionRe  = regexp.MustCompile(`(?s)\{\{-?\s*((?:[^"}]|"(?:[^"\\]|\\.)*"|\}[^}])*?)\s*-?\}\}`)
	literalRe = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)
	// a control action, a template call or an assignment prints no text
	classBlockRe = regexp.MustCompile(`\{\{define "[a-z-]*-class"\}\}[^{]*\{\{end\}\}`)
	controlRe    = regexp.MustCompile(`^(/\*|if |else|end|range |with |define |block |template |break|continue|\$\w+ :?= )`)
)

// literalHelpers are the template functions whose string arguments are
// labels, helps, placeholders or "value|label" pairs.
var literalHelpers = []string{"fld", "opts", "dict", "req"}

// hasWords reports whether a text needs a translation: it has a letter
// and is not a lone symbol or technical token.
func hasWords(s string) bool {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n >= 2
}

// templateKeys returns the texts of every template, by file.
func templateKeys() (map[string][]string, error) {
	out := map[string][]string{}
	err := fs.WalkDir(templates.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		b, err := fs.ReadFile(templates.FS, p)
		if err != nil {
			return err
		}
		out[p] = sourceKeys(string(b))
		return nil
	})
	return out, err
}

func sourceKeys(src string) []string {
	var keys []string
	add := func(k string) {
		k = normText(k)
		if hasWords(k) && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	// a "...-class" block fills a class attribute, not text
	src = classBlockRe.ReplaceAllString(src, "")
	marked := actionRe.ReplaceAllStringFunc(src, func(a string) string {
		body := strings.TrimSpace(actionRe.FindStringSubmatch(a)[1])
		for _, h := range literalHelpers {
			if strings.Contains(body, h+" ") || strings.Contains(body, "("+h+" ") {
				for i, m := range literalRe.FindAllStringSubmatch(body, -1) {
					lit := m[1]
					if _, label, ok := strings.Cut(lit, "|"); ok {
						lit = label
					}
					// the field name and type come before the label
					if i == 0 && !strings.ContainsAny(lit, " ") && strings.ToLower(lit) == lit {
						continue
					}
					if strings.ContainsAny(lit, " ") || (lit != "" && unicode.IsUpper([]rune(lit)[0])) {
						add(lit)
					}
				}
				break
			}
		}
		if controlRe.MatchString(body) {
			return markBoundary
		}
		return markValue
	})
	piece := func(text string) {
		for _, part := range strings.Split(text, markBoundary) {
			k := normText(strings.ReplaceAll(part, markValue, "%s"))
			k = strings.TrimSpace(strings.Trim(k, "%s·|:—-–()*,."))
			if strings.Trim(strings.ReplaceAll(k, "%s", ""), " ·|:—-–()*,.") == "" {
				continue
			}
			add(normText(strings.ReplaceAll(part, markValue, "%s")))
		}
	}
	eachUIText(marked, piece)
	return keys
}

// eachUIText calls visit with each text node and translatable attribute
// value of an HTML page or template, as the translator sees them.
func eachUIText(src string, visit func(string)) {
	z := html.NewTokenizer(strings.NewReader(src))
	var scope dataScope
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return
		case html.TextToken:
			if !scope.inData() {
				visit(html.UnescapeString(string(z.Raw())))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			for _, a := range tok.Attr {
				if !scope.inData() && translatedAttr(a.Key) {
					visit(a.Val)
				}
			}
			scope.start(tt, tok)
		case html.EndTagToken:
			name, _ := z.TagName()
			scope.end(name)
		}
	}
}
