package webdavd

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/webdav"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// lockTarget is a resource a request modifies; deep includes everything
// below it (DELETE, MOVE, COPY destinations).
type lockTarget struct {
	path string
	deep bool
}

// checkConditions applies the If header and the lock rules to the
// resources a request modifies, in this order:
//  1. a present If header must evaluate to true, else 412;
//  2. every lock on a target (and, for deep targets, below it) must have
//     its token in the If header, else 423 Locked.
//
// So (<DAV:no-lock> ["etag"]) on a locked resource is 412 (the header is
// false) while (<bad-token>) (Not <DAV:no-lock>) is 423 (the header is
// true but no lock token was submitted), as litmus expects.
//
// It writes the error response and returns false on failure.
func (q *request) checkConditions(targets ...lockTarget) bool {
	if q.ifh != nil && !q.evalIf() {
		q.error(http.StatusPreconditionFailed, "precondition failed")
		return false
	}
	tokens := ifTokens(q.ifh)
	submitted := func(t string) bool {
		for _, s := range tokens {
			if s == t {
				return true
			}
		}
		return false
	}
	for _, t := range targets {
		// locks sharing a root are shared locks: any one of their tokens
		// is enough; locks with different roots each need theirs
		byRoot := map[string]bool{}
		for _, l := range q.s.locks.affecting(q.username(), t.path, t.deep) {
			byRoot[l.root] = byRoot[l.root] || submitted(l.token)
		}
		for root, ok := range byRoot {
			if !ok {
				q.lockedError(root)
				return false
			}
		}
	}
	return true
}

// lockedError writes 423 with the lock-token-submitted precondition code.
func (q *request) lockedError(root string) {
	q.w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	q.w.WriteHeader(http.StatusLocked)
	if q.r.Method == http.MethodHead {
		return
	}
	q.w.Write([]byte(xmlHeader + `<D:error xmlns:D="DAV:"><D:lock-token-submitted><D:href>` +
		xmlEscape(q.href(root, false)) + `</D:href></D:lock-token-submitted></D:error>`))
}

// evalIf evaluates the If header: true when any list is true.
func (q *request) evalIf() bool {
	for _, l := range q.ifh {
		if q.evalList(l.resource, l.conds) {
			return true
		}
	}
	return false
}

// resourcePath maps a tagged-list resource (an absolute URI or path) onto
// a virtual path; ok is false when it names another server or lies
// outside the prefix.
func (q *request) resourcePath(tag string) (string, bool) {
	if tag == "" {
		return q.path, true
	}
	u, err := url.Parse(tag)
	if err != nil {
		return "", false
	}
	if u.Host != "" && u.Host != q.r.Host {
		return "", false
	}
	return q.b.stripPrefix(u.Path)
}

// evalList evaluates the conditions of one list against its resource.
func (q *request) evalList(resource string, conds []ifCondition) bool {
	vpath, ok := q.resourcePath(resource)
	if !ok {
		return false
	}
	return q.evalConds(vpath, conds)
}

// evalConds evaluates conditions against the resource at vpath: a lock
// token holds when it names a live lock covering it, an entity tag when it
// equals the current one.
func (q *request) evalConds(vpath string, conds []ifCondition) bool {
	etag := ""
	etagDone := false
	for _, c := range conds {
		var v bool
		if c.token != "" {
			l := q.s.locks.get(q.username(), c.token)
			v = l != nil && l.covers(vpath)
		} else {
			if !etagDone {
				etagDone = true
				if fi, err := q.stat(vpath); err == nil && fi != nil {
					etag = etagOf(fi)
				}
			}
			v = etagMatch(c.etag, etag)
		}
		if c.not {
			v = !v
		}
		if !v {
			return false
		}
	}
	return true
}

// lockSystem is the webdav.LockSystem x/net/webdav uses for the methods it
// handles (PROPPATCH). It works on the request's user and evaluates lock
// tokens and entity tags against the shared lockManager.
type lockSystem struct {
	q *request
}

// Confirm implements webdav.LockSystem: the conditions (one list of the If
// header) must hold for name0 and name1, and each lock on them must be
// among the tokens given.
func (ls *lockSystem) Confirm(_ time.Time, name0, name1 string, conditions ...webdav.Condition) (func(), error) {
	q := ls.q
	conds := make([]ifCondition, 0, len(conditions))
	for _, c := range conditions {
		conds = append(conds, ifCondition{not: c.Not, token: c.Token, etag: c.ETag})
	}
	for _, name := range []string{name0, name1} {
		if name == "" {
			continue
		}
		vpath := dataprovider.CleanVirtualPath(name)
		if !q.evalConds(vpath, conds) {
			return nil, webdav.ErrConfirmationFailed
		}
		for _, l := range q.s.locks.covering(q.username(), vpath) {
			held := false
			for _, c := range conds {
				if !c.not && c.token == l.token {
					held = true
				}
			}
			if !held {
				return nil, webdav.ErrConfirmationFailed
			}
		}
	}
	return func() {}, nil
}

// Create implements webdav.LockSystem. x/net/webdav only calls it for the
// temporary zero-depth lock it takes when a request carries no If header,
// to learn whether anybody holds a lock on the resource; nothing needs to
// be recorded for that.
func (ls *lockSystem) Create(_ time.Time, details webdav.LockDetails) (string, error) {
	q := ls.q
	m := q.s.locks
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conflicts(q.username(), dataprovider.CleanVirtualPath(details.Root), !details.ZeroDepth, false, m.now()) {
		return "", webdav.ErrLocked
	}
	return "", nil
}

// Refresh implements webdav.LockSystem.
func (ls *lockSystem) Refresh(_ time.Time, token string, duration time.Duration) (webdav.LockDetails, error) {
	l, err := ls.q.s.locks.refresh(ls.q.username(), token, duration)
	if err != nil {
		return webdav.LockDetails{}, err
	}
	return webdav.LockDetails{Root: l.root, Duration: l.timeout, OwnerXML: l.owner, ZeroDepth: !l.infinite}, nil
}

// Unlock implements webdav.LockSystem.
func (ls *lockSystem) Unlock(_ time.Time, token string) error {
	if token == "" {
		return nil
	}
	return ls.q.s.locks.unlock(ls.q.username(), token)
}

// lockInfo is the body of a LOCK request that creates a lock.
type lockInfo struct {
	XMLName   xml.Name  `xml:"DAV: lockinfo"`
	Exclusive *struct{} `xml:"DAV: lockscope>exclusive"`
	Shared    *struct{} `xml:"DAV: lockscope>shared"`
	Write     *struct{} `xml:"DAV: locktype>write"`
	Owner     *owner    `xml:"DAV: owner"`
}

// owner keeps the content of <owner> re-encoded with explicit namespace
// declarations, so it means the same when returned inside another
// document.
type owner struct {
	inner string
}

// UnmarshalXML implements xml.Unmarshaler.
func (o *owner) UnmarshalXML(d *xml.Decoder, _ xml.StartElement) error {
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			attrs := t.Attr[:0]
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				attrs = append(attrs, a)
			}
			t.Attr = attrs
			if err := enc.EncodeToken(t); err != nil {
				return err
			}
		case xml.EndElement:
			if depth == 0 {
				if err := enc.Flush(); err != nil {
					return err
				}
				o.inner = buf.String()
				return nil
			}
			depth--
			if err := enc.EncodeToken(t); err != nil {
				return err
			}
		case xml.CharData:
			if err := enc.EncodeToken(t); err != nil {
				return err
			}
		}
	}
}

var errBadLockInfo = errors.New("webdavd: invalid lockinfo")

func parseLockInfo(data []byte) (*lockInfo, error) {
	var li lockInfo
	if err := xml.NewDecoder(bytes.NewReader(data)).Decode(&li); err != nil {
		return nil, err
	}
	if li.Write == nil || (li.Exclusive == nil) == (li.Shared == nil) {
		return nil, errBadLockInfo
	}
	return &li, nil
}

// parseTimeout reads the first usable value of a Timeout header
// ("Second-N" or "Infinite"); 0 means none was asked for.
func parseTimeout(h string) time.Duration {
	for _, v := range strings.Split(h, ",") {
		v = strings.TrimSpace(v)
		if strings.EqualFold(v, "infinite") {
			return -1
		}
		if s, ok := strings.CutPrefix(v, "Second-"); ok {
			if n, err := strconv.ParseUint(s, 10, 32); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	return 0
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// activeLockXML renders one DAV:activelock element, with its own
// namespace declaration so it can stand inside any document.
func (q *request) activeLockXML(l *davLock) string {
	var b strings.Builder
	b.WriteString(`<D:activelock xmlns:D="DAV:"><D:locktype><D:write/></D:locktype><D:lockscope>`)
	if l.shared {
		b.WriteString(`<D:shared/>`)
	} else {
		b.WriteString(`<D:exclusive/>`)
	}
	b.WriteString(`</D:lockscope><D:depth>`)
	if l.infinite {
		b.WriteString("infinity")
	} else {
		b.WriteString("0")
	}
	b.WriteString(`</D:depth>`)
	if l.owner != "" {
		b.WriteString(`<D:owner>` + l.owner + `</D:owner>`)
	}
	left := time.Until(l.expires)
	secs := int64((left + time.Second - 1) / time.Second)
	b.WriteString(`<D:timeout>Second-` + strconv.FormatInt(max(secs, 1), 10) + `</D:timeout>`)
	b.WriteString(`<D:locktoken><D:href>` + xmlEscape(l.token) + `</D:href></D:locktoken>`)
	b.WriteString(`<D:lockroot><D:href>` + xmlEscape(q.href(l.root, false)) + `</D:href></D:lockroot>`)
	b.WriteString(`</D:activelock>`)
	return b.String()
}

func (q *request) lockDiscoveryXML(locks []*davLock) string {
	var b strings.Builder
	for _, l := range locks {
		b.WriteString(q.activeLockXML(l))
	}
	return b.String()
}

func (q *request) writeLockResponse(status int, l *davLock) {
	h := q.w.Header()
	h.Set("Content-Type", "application/xml; charset=utf-8")
	q.w.WriteHeader(status)
	q.w.Write([]byte(xmlHeader + `<D:prop xmlns:D="DAV:"><D:lockdiscovery>` + q.activeLockXML(l) + `</D:lockdiscovery></D:prop>`))
}

// handleLock creates or, with an empty body, refreshes a lock.
func (q *request) handleLock() {
	timeout := parseTimeout(q.r.Header.Get("Timeout"))
	data, status, err := readXMLBody(q.r)
	if err != nil {
		q.error(status, "invalid XML body")
		return
	}
	if data == nil {
		q.refreshLock(timeout)
		return
	}
	li, err := parseLockInfo(data)
	if err != nil {
		q.conn.Logger().Debug("invalid lockinfo", "path", q.path, "error", err)
		q.error(http.StatusBadRequest, "invalid lockinfo")
		return
	}
	infinite := true
	switch q.r.Header.Get("Depth") {
	case "", "infinity":
	case "0":
		infinite = false
	default:
		q.error(http.StatusBadRequest, "invalid Depth header")
		return
	}
	fi, err := q.stat(q.path)
	if err != nil {
		q.fail(err)
		return
	}
	var targets []lockTarget
	if fi == nil && q.path != "/" {
		parent, err := q.stat(path.Dir(q.path))
		if err != nil {
			q.fail(err)
			return
		}
		if parent == nil || !parent.IsDir() {
			q.error(http.StatusConflict, "parent collection does not exist")
			return
		}
		targets = append(targets, lockTarget{path: path.Dir(q.path)})
	}
	if !q.checkConditions(targets...) {
		return
	}
	ownerXML := ""
	if li.Owner != nil {
		ownerXML = li.Owner.inner
	}
	l, err := q.s.locks.create(q.username(), q.path, infinite, li.Shared != nil, ownerXML, timeout)
	if errors.Is(err, errTooManyLocks) {
		q.error(http.StatusServiceUnavailable, "too many locks")
		return
	}
	if err != nil {
		q.lockedError(q.path)
		return
	}
	status = http.StatusOK
	if fi == nil {
		// a LOCK on an unmapped URL creates an empty resource
		if err := q.createEmpty(q.path); err != nil {
			q.s.locks.unlock(q.username(), l.token)
			q.fail(err)
			return
		}
		status = http.StatusCreated
	}
	q.w.Header().Set("Lock-Token", "<"+l.token+">")
	q.writeLockResponse(status, l)
}

func (q *request) createEmpty(vpath string) error {
	t, err := q.conn.OpenForWrite(q.ctx, vpath, common.WriteOptions{Truncate: true, Exclusive: true, Size: 0})
	if err != nil {
		return err
	}
	q.fs.forget(vpath)
	q.s.props.remove(q.username(), vpath, false)
	return t.Close()
}

// refreshLock restarts the timeout of the lock named in the If header; it
// must apply to the request URL.
func (q *request) refreshLock(timeout time.Duration) {
	if q.ifh == nil {
		q.error(http.StatusBadRequest, "a lock refresh needs an If header")
		return
	}
	for _, token := range ifTokens(q.ifh) {
		l := q.s.locks.get(q.username(), token)
		if l == nil || !l.covers(q.path) {
			continue
		}
		l, err := q.s.locks.refresh(q.username(), token, timeout)
		if err != nil {
			continue
		}
		q.writeLockResponse(http.StatusOK, l)
		return
	}
	q.error(http.StatusPreconditionFailed, "no matching lock to refresh")
}

// handleUnlock removes a lock that applies to the request URL.
func (q *request) handleUnlock() {
	t := strings.TrimSpace(q.r.Header.Get("Lock-Token"))
	if len(t) < 2 || t[0] != '<' || t[len(t)-1] != '>' {
		q.error(http.StatusBadRequest, "invalid Lock-Token header")
		return
	}
	token := t[1 : len(t)-1]
	l := q.s.locks.get(q.username(), token)
	if l == nil || !l.covers(q.path) {
		q.w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		q.w.WriteHeader(http.StatusConflict)
		q.w.Write([]byte(xmlHeader + `<D:error xmlns:D="DAV:"><D:lock-token-matches-request-uri/></D:error>`))
		return
	}
	if err := q.s.locks.unlock(q.username(), token); err != nil {
		q.error(http.StatusConflict, "no such lock")
		return
	}
	q.w.WriteHeader(http.StatusNoContent)
}

var _ webdav.LockSystem = (*lockSystem)(nil)
