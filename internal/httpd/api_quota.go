package httpd

import (
	"context"
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

// counter is one value of a quota update body, named for errors.
type counter struct {
	field string
	value int64
}

// updateUsage is the shape every quota usage handler shares: read the
// mode, decode the body, refuse negative counters, then apply the update.
func updateUsage[T any](s *Server, w http.ResponseWriter, r *http.Request, counters func(*T) []counter,
	apply func(ctx context.Context, body *T, reset bool) error) {
	reset, err := quotaReset(r)
	if err != nil {
		sendAPIError(w, r, http.StatusBadRequest, err)
		return
	}
	var body T
	if !decodeBody(w, r, &body) {
		return
	}
	for _, c := range counters(&body) {
		if c.value < 0 {
			sendAPIError(w, r, http.StatusBadRequest, &dataprovider.ValidationError{Field: c.field, Msg: "must not be negative"})
			return
		}
	}
	if err := apply(r.Context(), &body, reset); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Quota updated")
}

func (u *quotaUsage) counters() []counter {
	return []counter{{"used_quota_size", u.UsedQuotaSize}, {"used_quota_files", int64(u.UsedQuotaFiles)}}
}

func (s *Server) updateUserQuotaUsage(w http.ResponseWriter, r *http.Request) {
	updateUsage(s, w, r, (*quotaUsage).counters, func(ctx context.Context, u *quotaUsage, reset bool) error {
		name := urlParam(r, "username")
		cur, err := s.getUserForQuota(r, name, reset)
		if err != nil {
			return err
		}
		if !reset {
			if err := checkSum("used_quota_size", cur.UsedQuotaSize, u.UsedQuotaSize); err != nil {
				return err
			}
			if err := checkSum("used_quota_files", int64(cur.UsedQuotaFiles), int64(u.UsedQuotaFiles)); err != nil {
				return err
			}
		}
		return s.store.UpdateUserQuota(ctx, name, u.UsedQuotaSize, u.UsedQuotaFiles, reset)
	})
}

func (s *Server) updateUserTransferUsage(w http.ResponseWriter, r *http.Request) {
	counters := func(u *transferQuotaUsage) []counter {
		return []counter{{"used_upload_data_transfer", u.UsedUploadDataTransfer}, {"used_download_data_transfer", u.UsedDownloadDataTransfer}}
	}
	updateUsage(s, w, r, counters, func(ctx context.Context, u *transferQuotaUsage, reset bool) error {
		name := urlParam(r, "username")
		cur, err := s.getUserForQuota(r, name, reset)
		if err != nil {
			return err
		}
		if !reset {
			if err := checkSum("used_upload_data_transfer", cur.UsedUploadDataTransfer, u.UsedUploadDataTransfer); err != nil {
				return err
			}
			if err := checkSum("used_download_data_transfer", cur.UsedDownloadDataTransfer, u.UsedDownloadDataTransfer); err != nil {
				return err
			}
		}
		return s.store.UpdateUserTransferQuota(ctx, name, u.UsedUploadDataTransfer, u.UsedDownloadDataTransfer, reset)
	})
}

func (s *Server) updateFolderQuotaUsage(w http.ResponseWriter, r *http.Request) {
	updateUsage(s, w, r, (*quotaUsage).counters, func(ctx context.Context, u *quotaUsage, reset bool) error {
		name := urlParam(r, "name")
		if !reset {
			cur, err := s.store.GetFolder(ctx, name)
			if err != nil {
				return err
			}
			if err := checkSum("used_quota_size", cur.UsedQuotaSize, u.UsedQuotaSize); err != nil {
				return err
			}
			if err := checkSum("used_quota_files", int64(cur.UsedQuotaFiles), int64(u.UsedQuotaFiles)); err != nil {
				return err
			}
		}
		return s.store.UpdateFolderQuota(ctx, name, u.UsedQuotaSize, u.UsedQuotaFiles, reset)
	})
}

// getUserForQuota loads the user of a quota update: a reset may repair a
// user whose stored counters cannot be read.
func (s *Server) getUserForQuota(r *http.Request, name string, reset bool) (dataprovider.User, error) {
	if reset {
		return s.getRepairableUser(r, name)
	}
	return s.getVisibleUser(r, name)
}

// checkSum refuses an added value that would take a counter past
// dataprovider.MaxCounter.
func checkSum(field string, cur, delta int64) error {
	if delta > dataprovider.MaxCounter-cur {
		return &dataprovider.ValidationError{Field: field,
			Msg: fmt.Sprintf("the sum %d + %d is greater than %d", cur, delta, dataprovider.MaxCounter)}
	}
	return nil
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
