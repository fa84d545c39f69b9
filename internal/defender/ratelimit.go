package defender

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// Rate limiter types (common.rate_limiters[].type).
const (
	LimiterTypeGlobal    = 1
	LimiterTypePerSource = 2
)

// maxLimiterDelay bounds how long a request waits for a token before it
// is refused instead.
const maxLimiterDelay = 10 * time.Second

// LimitError is a request refused by a rate limiter.
type LimitError struct {
	// RetryAfter is when a token will be available.
	RetryAfter time.Duration
	// Events: the limiter generates defender events.
	Events bool
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("rate limit exceeded, retry in %s", e.RetryAfter.Round(time.Millisecond))
}

// ValidateRateLimiter checks one rate limiter; one with average 0 is off
// and always valid.
func ValidateRateLimiter(c config.RateLimiterConfig) error {
	if c.Average <= 0 {
		return nil
	}
	if c.Period < 100 {
		return fmt.Errorf("rate limiter: period must be at least 100 ms, got %d", c.Period)
	}
	if c.Burst < 1 {
		return fmt.Errorf("rate limiter: burst must be at least 1, got %d", c.Burst)
	}
	if c.Type != LimiterTypeGlobal && c.Type != LimiterTypePerSource {
		return fmt.Errorf("rate limiter: type must be 1 (global) or 2 (per source), got %d", c.Type)
	}
	for _, p := range c.Protocols {
		if !slices.Contains([]string{"SSH", "FTP", "DAV", "HTTP"}, p) {
			return fmt.Errorf("rate limiter: unknown protocol %q (SSH, FTP, DAV, HTTP)", p)
		}
	}
	if c.Type == LimiterTypePerSource && (c.EntriesSoftLimit <= 0 || c.EntriesHardLimit <= c.EntriesSoftLimit) {
		return errors.New("rate limiter: entries_hard_limit must be greater than entries_soft_limit, which must be greater than 0")
	}
	return nil
}

// Limiter is one token bucket, global or one per source IP.
type Limiter struct {
	cfg       config.RateLimiterConfig
	limit     rate.Limit
	maxDelay  time.Duration
	protocols []string // empty: all

	mu      sync.Mutex
	global  *rate.Limiter
	sources map[string]*rate.Limiter
}

// NewLimiter builds a limiter from its configuration (validated).
func NewLimiter(c config.RateLimiterConfig) (*Limiter, error) {
	if err := ValidateRateLimiter(c); err != nil {
		return nil, err
	}
	per := time.Duration(c.Period) * time.Millisecond
	l := &Limiter{cfg: c, limit: rate.Limit(float64(c.Average) / per.Seconds()), protocols: c.Protocols}
	// past this wait the request is refused: half a period below one
	// token a second, half a token interval above
	if float64(l.limit) < 1 {
		l.maxDelay = per / 2
	} else {
		l.maxDelay = time.Duration(float64(time.Second) / (2 * float64(l.limit)))
	}
	l.maxDelay = min(l.maxDelay, maxLimiterDelay)
	if c.Type == LimiterTypeGlobal {
		l.global = rate.NewLimiter(l.limit, c.Burst)
	} else {
		l.sources = map[string]*rate.Limiter{}
	}
	return l, nil
}

// Covers reports whether the limiter applies to protocol.
func (l *Limiter) Covers(protocol string) bool {
	return len(l.protocols) == 0 || slices.Contains(l.protocols, protocol)
}

// PerSource reports whether the limiter keeps one bucket per IP.
func (l *Limiter) PerSource() bool { return l.global == nil }

// GeneratesEvents reports generate_defender_events (per-source limiters
// only, as a global limit says nothing about one host).
func (l *Limiter) GeneratesEvents() bool { return l.cfg.GenerateDefenderEvents && l.PerSource() }

func (l *Limiter) bucket(ip string, now time.Time) *rate.Limiter {
	if l.global != nil {
		return l.global
	}
	b := l.sources[ip]
	if b == nil {
		if len(l.sources) >= l.cfg.EntriesHardLimit {
			l.prune(now)
		}
		b = rate.NewLimiter(l.limit, l.cfg.Burst)
		l.sources[ip] = b
	}
	return b
}

// prune forgets sources whose bucket is full again (they behave like new
// ones), then, if still above the soft limit, arbitrary ones.
func (l *Limiter) prune(now time.Time) {
	for ip, b := range l.sources {
		if b.TokensAt(now) >= float64(l.cfg.Burst) {
			delete(l.sources, ip)
		}
	}
	for ip := range l.sources {
		if len(l.sources) < l.cfg.EntriesSoftLimit {
			break
		}
		delete(l.sources, ip)
	}
}

// Reserve takes a token for ip at now. It returns how long to wait
// before going on, or a *LimitError when the wait would be too long (no
// token is taken then).
func (l *Limiter) Reserve(ip string, now time.Time) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.bucket(ip, now).ReserveN(now, 1)
	if !r.OK() {
		return 0, &LimitError{RetryAfter: time.Duration(math.MaxInt32) * time.Millisecond, Events: l.GeneratesEvents()}
	}
	d := r.DelayFrom(now)
	if d > l.maxDelay {
		r.CancelAt(now)
		return 0, &LimitError{RetryAfter: d, Events: l.GeneratesEvents()}
	}
	return d, nil
}

// Entries returns how many sources the limiter tracks.
func (l *Limiter) Entries() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.sources)
}

// Available reports, without taking a token, whether ip has one at now
// and otherwise how long until it has.
func (l *Limiter) Available(ip string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(ip, now)
	if b.TokensAt(now) >= 1 {
		return true, 0
	}
	r := b.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	r.CancelAt(now)
	return false, wait
}

// Charge takes a token from ip when there is one (failure-charged
// limits: only failed attempts cost).
func (l *Limiter) Charge(ip string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bucket(ip, now).AllowN(now, 1)
}
