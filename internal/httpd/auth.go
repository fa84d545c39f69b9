package httpd

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/logger"
)

// apiKeyHeader carries an API key instead of a bearer token.
const apiKeyHeader = "X-SFTPGO-API-KEY"

type ctxKey int

const ctxKeyAdmin ctxKey = 0

// authInfo is what the auth middleware learnt about the caller.
type authInfo struct {
	admin dataprovider.Admin
	// claims is nil for API-key requests.
	claims *tokenClaims
}

func authFromContext(ctx context.Context) *authInfo {
	a, _ := ctx.Value(ctxKeyAdmin).(*authInfo)
	return a
}

// ipAllowed checks an admin's allow_list (IPs or CIDR networks); an empty
// list allows everyone.
func ipAllowed(allowList []string, ip string) bool {
	if len(allowList) == 0 {
		return true
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, entry := range allowList {
		if p, err := netip.ParsePrefix(entry); err == nil {
			if p.Contains(addr) {
				return true
			}
			continue
		}
		if a, err := netip.ParseAddr(entry); err == nil && a.Unmap() == addr {
			return true
		}
	}
	return false
}

func sendUnauthorized(w http.ResponseWriter, r *http.Request, err error, basic bool) {
	if basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="SFTPGo REST API", charset="UTF-8"`)
	}
	sendAPIError(w, r, http.StatusUnauthorized, err)
}

// getToken exchanges an admin's Basic credentials for a JWT.
func (s *Server) getToken(w http.ResponseWriter, r *http.Request) {
	if !apiLoginAllowed(r, loginMethodTokenAdmin) {
		sendAPIError(w, r, http.StatusForbidden, errors.New("the admin token endpoint is disabled on this binding"))
		return
	}
	username, password, ok := r.BasicAuth()
	if !ok || username == "" || password == "" {
		sendUnauthorized(w, r, errors.New("basic authentication with an admin username and password is required"), true)
		return
	}
	ip := clientIP(r)
	admin, err := s.store.CheckAdminPassword(r.Context(), username, password)
	if err != nil {
		if status := errorStatus(err); status != http.StatusInternalServerError {
			logger.LoginFailed(s.log, ip, username, dataprovider.LoginMethodPassword, protocolHTTP, errors.New("invalid credentials"))
			sendUnauthorized(w, r, errors.New("invalid credentials"), true)
			return
		}
		s.sendStoreError(w, r, err)
		return
	}
	if err := checkAdminUsable(&admin, ip); err != nil {
		logger.LoginFailed(s.log, ip, username, dataprovider.LoginMethodPassword, protocolHTTP, err)
		sendUnauthorized(w, r, err, true)
		return
	}
	// a token on the password alone would bypass the second factor; API
	// keys stay usable, as in the reference product
	if err := s.checkAdminOTP(r, &admin); err != nil {
		logger.LoginFailed(s.log, ip, username, dataprovider.LoginMethodPassword, protocolHTTP, err)
		sendUnauthorized(w, r, err, true)
		return
	}
	stored, err := s.store.GetAdmin(r.Context(), admin.Username)
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	token, exp, err := s.tokens.issue(admin.Username, admin.Permissions, s.tokens.signature(&stored), ip)
	if err != nil {
		sendAPIError(w, r, http.StatusInternalServerError, fmt.Errorf("unable to sign the token: %w", err))
		return
	}
	s.log.Info("admin token issued", "user", admin.Username, "remote", ip)
	renderJSON(w, http.StatusOK, map[string]string{
		"access_token": token,
		"expires_at":   exp.UTC().Format(time.RFC3339),
	})
}

// checkAdminUsable refuses disabled admins and admins whose allow_list
// excludes ip.
func checkAdminUsable(a *dataprovider.Admin, ip string) error {
	if a.Status != dataprovider.StatusEnabled {
		return errors.New("the admin account is disabled")
	}
	if !ipAllowed(a.Filters.AllowList, ip) {
		return fmt.Errorf("login from IP %s is not allowed for this admin", ip)
	}
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	info := authFromContext(r.Context())
	if info.claims == nil {
		sendAPIError(w, r, http.StatusBadRequest, errors.New("API key authentication has no token to invalidate"))
		return
	}
	s.tokens.revoke(info.claims)
	sendMessage(w, http.StatusOK, "Your token has been invalidated")
}

// requireAdmin authenticates a request by API key (header
// X-SFTPGO-API-KEY) or bearer token and loads the admin from the store,
// so a disabled or deleted admin loses access at once.
func (s *Server) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := clientIP(r)
		var (
			info *authInfo
			err  error
		)
		if key := r.Header.Get(apiKeyHeader); key != "" && !apiLoginAllowed(r, loginMethodAPIKeyAdmin) {
			err = errors.New("API key authentication is disabled on this binding")
		} else if key != "" {
			info, err = s.authenticateAPIKey(r.Context(), key, ip)
		} else {
			info, err = s.authenticateBearer(r, ip)
		}
		if err != nil {
			var ie *internalError
			if errors.As(err, &ie) {
				s.sendStoreError(w, r, ie.err)
				return
			}
			sendUnauthorized(w, r, err, false)
			return
		}
		if s.holdAdminAPI(w, r, info) {
			return
		}
		ctx := context.WithValue(r.Context(), ctxKeyAdmin, info)
		// provider actions name the admin who made a change
		ctx = dataprovider.WithActor(ctx, dataprovider.Actor{Username: info.admin.Username, IP: ip, Role: info.admin.Role})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// internalError wraps a store failure that is not the caller's fault.
type internalError struct{ err error }

func (e *internalError) Error() string { return e.err.Error() }

// loadAdmin fetches the admin a credential names and checks it may act.
func (s *Server) loadAdmin(ctx context.Context, username, ip string) (dataprovider.Admin, error) {
	admin, err := s.store.GetAdmin(ctx, username)
	if err != nil {
		if errors.Is(err, dataprovider.ErrNotFound) {
			return admin, errors.New("the admin associated with the credentials no longer exists")
		}
		return admin, &internalError{err}
	}
	if err := checkAdminUsable(&admin, ip); err != nil {
		return admin, err
	}
	return admin, nil
}

func (s *Server) authenticateBearer(r *http.Request, ip string) (*authInfo, error) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	raw = strings.TrimSpace(raw)
	if !ok || raw == "" {
		return nil, errors.New("authentication required: use a bearer token or an API key")
	}
	claims, err := s.tokens.verify(raw, ip)
	if err != nil {
		return nil, err
	}
	admin, err := s.loadAdmin(r.Context(), claims.Username, ip)
	if err != nil {
		return nil, err
	}
	if claims.Signature != s.tokens.signature(&admin) {
		return nil, errors.New("the admin account changed since the token was issued: get a new token")
	}
	return &authInfo{admin: admin, claims: claims}, nil
}

// splitAPIKey splits the header value "<key>[.<username>]": the key the
// store issued is "<key_id>.<secret>", so an impersonated admin is the
// part after the second dot.
func splitAPIKey(v string) (key, username string) {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) == 3 {
		return parts[0] + "." + parts[1], parts[2]
	}
	return v, ""
}

// authenticateAPIKey accepts an admin-scope key. A key tied to an admin
// acts as that admin; a key with no admin must name one with the
// "<key>.<username>" form. The admin must allow API key authentication.
func (s *Server) authenticateAPIKey(ctx context.Context, raw, ip string) (*authInfo, error) {
	errInvalid := errors.New("invalid API key")
	keyPart, username := splitAPIKey(raw)
	k, err := s.store.AuthenticateAPIKey(ctx, keyPart)
	if err != nil {
		if errorStatus(err) == http.StatusInternalServerError {
			return nil, &internalError{err}
		}
		return nil, errInvalid
	}
	if k.ExpiresAt > 0 && k.ExpiresAt < s.now().UnixMilli() {
		return nil, errors.New("the API key has expired")
	}
	if k.Scope != dataprovider.APIKeyScopeAdmin {
		return nil, errors.New("the API key is not valid for the admin API")
	}
	switch {
	case k.Admin != "" && username != "" && username != k.Admin:
		return nil, errors.New("the API key belongs to another admin")
	case k.Admin != "":
		username = k.Admin
	case username == "":
		return nil, errors.New("this API key is not tied to an admin: append .<username> to it")
	}
	admin, err := s.loadAdmin(ctx, username, ip)
	if err != nil {
		return nil, err
	}
	if !admin.Filters.AllowAPIKeyAuth {
		return nil, errors.New("API key authentication is not allowed for this admin")
	}
	return &authInfo{admin: admin}, nil
}

// checkPerm requires the authenticated admin to hold perm (or "*").
func (s *Server) checkPerm(perm string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			info := authFromContext(r.Context())
			if info == nil || !info.admin.HasPermission(perm) {
				sendAPIError(w, r, http.StatusForbidden, fmt.Errorf("permission %q is required", perm))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
