package common

import (
	"context"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// LoginHooks are the extension points of the login path (see Login for
// where each one runs). A nil member does nothing, which is what every
// member is until its own work lands; service wires them through
// Deps.Login.
type LoginHooks struct {
	// Defender: future work "defender" (common.defender). Banned hosts
	// are refused before anything else; every outcome is reported.
	Defender Defender
	// RateLimiter: future work "rate limiters" (common.rate_limiters).
	RateLimiter RateLimiter
	// PostConnect: future work "post-connect hook"
	// (common.post_connect_hook); run by CheckConnection, once per
	// network connection, not per login attempt.
	PostConnect PostConnectHook
	// PreLogin: future work "pre-login hook" (data_provider.pre_login_hook).
	PreLogin PreLoginHook
	// ExternalAuth: future work "external auth hook"
	// (data_provider.external_auth_hook); when it handles a request the
	// pre-login hook is not run.
	ExternalAuth ExternalAuthHook
	// CheckPassword: future work "check password hook"
	// (data_provider.check_password_hook).
	CheckPassword CheckPasswordHook
	// PostLogin: future work "post-login hook" (common.post_login_hook).
	PostLogin PostLoginHook
}

// DefenderEvent classifies a login outcome for the defender's scores.
type DefenderEvent int

// Defender events.
const (
	// DefenderLoginFailed: wrong credentials for an existing user.
	DefenderLoginFailed DefenderEvent = iota + 1
	// DefenderUserNotFound: a login attempt for a user that does not exist.
	DefenderUserNotFound
	// DefenderLimitExceeded: a rate limit or connection limit was hit.
	DefenderLimitExceeded
	// DefenderLoginSucceeded: a successful login.
	DefenderLoginSucceeded
)

// Defender bans hosts that fail too often.
type Defender interface {
	// IsBanned reports whether ip may not log in at all.
	IsBanned(ip string) bool
	// AddEvent records the outcome of a login attempt from ip.
	AddEvent(ip, protocol string, event DefenderEvent)
}

// RateLimiter limits login attempts per protocol and source.
type RateLimiter interface {
	// Wait returns nil when the attempt may go on (possibly after a
	// short wait) and an error when it is over the limit.
	Wait(ctx context.Context, protocol, ip string) error
}

// PostConnectHook decides whether a new network connection is served.
type PostConnectHook interface {
	Check(ctx context.Context, protocol, ip string) error
}

// PreLoginHook may change or create the user before its credentials are
// checked.
type PreLoginHook interface {
	// Run gets the stored user (nil when unknown) and returns the user to
	// use instead, or nil for no change; an error refuses the login.
	Run(ctx context.Context, req *LoginRequest, user *dataprovider.User) (*dataprovider.User, error)
}

// ExternalAuthHook authenticates instead of the stored credentials.
type ExternalAuthHook interface {
	// Authenticate returns handled false when the request is outside the
	// hook's scope (the stored credentials are checked then). When
	// handled, a nil error means the credentials are good and user (not
	// nil) is the account to log in; an error refuses the login.
	Authenticate(ctx context.Context, req *LoginRequest, user *dataprovider.User) (u *dataprovider.User, handled bool, err error)
}

// CheckPasswordResult is the answer of a check-password hook.
type CheckPasswordResult struct {
	// Status 0 refuses, 1 accepts without the stored password, 2 checks
	// ToVerify against the stored password.
	Status   int
	ToVerify string
}

// CheckPasswordHook is asked about every password before the stored one.
type CheckPasswordHook interface {
	// Check returns handled false when the protocol is outside its scope.
	Check(ctx context.Context, req *LoginRequest, password string) (res CheckPasswordResult, handled bool, err error)
}

// PostLoginHook is told about every login outcome (asynchronously).
type PostLoginHook interface {
	// Notify gets the user (nil when unknown), the method that was used
	// and the error (nil on success).
	Notify(req *LoginRequest, user *dataprovider.User, method string, err error)
}

// CheckConnection runs the checks of a new network connection, before any
// login attempt: the defender's ban list and the post-connect hook.
// Protocols call it once per connection (HTTP: per request).
func (s *Server) CheckConnection(ctx context.Context, protocol, remoteAddr string) error {
	ip := hostOf(remoteAddr)
	h := s.deps.Login
	if s.ipRefused(protocol, ip) {
		return newErr(ErrLoginDenied, "your IP address is blocked")
	}
	if h.PostConnect != nil {
		if err := h.PostConnect.Check(ctx, protocol, ip); err != nil {
			s.log.Info("connection refused by the post-connect hook", "proto", protocol, "remote", remoteAddr, "error", err)
			return newErr(ErrLoginDenied, "connection refused")
		}
	}
	return nil
}
