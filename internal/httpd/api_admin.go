package httpd

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func (s *Server) listAdmins(w http.ResponseWriter, r *http.Request) {
	p, err := parseListParams(r)
	if err != nil {
		sendAPIError(w, r, http.StatusBadRequest, err)
		return
	}
	admins, err := s.store.ListAdmins(r.Context(), p.limit, p.offset, p.order)
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, mapSlice(admins, redactAdmin))
}

func (s *Server) getAdmin(w http.ResponseWriter, r *http.Request) {
	a, err := s.store.GetAdmin(r.Context(), urlParam(r, "username"))
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, redactAdmin(a))
}

func (s *Server) addAdmin(w http.ResponseWriter, r *http.Request) {
	var a dataprovider.Admin
	if !decodeBody(w, r, &a) {
		return
	}
	a.ID, a.CreatedAt, a.UpdatedAt, a.LastLogin = 0, 0, 0, 0
	if err := s.store.AddAdmin(r.Context(), &a); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	created, err := s.store.GetAdmin(r.Context(), a.Username)
	if err != nil {
		created = a
	}
	w.Header().Set("Location", s.webRoot+apiPrefix+"/admins/"+url.PathEscape(created.Username))
	renderJSON(w, http.StatusCreated, redactAdmin(created))
}

// updateAdmin replaces an admin; an empty password keeps the current one.
// An admin cannot disable itself nor drop the permissions that let it
// manage admins, so it cannot lock itself out.
func (s *Server) updateAdmin(w http.ResponseWriter, r *http.Request) {
	current, err := s.store.GetAdmin(r.Context(), urlParam(r, "username"))
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	var a dataprovider.Admin
	if !decodeBody(w, r, &a) {
		return
	}
	a.ID, a.Username = current.ID, current.Username
	a.CreatedAt, a.LastLogin = current.CreatedAt, current.LastLogin
	if caller := authFromContext(r.Context()); caller.admin.Username == current.Username {
		if a.Status != dataprovider.StatusEnabled {
			sendAPIError(w, r, http.StatusBadRequest, errors.New("you cannot disable yourself"))
			return
		}
		if removesCriticalPerms(current.Permissions, a.Permissions) {
			sendAPIError(w, r, http.StatusBadRequest, errors.New("you cannot remove the \"*\" or \"manage_admins\" permission from yourself"))
			return
		}
		if a.Role != current.Role {
			sendAPIError(w, r, http.StatusBadRequest, errors.New("you cannot change your own role"))
			return
		}
	}
	if err := s.store.UpdateAdmin(r.Context(), &a); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Admin updated")
}

// removesCriticalPerms reports whether going from old to new permissions
// loses "*" or the ability to manage admins.
func removesCriticalPerms(old, new []string) bool {
	if slices.Contains(old, dataprovider.AdminPermAny) && !slices.Contains(new, dataprovider.AdminPermAny) {
		return true
	}
	return !slices.Contains(new, dataprovider.AdminPermAny) && !slices.Contains(new, dataprovider.AdminPermManageAdmins)
}

func (s *Server) deleteAdmin(w http.ResponseWriter, r *http.Request) {
	username := urlParam(r, "username")
	if caller := authFromContext(r.Context()); caller.admin.Username == username {
		sendAPIError(w, r, http.StatusBadRequest, errors.New("you cannot delete yourself"))
		return
	}
	if err := s.store.DeleteAdmin(r.Context(), username); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Admin deleted")
}

// adminProfile is the part of its account an admin may edit itself.
type adminProfile struct {
	Email           string `json:"email"`
	Description     string `json:"description"`
	AllowAPIKeyAuth bool   `json:"allow_api_key_auth"`
}

func (s *Server) getAdminProfile(w http.ResponseWriter, r *http.Request) {
	a := authFromContext(r.Context()).admin
	renderJSON(w, http.StatusOK, adminProfile{
		Email:           a.Email,
		Description:     a.Description,
		AllowAPIKeyAuth: a.Filters.AllowAPIKeyAuth,
	})
}

func (s *Server) updateAdminProfile(w http.ResponseWriter, r *http.Request) {
	var p adminProfile
	if !decodeBody(w, r, &p) {
		return
	}
	a := authFromContext(r.Context()).admin
	a.Password = "" // keep the stored hash
	a.Email = p.Email
	a.Description = p.Description
	a.Filters.AllowAPIKeyAuth = p.AllowAPIKeyAuth
	if err := s.store.UpdateAdmin(r.Context(), &a); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Profile updated")
}

// pwdChange is the body of PUT /admin/changepwd.
type pwdChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (s *Server) changeAdminPassword(w http.ResponseWriter, r *http.Request) {
	var p pwdChange
	if !decodeBody(w, r, &p) {
		return
	}
	switch {
	case p.CurrentPassword == "":
		sendAPIError(w, r, http.StatusBadRequest, &dataprovider.ValidationError{Field: "current_password", Msg: "is required"})
		return
	case p.NewPassword == "":
		sendAPIError(w, r, http.StatusBadRequest, &dataprovider.ValidationError{Field: "new_password", Msg: "is required"})
		return
	case p.NewPassword == p.CurrentPassword:
		sendAPIError(w, r, http.StatusBadRequest, &dataprovider.ValidationError{Field: "new_password", Msg: "must differ from the current password"})
		return
	}
	caller := authFromContext(r.Context()).admin
	a, err := s.store.CheckAdminPassword(r.Context(), caller.Username, p.CurrentPassword)
	if err != nil {
		if errors.Is(err, dataprovider.ErrInvalidCredentials) || errors.Is(err, dataprovider.ErrNotFound) {
			sendAPIError(w, r, http.StatusBadRequest, &dataprovider.ValidationError{Field: "current_password", Msg: "does not match"})
			return
		}
		s.sendStoreError(w, r, err)
		return
	}
	a.Password = p.NewPassword
	a.Filters.RequirePasswordChange = false
	if err := s.store.UpdateAdmin(r.Context(), &a); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Password updated")
}
