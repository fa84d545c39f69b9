// Package defender protects every protocol from clients that misbehave:
// the brute-force defender (scores per login outcome, bans past a
// threshold, kept in memory or shared through the data provider), the
// token-bucket rate limiters and the three IP lists (allow list, defender
// safe/block list, rate limiter safe list). Guard bundles them behind the
// common package's Defender and RateLimiter interfaces.
package defender

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// Host is a client the defender knows: banned, or with a score.
type Host struct {
	IP    string
	Score int
	// BanTime is when the ban ends; zero when not banned.
	BanTime time.Time
}

// ID is the host's REST identifier: the hex encoding of its IP string.
func (h Host) ID() string { return hex.EncodeToString([]byte(h.IP)) }

// IPFromID decodes a host id; ok is false for a malformed one.
func IPFromID(id string) (string, bool) {
	b, err := hex.DecodeString(id)
	if err != nil || len(b) == 0 {
		return "", false
	}
	return string(b), true
}

// ErrHostNotFound: the defender does not know the host.
var ErrHostNotFound = errors.New("host not found")

// driver keeps scores and bans.
type driver interface {
	isBanned(ip string, now time.Time) bool
	// addScore adds score to ip; it returns true when this event banned
	// the host.
	addScore(ip string, score int, now time.Time) bool
	hosts(now time.Time) ([]Host, error)
	host(ip string, now time.Time) (Host, error)
	deleteHost(ip string) (bool, error)
	cleanup(now time.Time)
}

// Defender scores login outcomes and bans hosts past the threshold.
type Defender struct {
	cfg    config.DefenderConfig
	drv    driver
	lists  *Lists
	log    *slog.Logger
	now    func() time.Time
	banFor time.Duration
	incr   time.Duration

	banMu sync.RWMutex
	onBan []func(ip, protocol string)
}

// OnBan registers fn, called (synchronously: fn must not block) each time
// an event bans a host; the event manager's "IP blocked" rules use it.
func (d *Defender) OnBan(fn func(ip, protocol string)) {
	d.banMu.Lock()
	d.onBan = append(d.onBan, fn)
	d.banMu.Unlock()
}

// ValidateConfig checks common.defender as SFTPGo does: positive times
// and threshold, every score below the threshold, and a known driver.
func ValidateConfig(cfg config.DefenderConfig) error {
	if cfg.Driver != "memory" && cfg.Driver != "provider" {
		return fmt.Errorf("defender: unsupported driver %q (memory or provider)", cfg.Driver)
	}
	if cfg.BanTime <= 0 || cfg.ObservationTime <= 0 || cfg.Threshold <= 0 {
		return errors.New("defender: ban_time, observation_time and threshold must be greater than 0")
	}
	if cfg.BanTimeIncrement < 0 {
		return errors.New("defender: ban_time_increment must not be negative")
	}
	for name, v := range map[string]int{"score_valid": cfg.ScoreValid, "score_invalid": cfg.ScoreInvalid,
		"score_limit_exceeded": cfg.ScoreLimitExceeded, "score_no_auth": cfg.ScoreNoAuth} {
		if v < 0 || v >= cfg.Threshold {
			return fmt.Errorf("defender: %s %d must be between 0 and threshold (%d) - 1", name, v, cfg.Threshold)
		}
	}
	if cfg.Driver == "memory" && (cfg.EntriesSoftLimit <= 0 || cfg.EntriesHardLimit <= cfg.EntriesSoftLimit) {
		return errors.New("defender: entries_hard_limit must be greater than entries_soft_limit, which must be greater than 0")
	}
	return nil
}

// NewDefender builds the defender. storage is required by the provider
// driver; lists supplies the safe and block lists (may be nil).
func NewDefender(cfg config.DefenderConfig, storage dataprovider.DefenderStorage, lists *Lists, log *slog.Logger) (*Defender, error) {
	if err := ValidateConfig(cfg); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Defender{cfg: cfg, lists: lists, log: log, now: time.Now,
		banFor: time.Duration(cfg.BanTime) * time.Minute}
	d.incr = d.banFor * time.Duration(cfg.BanTimeIncrement) / 100
	obs := time.Duration(cfg.ObservationTime) * time.Minute
	switch cfg.Driver {
	case "memory":
		d.drv = newMemoryDriver(d, obs)
	case "provider":
		if storage == nil {
			return nil, errors.New("defender: the provider driver needs a data provider that stores defender hosts")
		}
		d.drv = &providerDriver{d: d, st: storage, obs: obs}
	}
	return d, nil
}

// listMode returns the defender list's verdict for ip: ListModeAllow
// (never banned), ListModeDeny (always refused) or 0.
func (d *Defender) listMode(ip, protocol string) int {
	if d.lists == nil {
		return 0
	}
	a, err := parseAddr(ip)
	if err != nil {
		return 0
	}
	mode, ok := d.lists.Match(dataprovider.IPListTypeDefender, a, protocol)
	if !ok {
		return 0
	}
	return mode
}

// IsBanned reports whether ip is banned, or on the block list for every
// protocol.
func (d *Defender) IsBanned(ip string) bool { return d.IsBannedFor(ip, "") }

// IsBannedFor reports whether ip is banned or on the block list for
// protocol ("" matches entries for every protocol only).
func (d *Defender) IsBannedFor(ip, protocol string) bool {
	switch d.listMode(ip, protocol) {
	case dataprovider.ListModeAllow:
		return false
	case dataprovider.ListModeDeny:
		return true
	}
	return d.drv.isBanned(ip, d.now())
}

// Score returns the configured score of an event.
func (d *Defender) Score(ev common.DefenderEvent) int {
	switch ev {
	case common.DefenderLoginFailed:
		return d.cfg.ScoreValid
	case common.DefenderUserNotFound:
		return d.cfg.ScoreInvalid
	case common.DefenderLimitExceeded:
		return d.cfg.ScoreLimitExceeded
	case common.DefenderNoAuth:
		return d.cfg.ScoreNoAuth
	}
	return 0
}

// AddEvent records a login outcome of ip. Successful logins score
// nothing; a safe-listed host is never scored.
func (d *Defender) AddEvent(ip, protocol string, ev common.DefenderEvent) {
	score := d.Score(ev)
	if score <= 0 || d.listMode(ip, protocol) == dataprovider.ListModeAllow {
		return
	}
	if d.drv.addScore(ip, score, d.now()) {
		d.log.Warn("host banned by the defender", "remote", ip, "proto", protocol,
			"ban_time_minutes", d.cfg.BanTime, "threshold", d.cfg.Threshold)
		d.banMu.RLock()
		fns := d.onBan
		d.banMu.RUnlock()
		for _, fn := range fns {
			fn(ip, protocol)
		}
	}
}

// Hosts returns the banned hosts and the hosts with a score.
func (d *Defender) Hosts(ctx context.Context) ([]Host, error) { return d.drv.hosts(d.now()) }

// Host returns one host; ErrHostNotFound when unknown.
func (d *Defender) Host(ctx context.Context, ip string) (Host, error) { return d.drv.host(ip, d.now()) }

// DeleteHost forgets a host's score and ban; ErrHostNotFound when
// unknown.
func (d *Defender) DeleteHost(ctx context.Context, ip string) error {
	ok, err := d.drv.deleteHost(ip)
	if err != nil {
		return err
	}
	if !ok {
		return ErrHostNotFound
	}
	d.log.Info("defender host removed", "remote", ip)
	return nil
}

// Cleanup drops expired bans and events.
func (d *Defender) Cleanup() { d.drv.cleanup(d.now()) }

// Config returns the defender's configuration.
func (d *Defender) Config() config.DefenderConfig { return d.cfg }

// memoryDriver keeps everything in maps, bounded by the entries limits.
type memoryDriver struct {
	d   *Defender
	obs time.Duration

	mu     sync.Mutex
	scores map[string]*hostScore
	banned map[string]time.Time
}

type hostScore struct {
	events []scoreEvent // oldest first
	total  int
	last   time.Time
}

type scoreEvent struct {
	at    time.Time
	score int
}

func newMemoryDriver(d *Defender, obs time.Duration) *memoryDriver {
	return &memoryDriver{d: d, obs: obs, scores: map[string]*hostScore{}, banned: map[string]time.Time{}}
}

func (m *memoryDriver) isBanned(ip string, now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	until, ok := m.banned[ip]
	if !ok {
		return false
	}
	if now.Before(until) {
		return true
	}
	delete(m.banned, ip)
	return false
}

func (h *hostScore) prune(from time.Time) {
	i := 0
	for i < len(h.events) && h.events[i].at.Before(from) {
		h.total -= h.events[i].score
		i++
	}
	h.events = h.events[i:]
}

func (m *memoryDriver) addScore(ip string, score int, now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if until, ok := m.banned[ip]; ok && now.Before(until) {
		// a banned host that keeps trying stays banned longer
		m.banned[ip] = until.Add(m.d.incr)
		return false
	}
	delete(m.banned, ip)
	h := m.scores[ip]
	if h == nil {
		h = &hostScore{}
		m.scores[ip] = h
	}
	h.prune(now.Add(-m.obs))
	h.events = append(h.events, scoreEvent{at: now, score: score})
	h.total += score
	h.last = now
	if h.total >= m.d.cfg.Threshold {
		delete(m.scores, ip)
		m.banned[ip] = now.Add(m.d.banFor)
		m.limitBanned()
		return true
	}
	m.limitScores()
	return false
}

// limitScores keeps the scored hosts under the hard limit, dropping the
// least recently seen down to the soft limit.
func (m *memoryDriver) limitScores() {
	if len(m.scores) <= m.d.cfg.EntriesHardLimit {
		return
	}
	type kv struct {
		ip   string
		last time.Time
	}
	all := make([]kv, 0, len(m.scores))
	for ip, h := range m.scores {
		all = append(all, kv{ip, h.last})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].last.Before(all[j].last) })
	for _, e := range all[:len(all)-m.d.cfg.EntriesSoftLimit] {
		delete(m.scores, e.ip)
	}
}

// limitBanned keeps the banned hosts under the hard limit, dropping the
// bans that end first.
func (m *memoryDriver) limitBanned() {
	if len(m.banned) <= m.d.cfg.EntriesHardLimit {
		return
	}
	type kv struct {
		ip    string
		until time.Time
	}
	all := make([]kv, 0, len(m.banned))
	for ip, u := range m.banned {
		all = append(all, kv{ip, u})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].until.Before(all[j].until) })
	for _, e := range all[:len(all)-m.d.cfg.EntriesSoftLimit] {
		delete(m.banned, e.ip)
	}
}

func (m *memoryDriver) hostLocked(ip string, now time.Time) (Host, bool) {
	h := Host{IP: ip}
	found := false
	if until, ok := m.banned[ip]; ok && now.Before(until) {
		h.BanTime, found = until, true
	}
	if s, ok := m.scores[ip]; ok {
		s.prune(now.Add(-m.obs))
		if s.total > 0 {
			h.Score, found = s.total, true
		}
	}
	return h, found
}

func (m *memoryDriver) hosts(now time.Time) ([]Host, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[string]bool{}
	var out []Host
	for _, src := range []func(yield func(string)){
		func(yield func(string)) {
			for ip := range m.banned {
				yield(ip)
			}
		},
		func(yield func(string)) {
			for ip := range m.scores {
				yield(ip)
			}
		},
	} {
		src(func(ip string) {
			if seen[ip] {
				return
			}
			seen[ip] = true
			if h, ok := m.hostLocked(ip, now); ok {
				out = append(out, h)
			}
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].IP < out[j].IP })
	return out, nil
}

func (m *memoryDriver) host(ip string, now time.Time) (Host, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, ok := m.hostLocked(ip, now)
	if !ok {
		return Host{}, ErrHostNotFound
	}
	return h, nil
}

func (m *memoryDriver) deleteHost(ip string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, b := m.banned[ip]
	_, s := m.scores[ip]
	delete(m.banned, ip)
	delete(m.scores, ip)
	return b || s, nil
}

func (m *memoryDriver) cleanup(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for ip, until := range m.banned {
		if !now.Before(until) {
			delete(m.banned, ip)
		}
	}
	for ip, h := range m.scores {
		h.prune(now.Add(-m.obs))
		if len(h.events) == 0 {
			delete(m.scores, ip)
		}
	}
}

// providerDriver keeps hosts and events in the data provider, so every
// node on the same database shares scores and bans. A provider error
// never refuses a client: it is logged and the host counts as not
// banned.
type providerDriver struct {
	d   *Defender
	st  dataprovider.DefenderStorage
	obs time.Duration

	// cache holds recent ban lookups for providerCacheTTL, so a burst of
	// HTTP requests does not query the provider for each; local changes
	// drop the entry at once, other nodes' changes show within the TTL.
	mu    sync.Mutex
	cache map[string]banLookup
}

type banLookup struct {
	until, at time.Time
}

const (
	providerCacheTTL = time.Second
	providerCacheMax = 10000
)

func (p *providerDriver) cached(ip string, now time.Time) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.cache[ip]
	if !ok || now.Sub(e.at) >= providerCacheTTL || now.Before(e.at) {
		return time.Time{}, false
	}
	return e.until, true
}

func (p *providerDriver) remember(ip string, until, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cache == nil || len(p.cache) >= providerCacheMax {
		p.cache = map[string]banLookup{}
	}
	p.cache[ip] = banLookup{until: until, at: now}
}

func (p *providerDriver) forget(ip string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.cache, ip)
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func (p *providerDriver) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

func (p *providerDriver) isBanned(ip string, now time.Time) bool {
	if until, ok := p.cached(ip, now); ok {
		return now.Before(until)
	}
	ctx, cancel := p.ctx()
	defer cancel()
	h, err := p.st.GetDefenderHost(ctx, ip, ms(now))
	if err != nil {
		if !errors.Is(err, dataprovider.ErrNotFound) {
			p.d.log.Warn("defender: unable to read host", "remote", ip, "error", err)
			return false
		}
		p.remember(ip, time.Time{}, now)
		return false
	}
	until := time.UnixMilli(h.BanTime)
	p.remember(ip, until, now)
	return now.Before(until)
}

func (p *providerDriver) addScore(ip string, score int, now time.Time) bool {
	defer p.forget(ip)
	ctx, cancel := p.ctx()
	defer cancel()
	h, err := p.st.GetDefenderHost(ctx, ip, ms(now.Add(-p.obs)))
	if err != nil && !errors.Is(err, dataprovider.ErrNotFound) {
		p.d.log.Warn("defender: unable to read host", "remote", ip, "error", err)
		return false
	}
	if h.BanTime > ms(now) {
		if err := p.st.SetDefenderBanTime(ctx, ip, h.BanTime+p.d.incr.Milliseconds(), ms(now)); err != nil {
			p.d.log.Warn("defender: unable to extend ban", "remote", ip, "error", err)
		}
		return false
	}
	if err := p.st.AddDefenderEvent(ctx, ip, score, ms(now)); err != nil {
		p.d.log.Warn("defender: unable to add event", "remote", ip, "error", err)
		return false
	}
	if h.Score+score < p.d.cfg.Threshold {
		return false
	}
	if err := p.st.SetDefenderBanTime(ctx, ip, ms(now.Add(p.d.banFor)), ms(now)); err != nil {
		p.d.log.Warn("defender: unable to ban host", "remote", ip, "error", err)
		return false
	}
	return true
}

func (p *providerDriver) toHost(h dataprovider.DefenderHost, now time.Time) Host {
	out := Host{IP: h.IP, Score: h.Score}
	if h.BanTime > ms(now) {
		out.BanTime = time.UnixMilli(h.BanTime)
		out.Score = 0
	}
	return out
}

func (p *providerDriver) hosts(now time.Time) ([]Host, error) {
	ctx, cancel := p.ctx()
	defer cancel()
	list, err := p.st.ListDefenderHosts(ctx, ms(now.Add(-p.obs)), ms(now), 0)
	if err != nil {
		return nil, err
	}
	out := make([]Host, 0, len(list))
	for _, h := range list {
		out = append(out, p.toHost(h, now))
	}
	return out, nil
}

func (p *providerDriver) host(ip string, now time.Time) (Host, error) {
	ctx, cancel := p.ctx()
	defer cancel()
	h, err := p.st.GetDefenderHost(ctx, ip, ms(now.Add(-p.obs)))
	if errors.Is(err, dataprovider.ErrNotFound) {
		return Host{}, ErrHostNotFound
	}
	if err != nil {
		return Host{}, err
	}
	out := p.toHost(h, now)
	if out.BanTime.IsZero() && out.Score == 0 {
		return Host{}, ErrHostNotFound
	}
	return out, nil
}

func (p *providerDriver) deleteHost(ip string) (bool, error) {
	defer p.forget(ip)
	ctx, cancel := p.ctx()
	defer cancel()
	err := p.st.DeleteDefenderHost(ctx, ip)
	if errors.Is(err, dataprovider.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (p *providerDriver) cleanup(now time.Time) {
	ctx, cancel := p.ctx()
	defer cancel()
	if err := p.st.CleanupDefender(ctx, ms(now.Add(-p.obs)), ms(now)); err != nil {
		p.d.log.Warn("defender: cleanup failed", "error", err)
	}
}
