package webdavd

import (
	"errors"
	"strings"
)

// ifCondition is one condition of an If header list (RFC 4918 §10.4):
// a state token (lock token) or an entity tag, possibly negated.
type ifCondition struct {
	not   bool
	token string
	etag  string
}

// ifList is a parenthesised list of conditions, optionally tagged with the
// resource it applies to (empty: the request URL).
type ifList struct {
	resource string
	conds    []ifCondition
}

var errBadIfHeader = errors.New("webdavd: invalid If header")

// parseIfHeader parses the value of an If header:
//
//	If = ( 1*No-tag-list | 1*Tagged-list )
//	Tagged-list = Resource-Tag 1*List
//	List = "(" 1*Condition ")"
//	Condition = ["Not"] ( Coded-URL | "[" entity-tag "]" )
func parseIfHeader(s string) ([]ifList, error) {
	var lists []ifList
	tagged, untagged := false, false
	resource := ""
	i := 0
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
			i++
		}
	}
	for {
		skip()
		if i >= len(s) {
			break
		}
		switch s[i] {
		case '<':
			end := strings.IndexByte(s[i:], '>')
			if end < 0 {
				return nil, errBadIfHeader
			}
			resource = s[i+1 : i+end]
			i += end + 1
			tagged = true
			// a resource tag must be followed by at least one list
			skip()
			if i >= len(s) || s[i] != '(' {
				return nil, errBadIfHeader
			}
		case '(':
			if !tagged {
				untagged = true
			}
			i++
			l := ifList{resource: resource}
			for {
				skip()
				if i >= len(s) {
					return nil, errBadIfHeader
				}
				if s[i] == ')' {
					i++
					break
				}
				var c ifCondition
				if len(s)-i >= 3 && strings.EqualFold(s[i:i+3], "not") {
					c.not = true
					i += 3
					skip()
					if i >= len(s) {
						return nil, errBadIfHeader
					}
				}
				switch s[i] {
				case '<':
					end := strings.IndexByte(s[i:], '>')
					if end < 0 {
						return nil, errBadIfHeader
					}
					c.token = strings.TrimSpace(s[i+1 : i+end])
					i += end + 1
				case '[':
					j := i + 1
					inQuote := false
					for j < len(s) && (inQuote || s[j] != ']') {
						if s[j] == '"' {
							inQuote = !inQuote
						}
						j++
					}
					if j >= len(s) {
						return nil, errBadIfHeader
					}
					c.etag = strings.TrimSpace(s[i+1 : j])
					i = j + 1
				default:
					return nil, errBadIfHeader
				}
				if c.token == "" && c.etag == "" {
					return nil, errBadIfHeader
				}
				l.conds = append(l.conds, c)
			}
			if len(l.conds) == 0 {
				return nil, errBadIfHeader
			}
			lists = append(lists, l)
		default:
			return nil, errBadIfHeader
		}
		if tagged && untagged {
			// the two productions cannot be mixed
			return nil, errBadIfHeader
		}
	}
	if len(lists) == 0 {
		return nil, errBadIfHeader
	}
	return lists, nil
}

// tokens returns every state token named in the header: RFC 4918 counts a
// lock token as submitted when it appears in the If header.
func ifTokens(lists []ifList) []string {
	var out []string
	for _, l := range lists {
		for _, c := range l.conds {
			if c.token != "" {
				out = append(out, c.token)
			}
		}
	}
	return out
}

// etagMatch compares entity tags as the If header requires (strong
// comparison; a weak tag never matches).
func etagMatch(a, b string) bool {
	if a == "" || b == "" || strings.HasPrefix(a, "W/") || strings.HasPrefix(b, "W/") {
		return false
	}
	return a == b
}
