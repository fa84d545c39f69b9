package httpd

import (
	"context"
	"errors"
	"net/http"

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
	namedAPI[dataprovider.Role, roleStore]{
		path: "/roles", perm: dataprovider.AdminPermManageRoles, noun: "Role", updated: "Role updated", st: s.roleStore,
		list: roleStore.ListRoles, get: roleStore.GetRole, add: roleStore.AddRole,
		update: roleStore.UpdateRole, del: roleStore.DeleteRole,
		name: func(r *dataprovider.Role) string { return r.Name },
		id:   func(r *dataprovider.Role) int64 { return r.ID },
		// users and admins are read-only; the store keeps the times
		ident: func(r *dataprovider.Role, id int64, name string) {
			r.ID, r.Name, r.CreatedAt, r.UpdatedAt = id, name, 0, 0
		},
		redact: func(r dataprovider.Role) dataprovider.Role { return r },
	}.mount(s, r)
}

func (s *Server) roleStore(w http.ResponseWriter, r *http.Request) (roleStore, bool) {
	rs, err := s.roles()
	if err != nil {
		sendAPIError(w, r, http.StatusNotImplemented, err)
	}
	return rs, err == nil
}
