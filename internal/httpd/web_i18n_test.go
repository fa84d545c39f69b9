package httpd

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/templates"
)

// i18nPagesEnv serves the web UIs in English, German and Italian, with a
// user, a group, a folder, a role, an event action and rule and a share
// so the edit pages have something to show.
func i18nPagesEnv(t *testing.T) *testEnv {
	e := newUserEnv(t)
	e.ts.Close()
	e.ts = httptest.NewServer(e.srv.router(config.HTTPDBinding{EnableRESTAPI: true, EnableWebAdmin: true, EnableWebClient: true,
		Languages: []string{"en", "de", "it"}}))
	t.Cleanup(e.ts.Close)
	e.addUser("lena")
	return e
}

// i18nAdminPages and i18nClientPages are the pages the sweep renders.
var i18nAdminPages = []string{"/web/admin/users", "/web/admin/user", "/web/admin/user/lena", "/web/admin/groups", "/web/admin/group",
	"/web/admin/folders", "/web/admin/folder", "/web/admin/connections", "/web/admin/status", "/web/admin/maintenance",
	"/web/admin/admins", "/web/admin/admin", "/web/admin/admin/" + testAdmin, "/web/admin/apikeys", "/web/admin/apikey", "/web/admin/roles", "/web/admin/role",
	"/web/admin/defender", "/web/admin/iplists", "/web/admin/iplists?type=2", "/web/admin/eventactions", "/web/admin/eventaction",
	"/web/admin/eventaction?type=1", "/web/admin/eventrules", "/web/admin/eventrule", "/web/admin/profile", "/web/admin/mfa"}

var i18nClientPages = []string{"/web/client/files", "/web/client/shares", "/web/client/share", "/web/client/profile", "/web/client/mfa"}

var i18nPlainPages = []string{"/web/admin/login", "/web/client/login", "/web/admin/forgot-password", "/web/client/forgot-password"}

// untranslated lists the texts of a German or Italian page that are
// still English: text nodes and translatable attributes with words that
// the catalogue does not translate, minus the data the test put there.
func untranslated(page string, c *catalogue, data []string) []string {
	var out []string
	check := func(s string) {
		k := normText(s)
		if !hasWords(k) || slices.Contains(data, k) || slices.Contains(out, k) || dataText.MatchString(k) {
			return
		}
		// a translated text is one the catalogue produces
		if c.isTranslation(k) {
			return
		}
		out = append(out, k)
	}
	eachUIText(page, check)
	return out
}

// dataText matches what a page shows as data in every language:
// identifiers (permissions, login methods), paths, times, versions.
var dataText = regexp.MustCompile(`^([a-z0-9_+\-:.\[\]/%{}*]+|/.*|.*\d{4}-\d\d-\d\d.*|\d+\.\d+\.\d+.*)$`)

// i18nData are the texts of the sweep's pages that are data, the same
// in every language.
var i18nData = []string{"lena", testAdmin, "SFTPGo", "sftpgo-ng", "SFTPGo · SFTPGo", "admin", "lena · SFTPGo"}

func sweepPages(t *testing.T, e *testEnv, lang string, visit func(path, body string)) {
	b := e.browser()
	b.get("/web/admin/login?lang=" + lang)
	for _, p := range i18nPlainPages {
		_, body := b.get(p)
		visit(p, body)
	}
	webAdminLogin(t, b, testAdmin)
	for _, p := range i18nAdminPages {
		_, body := b.get(p)
		visit(p, body)
	}
	cb := e.browser()
	cb.get("/web/client/login?lang=" + lang)
	if code, body := cb.post("/web/client/login", url.Values{"username": {"lena"}, "password": {testUserPassword}}); code != http.StatusOK {
		t.Fatalf("client login: %d %s", code, excerpt(body))
	}
	for _, p := range i18nClientPages {
		_, body := cb.get(p)
		visit(p, body)
	}
}

// TestWebPagesTranslated: every page of the sweep, in German and in
// Italian, has no English left but the data the test created.
func TestWebPagesTranslated(t *testing.T) {
	e := i18nPagesEnv(t)
	missing := map[string][]string{}
	for _, lang := range []string{"de", "it"} {
		c := e.srv.web.cats[lang]
		sweepPages(t, e, lang, func(path, body string) {
			if !strings.Contains(body, `<html lang="`+lang+`"`) {
				t.Errorf("%s %s: not served in %s", lang, path, lang)
			}
			// data that reads like interface text is not translated: the
			// admin "admin" stays "admin" beside the title
			if strings.HasPrefix(path, "/web/admin/") && !strings.HasSuffix(path, "password") && !strings.HasSuffix(path, "login") &&
				!strings.Contains(body, `</svg>`+testAdmin+`</span>`) {
				t.Errorf("%s %s: the signed-in admin's name is translated", lang, path)
			}
			for _, s := range untranslated(body, c, i18nData) {
				if !slices.Contains(missing[lang], s) {
					missing[lang] = append(missing[lang], s)
					t.Errorf("%s %s: %q is not translated", lang, path, s)
				}
			}
		})
	}
}

// TestTemplatesTranslated walks the templates: every text they show is
// in the German and the Italian catalogue.
func TestTemplatesTranslated(t *testing.T) {
	keys, err := templateKeys()
	if err != nil {
		t.Fatal(err)
	}
	cats, err := loadCatalogues(templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	files := make([]string, 0, len(keys))
	for f := range keys {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, lang := range []string{"de", "it"} {
		for _, f := range files {
			for _, k := range keys[f] {
				if !cats[lang].has(k) {
					t.Errorf("%s: %s: %q has no translation", lang, f, k)
				}
			}
		}
	}
}

// TestLanguageChoice: Accept-Language picks among the binding's
// languages, ?lang= is remembered, and a binding with English only never
// translates.
func TestLanguageChoice(t *testing.T) {
	e := i18nPagesEnv(t)
	get := func(b *browser, path, accept string) (string, string) {
		req, _ := http.NewRequest(http.MethodGet, e.ts.URL+path, nil)
		if accept != "" {
			req.Header.Set("Accept-Language", accept)
		}
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, body := b.keep(resp)
		return resp.Header.Get("Content-Language"), body
	}
	b := e.browser()
	if lang, body := get(b, "/web/admin/login", "de-CH,de;q=0.9,en;q=0.5"); lang != "de" || !strings.Contains(body, `<html lang="de"`) {
		t.Fatalf("Accept-Language de: %q", lang)
	}
	if lang, _ := get(b, "/web/admin/login", "fr-FR,it;q=0.8"); lang != "it" {
		t.Fatalf("Accept-Language fr, it: %q", lang)
	}
	if lang, _ := get(b, "/web/admin/login", "fr-FR"); lang != "en" {
		t.Fatalf("Accept-Language fr: %q", lang)
	}
	if lang, body := get(b, "/web/admin/login?lang=it", "de"); lang != "it" || !strings.Contains(body, `data-testid="lang-menu"`) {
		t.Fatalf("?lang=it: %q", lang)
	}
	if lang, _ := get(b, "/web/admin/login", "de"); lang != "it" {
		t.Fatalf("the cookie is not kept: %q", lang)
	}
	// the default binding offers English only
	only := newUserEnv(t)
	ob := only.browser()
	req, _ := http.NewRequest(http.MethodGet, only.ts.URL+"/web/admin/login?lang=de", nil)
	req.Header.Set("Accept-Language", "de")
	resp, err := ob.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, body := ob.keep(resp)
	if resp.Header.Get("Content-Language") != "en" || strings.Contains(body, `data-testid="lang-menu"`) {
		t.Fatalf("english-only binding: %q", resp.Header.Get("Content-Language"))
	}
	// the config's list of translated languages is this one
	codes := make([]string, len(knownLanguages))
	for i, l := range knownLanguages {
		codes[i] = l.Code
	}
	if !slices.Equal(codes, config.TranslatedLanguages) {
		t.Fatalf("languages %v, config says %v", codes, config.TranslatedLanguages)
	}
}

// TestTranslateHTML: the translator keeps markup, data elements and
// translate="no" untouched, and fills patterns.
func TestTranslateHTML(t *testing.T) {
	c, err := parseCatalogue([]byte(`{"Users": "Benutzer", "Page %s": "Seite %s", "Search": "Suchen", "Name": "Name", "Event action %s created": "Ereignisaktion %s erstellt"}`))
	if err != nil {
		t.Fatal(err)
	}
	in := `<p class="x">Users</p><label>Name *</label><span>Page 3</span><input placeholder="Search" value="Users">` +
		`<code>Users</code><div translate="no">Users <b>Users</b></div><textarea>Users</textarea><p>Event action a &amp; b created</p><p>Unknown</p>`
	want := `<p class="x">Benutzer</p><label>Name *</label><span>Seite 3</span><input placeholder="Suchen" value="Users">` +
		`<code>Users</code><div translate="no">Users <b>Users</b></div><textarea>Users</textarea><p>Ereignisaktion a &amp; b erstellt</p><p>Unknown</p>`
	if got := string(translateHTML([]byte(in), c)); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := parseCatalogue([]byte(`{"Page %s": "Seite"}`)); err == nil {
		t.Fatal("a pattern without its value is accepted")
	}
}
