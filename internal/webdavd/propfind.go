package webdavd

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"os"
	"path"
	"strconv"
)

// PROPFIND is served here rather than by x/net/webdav, whose walk reads a
// whole directory into memory before writing anything: a collection is
// listed page by page from the storage and each member's response is
// written as it comes, so a bucket with a million keys never sits in
// memory, and the output is plain string building instead of reflection.

var errBadPropfind = errors.New("webdavd: invalid propfind")

// propfind is a parsed PROPFIND body.
type propfind struct {
	allprop  bool
	propname bool
	names    []xml.Name // the props asked for, or allprop's include
}

// parsePropfind parses the body of a PROPFIND request; an empty body
// means allprop (RFC 4918 §9.1).
func parsePropfind(data []byte) (*propfind, error) {
	if data == nil {
		return &propfind{allprop: true}, nil
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	root, err := nextStart(d)
	if err != nil {
		return nil, err
	}
	if root.Name != (xml.Name{Space: "DAV:", Local: "propfind"}) {
		return nil, errBadPropfind
	}
	pf := &propfind{}
	var hasProp, hasInclude bool
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			// end of propfind
			n := 0
			for _, b := range []bool{pf.allprop, pf.propname, hasProp} {
				if b {
					n++
				}
			}
			if n != 1 || (hasInclude && !pf.allprop) {
				return nil, errBadPropfind
			}
			if _, err := d.Token(); err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			return pf, nil
		case xml.StartElement:
			if t.Name.Space != "DAV:" {
				// unknown elements are ignored (RFC 4918 §17)
				if err := d.Skip(); err != nil {
					return nil, err
				}
				continue
			}
			switch t.Name.Local {
			case "allprop":
				pf.allprop = true
				err = d.Skip()
			case "propname":
				pf.propname = true
				err = d.Skip()
			case "prop", "include":
				var names []xml.Name
				names, err = childNames(d)
				if err == nil && t.Name.Local == "prop" && len(names) == 0 {
					err = errBadPropfind
				}
				if t.Name.Local == "prop" {
					hasProp = true
				} else {
					hasInclude = true
				}
				pf.names = append(pf.names, names...)
			default:
				err = d.Skip()
			}
			if err != nil {
				return nil, err
			}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, errBadPropfind
			}
		}
	}
}

func nextStart(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se, nil
		}
	}
}

// childNames returns the names of the child elements of the element just
// started, consuming it.
func childNames(d *xml.Decoder) ([]xml.Name, error) {
	var names []xml.Name
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			names = append(names, t.Name)
			if err := d.Skip(); err != nil {
				return nil, err
			}
		case xml.EndElement:
			return names, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, errBadPropfind
			}
		}
	}
}

// live properties: computed from the resource, protected from PROPPATCH.
var (
	propResourceType  = xml.Name{Space: "DAV:", Local: "resourcetype"}
	propDisplayName   = xml.Name{Space: "DAV:", Local: "displayname"}
	propContentLength = xml.Name{Space: "DAV:", Local: "getcontentlength"}
	propLastModified  = xml.Name{Space: "DAV:", Local: "getlastmodified"}
	propContentType   = xml.Name{Space: "DAV:", Local: "getcontenttype"}
	propETag          = xml.Name{Space: "DAV:", Local: "getetag"}
	propSupportedLock = xml.Name{Space: "DAV:", Local: "supportedlock"}
	propLockDiscovery = xml.Name{Space: "DAV:", Local: "lockdiscovery"}
)

// liveNames lists the live properties of a resource, in output order.
func liveNames(isDir bool) []xml.Name {
	if isDir {
		return []xml.Name{propResourceType, propDisplayName, propLastModified, propSupportedLock, propLockDiscovery}
	}
	return []xml.Name{propResourceType, propDisplayName, propContentLength, propLastModified,
		propContentType, propETag, propSupportedLock, propLockDiscovery}
}

const supportedLockXML = `<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>` +
	`<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>`

// liveValue returns the inner XML of a live property, ok false when the
// resource does not have it.
func (q *request) liveValue(name xml.Name, vpath string, fi os.FileInfo) (string, bool) {
	if name.Space != "DAV:" {
		return "", false
	}
	isDir := fi.IsDir()
	switch name {
	case propResourceType:
		if isDir {
			return `<D:collection/>`, true
		}
		return "", true
	case propDisplayName:
		if vpath == "/" {
			return "", true
		}
		return xmlEscape(fi.Name()), true
	case propLastModified:
		return fi.ModTime().UTC().Format(http.TimeFormat), true
	case propSupportedLock:
		return supportedLockXML, true
	case propLockDiscovery:
		return q.lockDiscoveryXML(q.s.locks.covering(q.username(), vpath)), true
	}
	if isDir {
		return "", false
	}
	switch name {
	case propContentLength:
		return strconv.FormatInt(fi.Size(), 10), true
	case propContentType:
		return xmlEscape(q.s.mime.typeOf(fi.Name())), true
	case propETag:
		return xmlEscape(etagOf(fi)), true
	}
	return "", false
}

// propWriter writes a multistatus body.
type propWriter struct {
	w   *bufio.Writer
	err error
}

func (pw *propWriter) s(parts ...string) {
	for _, p := range parts {
		if pw.err == nil {
			_, pw.err = pw.w.WriteString(p)
		}
	}
}

// open writes the start tag of a property element, declaring its
// namespace.
func (pw *propWriter) open(name xml.Name, lang string, empty bool) {
	tag := "D:" + name.Local
	attrs := ""
	if name.Space != "DAV:" {
		tag = name.Local
		if name.Space != "" {
			tag = "P:" + name.Local
			attrs = ` xmlns:P="` + xmlEscape(name.Space) + `"`
		} else {
			attrs = ` xmlns=""`
		}
	}
	if lang != "" {
		attrs += ` xml:lang="` + xmlEscape(lang) + `"`
	}
	if empty {
		pw.s("<", tag, attrs, "/>")
		return
	}
	pw.s("<", tag, attrs, ">")
}

func (pw *propWriter) close(name xml.Name) {
	switch {
	case name.Space == "DAV:":
		pw.s("</D:", name.Local, ">")
	case name.Space == "":
		pw.s("</", name.Local, ">")
	default:
		pw.s("</P:", name.Local, ">")
	}
}

// propValue is one property of a response.
type propValue struct {
	name  xml.Name
	lang  string
	inner string
}

// response writes the multistatus response of one resource.
func (q *request) writeResponse(pw *propWriter, pf *propfind, vpath string, fi os.FileInfo) {
	dead, err := q.fs.deadProps(vpath)
	if err != nil {
		q.conn.Logger().Warn("unable to read dead properties", "path", vpath, "error", err)
	}
	var found []propValue
	var missing []xml.Name
	switch {
	case pf.propname:
		for _, n := range liveNames(fi.IsDir()) {
			found = append(found, propValue{name: n})
		}
		for n := range dead {
			found = append(found, propValue{name: n})
		}
	default:
		names := pf.names
		if pf.allprop {
			names = liveNames(fi.IsDir())
			for n := range dead {
				names = append(names, n)
			}
			seen := make(map[xml.Name]bool, len(names))
			for _, n := range names {
				seen[n] = true
			}
			for _, n := range pf.names {
				if !seen[n] {
					names = append(names, n)
					seen[n] = true
				}
			}
		}
		for _, n := range names {
			if p, ok := dead[n]; ok {
				found = append(found, propValue{name: n, lang: p.Lang, inner: string(p.InnerXML)})
				continue
			}
			if v, ok := q.liveValue(n, vpath, fi); ok {
				found = append(found, propValue{name: n, inner: v})
				continue
			}
			missing = append(missing, n)
		}
	}
	pw.s("<D:response><D:href>", xmlEscape(q.href(vpath, fi.IsDir())), "</D:href>")
	if len(found) > 0 || len(missing) == 0 {
		pw.s("<D:propstat><D:prop>")
		for _, p := range found {
			if pf.propname || p.inner == "" {
				pw.open(p.name, p.lang, true)
				continue
			}
			pw.open(p.name, p.lang, false)
			pw.s(p.inner)
			pw.close(p.name)
		}
		pw.s("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>")
	}
	if len(missing) > 0 {
		pw.s("<D:propstat><D:prop>")
		for _, n := range missing {
			pw.open(n, "", true)
		}
		pw.s("</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>")
	}
	pw.s("</D:response>")
}

// handlePropfind answers PROPFIND with Depth 0 or 1.
func (q *request) handlePropfind() {
	fi, err := q.fs.Stat(q.ctx, q.path)
	if err != nil {
		q.fail(err)
		return
	}
	depth := q.r.Header.Get("Depth")
	switch depth {
	case "0", "1":
	case "", "infinity":
		if fi.IsDir() {
			// As Apache does by default: a depth-infinity PROPFIND of a big
			// tree is a cheap way to make the server walk everything.
			q.w.Header().Set("Content-Type", "application/xml; charset=utf-8")
			q.w.WriteHeader(http.StatusForbidden)
			q.w.Write([]byte(xmlHeader + `<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>`))
			return
		}
	default:
		q.error(http.StatusBadRequest, "invalid Depth header")
		return
	}
	data, status, err := readXMLBody(q.r)
	if err != nil {
		q.conn.Logger().Debug("invalid PROPFIND body", "path", q.path, "error", err)
		q.error(status, "invalid XML body")
		return
	}
	pf, err := parsePropfind(data)
	if err != nil {
		q.conn.Logger().Debug("invalid PROPFIND body", "path", q.path, "error", err)
		q.error(http.StatusBadRequest, "invalid PROPFIND body")
		return
	}
	q.w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	q.w.WriteHeader(http.StatusMultiStatus)
	pw := &propWriter{w: bufio.NewWriterSize(q.idleWriter(), 64<<10)}
	pw.s(xmlHeader, `<D:multistatus xmlns:D="DAV:">`)
	q.writeResponse(pw, pf, q.path, fi)
	if depth == "1" && fi.IsDir() {
		q.propfindMembers(pw, pf)
	}
	pw.s("</D:multistatus>\n")
	if pw.err == nil {
		pw.err = pw.w.Flush()
	}
	if pw.err != nil {
		q.conn.Logger().Debug("PROPFIND response", "path", q.path, "error", pw.err)
	}
}

// propfindMembers writes the responses of the members of the collection,
// page by page as the storage lists them.
func (q *request) propfindMembers(pw *propWriter, pf *propfind) {
	l, err := q.conn.ListDir(q.ctx, q.path)
	if err != nil {
		q.conn.Logger().Debug("PROPFIND listing", "path", q.path, "error", err)
		return
	}
	defer l.Close()
	q.fs.prefetchProps(q.path)
	for pw.err == nil {
		batch, err := l.Next(500)
		for _, fi := range batch {
			child := path.Join(q.path, fi.Name())
			if fi.Mode()&os.ModeSymlink != 0 {
				if target, err := q.conn.Stat(q.ctx, child); err == nil {
					fi = target
				}
			}
			q.writeResponse(pw, pf, child, fi)
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				q.conn.Logger().Warn("PROPFIND listing stopped", "path", q.path, "error", err)
			}
			return
		}
	}
}
