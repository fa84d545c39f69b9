package httpd

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Login throttling: each client IP may fail loginBurst times in a row,
// then one more attempt every loginRefill. Successful logins cost nothing,
// so a user who types the password right is never slowed down.
const (
	loginBurst  = 10
	loginRefill = 6 * time.Second
	// loginLimiterMax bounds the table; idle entries go first.
	loginLimiterMax = 10000
)

type loginLimiter struct {
	now func() time.Time

	mu      sync.Mutex
	clients map[string]*rate.Limiter
}

func newLoginLimiter(now func() time.Time) *loginLimiter {
	if now == nil {
		now = time.Now
	}
	return &loginLimiter{now: now, clients: map[string]*rate.Limiter{}}
}

func (l *loginLimiter) get(ip string) *rate.Limiter {
	lim, ok := l.clients[ip]
	if !ok {
		if len(l.clients) >= loginLimiterMax {
			l.prune()
		}
		lim = rate.NewLimiter(rate.Every(loginRefill), loginBurst)
		l.clients[ip] = lim
	}
	return lim
}

// prune forgets clients whose budget is full again (they behave like new
// ones); if none is, the table starts over rather than growing.
func (l *loginLimiter) prune() {
	now := l.now()
	for ip, lim := range l.clients {
		if lim.TokensAt(now) >= loginBurst {
			delete(l.clients, ip)
		}
	}
	if len(l.clients) >= loginLimiterMax {
		clear(l.clients)
	}
}

// allowed reports whether ip may try to log in now and, if not, how long
// it must wait.
func (l *loginLimiter) allowed(ip string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.get(ip)
	now := l.now()
	if lim.TokensAt(now) >= 1 {
		return true, 0
	}
	r := lim.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	r.CancelAt(now)
	return false, wait
}

// failed charges one failed attempt to ip.
func (l *loginLimiter) failed(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.get(ip).AllowN(l.now(), 1)
}

// checkLoginRate answers 429 when ip is over its login budget and reports
// whether the handler may go on.
func (s *Server) checkLoginRate(w http.ResponseWriter, r *http.Request, ip string) bool {
	ok, wait := s.loginLimiter.allowed(ip)
	if ok {
		return true
	}
	secs := int(wait.Seconds() + 0.999)
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	s.log.Warn("login rate limited", "remote", ip)
	return false
}
