package defender

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// BenchmarkLogin runs the whole login path (password through the
// password cache, account checks, home storage) of a real store, without
// the guard and with the defender, a rate limiter, the allow list on and
// 100k networks in the IP lists: the difference is what the protection
// costs per login.
func BenchmarkLogin(b *testing.B) {
	for _, guarded := range []bool{false, true} {
		b.Run(fmt.Sprintf("guard=%v", guarded), func(b *testing.B) {
			st := openStore(b, "memory", filepath.Join(b.TempDir(), "db"))
			ctx := context.Background()
			u := dataprovider.User{Username: "bench", Password: "bench-password", Status: dataprovider.StatusEnabled,
				HomeDir: b.TempDir(), Permissions: map[string][]string{"/": {dataprovider.PermAny}}}
			if err := st.AddUser(ctx, &u); err != nil {
				b.Fatal(err)
			}
			cfg := config.Default().Common
			cfg.Defender.LoginDelay = config.LoginDelay{}
			var hooks common.LoginHooks
			if guarded {
				fillLists(b, st, 100_000)
				cfg.AllowListStatus = 1
				cfg.Defender = defenderConfig("memory")
				cfg.Defender.EntriesSoftLimit, cfg.Defender.EntriesHardLimit = 1000, 2000
				cfg.RateLimiters = []config.RateLimiterConfig{{Average: 1_000_000, Period: 1000, Burst: 1_000_000, Type: 2,
					EntriesSoftLimit: 1000, EntriesHardLimit: 2000}}
				g := newGuard(b, st, func(c *config.CommonConfig) { *c = cfg })
				hooks.Defender, hooks.RateLimiter = g, g
			}
			s, err := common.New(cfg, common.Deps{Store: st, Login: hooks})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			req := common.LoginRequest{Protocol: "SSH", Method: dataprovider.LoginMethodPassword, Username: "bench",
				Password: "bench-password", RemoteAddr: "192.0.2.10:2000"}
			if _, err := s.Login(ctx, req); err != nil { // fills the password cache
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.Login(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// fillLists adds n networks spread over the three lists, plus an allow
// list entry for 192.0.2.0/24.
func fillLists(b *testing.B, st *dataprovider.Store, n int) {
	ctx := context.Background()
	add := st.Driver().(interface {
		AddIPListEntry(context.Context, *dataprovider.IPListEntry) error
	}).AddIPListEntry
	for i := 0; i < n; i++ {
		var e dataprovider.IPListEntry
		switch i % 3 {
		case 0:
			e = dataprovider.IPListEntry{IPOrNet: fmt.Sprintf("10.%d.%d.0/24", (i>>8)&255, i&255), Type: dataprovider.IPListTypeAllowList, Mode: 1}
		case 1:
			e = dataprovider.IPListEntry{IPOrNet: fmt.Sprintf("2001:db8:%x::/48", i&0xffff), Type: dataprovider.IPListTypeDefender, Mode: 2}
		default:
			e = dataprovider.IPListEntry{IPOrNet: fmt.Sprintf("172.%d.%d.%d/32", 16+(i>>16)&15, (i>>8)&255, i&255), Type: dataprovider.IPListTypeRateLimiterSafeList, Mode: 1}
		}
		_ = add(ctx, &e) // a few generated networks repeat
	}
	addEntries(b, st, dataprovider.IPListEntry{IPOrNet: "192.0.2.0/24", Type: dataprovider.IPListTypeAllowList, Mode: 1})
}
