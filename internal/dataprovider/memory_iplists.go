package dataprovider

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// The memory and bolt drivers keep IP list entries and defender hosts as
// JSON documents in the sections map, under prefixed keys, so the bolt
// file persists them with the other sections.
const (
	memIPListPrefix   = "iplist:"
	memDefenderPrefix = "defender_host:"
	memIPListGen      = "ip_lists_generation"
)

func memIPListKey(t IPListType, ipOrNet string) string {
	return memIPListPrefix + strconv.Itoa(int(t)) + ":" + ipOrNet
}

func (o *memOps) ipListEntries() []IPListEntry {
	var out []IPListEntry
	for k, v := range o.s.sections {
		if !strings.HasPrefix(k, memIPListPrefix) {
			continue
		}
		var e IPListEntry
		if json.Unmarshal(v, &e) == nil {
			out = append(out, e)
		}
	}
	return out
}

func (o *memOps) GetIPListEntry(ctx context.Context, t IPListType, ipOrNet string) (IPListEntry, error) {
	v, ok := o.s.sections[memIPListKey(t, ipOrNet)]
	if !ok {
		return IPListEntry{}, notFound("IP list entry", ipOrNet)
	}
	var e IPListEntry
	err := json.Unmarshal(v, &e)
	return e, err
}

func (o *memOps) ListIPListEntries(ctx context.Context, q IPListQuery) ([]IPListEntry, error) {
	var out []IPListEntry
	for _, e := range o.ipListEntries() {
		if q.Type != 0 && e.Type != q.Type {
			continue
		}
		if q.Filter != "" && !strings.HasPrefix(e.IPOrNet, q.Filter) {
			continue
		}
		if q.From != "" && ((!q.Desc && e.IPOrNet <= q.From) || (q.Desc && e.IPOrNet >= q.From)) {
			continue
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].IPOrNet != out[j].IPOrNet {
			return (out[i].IPOrNet < out[j].IPOrNet) != q.Desc
		}
		return out[i].Type < out[j].Type
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

func (o *memOps) putIPListEntry(e *IPListEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	k := memIPListKey(e.Type, e.IPOrNet)
	o.s.sections[k] = b
	o.touch("sections", k)
	o.nextID(memIPListGen)
	return nil
}

func (o *memOps) AddIPListEntry(ctx context.Context, e *IPListEntry) error {
	if _, ok := o.s.sections[memIPListKey(e.Type, e.IPOrNet)]; ok {
		return fmt.Errorf("IP list entry %q: %w", e.IPOrNet, ErrConflict)
	}
	return o.putIPListEntry(e)
}

func (o *memOps) UpdateIPListEntry(ctx context.Context, e *IPListEntry) error {
	if _, ok := o.s.sections[memIPListKey(e.Type, e.IPOrNet)]; !ok {
		return notFound("IP list entry", e.IPOrNet)
	}
	return o.putIPListEntry(e)
}

func (o *memOps) DeleteIPListEntry(ctx context.Context, t IPListType, ipOrNet string) error {
	k := memIPListKey(t, ipOrNet)
	if _, ok := o.s.sections[k]; !ok {
		return notFound("IP list entry", ipOrNet)
	}
	delete(o.s.sections, k)
	o.touch("sections", k)
	o.nextID(memIPListGen)
	return nil
}

func (o *memOps) MatchIPList(ctx context.Context, t IPListType, ip netip.Addr) ([]IPListEntry, error) {
	ip = ip.Unmap()
	var out []IPListEntry
	for _, e := range o.ipListEntries() {
		if e.Type != t {
			continue
		}
		if p, err := ParseIPOrNet(e.IPOrNet); err == nil && p.Contains(ip) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (o *memOps) IPListsSignature(ctx context.Context) (IPListSignature, error) {
	var sig IPListSignature
	for k := range o.s.sections {
		if strings.HasPrefix(k, memIPListPrefix) {
			sig.Count++
		}
	}
	sig.Sum = o.s.lastID[memIPListGen]
	return sig, nil
}

func (d *memDriver) GetIPListEntry(ctx context.Context, t IPListType, ipOrNet string) (e IPListEntry, err error) {
	err = d.read(func(o *memOps) error { e, err = o.GetIPListEntry(ctx, t, ipOrNet); return err })
	return e, err
}
func (d *memDriver) ListIPListEntries(ctx context.Context, q IPListQuery) (r []IPListEntry, err error) {
	err = d.read(func(o *memOps) error { r, err = o.ListIPListEntries(ctx, q); return err })
	return r, err
}
func (d *memDriver) AddIPListEntry(ctx context.Context, e *IPListEntry) error {
	return d.write(func(o *memOps) error { return o.AddIPListEntry(ctx, e) })
}
func (d *memDriver) UpdateIPListEntry(ctx context.Context, e *IPListEntry) error {
	return d.write(func(o *memOps) error { return o.UpdateIPListEntry(ctx, e) })
}
func (d *memDriver) DeleteIPListEntry(ctx context.Context, t IPListType, ipOrNet string) error {
	return d.write(func(o *memOps) error { return o.DeleteIPListEntry(ctx, t, ipOrNet) })
}
func (d *memDriver) MatchIPList(ctx context.Context, t IPListType, ip netip.Addr) (r []IPListEntry, err error) {
	err = d.read(func(o *memOps) error { r, err = o.MatchIPList(ctx, t, ip); return err })
	return r, err
}
func (d *memDriver) IPListsSignature(ctx context.Context) (sig IPListSignature, err error) {
	err = d.read(func(o *memOps) error { sig, err = o.IPListsSignature(ctx); return err })
	return sig, err
}

// memDefenderHost is the stored form of a defender host.
type memDefenderHost struct {
	BanTime   int64      `json:"ban_time"`
	UpdatedAt int64      `json:"updated_at"`
	Events    [][2]int64 `json:"events,omitempty"` // date_time, score
}

func (o *memOps) defenderHost(ip string) (memDefenderHost, bool) {
	var h memDefenderHost
	v, ok := o.s.sections[memDefenderPrefix+ip]
	if !ok || json.Unmarshal(v, &h) != nil {
		return h, false
	}
	return h, true
}

func (o *memOps) putDefenderHost(ip string, h memDefenderHost) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	k := memDefenderPrefix + ip
	o.s.sections[k] = b
	o.touch("sections", k)
	return nil
}

func (h memDefenderHost) score(since int64) int {
	n := 0
	for _, ev := range h.Events {
		if ev[0] >= since {
			n += int(ev[1])
		}
	}
	return n
}

func (d *memDriver) AddDefenderEvent(ctx context.Context, ip string, score int, at int64) error {
	return d.write(func(o *memOps) error {
		h, _ := o.defenderHost(ip)
		h.UpdatedAt = at
		h.Events = append(h.Events, [2]int64{at, int64(score)})
		return o.putDefenderHost(ip, h)
	})
}

func (d *memDriver) SetDefenderBanTime(ctx context.Context, ip string, until, now int64) error {
	return d.write(func(o *memOps) error {
		return o.putDefenderHost(ip, memDefenderHost{BanTime: until, UpdatedAt: now})
	})
}

func (d *memDriver) GetDefenderHost(ctx context.Context, ip string, since int64) (DefenderHost, error) {
	out := DefenderHost{IP: ip}
	err := d.read(func(o *memOps) error {
		h, ok := o.defenderHost(ip)
		if !ok {
			return notFound("defender host", ip)
		}
		out.BanTime, out.Score = h.BanTime, h.score(since)
		return nil
	})
	return out, err
}

func (d *memDriver) ListDefenderHosts(ctx context.Context, since, now int64, limit int) ([]DefenderHost, error) {
	var out []DefenderHost
	var upd []int64
	err := d.read(func(o *memOps) error {
		for k := range o.s.sections {
			ip, ok := strings.CutPrefix(k, memDefenderPrefix)
			if !ok {
				continue
			}
			h, _ := o.defenderHost(ip)
			sc := h.score(since)
			if h.BanTime > now || sc > 0 || (len(h.Events) > 0 && h.Events[len(h.Events)-1][0] >= since) {
				out = append(out, DefenderHost{IP: ip, BanTime: h.BanTime, Score: sc})
				upd = append(upd, h.UpdatedAt)
			}
		}
		return nil
	})
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return upd[idx[a]] > upd[idx[b]] })
	sorted := make([]DefenderHost, 0, len(out))
	for _, i := range idx {
		sorted = append(sorted, out[i])
	}
	if limit > 0 && len(sorted) > limit {
		sorted = sorted[:limit]
	}
	return sorted, err
}

func (d *memDriver) DeleteDefenderHost(ctx context.Context, ip string) error {
	return d.write(func(o *memOps) error {
		k := memDefenderPrefix + ip
		if _, ok := o.s.sections[k]; !ok {
			return notFound("defender host", ip)
		}
		delete(o.s.sections, k)
		o.touch("sections", k)
		return nil
	})
}

func (d *memDriver) CleanupDefender(ctx context.Context, before, now int64) error {
	return d.write(func(o *memOps) error {
		for k := range o.s.sections {
			ip, ok := strings.CutPrefix(k, memDefenderPrefix)
			if !ok {
				continue
			}
			h, _ := o.defenderHost(ip)
			kept := h.Events[:0]
			for _, ev := range h.Events {
				if ev[0] >= before {
					kept = append(kept, ev)
				}
			}
			switch {
			case len(kept) == 0 && h.BanTime < now && h.UpdatedAt < before:
				delete(o.s.sections, k)
				o.touch("sections", k)
			case len(kept) != len(h.Events):
				h.Events = kept
				if err := o.putDefenderHost(ip, h); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
