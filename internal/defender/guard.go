package defender

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// Intervals of the background work.
const (
	listsRefreshInterval = 10 * time.Second
	cleanupInterval      = time.Minute
)

// Guard is what every protocol checks about a client IP: the allow list
// (common.allowlist_status), the defender with its safe and block lists,
// and the rate limiters with their safe list. It implements
// common.Defender, common.ProtocolDefender and common.RateLimiter.
type Guard struct {
	lists     *Lists
	def       *Defender // nil when common.defender.enabled is false
	limiters  []*Limiter
	allowList bool
	log       *slog.Logger
	now       func() time.Time

	// quiet marks IPs just refused by a limiter that does not generate
	// defender events: the login path reports every refusal as a
	// limit-exceeded event, and the next one for that IP is dropped.
	quiet sync.Map

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// Stores are the provider parts the guard uses; *dataprovider.Store
// provides both (DefenderStore may be nil for drivers without one).
type Stores struct {
	Lists    ListStore
	Defender dataprovider.DefenderStorage
}

// New builds the guard from the common section and loads the IP lists.
// Close stops its background work.
func New(ctx context.Context, cfg config.CommonConfig, st Stores, log *slog.Logger) (*Guard, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "defender")
	if cfg.AllowListStatus != 0 && cfg.AllowListStatus != 1 {
		return nil, errors.New("common: allowlist_status must be 0 or 1")
	}
	g := &Guard{allowList: cfg.AllowListStatus == 1, log: log, now: time.Now,
		stop: make(chan struct{}), done: make(chan struct{})}
	lists, err := NewLists(ctx, st.Lists, log)
	if err != nil {
		return nil, err
	}
	g.lists = lists
	if cfg.Defender.Enabled {
		if g.def, err = NewDefender(cfg.Defender, st.Defender, lists, log); err != nil {
			return nil, err
		}
	}
	for i, rc := range cfg.RateLimiters {
		if rc.Average <= 0 {
			continue
		}
		l, err := NewLimiter(rc)
		if err != nil {
			return nil, errors.Join(errors.New("common.rate_limiters["+strconv.Itoa(i)+"]"), err)
		}
		g.limiters = append(g.limiters, l)
	}
	go g.background()
	return g, nil
}

func (g *Guard) background() {
	defer close(g.done)
	refresh := time.NewTicker(listsRefreshInterval)
	defer refresh.Stop()
	cleanup := time.NewTicker(cleanupInterval)
	defer cleanup.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-refresh.C:
			g.lists.Refresh(context.Background())
		case <-cleanup.C:
			if g.def != nil {
				g.def.Cleanup()
			}
		}
	}
}

// Close stops the background work.
func (g *Guard) Close() {
	g.stopOnce.Do(func() { close(g.stop) })
	<-g.done
}

// Lists returns the IP lists.
func (g *Guard) Lists() *Lists { return g.lists }

// Defender returns the defender, nil when disabled.
func (g *Guard) Defender() *Defender { return g.def }

// HasRateLimiters reports whether any rate limiter is active.
func (g *Guard) HasRateLimiters() bool { return len(g.limiters) > 0 }

func parseAddr(ip string) (netip.Addr, error) {
	if h, _, err := net.SplitHostPort(ip); err == nil {
		ip = h
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return netip.Addr{}, err
	}
	return a.WithZone("").Unmap(), nil
}

// AllowedIP applies the allow list: with allowlist_status 1 only IPs in
// an entry covering protocol may connect.
func (g *Guard) AllowedIP(ip, protocol string) bool {
	if !g.allowList {
		return true
	}
	a, err := parseAddr(ip)
	if err != nil {
		return false
	}
	_, ok := g.lists.Match(dataprovider.IPListTypeAllowList, a, protocol)
	return ok
}

// IsBanned is IsBannedFor without a protocol.
func (g *Guard) IsBanned(ip string) bool { return g.IsBannedFor(ip, "") }

// IsBannedFor reports whether ip may not connect over protocol: outside
// the allow list, on the defender's block list, or banned.
func (g *Guard) IsBannedFor(ip, protocol string) bool {
	if !g.AllowedIP(ip, protocol) {
		g.log.Debug("connection refused: not in the allow list", "remote", ip, "proto", protocol)
		return true
	}
	if g.def != nil && g.def.IsBannedFor(ip, protocol) {
		g.log.Debug("connection refused: banned", "remote", ip, "proto", protocol)
		return true
	}
	return false
}

// AddEvent reports a login outcome to the defender.
func (g *Guard) AddEvent(ip, protocol string, ev common.DefenderEvent) {
	if ev == common.DefenderLimitExceeded {
		if _, quiet := g.quiet.LoadAndDelete(ip); quiet {
			return
		}
	}
	if g.def != nil {
		g.def.AddEvent(ip, protocol, ev)
	}
}

// rateSafe reports whether ip is on the rate limiter safe list.
func (g *Guard) rateSafe(ip, protocol string) bool {
	a, err := parseAddr(ip)
	if err != nil {
		return false
	}
	_, ok := g.lists.Match(dataprovider.IPListTypeRateLimiterSafeList, a, protocol)
	return ok
}

// Reserve takes a token from every limiter covering protocol. It returns
// the longest wait, or a *LimitError when one limiter refuses.
func (g *Guard) Reserve(protocol, ip string) (time.Duration, error) {
	if len(g.limiters) == 0 || g.rateSafe(ip, protocol) {
		return 0, nil
	}
	now := g.now()
	var wait time.Duration
	for _, l := range g.limiters {
		if !l.Covers(protocol) {
			continue
		}
		d, err := l.Reserve(ip, now)
		if err != nil {
			return 0, err
		}
		wait = max(wait, d)
	}
	return wait, nil
}

type limitedKey struct{}

// MarkLimited returns a context saying the request was already rate
// limited (HTTP limits every request before it reaches the login path).
func MarkLimited(ctx context.Context) context.Context {
	return context.WithValue(ctx, limitedKey{}, true)
}

// Wait applies the rate limiters to a login attempt: it waits for a
// token or returns a *LimitError.
func (g *Guard) Wait(ctx context.Context, protocol, ip string) error {
	if ctx.Value(limitedKey{}) != nil {
		return nil
	}
	d, err := g.Reserve(protocol, ip)
	if err != nil {
		var le *LimitError
		if errors.As(err, &le) && !le.Events {
			g.quiet.Store(ip, struct{}{})
		}
		g.log.Debug("rate limit exceeded", "remote", ip, "proto", protocol, "error", err)
		return err
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// LimitExceeded reports a refused request of a limiter that generates
// defender events (the HTTP middleware calls it; the login path reports
// its own refusals).
func (g *Guard) LimitExceeded(ip, protocol string) {
	if g.def != nil {
		g.def.AddEvent(ip, protocol, common.DefenderLimitExceeded)
	}
}

var (
	_ common.Defender         = (*Guard)(nil)
	_ common.ProtocolDefender = (*Guard)(nil)
	_ common.RateLimiter      = (*Guard)(nil)
)
