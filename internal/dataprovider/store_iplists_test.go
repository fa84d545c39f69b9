package dataprovider

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

func TestIPListStorage(t *testing.T) {
	ctx := context.Background()
	for _, driver := range drivers {
		t.Run(driver, func(t *testing.T) {
			s := newTestStore(t, driver)
			sig0, err := s.IPListsSignature(ctx)
			must(t, err)
			for _, e := range []IPListEntry{
				{IPOrNet: "192.0.2.0/24", Type: IPListTypeAllowList, Mode: ListModeAllow, Description: "net"},
				{IPOrNet: "192.0.2.128/25", Type: IPListTypeAllowList, Mode: ListModeAllow},
				{IPOrNet: "198.51.100.7", Type: IPListTypeAllowList, Mode: ListModeAllow},
				{IPOrNet: "2001:db8::/32", Type: IPListTypeAllowList, Mode: ListModeAllow, Protocols: IPListProtoSSH},
				{IPOrNet: "192.0.2.0/24", Type: IPListTypeDefender, Mode: ListModeDeny},
			} {
				must(t, s.AddIPListEntry(ctx, &e))
			}
			sig1, err := s.IPListsSignature(ctx)
			must(t, err)
			if sig1 == sig0 || sig1.Count != 5 {
				t.Fatalf("signature after adds: %+v (before %+v)", sig1, sig0)
			}
			match := func(ip string) int {
				m, err := s.MatchIPList(ctx, IPListTypeAllowList, netip.MustParseAddr(ip))
				must(t, err)
				return len(m)
			}
			for ip, want := range map[string]int{"192.0.2.200": 2, "192.0.2.1": 1, "192.0.3.0": 0, "198.51.100.7": 1,
				"198.51.100.8": 0, "2001:db8:ffff::1": 1, "2001:db9::": 0, "::ffff:192.0.2.1": 1} {
				if got := match(ip); got != want {
					t.Errorf("match %s: %d entries, want %d", ip, got, want)
				}
			}
			list, err := s.ListIPListEntries(ctx, IPListQuery{Type: IPListTypeAllowList, Filter: "192.0.2.", Limit: 10})
			must(t, err)
			if len(list) != 2 || list[0].IPOrNet != "192.0.2.0/24" || list[0].Description != "net" {
				t.Fatalf("filtered list: %+v", list)
			}
			list, err = s.ListIPListEntries(ctx, IPListQuery{Type: IPListTypeAllowList, From: "192.0.2.0/24", Limit: 1})
			must(t, err)
			if len(list) != 1 || list[0].IPOrNet != "192.0.2.128/25" {
				t.Fatalf("page after 192.0.2.0/24: %+v", list)
			}
			list, err = s.ListIPListEntries(ctx, IPListQuery{Type: IPListTypeAllowList, Desc: true})
			must(t, err)
			if len(list) != 4 || list[0].IPOrNet != "2001:db8::/32" {
				t.Fatalf("descending list: %+v", list)
			}
			e := IPListEntry{IPOrNet: "192.0.2.0/24", Type: IPListTypeDefender, Mode: ListModeAllow, Protocols: IPListProtoFTP}
			must(t, s.UpdateIPListEntry(ctx, &e))
			got, err := s.GetIPListEntry(ctx, IPListTypeDefender, "192.0.2.0/24")
			must(t, err)
			if got.Mode != ListModeAllow || got.Protocols != IPListProtoFTP || got.CreatedAt == 0 || got.UpdatedAt < got.CreatedAt {
				t.Fatalf("updated entry: %+v", got)
			}
			must(t, s.DeleteIPListEntry(ctx, IPListTypeAllowList, "198.51.100.7"))
			if err := s.DeleteIPListEntry(ctx, IPListTypeAllowList, "198.51.100.7/32"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("second delete: %v", err)
			}
			sig2, err := s.IPListsSignature(ctx)
			must(t, err)
			if sig2 == sig1 || sig2.Count != 4 {
				t.Fatalf("signature after delete: %+v", sig2)
			}
		})
	}
}

func TestDefenderStorage(t *testing.T) {
	ctx := context.Background()
	for _, driver := range drivers {
		t.Run(driver, func(t *testing.T) {
			s := newTestStore(t, driver)
			d := s.DefenderStore()
			if d == nil {
				t.Fatal("no defender storage")
			}
			const ip = "192.0.2.1"
			if _, err := d.GetDefenderHost(ctx, ip, 0); !errors.Is(err, ErrNotFound) {
				t.Fatalf("unknown host: %v", err)
			}
			must(t, d.AddDefenderEvent(ctx, ip, 2, 1000))
			must(t, d.AddDefenderEvent(ctx, ip, 3, 2000))
			must(t, d.AddDefenderEvent(ctx, "192.0.2.2", 1, 1500))
			h, err := d.GetDefenderHost(ctx, ip, 1500)
			must(t, err)
			if h.Score != 3 || h.BanTime != 0 {
				t.Fatalf("score since 1500: %+v", h)
			}
			hosts, err := d.ListDefenderHosts(ctx, 0, 2500, 0)
			must(t, err)
			if len(hosts) != 2 || hosts[0].IP != ip || hosts[0].Score != 5 {
				t.Fatalf("hosts: %+v", hosts)
			}
			must(t, d.SetDefenderBanTime(ctx, ip, 9000, 2500))
			h, err = d.GetDefenderHost(ctx, ip, 0)
			must(t, err)
			if h.BanTime != 9000 || h.Score != 0 {
				t.Fatalf("banned host: %+v", h)
			}
			// past the window: 192.0.2.2 goes, the banned host stays
			must(t, d.CleanupDefender(ctx, 3000, 3000))
			if _, err := d.GetDefenderHost(ctx, "192.0.2.2", 0); !errors.Is(err, ErrNotFound) {
				t.Fatalf("expired host kept: %v", err)
			}
			hosts, err = d.ListDefenderHosts(ctx, 3000, 3000, 0)
			must(t, err)
			if len(hosts) != 1 || hosts[0].BanTime != 9000 {
				t.Fatalf("hosts after cleanup: %+v", hosts)
			}
			must(t, d.DeleteDefenderHost(ctx, ip))
			if err := d.DeleteDefenderHost(ctx, ip); !errors.Is(err, ErrNotFound) {
				t.Fatalf("second delete: %v", err)
			}
		})
	}
}

// A row as SFTPGo writes it (the fixture database's) is found by the
// range index: same first/last bytes and ip_type values.
func TestIPListRowAsSFTPGoWritesIt(t *testing.T) {
	s := newTestStore(t, "sqlite")
	d := s.driver.(*sqlDriver)
	_, err := d.db.Exec(`INSERT INTO ip_lists (type, ipornet, mode, description, first, last, ip_type, protocols, created_at, updated_at, deleted_at)
VALUES (2, '203.0.113.0/24', 2, 'documentation net, denied', X'CB007100', X'CB0071FF', 1, 0, 1796317809361, 1796317809361, 0)`)
	must(t, err)
	m, err := s.MatchIPList(context.Background(), IPListTypeDefender, netip.MustParseAddr("203.0.113.77"))
	must(t, err)
	if len(m) != 1 || m[0].Mode != ListModeDeny || m[0].Description != "documentation net, denied" {
		t.Fatalf("match: %+v", m)
	}
	e := IPListEntry{IPOrNet: "203.0.114.0/24", Type: IPListTypeDefender, Mode: ListModeDeny}
	must(t, s.AddIPListEntry(context.Background(), &e))
	var first, last []byte
	var ipType int
	must(t, d.db.QueryRow("SELECT first, last, ip_type FROM ip_lists WHERE ipornet = '203.0.114.0/24'").Scan(&first, &last, &ipType))
	if string(first) != "\xcb\x00\x72\x00" || string(last) != "\xcb\x00\x72\xff" || ipType != 1 {
		t.Fatalf("stored range %x %x %d", first, last, ipType)
	}
}
