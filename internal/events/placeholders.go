package events

import (
	"encoding/json"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"net/url"
	"path"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// Params are the facts of one event, the values placeholders expand to.
type Params struct {
	Name              string // the user (fs events) or the admin (provider events)
	Username          string // the user an fs event is about
	Event             string
	Status            int // 1 ok, 2 error, 3 quota exceeded
	ErrorString       string
	VirtualPath       string
	FsPath            string
	VirtualTargetPath string
	FsTargetPath      string
	ObjectName        string
	ObjectType        string
	FileSize          int64
	Elapsed           int64
	Protocol          string
	IP                string
	Role              string
	Email             string
	UID               string
	Timestamp         time.Time
	Object            any // the provider object (secrets redacted)
	Metadata          map[string]string
	IDPFields         map[string]string
	// names are the rule's name conditions: the users (or folders) that
	// schedule and on-demand actions apply to.
	names []dataprovider.ConditionPattern
	// reports are the retention reports of the rule's checks so far
	reports *retentionReports
}

// StatusString names a status as SFTPGo writes it.
func statusString(st int) string {
	switch st {
	case 1:
		return "OK"
	case 2:
		return "KO"
	case 3:
		return "Quota exceeded"
	}
	return ""
}

// values returns every placeholder's text.
func (p *Params) values() map[string]string {
	ts := p.Timestamp
	if ts.IsZero() {
		ts = time.Now()
	}
	v := map[string]string{
		"Name":                 p.Name,
		"Username":             p.Username,
		"Event":                p.Event,
		"Status":               strconv.Itoa(p.Status),
		"StatusString":         statusString(p.Status),
		"ErrorString":          p.ErrorString,
		"VirtualPath":          p.VirtualPath,
		"EscapedVirtualPath":   url.QueryEscape(p.VirtualPath),
		"FsPath":               p.FsPath,
		"VirtualTargetPath":    p.VirtualTargetPath,
		"FsTargetPath":         p.FsTargetPath,
		"ObjectName":           p.ObjectName,
		"ObjectType":           p.ObjectType,
		"FileSize":             strconv.FormatInt(p.FileSize, 10),
		"Elapsed":              strconv.FormatInt(p.Elapsed, 10),
		"Protocol":             p.Protocol,
		"IP":                   p.IP,
		"Role":                 p.Role,
		"Email":                p.Email,
		"UID":                  p.UID,
		"Timestamp":            strconv.FormatInt(ts.UnixNano(), 10),
		"DateTime":             ts.UTC().Format("2006-01-02T15:04:05.000"),
		"Year":                 ts.UTC().Format("2006"),
		"Month":                ts.UTC().Format("01"),
		"Day":                  ts.UTC().Format("02"),
		"Hour":                 ts.UTC().Format("15"),
		"Minute":               ts.UTC().Format("04"),
		"ObjectData":           "",
		"ObjectDataString":     "",
		"Metadata":             "",
		"MetadataString":       "",
		"VirtualDirPath":       "",
		"VirtualTargetDirPath": "",
		"ObjectBaseName":       "",
		"TargetName":           "",
		"Ext":                  "",
	}
	if p.VirtualPath != "" {
		v["VirtualDirPath"] = path.Dir(p.VirtualPath)
		v["ObjectBaseName"] = path.Base(p.VirtualPath)
		v["Ext"] = path.Ext(p.VirtualPath)
	} else if p.ObjectName != "" {
		v["ObjectBaseName"] = p.ObjectName
	}
	if p.VirtualTargetPath != "" {
		v["VirtualTargetDirPath"] = path.Dir(p.VirtualTargetPath)
		v["TargetName"] = path.Base(p.VirtualTargetPath)
	}
	if p.ObjectName == "" && p.VirtualPath != "" {
		v["ObjectName"] = path.Base(p.VirtualPath)
	}
	if p.Object != nil {
		if b, err := json.Marshal(p.Object); err == nil {
			v["ObjectData"] = string(b)
			v["ObjectDataString"] = jsonString(string(b))
		}
	}
	if len(p.Metadata) > 0 {
		if b, err := json.Marshal(p.Metadata); err == nil {
			v["Metadata"] = string(b)
			v["MetadataString"] = jsonString(string(b))
		}
	}
	for k, val := range p.IDPFields {
		v["IDPField"+k] = val
	}
	return v
}

// jsonString is s as the inside of a JSON string literal.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// renderer expands placeholders for one event.
type renderer struct {
	vals map[string]string
	// jsonVals are the values escaped for a JSON string (HTTP bodies
	// sent as application/json).
	jsonVals map[string]string
}

func newRenderer(p *Params) *renderer {
	vals := p.values()
	jv := make(map[string]string, len(vals))
	for k, v := range vals {
		switch k {
		case "ObjectData", "Metadata":
			jv[k] = v // already JSON: meant to be embedded as is
		default:
			jv[k] = jsonString(v)
		}
	}
	return &renderer{vals: vals, jsonVals: jv}
}

// render expands the {{.Name}}-style placeholders of text. Text that is
// not a valid template (the pre-2.7 {{Name}} form, for one) stays as
// written.
func (r *renderer) render(text string, jsonEscape bool) string {
	if !strings.Contains(text, "{{") {
		return text
	}
	t, err := template.New("").Option("missingkey=zero").Parse(text)
	if err != nil {
		return text
	}
	data := r.vals
	if jsonEscape {
		data = r.jsonVals
	}
	var sb strings.Builder
	if err := t.Execute(&sb, data); err != nil {
		return text
	}
	return sb.String()
}
