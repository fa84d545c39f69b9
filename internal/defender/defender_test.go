package defender

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func openStore(t testing.TB, driver, file string) *dataprovider.Store {
	t.Helper()
	cfg := config.Default().DataProvider
	cfg.Driver, cfg.Name = driver, file
	if driver == "memory" {
		cfg.Name = ""
	}
	s, err := dataprovider.Open(context.Background(), dataprovider.Options{Config: cfg, ConfigDir: filepath.Dir(file)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func defenderConfig(driver string) config.DefenderConfig {
	c := config.Default().Common.Defender
	c.Enabled, c.Driver = true, driver
	c.Threshold, c.ScoreValid, c.ScoreInvalid, c.ScoreLimitExceeded, c.ScoreNoAuth = 5, 1, 2, 3, 1
	c.BanTime, c.BanTimeIncrement, c.ObservationTime = 10, 50, 5
	c.EntriesSoftLimit, c.EntriesHardLimit = 3, 5
	return c
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time                 { return c.t }
func (c *clock) advance(d time.Duration)        { c.t = c.t.Add(d) }
func newClock() *clock                          { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }
func (c *clock) plus(d time.Duration) time.Time { return c.t.Add(d) }

func newTestDefender(t *testing.T, driver string, st *dataprovider.Store) (*Defender, *clock) {
	t.Helper()
	lists, err := NewLists(context.Background(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDefender(defenderConfig(driver), st.DefenderStore(), lists, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := newClock()
	d.now = c.now
	return d, c
}

func TestDefenderDrivers(t *testing.T) {
	for _, tc := range []struct{ driver, provider string }{
		{"memory", "memory"}, {"provider", "sqlite"}, {"provider", "memory"}, {"provider", "bolt"},
	} {
		t.Run(tc.driver+"/"+tc.provider, func(t *testing.T) {
			st := openStore(t, tc.provider, filepath.Join(t.TempDir(), "db"))
			d, c := newTestDefender(t, tc.driver, st)
			ctx := context.Background()
			const ip = "192.0.2.7"
			for i := 0; i < 4; i++ {
				d.AddEvent(ip, "SSH", common.DefenderLoginFailed)
				if d.IsBanned(ip) {
					t.Fatalf("banned after %d failures, threshold 5", i+1)
				}
			}
			h, err := d.Host(ctx, ip)
			if err != nil || h.Score != 4 || !h.BanTime.IsZero() {
				t.Fatalf("host before the ban: %+v %v", h, err)
			}
			d.AddEvent(ip, "SSH", common.DefenderLoginSucceeded) // scores nothing
			d.AddEvent(ip, "FTP", common.DefenderLoginFailed)
			if !d.IsBanned(ip) || !d.IsBannedFor(ip, "HTTP") {
				t.Fatal("not banned at the threshold")
			}
			if d.IsBanned("192.0.2.8") {
				t.Fatal("another host is banned")
			}
			h, err = d.Host(ctx, ip)
			if err != nil || !h.BanTime.Equal(c.plus(10*time.Minute)) {
				t.Fatalf("banned host: %+v %v (want ban until %v)", h, err, c.plus(10*time.Minute))
			}
			// trying again while banned adds ban_time_increment (50% of 10 min)
			d.AddEvent(ip, "SSH", common.DefenderLoginFailed)
			h, _ = d.Host(ctx, ip)
			if !h.BanTime.Equal(c.plus(15 * time.Minute)) {
				t.Fatalf("ban not extended: %v", h.BanTime)
			}
			hosts, err := d.Hosts(ctx)
			if err != nil || len(hosts) != 1 || hosts[0].IP != ip || hosts[0].ID() != "3139322e302e322e37" {
				t.Fatalf("hosts: %+v %v", hosts, err)
			}
			if err := d.DeleteHost(ctx, ip); err != nil || d.IsBanned(ip) {
				t.Fatalf("delete: %v, banned %v", err, d.IsBanned(ip))
			}
			if err := d.DeleteHost(ctx, ip); !errors.Is(err, ErrHostNotFound) {
				t.Fatalf("second delete: %v", err)
			}
			// scores age out of the observation window; bans end
			d.AddEvent(ip, "SSH", common.DefenderUserNotFound) // 2
			d.AddEvent(ip, "SSH", common.DefenderUserNotFound) // 4
			c.advance(6 * time.Minute)
			d.AddEvent(ip, "SSH", common.DefenderUserNotFound) // 2 within the window
			if d.IsBanned(ip) {
				t.Fatal("events outside observation_time counted")
			}
			d.AddEvent(ip, "SSH", common.DefenderLimitExceeded) // 5
			if !d.IsBanned(ip) {
				t.Fatal("limit-exceeded score not counted")
			}
			c.advance(11 * time.Minute)
			if d.IsBanned(ip) {
				t.Fatal("still banned after ban_time")
			}
			d.Cleanup()
			if _, err := d.Host(ctx, ip); !errors.Is(err, ErrHostNotFound) {
				t.Fatalf("expired host kept: %v", err)
			}
		})
	}
}

func TestDefenderSafeAndBlockLists(t *testing.T) {
	st := openStore(t, "memory", filepath.Join(t.TempDir(), "db"))
	ctx := context.Background()
	for _, e := range []dataprovider.IPListEntry{
		{IPOrNet: "10.0.0.0/8", Type: dataprovider.IPListTypeDefender, Mode: dataprovider.ListModeDeny},
		{IPOrNet: "10.1.0.0/16", Type: dataprovider.IPListTypeDefender, Mode: dataprovider.ListModeAllow},
		{IPOrNet: "192.0.2.1", Type: dataprovider.IPListTypeDefender, Mode: dataprovider.ListModeDeny, Protocols: dataprovider.IPListProtoFTP},
	} {
		if err := st.AddIPListEntry(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
	d, _ := newTestDefender(t, "memory", st)
	check := func(ip, proto string, want bool) {
		t.Helper()
		if got := d.IsBannedFor(ip, proto); got != want {
			t.Errorf("IsBannedFor(%s, %s) = %v, want %v", ip, proto, got, want)
		}
	}
	check("10.2.3.4", "SSH", true)   // block list
	check("10.1.3.4", "SSH", false)  // the more specific safe entry wins
	check("192.0.2.1", "FTP", true)  // FTP only
	check("192.0.2.1", "SSH", false) // not for SSH
	for i := 0; i < 10; i++ {
		d.AddEvent("10.1.3.4", "SSH", common.DefenderLoginFailed)
	}
	check("10.1.3.4", "SSH", false) // safe hosts are never scored
	if _, err := d.Host(ctx, "10.1.3.4"); !errors.Is(err, ErrHostNotFound) {
		t.Fatalf("safe host scored: %v", err)
	}
}

func TestMemoryDriverEntriesLimits(t *testing.T) {
	st := openStore(t, "memory", filepath.Join(t.TempDir(), "db"))
	d, c := newTestDefender(t, "memory", st)
	m := d.drv.(*memoryDriver)
	for i := 0; i < 6; i++ {
		c.advance(time.Second)
		d.AddEvent("192.0.2."+string(rune('1'+i)), "SSH", common.DefenderLoginFailed)
	}
	if n := len(m.scores); n != 3 {
		t.Fatalf("scored hosts after passing the hard limit 5: %d, want the soft limit 3", n)
	}
	if _, ok := m.scores["192.0.2.1"]; ok {
		t.Fatal("the least recently seen host was kept")
	}
}

// Two stores on one SQLite file stand for two nodes: a ban recorded by
// one is honoured by the other, and lifting it on one lifts it for both.
func TestProviderDriverSharedBetweenStores(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sftpgo.db")
	st1 := openStore(t, "sqlite", file)
	st2 := openStore(t, "sqlite", file)
	d1, c1 := newTestDefender(t, "provider", st1)
	d2, c2 := newTestDefender(t, "provider", st2)
	// a node sees another's changes once its lookup cache expires
	settle := func() { c1.advance(providerCacheTTL); c2.advance(providerCacheTTL) }
	const ip = "2001:db8::5"
	for i := 0; i < 3; i++ {
		d1.AddEvent(ip, "SSH", common.DefenderLoginFailed)
	}
	d2.AddEvent(ip, "FTP", common.DefenderLoginFailed)
	if d1.IsBanned(ip) || d2.IsBanned(ip) {
		t.Fatal("banned below the threshold")
	}
	d2.AddEvent(ip, "FTP", common.DefenderLoginFailed) // the scores of both nodes add up
	settle()
	if !d1.IsBanned(ip) || !d2.IsBanned(ip) {
		t.Fatal("a ban recorded through one store is not seen by both")
	}
	hosts, err := d1.Hosts(context.Background())
	if err != nil || len(hosts) != 1 || hosts[0].BanTime.IsZero() {
		t.Fatalf("hosts: %+v %v", hosts, err)
	}
	if err := d2.DeleteHost(context.Background(), ip); err != nil {
		t.Fatal(err)
	}
	if d2.IsBanned(ip) {
		t.Fatal("the node that lifted the ban still applies it")
	}
	settle()
	if d1.IsBanned(ip) {
		t.Fatal("a ban lifted through one store is still seen by the other")
	}
}

func TestValidateConfig(t *testing.T) {
	c := defenderConfig("memory")
	c.ScoreInvalid = 5
	if ValidateConfig(c) == nil {
		t.Error("a score equal to the threshold was accepted")
	}
	c = defenderConfig("redis")
	if ValidateConfig(c) == nil {
		t.Error("an unknown driver was accepted")
	}
	c = defenderConfig("memory")
	c.EntriesHardLimit = c.EntriesSoftLimit
	if ValidateConfig(c) == nil {
		t.Error("hard limit equal to soft limit was accepted")
	}
	if err := ValidateConfig(defenderConfig("provider")); err != nil {
		t.Error(err)
	}
}
