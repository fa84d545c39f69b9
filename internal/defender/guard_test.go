package defender

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func addEntries(t testing.TB, st *dataprovider.Store, entries ...dataprovider.IPListEntry) {
	t.Helper()
	for i := range entries {
		if err := st.AddIPListEntry(context.Background(), &entries[i]); err != nil {
			t.Fatal(err)
		}
	}
}

func TestListsMatch(t *testing.T) {
	for _, driver := range []string{"memory", "sqlite", "bolt"} {
		t.Run(driver, func(t *testing.T) {
			st := openStore(t, driver, filepath.Join(t.TempDir(), "db"))
			addEntries(t, st,
				dataprovider.IPListEntry{IPOrNet: "192.0.2.0/24", Type: dataprovider.IPListTypeAllowList, Mode: 1},
				dataprovider.IPListEntry{IPOrNet: "2001:db8::/32", Type: dataprovider.IPListTypeAllowList, Mode: 1, Protocols: dataprovider.IPListProtoSSH},
				dataprovider.IPListEntry{IPOrNet: "::ffff:198.51.100.7", Type: dataprovider.IPListTypeAllowList, Mode: 1},
				dataprovider.IPListEntry{IPOrNet: "203.0.113.0/24", Type: dataprovider.IPListTypeRateLimiterSafeList, Mode: 1},
			)
			l, err := NewLists(context.Background(), st, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				ip, proto string
				want      bool
			}{
				{"192.0.2.200", "FTP", true},
				{"192.0.3.1", "FTP", false},
				{"2001:db8:1::9", "SSH", true},
				{"2001:db8:1::9", "HTTP", false},
				{"198.51.100.7", "DAV", true},     // stored as IPv4
				{"::ffff:192.0.2.1", "DAV", true}, // mapped address matches its IPv4 network
				{"203.0.113.5", "SSH", false},     // another list
			} {
				_, got := l.Match(dataprovider.IPListTypeAllowList, netip.MustParseAddr(tc.ip), tc.proto)
				if got != tc.want {
					t.Errorf("%s %s: %v, want %v", tc.ip, tc.proto, got, tc.want)
				}
			}
			// the provider's range index gives the same answers
			for _, ip := range []string{"192.0.2.200", "2001:db8:1::9", "198.51.100.7"} {
				m, err := st.MatchIPList(context.Background(), dataprovider.IPListTypeAllowList, netip.MustParseAddr(ip))
				if err != nil || len(m) != 1 {
					t.Errorf("provider match %s: %v %v", ip, m, err)
				}
			}
			if m, _ := st.MatchIPList(context.Background(), dataprovider.IPListTypeAllowList, netip.MustParseAddr("192.0.3.0")); len(m) != 0 {
				t.Errorf("provider matched outside the network: %v", m)
			}
			// a change is picked up by Refresh (signature) or Invalidate
			if err := st.DeleteIPListEntry(context.Background(), dataprovider.IPListTypeAllowList, "192.0.2.0/24"); err != nil {
				t.Fatal(err)
			}
			l.Refresh(context.Background())
			if _, ok := l.Match(dataprovider.IPListTypeAllowList, netip.MustParseAddr("192.0.2.200"), "FTP"); ok {
				t.Error("a deleted entry still matches after Refresh")
			}
			e := dataprovider.IPListEntry{IPOrNet: "192.0.2.0/25", Type: dataprovider.IPListTypeAllowList, Mode: 1}
			addEntries(t, st, e)
			l.Refresh(context.Background())
			if _, ok := l.Match(dataprovider.IPListTypeAllowList, netip.MustParseAddr("192.0.2.1"), "FTP"); !ok {
				t.Error("an added entry does not match after Refresh")
			}
		})
	}
}

func TestIPListValidation(t *testing.T) {
	st := openStore(t, "memory", filepath.Join(t.TempDir(), "db"))
	ctx := context.Background()
	for _, e := range []dataprovider.IPListEntry{
		{IPOrNet: "192.0.2.0/24", Type: dataprovider.IPListTypeAllowList, Mode: 2},
		{IPOrNet: "192.0.2.0/24", Type: 4, Mode: 1},
		{IPOrNet: "not-an-ip", Type: 1, Mode: 1},
		{IPOrNet: "192.0.2.0/24", Type: 1, Mode: 1, Protocols: 16},
	} {
		if err := st.AddIPListEntry(ctx, &e); !errors.Is(err, dataprovider.ErrValidation) {
			t.Errorf("%+v accepted: %v", e, err)
		}
	}
	e := dataprovider.IPListEntry{IPOrNet: "192.0.2.9/24", Type: 2, Mode: 2}
	if err := st.AddIPListEntry(ctx, &e); err != nil || e.IPOrNet != "192.0.2.0/24" {
		t.Fatalf("add: %v %q", err, e.IPOrNet)
	}
	dup := dataprovider.IPListEntry{IPOrNet: "192.0.2.0/24", Type: 2, Mode: 1}
	if err := st.AddIPListEntry(ctx, &dup); !errors.Is(err, dataprovider.ErrConflict) {
		t.Fatalf("duplicate: %v", err)
	}
	bare := dataprovider.IPListEntry{IPOrNet: "2001:db8::1", Type: 1, Mode: 1}
	if err := st.AddIPListEntry(ctx, &bare); err != nil || bare.IPOrNet != "2001:db8::1/128" {
		t.Fatalf("bare address: %v %q", err, bare.IPOrNet)
	}
}

func TestRateLimiter(t *testing.T) {
	l, err := NewLimiter(config.RateLimiterConfig{Average: 1, Period: 60000, Burst: 2, Type: LimiterTypePerSource,
		Protocols: []string{"HTTP"}, EntriesSoftLimit: 2, EntriesHardLimit: 3})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := 0; i < 2; i++ {
		if d, err := l.Reserve("a", now); err != nil || d != 0 {
			t.Fatalf("burst request %d: %v %v", i, d, err)
		}
	}
	_, err = l.Reserve("a", now)
	var le *LimitError
	if !errors.As(err, &le) || le.RetryAfter < 50*time.Second {
		t.Fatalf("third request: %v", err)
	}
	if _, err := l.Reserve("b", now); err != nil {
		t.Fatalf("another source is limited: %v", err)
	}
	if !l.Covers("HTTP") || l.Covers("SSH") {
		t.Fatal("protocols not honoured")
	}
	for _, ip := range []string{"c", "d", "e"} {
		l.Reserve(ip, now)
	}
	if n := l.Entries(); n > 3 {
		t.Fatalf("%d sources tracked, hard limit 3", n)
	}
	// a short wait is a delay, not a refusal
	g, err := NewLimiter(config.RateLimiterConfig{Average: 10, Period: 1000, Burst: 1, Type: LimiterTypeGlobal})
	if err != nil {
		t.Fatal(err)
	}
	g.Reserve("x", now)
	if d, err := g.Reserve("y", now.Add(60*time.Millisecond)); err != nil || d <= 0 || d > 50*time.Millisecond {
		t.Fatalf("global limiter: %v %v", d, err)
	}
}

func newGuard(t testing.TB, st *dataprovider.Store, mod func(*config.CommonConfig)) *Guard {
	t.Helper()
	cfg := config.Default().Common
	mod(&cfg)
	g, err := New(context.Background(), cfg, Stores{Lists: st, Defender: st.DefenderStore()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	return g
}

func TestGuard(t *testing.T) {
	st := openStore(t, "memory", filepath.Join(t.TempDir(), "db"))
	addEntries(t, st,
		dataprovider.IPListEntry{IPOrNet: "127.0.0.1", Type: dataprovider.IPListTypeAllowList, Mode: 1},
		dataprovider.IPListEntry{IPOrNet: "127.0.0.3", Type: dataprovider.IPListTypeAllowList, Mode: 1, Protocols: dataprovider.IPListProtoHTTP},
		dataprovider.IPListEntry{IPOrNet: "127.0.0.1", Type: dataprovider.IPListTypeRateLimiterSafeList, Mode: 1},
	)
	g := newGuard(t, st, func(c *config.CommonConfig) {
		c.AllowListStatus = 1
		c.Defender = defenderConfig("memory")
		c.RateLimiters = []config.RateLimiterConfig{{Average: 1, Period: 60000, Burst: 1, Type: 2,
			Protocols: []string{"SSH"}, EntriesSoftLimit: 10, EntriesHardLimit: 20}}
	})
	if g.IsBannedFor("127.0.0.1", "FTP") || !g.IsBannedFor("127.0.0.2", "FTP") {
		t.Fatal("allow list not applied")
	}
	if g.IsBannedFor("127.0.0.3", "HTTP") || !g.IsBannedFor("127.0.0.3", "SSH") {
		t.Fatal("allow list protocols not applied")
	}
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if err := g.Wait(ctx, "SSH", "127.0.0.1"); err != nil {
			t.Fatalf("safe-listed source limited: %v", err)
		}
	}
	if err := g.Wait(ctx, "SSH", "127.0.0.3"); err != nil {
		t.Fatal(err)
	}
	if err := g.Wait(ctx, "SSH", "127.0.0.3"); err == nil {
		t.Fatal("second request within the period not limited")
	}
	// without generate_defender_events the login path's limit event is dropped
	g.AddEvent("127.0.0.3", "SSH", common.DefenderLimitExceeded)
	if _, err := g.Defender().Host(ctx, "127.0.0.3"); !errors.Is(err, ErrHostNotFound) {
		t.Fatalf("limit refusal scored without generate_defender_events: %v", err)
	}
	if err := g.Wait(MarkLimited(ctx), "SSH", "127.0.0.3"); err != nil {
		t.Fatal("a request already limited by HTTP was limited again")
	}
}

// BenchmarkGuardCheck measures what the login path asks the guard for
// every login (allow list, defender list and ban, rate limiter safe list
// and bucket) with 100k networks in the lists, against the same checks
// with empty lists.
func BenchmarkGuardCheck(b *testing.B) {
	for _, n := range []int{0, 100_000} {
		b.Run(fmt.Sprintf("networks=%d", n), func(b *testing.B) {
			st := openStore(b, "memory", filepath.Join(b.TempDir(), "db"))
			ctx := context.Background()
			for i := 0; i < n; i++ {
				// /24s and /32s spread over 10.0.0.0/8 and 2001:db8::/32
				var e dataprovider.IPListEntry
				switch i % 3 {
				case 0:
					e = dataprovider.IPListEntry{IPOrNet: fmt.Sprintf("10.%d.%d.0/24", (i>>8)&255, i&255), Type: dataprovider.IPListTypeAllowList, Mode: 1}
				case 1:
					e = dataprovider.IPListEntry{IPOrNet: fmt.Sprintf("2001:db8:%x::/48", i&0xffff), Type: dataprovider.IPListTypeDefender, Mode: 2}
				default:
					e = dataprovider.IPListEntry{IPOrNet: fmt.Sprintf("172.%d.%d.%d", 16+(i>>16)&15, (i>>8)&255, i&255), Type: dataprovider.IPListTypeRateLimiterSafeList, Mode: 1}
				}
				if err := st.Driver().(interface {
					AddIPListEntry(context.Context, *dataprovider.IPListEntry) error
				}).AddIPListEntry(ctx, &e); err != nil && !errors.Is(err, dataprovider.ErrConflict) {
					b.Fatal(err)
				}
			}
			addEntries(b, st, dataprovider.IPListEntry{IPOrNet: "192.0.2.0/24", Type: dataprovider.IPListTypeAllowList, Mode: 1})
			g := newGuard(b, st, func(c *config.CommonConfig) {
				c.AllowListStatus = 1
				c.Defender = defenderConfig("memory")
				c.Defender.EntriesSoftLimit, c.Defender.EntriesHardLimit = 1000, 2000
				c.RateLimiters = []config.RateLimiterConfig{{Average: 1_000_000, Period: 1000, Burst: 1_000_000, Type: 2,
					EntriesSoftLimit: 1000, EntriesHardLimit: 2000}}
			})
			ips := []string{"192.0.2.10", "192.0.2.77", "192.0.2.200"}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ip := ips[i%len(ips)]
				if g.IsBannedFor(ip, "SSH") {
					b.Fatal("refused")
				}
				if err := g.Wait(ctx, "SSH", ip); err != nil {
					b.Fatal(err)
				}
				g.AddEvent(ip, "SSH", common.DefenderLoginSucceeded)
			}
		})
	}
}
