package httpd

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// roleStore is the role part of *dataprovider.Store.
type roleStore interface {
	AddRole(ctx context.Context, r *dataprovider.Role) error
	UpdateRole(ctx context.Context, r *dataprovider.Role) error
	DeleteRole(ctx context.Context, name string) error
	GetRole(ctx context.Context, name string) (dataprovider.Role, error)
	ListRoles(ctx context.Context, limit, offset int, order string) ([]dataprovider.Role, error)
}

var errNoRoleStore = errors.New("roles are not supported by this data provider")

func (s *Server) roles() (roleStore, error) {
	if rs, ok := s.store.(roleStore); ok {
		return rs, nil
	}
	return nil, errNoRoleStore
}

// roleRoutes registers /roles (manage_roles), inside the admin group.
func (s *Server) roleRoutes(r chi.Router) {
	r.Route("/roles", func(r chi.Router) {
		r.Use(s.checkPerm(dataprovider.AdminPermManageRoles))
		r.Get("/", s.listRoles)
		r.Post("/", s.addRole)
		r.Get("/{name}", s.getRole)
		r.Put("/{name}", s.updateRole)
		r.Delete("/{name}", s.deleteRole)
	})
}

func (s *Server) listRoles(w http.ResponseWriter, r *http.Request) {
	p, err := parseListParams(r)
	if err != nil {
		sendAPIError(w, r, http.StatusBadRequest, err)
		return
	}
	rs, err := s.roles()
	if err != nil {
		sendAPIError(w, r, http.StatusNotImplemented, err)
		return
	}
	list, err := rs.ListRoles(r.Context(), p.limit, p.offset, p.order)
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	if list == nil {
		list = []dataprovider.Role{}
	}
	renderJSON(w, http.StatusOK, list)
}

func (s *Server) getRole(w http.ResponseWriter, r *http.Request) {
	rs, err := s.roles()
	if err != nil {
		sendAPIError(w, r, http.StatusNotImplemented, err)
		return
	}
	role, err := rs.GetRole(r.Context(), urlParam(r, "name"))
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, role)
}

func (s *Server) addRole(w http.ResponseWriter, r *http.Request) {
	rs, err := s.roles()
	if err != nil {
		sendAPIError(w, r, http.StatusNotImplemented, err)
		return
	}
	var role dataprovider.Role
	if !decodeBody(w, r, &role) {
		return
	}
	role.ID, role.CreatedAt, role.UpdatedAt = 0, 0, 0
	if err := rs.AddRole(r.Context(), &role); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	w.Header().Set("Location", s.webRoot+apiPrefix+"/roles/"+url.PathEscape(role.Name))
	renderJSON(w, http.StatusCreated, role)
}

// updateRole changes a role's description; the name comes from the path
// and users/admins are read-only.
func (s *Server) updateRole(w http.ResponseWriter, r *http.Request) {
	rs, err := s.roles()
	if err != nil {
		sendAPIError(w, r, http.StatusNotImplemented, err)
		return
	}
	var role dataprovider.Role
	if !decodeBody(w, r, &role) {
		return
	}
	role.Name = urlParam(r, "name")
	if err := rs.UpdateRole(r.Context(), &role); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Role updated")
}

func (s *Server) deleteRole(w http.ResponseWriter, r *http.Request) {
	rs, err := s.roles()
	if err != nil {
		sendAPIError(w, r, http.StatusNotImplemented, err)
		return
	}
	if err := rs.DeleteRole(r.Context(), urlParam(r, "name")); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Role deleted")
}
