package httpd

import (
	"errors"
	"net/http"
	"strings"
)

// require_password_change (an admin's or a user's filter): after signing
// in with the password, the account may do nothing but change it. The
// web UIs send every page to the profile page, where the change-password
// form is; the REST API answers 403 to a bearer token for anything but
// the change-password endpoint and logout, as SFTPGo does. API keys and
// OpenID Connect sessions are not held: they never used the password.

var errPasswordChangeRequired = errors.New("password change required: set a new password to keep using your account")

// passwordChangeAllowed reports whether a request of an account that must
// change its password may go on: paths are what stays open, relative to
// web_root.
func (s *Server) passwordChangeAllowed(r *http.Request, paths ...string) bool {
	p := strings.TrimSuffix(r.URL.Path, "/")
	for _, allowed := range paths {
		if p == s.webRoot+allowed {
			return true
		}
	}
	return false
}

// holdAdminAPI answers a token of an admin that must change its password;
// it reports whether it did.
func (s *Server) holdAdminAPI(w http.ResponseWriter, r *http.Request, info *authInfo) bool {
	if info.claims == nil || !info.admin.Filters.RequirePasswordChange ||
		s.passwordChangeAllowed(r, apiPrefix+"/admin/changepwd", apiPrefix+"/logout") {
		return false
	}
	sendAPIError(w, r, http.StatusForbidden, errPasswordChangeRequired)
	return true
}

// holdUserAPI is holdAdminAPI for the user API.
func (s *Server) holdUserAPI(w http.ResponseWriter, r *http.Request, sess *userSession) bool {
	if sess.claims == nil || sess.claims.IDP || !sess.user.Filters.RequirePasswordChange ||
		s.passwordChangeAllowed(r, apiPrefix+"/user/changepwd", apiPrefix+"/user/logout") {
		return false
	}
	sendAPIError(w, r, http.StatusForbidden, errPasswordChangeRequired)
	return true
}

// holdWeb sends a web session that must change its password to the
// profile page (prefix is the UI's); it reports whether it did.
func (s *Server) holdWeb(w http.ResponseWriter, r *http.Request, must bool, sess *webSession, prefix string, admin bool) bool {
	if !must || sess == nil || sess.claims.IDP ||
		s.passwordChangeAllowed(r, prefix+"/profile", prefix+"/changepwd", prefix+"/logout") {
		return false
	}
	const msg = "You must change your password before you continue."
	if r.Method == http.MethodGet && !isScriptRequest(r) {
		s.redirectFlash(w, r, prefix+"/profile", "error", msg)
		return true
	}
	s.webError(w, r, http.StatusForbidden, msg, admin)
	return true
}
