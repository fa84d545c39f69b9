package httpd

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	p, err := parseListParams(r)
	if err != nil {
		sendAPIError(w, r, http.StatusBadRequest, err)
		return
	}
	role := authFromContext(r.Context()).admin.Role
	var users []dataprovider.User
	if role == "" {
		users, err = s.store.ListUsers(r.Context(), p.limit, p.offset, p.order)
	} else {
		users, err = s.listRoleUsers(r.Context(), role, p)
	}
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, mapSlice(users, redactUser))
}

// An admin with a role sees and manages only the users with that role;
// the others do not exist for it.

// listRoleUsers pages through the users with the given role.
func (s *Server) listRoleUsers(ctx context.Context, role string, p listParams) ([]dataprovider.User, error) {
	out := []dataprovider.User{}
	skipped := 0
	for off := 0; ; off += maxListLimit {
		page, err := s.store.ListUsers(ctx, maxListLimit, off, p.order)
		if err != nil {
			return nil, err
		}
		for _, u := range page {
			if u.Role != role {
				continue
			}
			if skipped < p.offset {
				skipped++
				continue
			}
			out = append(out, u)
			if len(out) == p.limit {
				return out, nil
			}
		}
		if len(page) < maxListLimit {
			return out, nil
		}
	}
}

// getRepairableUser is getVisibleUser for the requests that can repair
// or remove a corrupt record (delete, quota reset): an admin without a
// role may go on with a user whose stored record cannot be read.
func (s *Server) getRepairableUser(r *http.Request, username string) (dataprovider.User, error) {
	u, err := s.getVisibleUser(r, username)
	if errors.Is(err, dataprovider.ErrCorruptRecord) && authFromContext(r.Context()).admin.Role == "" {
		return u, nil
	}
	return u, err
}

// getVisibleUser loads a user the calling admin may see.
func (s *Server) getVisibleUser(r *http.Request, username string) (dataprovider.User, error) {
	u, err := s.store.GetUser(r.Context(), username)
	if err != nil {
		return u, err
	}
	if role := authFromContext(r.Context()).admin.Role; role != "" && u.Role != role {
		return dataprovider.User{}, fmt.Errorf("user %q: %w", username, dataprovider.ErrNotFound)
	}
	return u, nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.getVisibleUser(r, urlParam(r, "username"))
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, unlessConfidential(r, u, redactUser))
}

func (s *Server) addUser(w http.ResponseWriter, r *http.Request) {
	var u dataprovider.User
	if !decodeBody(w, r, &u) {
		return
	}
	// Server-managed fields are not the client's to set.
	u.ID = 0
	u.HasPassword = false
	u.UsedQuotaSize, u.UsedQuotaFiles, u.LastQuotaUpdate = 0, 0, 0
	u.UsedUploadDataTransfer, u.UsedDownloadDataTransfer = 0, 0
	u.CreatedAt, u.UpdatedAt, u.LastLogin = 0, 0, 0
	u.FirstDownload, u.FirstUpload = 0, 0
	if role := authFromContext(r.Context()).admin.Role; role != "" {
		u.Role = role
	}
	if err := s.store.AddUser(r.Context(), &u); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	created, err := s.store.GetUser(r.Context(), u.Username)
	if err != nil {
		created = u
	}
	w.Header().Set("Location", s.webRoot+apiPrefix+"/users/"+url.PathEscape(created.Username))
	renderJSON(w, http.StatusCreated, redactUser(created))
}

// updateUser replaces a user. The username comes from the path; usage
// counters and timestamps are kept; an empty password keeps the current
// one and a redacted secret keeps the stored secret. disconnect=1 closes
// the user's connections so the new settings apply at once.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	username := urlParam(r, "username")
	current, err := s.getVisibleUser(r, username)
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	var u dataprovider.User
	if !decodeBody(w, r, &u) {
		return
	}
	u.ID = current.ID
	u.Username = current.Username
	u.HasPassword = false
	u.UsedQuotaSize, u.UsedQuotaFiles, u.LastQuotaUpdate = current.UsedQuotaSize, current.UsedQuotaFiles, current.LastQuotaUpdate
	u.UsedUploadDataTransfer, u.UsedDownloadDataTransfer = current.UsedUploadDataTransfer, current.UsedDownloadDataTransfer
	u.CreatedAt, u.LastLogin = current.CreatedAt, current.LastLogin
	u.FirstDownload, u.FirstUpload = current.FirstDownload, current.FirstUpload
	u.LastPasswordChange = current.LastPasswordChange
	if role := authFromContext(r.Context()).admin.Role; role != "" {
		u.Role = role
	}
	if err := s.store.UpdateUser(r.Context(), &u); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	if r.URL.Query().Get("disconnect") == "1" {
		s.disconnectUser(u.Username)
	}
	sendMessage(w, http.StatusOK, "User updated")
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	username := urlParam(r, "username")
	if _, err := s.getRepairableUser(r, username); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	if err := s.store.DeleteUser(r.Context(), username); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	s.disconnectUser(username)
	sendMessage(w, http.StatusOK, "User deleted")
}

// disconnectUser closes every connection of username.
func (s *Server) disconnectUser(username string) {
	if s.conns == nil {
		return
	}
	for _, c := range s.conns.Connections() {
		if c.Username == username {
			s.conns.CloseConnection(c.ConnectionID)
		}
	}
}
