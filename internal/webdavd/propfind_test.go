package webdavd

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParsePropfind(t *testing.T) {
	cases := []struct {
		name  string
		body  string
		ok    bool
		all   bool
		pn    bool
		names int
	}{
		{"empty", "", true, true, false, 0},
		{"allprop", `<propfind xmlns="DAV:"><allprop/></propfind>`, true, true, false, 0},
		{"allprop include", `<D:propfind xmlns:D="DAV:"><D:allprop/><D:include><D:getetag/><x:y xmlns:x="urn:x"/></D:include></D:propfind>`, true, true, false, 2},
		{"propname", `<propfind xmlns="DAV:"><propname/></propfind>`, true, false, true, 0},
		{"prop", `<propfind xmlns="DAV:"><prop><getetag/><foo xmlns="urn:a"/></prop></propfind>`, true, false, false, 2},
		{"unknown element ignored", `<propfind xmlns="DAV:"><x:ext xmlns:x="urn:x"><a/></x:ext><propname/></propfind>`, true, false, true, 0},
		{"two kinds", `<propfind xmlns="DAV:"><propname/><allprop/></propfind>`, false, false, false, 0},
		{"none", `<propfind xmlns="DAV:"></propfind>`, false, false, false, 0},
		{"empty prop", `<propfind xmlns="DAV:"><prop/></propfind>`, false, false, false, 0},
		{"include without allprop", `<propfind xmlns="DAV:"><propname/><include><getetag/></include></propfind>`, false, false, false, 0},
		{"wrong root", `<propertyupdate xmlns="DAV:"/>`, false, false, false, 0},
		{"no namespace", `<propfind><allprop/></propfind>`, false, false, false, 0},
		{"truncated", `<propfind xmlns="DAV:"><prop>`, false, false, false, 0},
		{"text", `<propfind xmlns="DAV:">hello<allprop/></propfind>`, false, false, false, 0},
	}
	for _, c := range cases {
		var data []byte
		if c.body != "" {
			data = []byte(c.body)
		}
		pf, err := parsePropfind(data)
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v", c.name, err)
			continue
		}
		if !c.ok {
			continue
		}
		if pf.allprop != c.all || pf.propname != c.pn || len(pf.names) != c.names {
			t.Errorf("%s: %+v", c.name, pf)
		}
	}
}

func FuzzParsePropfind(f *testing.F) {
	f.Add([]byte(`<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>`))
	f.Add([]byte(`<propfind xmlns="DAV:"><allprop/><include><a xmlns="urn:"/></include></propfind>`))
	f.Add([]byte(`<propfind xmlns="DAV:"><propname/></propfind>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		pf, err := parsePropfind(data)
		if err != nil {
			return
		}
		if pf.allprop && pf.propname {
			t.Fatal("allprop and propname together")
		}
		if !pf.allprop && !pf.propname && len(pf.names) == 0 {
			t.Fatal("nothing asked for")
		}
	})
}

func TestPropfindOutput(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	e.status(t, "PUT", "/f.txt", "alice", []byte("hello"), nil)
	patch := `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>` +
		`<Z:color xmlns:Z="urn:test:" xml:lang="en">blue &amp; <Z:b>bold</Z:b></Z:color>` +
		`<plain xmlns="">no namespace</plain>` +
		`</D:prop></D:set></D:propertyupdate>`
	if code, body := e.status(t, "PROPPATCH", "/f.txt", "alice", []byte(patch), nil); code != http.StatusMultiStatus || !strings.Contains(body, "200") {
		t.Fatalf("PROPPATCH: %d %s", code, body)
	}
	type prop struct {
		XMLName xml.Name
		Lang    string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
		Inner   string `xml:",innerxml"`
	}
	type resp struct {
		Href     string `xml:"DAV: href"`
		Propstat []struct {
			Prop struct {
				Props []prop `xml:",any"`
			} `xml:"DAV: prop"`
			Status string `xml:"DAV: status"`
		} `xml:"DAV: propstat"`
	}
	type ms struct {
		XMLName   xml.Name `xml:"DAV: multistatus"`
		Responses []resp   `xml:"DAV: response"`
	}
	get := func(body string) ms {
		t.Helper()
		code, out := e.status(t, "PROPFIND", "/f.txt", "alice", []byte(body), map[string]string{"Depth": "0"})
		if code != http.StatusMultiStatus {
			t.Fatalf("PROPFIND: %d %s", code, out)
		}
		var m ms
		if err := xml.Unmarshal([]byte(out), &m); err != nil || len(m.Responses) != 1 {
			t.Fatalf("decode: %v\n%s", err, out)
		}
		return m
	}
	byName := func(m ms, status string) map[xml.Name]prop {
		out := map[xml.Name]prop{}
		for _, ps := range m.Responses[0].Propstat {
			if strings.Contains(ps.Status, status) {
				for _, p := range ps.Prop.Props {
					out[p.XMLName] = p
				}
			}
		}
		return out
	}
	// allprop: live and dead properties, namespaces and language intact
	all := byName(get(""), "200")
	color, ok := all[xml.Name{Space: "urn:test:", Local: "color"}]
	if !ok || color.Lang != "en" || !strings.Contains(color.Inner, "blue &amp; ") || !strings.Contains(color.Inner, "bold") {
		t.Fatalf("dead property: %+v (all %v)", color, all)
	}
	if p, ok := all[xml.Name{Local: "plain"}]; !ok || p.Inner != "no namespace" {
		t.Fatalf("empty-namespace property: %+v", p)
	}
	if p := all[xml.Name{Space: "DAV:", Local: "supportedlock"}]; !strings.Contains(p.Inner, "shared") || !strings.Contains(p.Inner, "exclusive") {
		t.Fatalf("supportedlock: %q", p.Inner)
	}
	for _, n := range []string{"getetag", "getcontentlength", "getlastmodified", "getcontenttype", "resourcetype", "displayname", "lockdiscovery"} {
		if _, ok := all[xml.Name{Space: "DAV:", Local: n}]; !ok {
			t.Fatalf("allprop lacks %s", n)
		}
	}
	// named: found and missing in separate propstats
	m := get(`<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getcontentlength/><missing xmlns="urn:x"/><creationdate/></prop></propfind>`)
	if ok200, ok404 := byName(m, "200"), byName(m, "404"); ok200[xml.Name{Space: "DAV:", Local: "getcontentlength"}].Inner != "5" ||
		len(ok404) != 2 {
		t.Fatalf("named props: 200 %v 404 %v", ok200, ok404)
	}
	// propname: names only
	names := byName(get(`<propfind xmlns="DAV:"><propname/></propfind>`), "200")
	if p, ok := names[xml.Name{Space: "urn:test:", Local: "color"}]; !ok || p.Inner != "" {
		t.Fatalf("propname: %v", names)
	}
	// allprop with include of a property the resource lacks
	m = get(`<propfind xmlns="DAV:"><allprop/><include><quota-used-bytes/></include></propfind>`)
	if _, ok := byName(m, "404")[xml.Name{Space: "DAV:", Local: "quota-used-bytes"}]; !ok {
		t.Fatalf("include: %+v", m)
	}
}

// TestPropfindLargeDirectory lists more entries than one storage page.
func TestPropfindLargeDirectory(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addUser(t, "alice", nil)
	e.status(t, "MKCOL", "/big", "alice", nil, nil)
	dir := filepath.Join(e.base, "homes", "alice", "big")
	const n = 2500
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%05d", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e.status(t, "PROPPATCH", "/big/f01234", "alice", proppatchBody(map[string]string{"color": "red"}, nil), nil)
	code, body := e.status(t, "PROPFIND", "/big/", "alice", nil, map[string]string{"Depth": "1"})
	if code != http.StatusMultiStatus {
		t.Fatalf("PROPFIND: %d", code)
	}
	ms := parseMultistatus(t, body)
	if len(ms.Responses) != n+1 {
		t.Fatalf("%d responses, want %d", len(ms.Responses), n+1)
	}
	for _, r := range ms.Responses {
		if r.Href == "/big/f01234" && !strings.Contains(string(r.Propstat[0].Prop.Inner), "red") {
			t.Fatalf("dead property missing in a big listing: %s", r.Propstat[0].Prop.Inner)
		}
	}
}
