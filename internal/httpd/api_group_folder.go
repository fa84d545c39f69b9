package httpd

import (
	"net/http"
	"net/url"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	p, err := parseListParams(r)
	if err != nil {
		sendAPIError(w, r, http.StatusBadRequest, err)
		return
	}
	groups, err := s.store.ListGroups(r.Context(), p.limit, p.offset, p.order)
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, mapSlice(groups, redactGroup))
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) {
	g, err := s.store.GetGroup(r.Context(), urlParam(r, "name"))
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, unlessConfidential(r, g, redactGroup))
}

func (s *Server) addGroup(w http.ResponseWriter, r *http.Request) {
	var g dataprovider.Group
	if !decodeBody(w, r, &g) {
		return
	}
	g.ID, g.CreatedAt, g.UpdatedAt = 0, 0, 0
	g.Users, g.Admins = nil, nil
	if err := s.store.AddGroup(r.Context(), &g); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	created, err := s.store.GetGroup(r.Context(), g.Name)
	if err != nil {
		created = g
	}
	w.Header().Set("Location", s.webRoot+apiPrefix+"/groups/"+url.PathEscape(created.Name))
	renderJSON(w, http.StatusCreated, redactGroup(created))
}

func (s *Server) updateGroup(w http.ResponseWriter, r *http.Request) {
	current, err := s.store.GetGroup(r.Context(), urlParam(r, "name"))
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	var g dataprovider.Group
	if !decodeBody(w, r, &g) {
		return
	}
	g.ID, g.Name, g.CreatedAt = current.ID, current.Name, current.CreatedAt
	g.Users, g.Admins = current.Users, current.Admins
	if err := s.store.UpdateGroup(r.Context(), &g); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Group updated")
}

func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteGroup(r.Context(), urlParam(r, "name")); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Group deleted")
}

func (s *Server) listFolders(w http.ResponseWriter, r *http.Request) {
	p, err := parseListParams(r)
	if err != nil {
		sendAPIError(w, r, http.StatusBadRequest, err)
		return
	}
	folders, err := s.store.ListFolders(r.Context(), p.limit, p.offset, p.order)
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, mapSlice(folders, redactFolder))
}

func (s *Server) getFolder(w http.ResponseWriter, r *http.Request) {
	f, err := s.store.GetFolder(r.Context(), urlParam(r, "name"))
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, unlessConfidential(r, f, redactFolder))
}

func (s *Server) addFolder(w http.ResponseWriter, r *http.Request) {
	var f dataprovider.BaseVirtualFolder
	if !decodeBody(w, r, &f) {
		return
	}
	f.ID = 0
	f.UsedQuotaSize, f.UsedQuotaFiles, f.LastQuotaUpdate = 0, 0, 0
	f.Users, f.Groups = nil, nil
	if err := s.store.AddFolder(r.Context(), &f); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	created, err := s.store.GetFolder(r.Context(), f.Name)
	if err != nil {
		created = f
	}
	w.Header().Set("Location", s.webRoot+apiPrefix+"/folders/"+url.PathEscape(created.Name))
	renderJSON(w, http.StatusCreated, redactFolder(created))
}

func (s *Server) updateFolder(w http.ResponseWriter, r *http.Request) {
	current, err := s.store.GetFolder(r.Context(), urlParam(r, "name"))
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	var f dataprovider.BaseVirtualFolder
	if !decodeBody(w, r, &f) {
		return
	}
	f.ID, f.Name = current.ID, current.Name
	f.UsedQuotaSize, f.UsedQuotaFiles, f.LastQuotaUpdate = current.UsedQuotaSize, current.UsedQuotaFiles, current.LastQuotaUpdate
	f.Users, f.Groups = current.Users, current.Groups
	if err := s.store.UpdateFolder(r.Context(), &f); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Folder updated")
}

func (s *Server) deleteFolder(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteFolder(r.Context(), urlParam(r, "name")); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Folder deleted")
}
