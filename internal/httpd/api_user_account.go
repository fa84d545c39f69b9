package httpd

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// userProfile is the part of the account a user may edit itself.
type userProfile struct {
	Email           string   `json:"email"`
	Description     string   `json:"description"`
	AllowAPIKeyAuth bool     `json:"allow_api_key_auth"`
	PublicKeys      []string `json:"public_keys"`
	TLSCerts        []string `json:"tls_certs"`
}

func profileOf(u *dataprovider.User) userProfile {
	p := userProfile{Email: u.Email, Description: u.Description, AllowAPIKeyAuth: u.Filters.AllowAPIKeyAuth,
		PublicKeys: u.PublicKeys, TLSCerts: u.Filters.TLSCerts}
	if p.PublicKeys == nil {
		p.PublicKeys = []string{}
	}
	if p.TLSCerts == nil {
		p.TLSCerts = []string{}
	}
	return p
}

func (s *Server) getUserProfile(w http.ResponseWriter, r *http.Request) {
	stored, err := s.store.GetUser(r.Context(), userFromContext(r.Context()).user.Username)
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, profileOf(&stored))
}

// saveUserProfile applies p to the stored account; fields the user's
// web_client filters lock keep their value.
func (s *Server) saveUserProfile(ctx context.Context, username string, p userProfile) error {
	u, err := s.store.GetUser(ctx, username)
	if err != nil {
		return err
	}
	if !hasWebClientOption(&u, webClientInfoChangeDisabled) {
		u.Email, u.Description = p.Email, p.Description
	}
	if !hasWebClientOption(&u, webClientAPIKeyAuthChangeDisabled) {
		u.Filters.AllowAPIKeyAuth = p.AllowAPIKeyAuth
	}
	if !hasWebClientOption(&u, webClientPubKeyChangeDisabled) {
		u.PublicKeys = p.PublicKeys
	}
	if !hasWebClientOption(&u, webClientTLSCertChangeDisabled) {
		u.Filters.TLSCerts = p.TLSCerts
	}
	u.Password = "" // keep the stored hash
	return s.store.UpdateUser(ctx, &u)
}

func (s *Server) updateUserProfile(w http.ResponseWriter, r *http.Request) {
	var p userProfile
	if !decodeBody(w, r, &p) {
		return
	}
	if err := s.saveUserProfile(r.Context(), userFromContext(r.Context()).user.Username, p); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Profile updated")
}

// changePassword checks the current password and stores the new one.
func (s *Server) changeUserPasswordFor(ctx context.Context, u *dataprovider.User, p pwdChange) error {
	switch {
	case hasWebClientOption(u, webClientPasswordChangeDisabled):
		return &dataprovider.ValidationError{Field: "new_password", Msg: "password change is disabled for this account"}
	case p.CurrentPassword == "":
		return &dataprovider.ValidationError{Field: "current_password", Msg: "is required"}
	case p.NewPassword == "":
		return &dataprovider.ValidationError{Field: "new_password", Msg: "is required"}
	case p.NewPassword == p.CurrentPassword:
		return &dataprovider.ValidationError{Field: "new_password", Msg: "must differ from the current password"}
	}
	if _, err := s.store.CheckUserPassword(ctx, u.Username, p.CurrentPassword); err != nil {
		if errors.Is(err, dataprovider.ErrInvalidCredentials) || errors.Is(err, dataprovider.ErrNotFound) {
			return &dataprovider.ValidationError{Field: "current_password", Msg: "does not match"}
		}
		return err
	}
	stored, err := s.store.GetUser(ctx, u.Username)
	if err != nil {
		return err
	}
	stored.Password = p.NewPassword
	stored.Filters.RequirePasswordChange = false
	return s.store.UpdateUser(ctx, &stored)
}

func (s *Server) changeUserPassword(w http.ResponseWriter, r *http.Request) {
	var p pwdChange
	if !decodeBody(w, r, &p) {
		return
	}
	sess := userFromContext(r.Context())
	if err := s.changeUserPasswordFor(r.Context(), &sess.user, p); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	if sess.claims != nil {
		s.tokens.revoke(sess.claims)
	}
	sendMessage(w, http.StatusOK, "Password updated, log in again")
}

// redactShare hides a share's password hash.
func redactShare(sh dataprovider.Share) dataprovider.Share {
	if sh.Password != "" {
		sh.Password = dataprovider.RedactedSharePassword
	}
	if sh.Paths == nil {
		sh.Paths = []string{}
	}
	return sh
}

// checkSharesAllowed refuses share management to users whose web_client
// filters disable it.
func checkSharesAllowed(u *dataprovider.User) error {
	if hasWebClientOption(u, webClientSharesDisabled) {
		return errors.New("sharing is disabled for this account")
	}
	return nil
}

// checkShareInput applies the user-side rules the store does not know.
func checkShareInput(u *dataprovider.User, sh *dataprovider.Share) error {
	if sh.Password == "" && hasWebClientOption(u, webClientSharesNoPasswordDisabled) {
		return &dataprovider.ValidationError{Field: "password", Msg: "a password is required for shares of this account"}
	}
	for i, p := range sh.Paths {
		if p != "" {
			sh.Paths[i] = userPath(u, p)
		}
	}
	return nil
}

func (s *Server) listUserShares(w http.ResponseWriter, r *http.Request) {
	u := userFromContext(r.Context()).user
	if err := checkSharesAllowed(&u); err != nil {
		sendAPIError(w, r, http.StatusForbidden, err)
		return
	}
	p, err := parseListParams(r)
	if err != nil {
		sendAPIError(w, r, http.StatusBadRequest, err)
		return
	}
	shares, err := s.store.ListUserShares(r.Context(), u.Username, p.limit, p.offset, p.order)
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, mapSlice(shares, redactShare))
}

func (s *Server) getUserShare(w http.ResponseWriter, r *http.Request) {
	u := userFromContext(r.Context()).user
	if err := checkSharesAllowed(&u); err != nil {
		sendAPIError(w, r, http.StatusForbidden, err)
		return
	}
	sh, err := s.store.GetUserShare(r.Context(), urlParam(r, "id"), u.Username)
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, redactShare(sh))
}

func (s *Server) addUserShare(w http.ResponseWriter, r *http.Request) {
	u := userFromContext(r.Context()).user
	if err := checkSharesAllowed(&u); err != nil {
		sendAPIError(w, r, http.StatusForbidden, err)
		return
	}
	var sh dataprovider.Share
	if !decodeBody(w, r, &sh) {
		return
	}
	sh.Username = u.Username
	if err := checkShareInput(&u, &sh); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	if err := s.store.AddShare(r.Context(), &sh); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	w.Header().Set("X-Object-ID", sh.ShareID)
	w.Header().Set("Location", s.webRoot+apiPrefix+"/user/shares/"+url.PathEscape(sh.ShareID))
	sendMessage(w, http.StatusCreated, "Share created")
}

func (s *Server) updateUserShare(w http.ResponseWriter, r *http.Request) {
	u := userFromContext(r.Context()).user
	if err := checkSharesAllowed(&u); err != nil {
		sendAPIError(w, r, http.StatusForbidden, err)
		return
	}
	var sh dataprovider.Share
	if !decodeBody(w, r, &sh) {
		return
	}
	sh.ShareID = urlParam(r, "id")
	sh.Username = u.Username
	if err := checkShareInput(&u, &sh); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	if err := s.store.UpdateShare(r.Context(), &sh); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Share updated")
}

func (s *Server) deleteUserShare(w http.ResponseWriter, r *http.Request) {
	u := userFromContext(r.Context()).user
	if err := checkSharesAllowed(&u); err != nil {
		sendAPIError(w, r, http.StatusForbidden, err)
		return
	}
	if err := s.store.DeleteShare(r.Context(), urlParam(r, "id"), u.Username); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "Share deleted")
}
