package httpd

import (
	"context"
	"errors"
	"net/http"

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
	namedAPI[dataprovider.BaseEventAction, eventStore]{
		path: "/eventactions", perm: dataprovider.AdminPermManageEventRule, st: s.eventStore,
		noun: "Event action", updated: "Event action updated",
		list: eventStore.ListEventActions, get: eventStore.GetEventAction, add: eventStore.AddEventAction,
		update: eventStore.UpdateEventAction, del: eventStore.DeleteEventAction,
		name:   func(a *dataprovider.BaseEventAction) string { return a.Name },
		id:     func(a *dataprovider.BaseEventAction) int64 { return a.ID },
		ident:  func(a *dataprovider.BaseEventAction, id int64, name string) { a.ID, a.Name = id, name },
		redact: redactEventAction,
	}.mount(s, r)
	namedAPI[dataprovider.EventRule, eventStore]{
		path: "/eventrules", perm: dataprovider.AdminPermManageEventRule, st: s.eventStore,
		noun: "Event rule", updated: "Event rules updated",
		list: eventStore.ListEventRules, get: eventStore.GetEventRule, add: eventStore.AddEventRule,
		update: eventStore.UpdateEventRule, del: eventStore.DeleteEventRule,
		name:   func(r *dataprovider.EventRule) string { return r.Name },
		id:     func(r *dataprovider.EventRule) int64 { return r.ID },
		ident:  func(r *dataprovider.EventRule, id int64, name string) { r.ID, r.Name = id, name },
		redact: redactEventRule,
	}.mount(s, r, func(r chi.Router) { r.Post("/run/{name}", s.runEventRule) })
	r.With(s.checkPerm(dataprovider.AdminPermRetentionChecks)).Get("/retention/users/checks", s.getRetentionChecks)
	// SFTPGo searches stored events through a plugin; there is no event
	// store here, so its search routes say so instead of 404
	r.Route("/events", func(r chi.Router) {
		r.Use(s.checkPerm(dataprovider.AdminPermViewEvents))
		for _, kind := range []string{"fs", "provider", "logs"} {
			r.Get("/"+kind, func(w http.ResponseWriter, r *http.Request) {
				sendAPIError(w, r, http.StatusNotImplemented, errNoEventSearch)
			})
		}
	})
}

var errNoEventStore = errors.New("event rules are not supported by this data provider")

var errNoEventSearch = errors.New("event searches are not available: this server does not store events (SFTPGo needs its eventsearcher plugin for them)")

func (s *Server) eventStore(w http.ResponseWriter, r *http.Request) (eventStore, bool) {
	st, ok := s.store.(eventStore)
	if !ok {
		sendAPIError(w, r, http.StatusNotImplemented, errNoEventStore)
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
