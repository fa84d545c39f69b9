package httpd

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// protocolHTTP is the protocol name users' HTTP sessions are checked and
// registered with (denied_protocols, connection list).
const protocolHTTP = dataprovider.ProtocolHTTP

// Web client options a user's filters.web_client may list.
const (
	webClientWriteDisabled            = "write-disabled"
	webClientSharesDisabled           = "shares-disabled"
	webClientPasswordChangeDisabled   = "password-change-disabled"
	webClientPubKeyChangeDisabled     = "publickey-change-disabled"
	webClientInfoChangeDisabled       = "info-change-disabled"
	webClientAPIKeyAuthChangeDisabled = "api-key-auth-change-disabled"
	webClientTLSCertChangeDisabled    = "tls-cert-change-disabled"
	webClientSharesNoPasswordDisabled = "shares-without-password-disabled"
)

// webClientOptions lists them for the admin user form.
var webClientOptions = []string{webClientWriteDisabled, webClientSharesDisabled,
	webClientSharesNoPasswordDisabled, webClientPasswordChangeDisabled, webClientPubKeyChangeDisabled,
	webClientTLSCertChangeDisabled, webClientInfoChangeDisabled, webClientAPIKeyAuthChangeDisabled,
	webClientPasswordResetDisabled}

type ctxKeyUserT struct{}

// userSession is an authenticated user request.
type userSession struct {
	user dataprovider.User
	// claims is nil for API-key requests.
	claims *tokenClaims
}

func userFromContext(ctx context.Context) *userSession {
	u, _ := ctx.Value(ctxKeyUserT{}).(*userSession)
	return u
}

func hasWebClientOption(u *dataprovider.User, opt string) bool {
	return slices.Contains(u.Filters.WebClient, opt)
}

// userSignature binds user tokens to the account state when
// token_validation bit 2 is set, like admin tokens.
func (s *Server) userSignature(u *dataprovider.User) string {
	if !s.tokens.bindUpdates {
		return ""
	}
	v := "user\x00" + u.Username + "\x00" + u.Password + "\x00" + strconv.FormatInt(u.UpdatedAt, 10)
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// errFilesUnavailable: the server was built without file access.
var errFilesUnavailable = errors.New("file access is not available on this server")

// loginOption adds what a request carries to a login.
type loginOption func(*common.LoginRequest)

// withTLS passes the request's verified TLS client certificate, if any,
// to the login (see common's certificate rule).
func withTLS(r *http.Request) loginOption {
	return func(req *common.LoginRequest) {
		if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.PeerCertificates) > 0 {
			req.Certificate = r.TLS.PeerCertificates[0]
		}
	}
}

// withOTPHeader takes the one-time code of users with a second factor
// for HTTP from the X-SFTPGO-OTP header.
func withOTPHeader(r *http.Request) loginOption {
	return func(req *common.LoginRequest) {
		req.SecondFactor = func(context.Context) (string, error) {
			code := strings.TrimSpace(r.Header.Get(otpHeader))
			if code == "" {
				return "", errors.New("no " + otpHeader + " header")
			}
			return code, nil
		}
	}
}

// otpHeader carries a user's one-time code on token requests.
const otpHeader = "X-SFTPGO-OTP"

// loginUser logs a user in over HTTP through the shared login path
// (credentials, account rules, storage, limits). Every failure is logged
// once for fail2ban-style tools; the returned error is safe to show.
func (s *Server) loginUser(ctx context.Context, username, password, ip string, opts ...loginOption) (dataprovider.User, error) {
	if s.common == nil {
		return dataprovider.User{}, errFilesUnavailable
	}
	req := common.LoginRequest{Protocol: protocolHTTP, Method: dataprovider.LoginMethodPassword,
		Username: username, Password: password, RemoteAddr: ip}
	for _, o := range opts {
		o(&req)
	}
	res, err := s.common.Login(ctx, req)
	switch {
	case err == nil:
		return res.User, nil
	case errors.Is(err, common.ErrProviderUnavailable):
		return dataprovider.User{}, &internalError{err}
	case errors.Is(err, common.ErrAuthFailed):
		s.loginLimiter.failed(ip)
		return dataprovider.User{}, errors.New("invalid credentials")
	}
	return dataprovider.User{}, err
}

// loadSessionUser reloads the user a credential names and applies the
// account rules again, so a disabled, expired or HTTP-denied user loses
// access at once.
func (s *Server) loadSessionUser(ctx context.Context, username, ip string, method ...string) (dataprovider.User, error) {
	if s.common == nil {
		return dataprovider.User{}, errFilesUnavailable
	}
	u, err := s.store.GetEffectiveUser(ctx, username)
	if err != nil {
		if errors.Is(err, dataprovider.ErrNotFound) {
			return u, errors.New("the user associated with the credentials no longer exists")
		}
		return u, &internalError{err}
	}
	m := dataprovider.LoginMethodPassword
	if len(method) > 0 {
		m = method[0]
	}
	if err := s.common.CheckLogin(&u, protocolHTTP, m, ip); err != nil {
		return u, err
	}
	return u, nil
}

// getUserToken exchanges a user's Basic credentials for a JWT.
func (s *Server) getUserToken(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	if !apiLoginAllowed(r, loginMethodTokenUser) {
		sendAPIError(w, r, http.StatusForbidden, errors.New("the user token endpoint is disabled on this binding"))
		return
	}
	if !s.checkLoginRate(w, r, ip) {
		sendAPIError(w, r, http.StatusTooManyRequests, errors.New("too many failed logins, retry later"))
		return
	}
	username, password, ok := r.BasicAuth()
	if !ok || username == "" || password == "" {
		sendUnauthorized(w, r, errors.New("basic authentication with a username and password is required"), true)
		return
	}
	u, err := s.loginUser(r.Context(), username, password, ip, withTLS(r), withOTPHeader(r))
	if err != nil {
		s.sendUserAuthError(w, r, err, true)
		return
	}
	token, exp, err := s.tokens.issueFor(tokenAudienceUserAPI, s.tokens.lifetime, u.Username, nil, s.userSignature(&u), ip)
	if err != nil {
		sendAPIError(w, r, http.StatusInternalServerError, fmt.Errorf("unable to sign the token: %w", err))
		return
	}
	renderJSON(w, http.StatusOK, map[string]string{
		"access_token": token,
		"expires_at":   exp.UTC().Format(time.RFC3339),
	})
}

// sendUserAuthError answers a failed user authentication: 500 for store
// failures, 503 without file access, 401 otherwise.
func (s *Server) sendUserAuthError(w http.ResponseWriter, r *http.Request, err error, basic bool) {
	var ie *internalError
	switch {
	case errors.As(err, &ie):
		s.sendStoreError(w, r, ie.err)
	case errors.Is(err, errFilesUnavailable), errors.Is(err, common.ErrStorageUnavailable):
		sendAPIError(w, r, http.StatusServiceUnavailable, err)
	default:
		sendUnauthorized(w, r, err, basic)
	}
}

func (s *Server) userLogout(w http.ResponseWriter, r *http.Request) {
	sess := userFromContext(r.Context())
	if sess.claims == nil {
		sendAPIError(w, r, http.StatusBadRequest, errors.New("API key authentication has no token to invalidate"))
		return
	}
	s.tokens.revoke(sess.claims)
	sendMessage(w, http.StatusOK, "Your token has been invalidated")
}

// requireUser authenticates a user API request by bearer token or by a
// user-scope API key (header X-SFTPGO-API-KEY).
func (s *Server) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := clientIP(r)
		var (
			sess *userSession
			err  error
		)
		if key := r.Header.Get(apiKeyHeader); key != "" && !apiLoginAllowed(r, loginMethodAPIKeyUser) {
			err = errors.New("API key authentication is disabled on this binding")
		} else if key != "" {
			sess, err = s.authenticateUserAPIKey(r.Context(), key, ip)
		} else {
			sess, err = s.authenticateUserBearer(r, ip)
		}
		if err != nil {
			s.sendUserAuthError(w, r, err, false)
			return
		}
		if s.holdUserAPI(w, r, sess) {
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKeyUserT{}, sess)))
	})
}

func (s *Server) authenticateUserBearer(r *http.Request, ip string) (*userSession, error) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	raw = strings.TrimSpace(raw)
	if !ok || raw == "" {
		return nil, errors.New("authentication required: use a bearer token or an API key")
	}
	claims, err := s.tokens.verifyFor(raw, ip, tokenAudienceUserAPI)
	if err != nil {
		return nil, err
	}
	return s.sessionFromClaims(r.Context(), claims, ip)
}

func (s *Server) sessionFromClaims(ctx context.Context, claims *tokenClaims, ip string) (*userSession, error) {
	method := dataprovider.LoginMethodPassword
	if claims.IDP {
		method = dataprovider.LoginMethodIDP
	}
	u, err := s.loadSessionUser(ctx, claims.Username, ip, method)
	if err != nil {
		return nil, err
	}
	if claims.Signature != s.userSignature(&u) {
		return nil, errors.New("the account changed since the token was issued: log in again")
	}
	return &userSession{user: u, claims: claims}, nil
}

// authenticateUserAPIKey accepts a user-scope key tied to a user, or one
// without an owner in the "<key>.<username>" form. The user must allow
// API key authentication.
func (s *Server) authenticateUserAPIKey(ctx context.Context, raw, ip string) (*userSession, error) {
	keyPart, username := splitAPIKey(raw)
	k, err := s.store.AuthenticateAPIKey(ctx, keyPart)
	if err != nil {
		if errorStatus(err) == http.StatusInternalServerError {
			return nil, &internalError{err}
		}
		return nil, errors.New("invalid API key")
	}
	if k.ExpiresAt > 0 && k.ExpiresAt < s.now().UnixMilli() {
		return nil, errors.New("the API key has expired")
	}
	if k.Scope != dataprovider.APIKeyScopeUser {
		return nil, errors.New("the API key is not valid for the user API")
	}
	switch {
	case k.User != "" && username != "" && username != k.User:
		return nil, errors.New("the API key belongs to another user")
	case k.User != "":
		username = k.User
	case username == "":
		return nil, errors.New("this API key is not tied to a user: append .<username> to it")
	}
	u, err := s.loadSessionUser(ctx, username, ip)
	if err != nil {
		return nil, err
	}
	if !u.Filters.AllowAPIKeyAuth {
		return nil, errors.New("API key authentication is not allowed for this user")
	}
	return &userSession{user: u}, nil
}

// newConnID returns a process-unique id for an HTTP connection.
func newConnID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "HTTP_" + hex.EncodeToString(b)
}

// openConn registers an HTTP connection for the user for the duration of
// one request, so it shows in the connection list with its transfers and
// counts against max_sessions. Closing it from the admin side cancels the
// request. The returned context ends with the request or the connection;
// the caller must call done.
func (s *Server) openConn(r *http.Request, u dataprovider.User) (conn *common.BaseConnection, ctx context.Context, done func(), err error) {
	if s.common == nil {
		return nil, nil, nil, errFilesUnavailable
	}
	ctx, cancel := context.WithCancel(r.Context())
	conn = s.common.NewConnection(newConnID(), protocolHTTP, r.RemoteAddr, r.UserAgent(), u, func() error {
		cancel()
		return nil
	})
	if err := s.common.AddConnection(conn); err != nil {
		cancel()
		return nil, nil, nil, err
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		conn.SetLocalAddr(a.String())
	}
	conn.SetCommand(r.Method + " " + r.URL.Path)
	stop := context.AfterFunc(conn.Context(), cancel)
	return conn, ctx, func() {
		stop()
		conn.Close()
		cancel()
	}, nil
}
