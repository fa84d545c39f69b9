package httpd

import (
	"net/http"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// confidential reports whether a GET of a user, group or folder asked
// for confidential_data=1 and the caller may have it: only admins holding
// every permission ("*"), as in SFTPGo. Others get the redacted form.
func confidential(r *http.Request) bool {
	if r.URL.Query().Get("confidential_data") != "1" {
		return false
	}
	a := authFromContext(r.Context())
	return a != nil && a.admin.HasPermission(dataprovider.AdminPermAny)
}

// unlessConfidential returns v as stored (password hash, secrets in
// their encrypted form with key and additional data) for a confidential
// request, else the redacted copy.
func unlessConfidential[T any](r *http.Request, v T, redact func(T) T) T {
	if confidential(r) {
		return v
	}
	return redact(v)
}
