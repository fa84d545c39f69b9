package httpd

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/defender"
)

// Login throttling: each client IP may fail loginBurst times in a row,
// then one more attempt every loginRefill. Successful logins cost nothing,
// so a user who types the password right is never slowed down. It is a
// per-source token bucket of the defender package, charged on failures
// only, and works with or without common.rate_limiters.
const (
	loginBurst  = 10
	loginRefill = 6 * time.Second
	// loginLimiterMax bounds the table; idle entries go first.
	loginLimiterMax = 10000
)

type loginLimiter struct {
	now func() time.Time
	lim *defender.Limiter
}

func newLoginLimiter(now func() time.Time) *loginLimiter {
	if now == nil {
		now = time.Now
	}
	lim, err := defender.NewLimiter(config.RateLimiterConfig{Average: 1, Period: loginRefill.Milliseconds(),
		Burst: loginBurst, Type: defender.LimiterTypePerSource,
		EntriesSoftLimit: loginLimiterMax / 2, EntriesHardLimit: loginLimiterMax})
	if err != nil {
		panic("httpd: login limiter: " + err.Error())
	}
	return &loginLimiter{now: now, lim: lim}
}

// allowed reports whether ip may try to log in now and, if not, how long
// it must wait.
func (l *loginLimiter) allowed(ip string) (bool, time.Duration) { return l.lim.Available(ip, l.now()) }

// failed charges one failed attempt to ip.
func (l *loginLimiter) failed(ip string) { l.lim.Charge(ip, l.now()) }

// checkLoginRate answers 429 when ip is over its login budget and reports
// whether the handler may go on.
func (s *Server) checkLoginRate(w http.ResponseWriter, r *http.Request, ip string) bool {
	ok, wait := s.loginLimiter.allowed(ip)
	if ok {
		return true
	}
	setRetryAfter(w, wait)
	s.log.Warn("login rate limited", "remote", ip)
	return false
}

func setRetryAfter(w http.ResponseWriter, wait time.Duration) {
	secs := int(wait.Seconds() + 0.999)
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	w.Header().Set("X-Retry-In", wait.String())
}

// guardRequests applies the client checks of every protocol to each HTTP
// request (the REST API, the web UIs, /healthz): the allow list, the
// defender's bans and block list, then the rate limiters for HTTP, which
// answer 429 with Retry-After past their limit.
func (s *Server) guardRequests(next http.Handler) http.Handler {
	g := s.guard
	if g == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := clientIP(r)
		if !g.AllowedIP(ip, protocolHTTP) {
			s.log.Debug("request refused: not in the allow list", "remote", ip)
			w.Header().Set("Connection", "close")
			sendAPIError(w, r, http.StatusForbidden, errors.New("access denied by the allow list"))
			return
		}
		if g.IsBannedFor(ip, protocolHTTP) {
			sendAPIError(w, r, http.StatusForbidden, errors.New("your IP address is blocked"))
			return
		}
		if g.HasRateLimiters() {
			wait, err := g.Reserve(protocolHTTP, ip)
			var le *defender.LimitError
			if errors.As(err, &le) {
				if le.Events {
					g.LimitExceeded(ip, protocolHTTP)
				}
				setRetryAfter(w, le.RetryAfter)
				s.log.Debug("request rate limited", "remote", ip, "retry_in", le.RetryAfter)
				sendAPIError(w, r, http.StatusTooManyRequests, errors.New("rate limit exceeded"))
				return
			}
			if wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-r.Context().Done():
					t.Stop()
					return
				}
			}
			r = r.WithContext(defender.MarkLimited(r.Context()))
		}
		next.ServeHTTP(w, r)
	})
}
