package httpd

import (
	"net/http"
	"net/url"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) {
	p, err := parseListParams(r)
	if err != nil {
		sendAPIError(w, r, http.StatusBadRequest, err)
		return
	}
	keys, err := s.store.ListAPIKeys(r.Context(), p.limit, p.offset, p.order)
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, mapSlice(keys, redactAPIKey))
}

func (s *Server) getAPIKey(w http.ResponseWriter, r *http.Request) {
	k, err := s.store.GetAPIKey(r.Context(), urlParam(r, "id"))
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, redactAPIKey(k))
}

// addAPIKey creates a key; the plain key is in the reply body, the only
// time it is ever shown.
func (s *Server) addAPIKey(w http.ResponseWriter, r *http.Request) {
	var k dataprovider.APIKey
	if !decodeBody(w, r, &k) {
		return
	}
	k.KeyID, k.Key = "", ""
	k.CreatedAt, k.UpdatedAt, k.LastUseAt = 0, 0, 0
	if err := s.store.AddAPIKey(r.Context(), &k); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	w.Header().Set("Location", s.webRoot+apiPrefix+"/apikeys/"+url.PathEscape(k.KeyID))
	renderJSON(w, http.StatusCreated, map[string]string{
		"message": "API key created. This is the only time the API key is visible, please save it.",
		"key":     k.Key,
	})
}

func (s *Server) updateAPIKey(w http.ResponseWriter, r *http.Request) {
	current, err := s.store.GetAPIKey(r.Context(), urlParam(r, "id"))
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	var k dataprovider.APIKey
	if !decodeBody(w, r, &k) {
		return
	}
	k.ID, k.KeyID, k.Key = current.ID, current.KeyID, ""
	k.CreatedAt, k.LastUseAt = current.CreatedAt, current.LastUseAt
	if err := s.store.UpdateAPIKey(r.Context(), &k); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "API key updated")
}

func (s *Server) deleteAPIKey(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteAPIKey(r.Context(), urlParam(r, "id")); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "API key deleted")
}
