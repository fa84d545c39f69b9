package httpd

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// ipListStore is the part of the store the IP list API uses.
type ipListStore interface {
	AddIPListEntry(ctx context.Context, e *dataprovider.IPListEntry) error
	UpdateIPListEntry(ctx context.Context, e *dataprovider.IPListEntry) error
	DeleteIPListEntry(ctx context.Context, t dataprovider.IPListType, ipOrNet string) error
	GetIPListEntry(ctx context.Context, t dataprovider.IPListType, ipOrNet string) (dataprovider.IPListEntry, error)
	ListIPListEntries(ctx context.Context, q dataprovider.IPListQuery) ([]dataprovider.IPListEntry, error)
}

var _ ipListStore = (*dataprovider.Store)(nil)

// ipListRoutes registers /iplists/{type} under the admin API.
func (s *Server) ipListRoutes(r chi.Router) {
	r.Route("/iplists/{type}", func(r chi.Router) {
		r.Use(s.checkPerm(dataprovider.AdminPermManageIPLists))
		r.Get("/", s.listIPListEntries)
		r.Post("/", s.addIPListEntry)
		r.Get("/{ipornet}", s.getIPListEntry)
		r.Put("/{ipornet}", s.updateIPListEntry)
		r.Delete("/{ipornet}", s.deleteIPListEntry)
	})
}

// ipListParams reads the list type of the route and the store.
func (s *Server) ipListParams(w http.ResponseWriter, r *http.Request) (ipListStore, dataprovider.IPListType, bool) {
	st, ok := s.store.(ipListStore)
	if !ok {
		sendAPIError(w, r, http.StatusNotImplemented, errors.New("IP lists are not supported by this data provider"))
		return nil, 0, false
	}
	n, err := strconv.Atoi(chi.URLParam(r, "type"))
	if err != nil || n < 1 || n > 3 {
		sendAPIError(w, r, http.StatusBadRequest, errors.New("invalid IP list type: 1 (allow list), 2 (defender), 3 (rate limiter safe list)"))
		return nil, 0, false
	}
	return st, dataprovider.IPListType(n), true
}

// ipListChanged applies a change to the running checks at once.
func (s *Server) ipListChanged(ctx context.Context) {
	if s.guard != nil {
		s.guard.Lists().Invalidate(ctx)
	}
}

func (s *Server) listIPListEntries(w http.ResponseWriter, r *http.Request) {
	st, t, ok := s.ipListParams(w, r)
	if !ok {
		return
	}
	p, err := parseListParams(r)
	if err != nil {
		sendAPIError(w, r, http.StatusBadRequest, err)
		return
	}
	q := r.URL.Query()
	list, err := st.ListIPListEntries(r.Context(), dataprovider.IPListQuery{Type: t, Filter: q.Get("filter"),
		From: q.Get("from"), Limit: p.limit, Desc: p.order == "DESC"})
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	if list == nil {
		list = []dataprovider.IPListEntry{}
	}
	renderJSON(w, http.StatusOK, list)
}

func (s *Server) addIPListEntry(w http.ResponseWriter, r *http.Request) {
	st, t, ok := s.ipListParams(w, r)
	if !ok {
		return
	}
	var e dataprovider.IPListEntry
	if !decodeBody(w, r, &e) {
		return
	}
	if e.Type == 0 {
		e.Type = t
	}
	if err := st.AddIPListEntry(r.Context(), &e); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	s.ipListChanged(r.Context())
	w.Header().Set("Location", s.webRoot+apiPrefix+"/iplists/"+strconv.Itoa(int(e.Type))+"/"+url.PathEscape(e.IPOrNet))
	sendMessage(w, http.StatusCreated, "Entry added")
}

func (s *Server) getIPListEntry(w http.ResponseWriter, r *http.Request) {
	st, t, ok := s.ipListParams(w, r)
	if !ok {
		return
	}
	e, err := st.GetIPListEntry(r.Context(), t, urlParam(r, "ipornet"))
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, e)
}

func (s *Server) updateIPListEntry(w http.ResponseWriter, r *http.Request) {
	st, t, ok := s.ipListParams(w, r)
	if !ok {
		return
	}
	cur, err := st.GetIPListEntry(r.Context(), t, urlParam(r, "ipornet"))
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	var e dataprovider.IPListEntry
	if !decodeBody(w, r, &e) {
		return
	}
	// the route names the entry
	e.Type, e.IPOrNet = cur.Type, cur.IPOrNet
	if err := st.UpdateIPListEntry(r.Context(), &e); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	s.ipListChanged(r.Context())
	sendMessage(w, http.StatusOK, "Entry updated")
}

func (s *Server) deleteIPListEntry(w http.ResponseWriter, r *http.Request) {
	st, t, ok := s.ipListParams(w, r)
	if !ok {
		return
	}
	if err := st.DeleteIPListEntry(r.Context(), t, urlParam(r, "ipornet")); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	s.ipListChanged(r.Context())
	sendMessage(w, http.StatusOK, "Entry deleted")
}
