package httpd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// Web admin pages for the event manager's actions and rules, over the
// same store calls (and so the same validation) as the REST API. The
// type-specific options and the conditions are edited as the JSON the
// REST API takes, which covers every action type and trigger.

func (s *Server) webAdminEventRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(s.webPerm(dataprovider.AdminPermManageEventRule))
		r.Get("/eventactions", s.webAdminEventActions)
		r.Get("/eventaction", s.webAdminEventActionNew)
		r.Post("/eventaction", s.webAdminEventActionSave)
		r.Get("/eventaction/{name}", s.webAdminEventActionEdit)
		r.Post("/eventaction/{name}", s.webAdminEventActionSave)
		r.Post("/eventaction/{name}/delete", s.webAdminEventActionDelete)
		r.Get("/eventrules", s.webAdminEventRules)
		r.Get("/eventrule", s.webAdminEventRuleNew)
		r.Post("/eventrule", s.webAdminEventRuleSave)
		r.Get("/eventrule/{name}", s.webAdminEventRuleEdit)
		r.Post("/eventrule/{name}", s.webAdminEventRuleSave)
		r.Post("/eventrule/{name}/delete", s.webAdminEventRuleDelete)
		r.Post("/eventrule/{name}/run", s.webAdminEventRuleRun)
	})
}

// eventActionTypes are the action types with their labels, in the
// order the type menu shows them.
var eventActionTypes = []option{
	{"1", "HTTP notification"}, {"2", "Command"}, {"3", "E-mail"}, {"4", "Backup"},
	{"5", "User quota reset"}, {"6", "Folder quota reset"}, {"7", "Transfer quota reset"},
	{"8", "Data retention check"}, {"9", "Filesystem"}, {"10", "Metadata check"},
	{"11", "Password expiration check"}, {"12", "User expiration check"}, {"13", "IdP account check"},
	{"14", "User inactivity check"}, {"15", "Log rotation"},
}

var eventTriggers = []option{
	{"1", "Filesystem event"}, {"2", "Provider event"}, {"3", "Schedule"}, {"4", "IP blocked"},
	{"5", "Certificate renewal"}, {"6", "On demand"}, {"7", "IdP login"},
}

func optionLabel(opts []option, v int) string {
	k := strconv.Itoa(v)
	for _, o := range opts {
		if o.Value == k {
			return o.Label
		}
	}
	return k
}

// optionsExample is the options JSON a new action of each type starts
// from (the REST API's shape).
var optionsExample = map[int]string{
	1:  `{"http_config": {"endpoint": "https://example.com/hook", "method": "POST", "timeout": 20, "headers": [{"key": "Content-Type", "value": "application/json"}], "body": "{\"user\": \"{{.Name}}\", \"path\": \"{{.VirtualPath}}\"}"}}`,
	2:  `{"cmd_config": {"cmd": "/usr/local/bin/on-upload", "args": ["{{.VirtualPath}}"], "timeout": 20}}`,
	3:  `{"email_config": {"recipients": ["ops@example.com"], "subject": "{{.Event}} of {{.VirtualPath}}", "body": "{{.Name}} {{.Event}} {{.VirtualPath}}"}}`,
	8:  `{"retention_config": {"folders": [{"path": "/", "retention": 168, "delete_empty_dirs": true}]}}`,
	9:  `{"fs_config": {"type": 1, "renames": [{"key": "{{.VirtualPath}}", "value": "/archive/{{.ObjectName}}"}]}}`,
	11: `{"pwd_expiration_config": {"threshold": 7}}`,
	13: `{"idp_config": {"mode": 0, "template_user": "{\"home_dir\": \"/srv/sftpgo/{{.Name}}\", \"permissions\": {\"/\": [\"*\"]}}"}}`,
	14: `{"user_inactivity_config": {"disable_threshold": 90}}`,
}

type eventActionRow struct {
	dataprovider.BaseEventAction
	TypeLabel string
}

func (s *Server) webAdminEventActions(w http.ResponseWriter, r *http.Request) {
	st, ok := s.store.(eventStore)
	var list []dataprovider.BaseEventAction
	var err error = errNoEventStore
	if ok {
		list, err = st.ListEventActions(r.Context(), maxListLimit, 0, "ASC")
	}
	if err != nil {
		s.webError(w, r, http.StatusInternalServerError, "The data provider is not available.", true)
		return
	}
	rows := make([]eventActionRow, len(list))
	for i, a := range list {
		rows[i] = eventActionRow{a, optionLabel(eventActionTypes, a.Type)}
	}
	p := s.adminPage(r, "Event actions", "eventactions")
	p.Data = rows
	s.render(w, r, http.StatusOK, "admin/eventactions", p)
}

type eventActionForm struct {
	IsNew bool
	Name  string
	Types []option
}

func (s *Server) webAdminEventActionNew(w http.ResponseWriter, r *http.Request) {
	p := s.adminPage(r, "Add event action", "eventactions")
	typ := 1
	if t, err := strconv.Atoi(r.URL.Query().Get("type")); err == nil && optionLabel(eventActionTypes, t) != strconv.Itoa(t) {
		typ = t
	}
	opts := optionsExample[typ]
	if opts == "" {
		opts = "{}"
	}
	p.Form = url.Values{"type": {strconv.Itoa(typ)}, "options": {indentJSON([]byte(opts))}}
	p.Data = eventActionForm{IsNew: true, Types: eventActionTypes}
	s.render(w, r, http.StatusOK, "admin/eventaction", p)
}

func indentJSON(b []byte) string {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return string(b)
	}
	return out.String()
}

func (s *Server) webAdminEventActionEdit(w http.ResponseWriter, r *http.Request) {
	st, ok := s.store.(eventStore)
	if !ok {
		s.webError(w, r, http.StatusNotImplemented, capitalize(errNoEventStore.Error())+".", true)
		return
	}
	a, err := st.GetEventAction(r.Context(), urlParam(r, "name"))
	if err != nil {
		s.webError(w, r, errorStatus(err), "Event action not found.", true)
		return
	}
	a = redactEventAction(a)
	b, _ := json.Marshal(a.Options)
	p := s.adminPage(r, "Event action "+a.Name, "eventactions")
	p.Form = url.Values{"name": {a.Name}, "description": {a.Description}, "type": {strconv.Itoa(a.Type)}, "options": {indentJSON(b)}}
	p.Data = eventActionForm{Name: a.Name, Types: eventActionTypes}
	s.render(w, r, http.StatusOK, "admin/eventaction", p)
}

// decodeStrict reads JSON typed in a form: unknown fields are errors
// naming them, as in the REST API.
func decodeStrict(text string, v any) error {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("unexpected data after the JSON object")
	}
	return nil
}

// eventFormErrors places a save error on the form field it is about:
// the top-level fields by name, anything else (an option or condition)
// on the JSON field, with its full path in the message.
func (s *Server) eventFormErrors(r *http.Request, err error, top []string, jsonField string) (map[string]string, string) {
	var ve *dataprovider.ValidationError
	if errors.As(err, &ve) {
		for _, f := range top {
			if ve.Field == f {
				return map[string]string{f: ve.Msg}, "Please correct the highlighted fields."
			}
		}
		return map[string]string{jsonField: ve.Error()}, "Please correct the highlighted fields."
	}
	return s.fieldErrors(r, err, func(string) bool { return false })
}

func (s *Server) webAdminEventActionSave(w http.ResponseWriter, r *http.Request) {
	name := urlParam(r, "name")
	isNew := name == ""
	if isNew {
		name = strings.TrimSpace(r.PostFormValue("name"))
	}
	a := dataprovider.BaseEventAction{Name: name, Description: strings.TrimSpace(r.PostFormValue("description"))}
	typ, err := strconv.Atoi(r.PostFormValue("type"))
	if err != nil {
		err = &dataprovider.ValidationError{Field: "type", Msg: "choose an action type"}
	}
	a.Type = typ
	if err == nil {
		if e := decodeStrict(r.PostFormValue("options"), &a.Options); e != nil {
			err = &dataprovider.ValidationError{Field: "options", Msg: "not valid JSON options: " + e.Error()}
		}
	}
	st, ok := s.store.(eventStore)
	if err == nil && !ok {
		err = errNoEventStore
	}
	if err == nil {
		if isNew {
			err = st.AddEventAction(r.Context(), &a)
		} else {
			var cur dataprovider.BaseEventAction
			if cur, err = st.GetEventAction(r.Context(), name); err == nil {
				a.ID = cur.ID
				err = st.UpdateEventAction(r.Context(), &a)
			}
		}
	}
	if err != nil {
		p := s.adminPage(r, "Event action", "eventactions")
		p.Form = r.PostForm
		p.Errors, p.Error = s.eventFormErrors(r, err, []string{"name", "description", "type"}, "options")
		p.Data = eventActionForm{IsNew: isNew, Name: name, Types: eventActionTypes}
		s.render(w, r, http.StatusBadRequest, "admin/eventaction", p)
		return
	}
	verb := "updated"
	if isNew {
		verb = "created"
	}
	s.redirectFlash(w, r, webAdminPrefix+"/eventactions", "ok", "Event action "+a.Name+" "+verb+".")
}

func (s *Server) webAdminEventActionDelete(w http.ResponseWriter, r *http.Request) {
	name := urlParam(r, "name")
	st, ok := s.store.(eventStore)
	err := errNoEventStore
	if ok {
		err = st.DeleteEventAction(r.Context(), name)
	}
	if err != nil {
		s.logErrorDetail(r, err)
		msg := "Unable to delete the event action: " + err.Error()
		var ve *dataprovider.ValidationError
		if errors.As(err, &ve) {
			msg = "Event action " + name + " is used by rules: " + ve.Msg
		}
		s.redirectFlash(w, r, webAdminPrefix+"/eventactions", "error", msg)
		return
	}
	s.redirectFlash(w, r, webAdminPrefix+"/eventactions", "ok", "Event action "+name+" deleted.")
}

// ---- rules

type eventRuleRow struct {
	dataprovider.EventRule
	TriggerLabel string
	ActionNames  []string
	OnDemand     bool
}

func (s *Server) webAdminEventRules(w http.ResponseWriter, r *http.Request) {
	st, ok := s.store.(eventStore)
	var list []dataprovider.EventRule
	var err error = errNoEventStore
	if ok {
		list, err = st.ListEventRules(r.Context(), maxListLimit, 0, "ASC")
	}
	if err != nil {
		s.webError(w, r, http.StatusInternalServerError, "The data provider is not available.", true)
		return
	}
	rows := make([]eventRuleRow, len(list))
	for i, rule := range list {
		var names []string
		for _, a := range rule.Actions {
			names = append(names, a.Name)
		}
		rows[i] = eventRuleRow{rule, optionLabel(eventTriggers, rule.Trigger), names, rule.Trigger == dataprovider.TriggerOnDemand}
	}
	p := s.adminPage(r, "Event rules", "eventrules")
	p.Data = rows
	s.render(w, r, http.StatusOK, "admin/eventrules", p)
}

// ruleActionRow is one available action in the rule form.
type ruleActionRow struct {
	Name, TypeLabel           string
	Used, Sync, Stop, Failure bool
	Order                     int
}

type eventRuleForm struct {
	IsNew    bool
	Name     string
	Triggers []option
	Actions  []ruleActionRow
}

// ruleActionRows lists every action, marked with how the rule uses it.
func (s *Server) ruleActionRows(r *http.Request, st eventStore, used []dataprovider.EventAction) []ruleActionRow {
	all, err := st.ListEventActions(r.Context(), maxListLimit, 0, "ASC")
	if err != nil {
		s.logErrorDetail(r, err)
	}
	byName := map[string]dataprovider.EventAction{}
	for _, a := range used {
		byName[a.Name] = a
	}
	rows := make([]ruleActionRow, 0, len(all))
	for _, a := range all {
		row := ruleActionRow{Name: a.Name, TypeLabel: optionLabel(eventActionTypes, a.Type)}
		if u, ok := byName[a.Name]; ok {
			row.Used, row.Order = true, u.Order
			row.Sync, row.Stop, row.Failure = u.RelationOptions.ExecuteSync, u.RelationOptions.StopOnFailure, u.RelationOptions.IsFailureAction
		}
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Used != rows[j].Used {
			return rows[i].Used
		}
		return rows[i].Used && rows[i].Order < rows[j].Order
	})
	return rows
}

func (s *Server) webAdminEventRuleNew(w http.ResponseWriter, r *http.Request) {
	st, ok := s.store.(eventStore)
	if !ok {
		s.webError(w, r, http.StatusNotImplemented, capitalize(errNoEventStore.Error())+".", true)
		return
	}
	p := s.adminPage(r, "Add event rule", "eventrules")
	p.Form = url.Values{"status": {"1"}, "trigger": {"1"},
		"conditions": {indentJSON([]byte(`{"fs_events": ["upload"], "options": {"fs_paths": [{"pattern": "/*.csv"}]}}`))}}
	p.Data = eventRuleForm{IsNew: true, Triggers: eventTriggers, Actions: s.ruleActionRows(r, st, nil)}
	s.render(w, r, http.StatusOK, "admin/eventrule", p)
}

func (s *Server) webAdminEventRuleEdit(w http.ResponseWriter, r *http.Request) {
	st, ok := s.store.(eventStore)
	if !ok {
		s.webError(w, r, http.StatusNotImplemented, capitalize(errNoEventStore.Error())+".", true)
		return
	}
	rule, err := st.GetEventRule(r.Context(), urlParam(r, "name"))
	if err != nil {
		s.webError(w, r, errorStatus(err), "Event rule not found.", true)
		return
	}
	b, _ := json.Marshal(rule.Conditions)
	status := ""
	if rule.Status == 1 {
		status = "1"
	}
	p := s.adminPage(r, "Event rule "+rule.Name, "eventrules")
	p.Form = url.Values{"name": {rule.Name}, "description": {rule.Description}, "status": {status},
		"trigger": {strconv.Itoa(rule.Trigger)}, "conditions": {indentJSON(b)}}
	p.Data = eventRuleForm{Name: rule.Name, Triggers: eventTriggers, Actions: s.ruleActionRows(r, st, rule.Actions)}
	s.render(w, r, http.StatusOK, "admin/eventrule", p)
}

// ruleActionsFromForm reads the action rows: action.<name>=1 uses the
// action, order.<name>, sync.<name>, stop.<name>, failure.<name>.
func ruleActionsFromForm(v url.Values) ([]dataprovider.EventAction, error) {
	var out []dataprovider.EventAction
	for key := range v {
		name, ok := strings.CutPrefix(key, "action.")
		if !ok || v.Get(key) != "1" {
			continue
		}
		order := 0
		if o := strings.TrimSpace(v.Get("order." + name)); o != "" {
			n, err := strconv.Atoi(o)
			if err != nil || n < 0 {
				return nil, &dataprovider.ValidationError{Field: "actions", Msg: fmt.Sprintf("the order of %q must be a number", name)}
			}
			order = n
		}
		out = append(out, dataprovider.EventAction{BaseEventAction: dataprovider.BaseEventAction{Name: name}, Order: order,
			RelationOptions: dataprovider.EventActionOptions{ExecuteSync: v.Get("sync."+name) == "1",
				StopOnFailure: v.Get("stop."+name) == "1", IsFailureAction: v.Get("failure."+name) == "1"}})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Order != out[j].Order {
			return out[i].Order < out[j].Order
		}
		return out[i].Name < out[j].Name
	})
	// unset or equal orders follow the list
	for i := range out {
		if i > 0 && out[i].Order <= out[i-1].Order {
			out[i].Order = out[i-1].Order + 1
		} else if out[i].Order == 0 {
			out[i].Order = 1
		}
	}
	return out, nil
}

func (s *Server) webAdminEventRuleSave(w http.ResponseWriter, r *http.Request) {
	name := urlParam(r, "name")
	isNew := name == ""
	if isNew {
		name = strings.TrimSpace(r.PostFormValue("name"))
	}
	rule := dataprovider.EventRule{Name: name, Description: strings.TrimSpace(r.PostFormValue("description"))}
	if r.PostFormValue("status") == "1" {
		rule.Status = 1
	}
	trigger, err := strconv.Atoi(r.PostFormValue("trigger"))
	if err != nil {
		err = &dataprovider.ValidationError{Field: "trigger", Msg: "choose a trigger"}
	}
	rule.Trigger = trigger
	if err == nil {
		if e := decodeStrict(r.PostFormValue("conditions"), &rule.Conditions); e != nil {
			err = &dataprovider.ValidationError{Field: "conditions", Msg: "not valid JSON conditions: " + e.Error()}
		}
	}
	if err == nil {
		rule.Actions, err = ruleActionsFromForm(r.PostForm)
	}
	st, ok := s.store.(eventStore)
	if err == nil && !ok {
		err = errNoEventStore
	}
	if err == nil {
		if isNew {
			err = st.AddEventRule(r.Context(), &rule)
		} else {
			var cur dataprovider.EventRule
			if cur, err = st.GetEventRule(r.Context(), name); err == nil {
				rule.ID = cur.ID
				err = st.UpdateEventRule(r.Context(), &rule)
			}
		}
	}
	if err != nil {
		p := s.adminPage(r, "Event rule", "eventrules")
		p.Form = r.PostForm
		p.Errors, p.Error = s.eventFormErrors(r, err, []string{"name", "description", "trigger", "actions"}, "conditions")
		var rows []ruleActionRow
		if ok {
			rows = s.ruleActionRows(r, st, rule.Actions)
		}
		p.Data = eventRuleForm{IsNew: isNew, Name: name, Triggers: eventTriggers, Actions: rows}
		s.render(w, r, http.StatusBadRequest, "admin/eventrule", p)
		return
	}
	verb := "updated"
	if isNew {
		verb = "created"
	}
	s.redirectFlash(w, r, webAdminPrefix+"/eventrules", "ok", "Event rule "+rule.Name+" "+verb+".")
}

func (s *Server) webAdminEventRuleDelete(w http.ResponseWriter, r *http.Request) {
	name := urlParam(r, "name")
	st, ok := s.store.(eventStore)
	err := errNoEventStore
	if ok {
		err = st.DeleteEventRule(r.Context(), name)
	}
	if err != nil {
		s.logErrorDetail(r, err)
		s.redirectFlash(w, r, webAdminPrefix+"/eventrules", "error", "Unable to delete the event rule: "+err.Error())
		return
	}
	s.redirectFlash(w, r, webAdminPrefix+"/eventrules", "ok", "Event rule "+name+" deleted.")
}

func (s *Server) webAdminEventRuleRun(w http.ResponseWriter, r *http.Request) {
	name := urlParam(r, "name")
	if s.events == nil {
		s.redirectFlash(w, r, webAdminPrefix+"/eventrules", "error", "The event manager is not running.")
		return
	}
	if err := s.events.RunOnDemand(r.Context(), name); err != nil {
		s.logErrorDetail(r, err)
		s.redirectFlash(w, r, webAdminPrefix+"/eventrules", "error", "Unable to run the rule: "+err.Error())
		return
	}
	s.redirectFlash(w, r, webAdminPrefix+"/eventrules", "ok", "Event rule "+name+" started.")
}
