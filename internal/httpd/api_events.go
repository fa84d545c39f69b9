package httpd

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/events"
)

// eventStore is the part of the store the event manager API uses.
type eventStore interface {
	GetEventAction(ctx context.Context, name string) (dataprovider.BaseEventAction, error)
	ListEventActions(ctx context.Context, limit, offset int, order string) ([]dataprovider.BaseEventAction, error)
	AddEventAction(ctx context.Context, a *dataprovider.BaseEventAction) error
	UpdateEventAction(ctx context.Context, a *dataprovider.BaseEventAction) error
	DeleteEventAction(ctx context.Context, name string) error
	GetEventRule(ctx context.Context, name string) (dataprovider.EventRule, error)
	ListEventRules(ctx context.Context, limit, offset int, order string) ([]dataprovider.EventRule, error)
	AddEventRule(ctx context.Context, r *dataprovider.EventRule) error
	UpdateEventRule(ctx context.Context, r *dataprovider.EventRule) error
	DeleteEventRule(ctx context.Context, name string) error
}

var _ eventStore = (*dataprovider.Store)(nil)

// EventRunner starts on-demand event rules; *events.Manager is one.
type EventRunner interface {
	// RunOnDemand starts the rule in the background: ErrNotFound for an
	// unknown rule, a validation error for one that is not an enabled
	// on-demand rule.
	RunOnDemand(ctx context.Context, name string) error
}

// eventRoutes registers /eventactions and /eventrules under the admin API.
func (s *Server) eventRoutes(r chi.Router) {
	r.Route("/eventactions", func(r chi.Router) {
		r.Use(s.checkPerm(dataprovider.AdminPermManageEventRule))
		r.Get("/", s.listEventActions)
		r.Post("/", s.addEventAction)
		r.Get("/{name}", s.getEventAction)
		r.Put("/{name}", s.updateEventAction)
		r.Delete("/{name}", s.deleteEventAction)
	})
	r.Route("/eventrules", func(r chi.Router) {
		r.Use(s.checkPerm(dataprovider.AdminPermManageEventRule))
		r.Get("/", s.listEventRules)
		r.Post("/", s.addEventRule)
		r.Get("/{name}", s.getEventRule)
		r.Put("/{name}", s.updateEventRule)
		r.Delete("/{name}", s.deleteEventRule)
		r.Post("/run/{name}", s.runEventRule)
	})
	r.With(s.checkPerm(dataprovider.AdminPermRetentionChecks)).Get("/retention/users/checks", s.getRetentionChecks)
}

func (s *Server) eventStore(w http.ResponseWriter, r *http.Request) (eventStore, bool) {
	st, ok := s.store.(eventStore)
	if !ok {
		sendAPIError(w, r, http.StatusNotImplemented, errors.New("event rules are not supported by this data provider"))
	}
	return st, ok
}

func redactEventAction(a dataprovider.BaseEventAction) dataprovider.BaseEventAction {
	a.Options.HTTPConfig.Password = a.Options.HTTPConfig.Password.Redacted()
	return a
}

func redactEventRule(rule dataprovider.EventRule) dataprovider.EventRule {
	actions := make([]dataprovider.EventAction, len(rule.Actions))
	for i, a := range rule.Actions {
		a.BaseEventAction = redactEventAction(a.BaseEventAction)
		actions[i] = a
	}
	rule.Actions = actions
	return rule
}

func (s *Server) listEventActions(w http.ResponseWriter, r *http.Request) {
	st, ok := s.eventStore(w, r)
	if !ok {
		return
	}
	p, err := parseListParams(r)
	if err != nil {
		sendAPIError(w, r, http.StatusBadRequest, err)
		return
	}
	list, err := st.ListEventActions(r.Context(), p.limit, p.offset, p.order)
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, mapSlice(list, redactEventAction))
}

func (s *Server) getEventAction(w http.ResponseWriter, r *http.Request) {
	st, ok := s.eventStore(w, r)
	if !ok {
		return
	}
	a, err := st.GetEventAction(r.Context(), urlParam(r, "name"))
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, unlessConfidential(r, a, redactEventAction))
}

func (s *Server) addEventAction(w http.ResponseWriter, r *http.Request) {
	st, ok := s.eventStore(w, r)
	if !ok {
		return
	}
	var a dataprovider.BaseEventAction
	if !decodeBody(w, r, &a) {
		return
	}
	a.ID = 0
	if err := st.AddEventAction(r.Context(), &a); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	created, err := st.GetEventAction(r.Context(), a.Name)
	if err != nil {
		created = a
	}
	w.Header().Set("Location", s.webRoot+apiPrefix+"/eventactions/"+url.PathEscape(created.Name))
	renderJSON(w, http.StatusCreated, redactEventAction(created))
}

func (s *Server) updateEventAction(w http.ResponseWriter, r *http.Request) {
	st, ok := s.eventStore(w, r)
	if !ok {
		return
	}
	current, err := st.GetEventAction(r.Context(), urlParam(r, "name"))
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	var a dataprovider.BaseEventAction
	if !decodeBody(w, r, &a) {
		return
	}
	a.ID, a.Name = current.ID, current.Name
	if err := st.UpdateEventAction(r.Context(), &a); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Event action updated")
}

func (s *Server) deleteEventAction(w http.ResponseWriter, r *http.Request) {
	st, ok := s.eventStore(w, r)
	if !ok {
		return
	}
	if err := st.DeleteEventAction(r.Context(), urlParam(r, "name")); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Event action deleted")
}

func (s *Server) listEventRules(w http.ResponseWriter, r *http.Request) {
	st, ok := s.eventStore(w, r)
	if !ok {
		return
	}
	p, err := parseListParams(r)
	if err != nil {
		sendAPIError(w, r, http.StatusBadRequest, err)
		return
	}
	list, err := st.ListEventRules(r.Context(), p.limit, p.offset, p.order)
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, mapSlice(list, redactEventRule))
}

func (s *Server) getEventRule(w http.ResponseWriter, r *http.Request) {
	st, ok := s.eventStore(w, r)
	if !ok {
		return
	}
	rule, err := st.GetEventRule(r.Context(), urlParam(r, "name"))
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, unlessConfidential(r, rule, redactEventRule))
}

func (s *Server) addEventRule(w http.ResponseWriter, r *http.Request) {
	st, ok := s.eventStore(w, r)
	if !ok {
		return
	}
	var rule dataprovider.EventRule
	if !decodeBody(w, r, &rule) {
		return
	}
	rule.ID = 0
	if err := st.AddEventRule(r.Context(), &rule); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	created, err := st.GetEventRule(r.Context(), rule.Name)
	if err != nil {
		created = rule
	}
	w.Header().Set("Location", s.webRoot+apiPrefix+"/eventrules/"+url.PathEscape(created.Name))
	renderJSON(w, http.StatusCreated, redactEventRule(created))
}

func (s *Server) updateEventRule(w http.ResponseWriter, r *http.Request) {
	st, ok := s.eventStore(w, r)
	if !ok {
		return
	}
	current, err := st.GetEventRule(r.Context(), urlParam(r, "name"))
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	var rule dataprovider.EventRule
	if !decodeBody(w, r, &rule) {
		return
	}
	rule.ID, rule.Name = current.ID, current.Name
	if err := st.UpdateEventRule(r.Context(), &rule); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Event rules updated")
}

func (s *Server) deleteEventRule(w http.ResponseWriter, r *http.Request) {
	st, ok := s.eventStore(w, r)
	if !ok {
		return
	}
	if err := st.DeleteEventRule(r.Context(), urlParam(r, "name")); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Event rule deleted")
}

func (s *Server) runEventRule(w http.ResponseWriter, r *http.Request) {
	if s.events == nil {
		sendAPIError(w, r, http.StatusNotImplemented, errors.New("the event manager is not running"))
		return
	}
	if err := s.events.RunOnDemand(r.Context(), urlParam(r, "name")); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusAccepted, "Event rule started")
}

// RetentionLister lists the data retention checks running on this node;
// *events.Manager is one.
type RetentionLister interface {
	RetentionChecks() []events.RetentionCheck
}

// getRetentionChecks answers GET /retention/users/checks.
func (s *Server) getRetentionChecks(w http.ResponseWriter, _ *http.Request) {
	checks := []events.RetentionCheck{}
	if rl, ok := s.events.(RetentionLister); ok {
		checks = rl.RetentionChecks()
	}
	renderJSON(w, http.StatusOK, checks)
}
