package httpd

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// quotaUsage is the body of PUT /quotas/{users,folders}/.../usage.
type quotaUsage struct {
	UsedQuotaSize  int64 `json:"used_quota_size"`
	UsedQuotaFiles int   `json:"used_quota_files"`
}

// transferQuotaUsage is the body of PUT /quotas/users/{username}/transfer-usage.
type transferQuotaUsage struct {
	UsedUploadDataTransfer   int64 `json:"used_upload_data_transfer"`
	UsedDownloadDataTransfer int64 `json:"used_download_data_transfer"`
}

// quotaReset reads mode: "reset" (the default) replaces the used values,
// "add" adds to them.
func quotaReset(r *http.Request) (bool, error) {
	switch m := r.URL.Query().Get("mode"); m {
	case "", "reset":
		return true, nil
	case "add":
		return false, nil
	default:
		return false, fmt.Errorf("invalid mode %q: add or reset required", m)
	}
}

func (s *Server) updateUserQuotaUsage(w http.ResponseWriter, r *http.Request) {
	reset, err := quotaReset(r)
	if err != nil {
		sendAPIError(w, r, http.StatusBadRequest, err)
		return
	}
	var u quotaUsage
	if !decodeBody(w, r, &u) {
		return
	}
	if u.UsedQuotaSize < 0 {
		sendAPIError(w, r, http.StatusBadRequest, &dataprovider.ValidationError{Field: "used_quota_size", Msg: "must not be negative"})
		return
	}
	if u.UsedQuotaFiles < 0 {
		sendAPIError(w, r, http.StatusBadRequest, &dataprovider.ValidationError{Field: "used_quota_files", Msg: "must not be negative"})
		return
	}
	if _, err := s.getVisibleUser(r, urlParam(r, "username")); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	if err := s.store.UpdateUserQuota(r.Context(), urlParam(r, "username"), u.UsedQuotaSize, u.UsedQuotaFiles, reset); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Quota updated")
}

func (s *Server) updateUserTransferUsage(w http.ResponseWriter, r *http.Request) {
	reset, err := quotaReset(r)
	if err != nil {
		sendAPIError(w, r, http.StatusBadRequest, err)
		return
	}
	var u transferQuotaUsage
	if !decodeBody(w, r, &u) {
		return
	}
	if u.UsedUploadDataTransfer < 0 {
		sendAPIError(w, r, http.StatusBadRequest, &dataprovider.ValidationError{Field: "used_upload_data_transfer", Msg: "must not be negative"})
		return
	}
	if u.UsedDownloadDataTransfer < 0 {
		sendAPIError(w, r, http.StatusBadRequest, &dataprovider.ValidationError{Field: "used_download_data_transfer", Msg: "must not be negative"})
		return
	}
	if _, err := s.getVisibleUser(r, urlParam(r, "username")); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	if err := s.store.UpdateUserTransferQuota(r.Context(), urlParam(r, "username"), u.UsedUploadDataTransfer, u.UsedDownloadDataTransfer, reset); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Quota updated")
}

func (s *Server) updateFolderQuotaUsage(w http.ResponseWriter, r *http.Request) {
	reset, err := quotaReset(r)
	if err != nil {
		sendAPIError(w, r, http.StatusBadRequest, err)
		return
	}
	var u quotaUsage
	if !decodeBody(w, r, &u) {
		return
	}
	if u.UsedQuotaSize < 0 || u.UsedQuotaFiles < 0 {
		field := "used_quota_size"
		if u.UsedQuotaFiles < 0 {
			field = "used_quota_files"
		}
		sendAPIError(w, r, http.StatusBadRequest, &dataprovider.ValidationError{Field: field, Msg: "must not be negative"})
		return
	}
	if err := s.store.UpdateFolderQuota(r.Context(), urlParam(r, "name"), u.UsedQuotaSize, u.UsedQuotaFiles, reset); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Quota updated")
}

// getQuotaScans lists running quota scans; none run yet.
func (s *Server) getQuotaScans(w http.ResponseWriter, _ *http.Request) {
	renderJSON(w, http.StatusOK, []struct{}{})
}

func (s *Server) listConnections(w http.ResponseWriter, _ *http.Request) {
	conns := []ConnectionStatus{}
	if s.conns != nil {
		if c := s.conns.Connections(); c != nil {
			conns = c
		}
	}
	renderJSON(w, http.StatusOK, conns)
}

func (s *Server) closeConnection(w http.ResponseWriter, r *http.Request) {
	id := urlParam(r, "connectionID")
	if s.conns == nil || !s.conns.CloseConnection(id) {
		sendAPIError(w, r, http.StatusNotFound, errors.New("connection not found"))
		return
	}
	sendMessage(w, http.StatusOK, "Connection closed")
}
