package defender

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// ListStore is what the IP lists need from the data provider;
// *dataprovider.Store satisfies it.
type ListStore interface {
	ListIPListEntries(ctx context.Context, q dataprovider.IPListQuery) ([]dataprovider.IPListEntry, error)
	MatchIPList(ctx context.Context, t dataprovider.IPListType, ip netip.Addr) ([]dataprovider.IPListEntry, error)
	IPListsSignature(ctx context.Context) (dataprovider.IPListSignature, error)
}

// MaxInMemoryEntries is the size above which the lists are not held in
// memory and every lookup asks the provider's range index instead.
const MaxInMemoryEntries = 500_000

// listEntry is one network of a table.
type listEntry struct {
	mode      int
	protocols int
}

func (e listEntry) appliesTo(bit int) bool { return e.protocols == 0 || e.protocols&bit != 0 }

// netTable finds the networks that contain an address: one hash map per
// prefix length in use, probed from the longest prefix to the shortest,
// so a lookup costs one map access per distinct length (at most 33 for
// IPv4, 129 for IPv6, a handful in practice) whatever the list size.
type netTable struct {
	lengths []int // descending
	nets    map[netip.Prefix]listEntry
}

func (t *netTable) add(p netip.Prefix, e listEntry) {
	if t.nets == nil {
		t.nets = map[netip.Prefix]listEntry{}
	}
	t.nets[p] = e
	if !slices.Contains(t.lengths, p.Bits()) {
		t.lengths = append(t.lengths, p.Bits())
		slices.SortFunc(t.lengths, func(a, b int) int { return b - a })
	}
}

// lookup returns the most specific network containing a that applies to
// the protocol bit.
func (t *netTable) lookup(a netip.Addr, bit int) (listEntry, bool) {
	for _, l := range t.lengths {
		p, err := a.Prefix(l)
		if err != nil {
			continue
		}
		if e, ok := t.nets[p]; ok && e.appliesTo(bit) {
			return e, true
		}
	}
	return listEntry{}, false
}

// snapshot is one loaded state of the three lists.
type snapshot struct {
	v4, v6 [4]netTable // indexed by list type
	count  [4]int
	// inProvider: too many entries to hold, ask the provider.
	inProvider bool
}

// Lists answers IP list lookups from an in-memory snapshot that follows
// the provider: Invalidate reloads it at once (REST changes), and a
// background poll of the provider's signature catches changes made by a
// restore or by another node.
type Lists struct {
	store ListStore
	log   *slog.Logger
	snap  atomic.Pointer[snapshot]

	mu  sync.Mutex // serializes reloads
	sig dataprovider.IPListSignature
}

// NewLists loads the lists from store.
func NewLists(ctx context.Context, store ListStore, log *slog.Logger) (*Lists, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Lists{store: store, log: log}
	if err := l.reload(ctx, true); err != nil {
		return nil, err
	}
	return l, nil
}

// Invalidate reloads the lists now.
func (l *Lists) Invalidate(ctx context.Context) {
	if err := l.reload(ctx, true); err != nil {
		l.log.Warn("unable to reload the IP lists", "error", err)
	}
}

// Refresh reloads the lists when the provider's signature changed.
func (l *Lists) Refresh(ctx context.Context) {
	if err := l.reload(ctx, false); err != nil {
		l.log.Warn("unable to refresh the IP lists", "error", err)
	}
}

func (l *Lists) reload(ctx context.Context, force bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	sig, err := l.store.IPListsSignature(ctx)
	if err != nil {
		return err
	}
	if !force && sig == l.sig && l.snap.Load() != nil {
		return nil
	}
	s := &snapshot{}
	if sig.Count > MaxInMemoryEntries {
		s.inProvider = true
		for t := 1; t <= 3; t++ {
			s.count[t] = 1 // unknown, not empty
		}
	} else {
		list, err := l.store.ListIPListEntries(ctx, dataprovider.IPListQuery{})
		if err != nil {
			return err
		}
		for _, e := range list {
			if e.Type < 1 || e.Type > 3 {
				continue
			}
			p, err := dataprovider.ParseIPOrNet(e.IPOrNet)
			if err != nil {
				continue
			}
			le := listEntry{mode: e.Mode, protocols: e.Protocols}
			if p.Addr().Is4() {
				s.v4[e.Type].add(p, le)
			} else {
				s.v6[e.Type].add(p, le)
			}
			s.count[e.Type]++
		}
	}
	l.snap.Store(s)
	l.sig = sig
	return nil
}

// Match returns the mode of the most specific entry of list t that
// contains ip and covers protocol.
func (l *Lists) Match(t dataprovider.IPListType, ip netip.Addr, protocol string) (mode int, found bool) {
	s := l.snap.Load()
	if s == nil || t < 1 || t > 3 || s.count[t] == 0 || !ip.IsValid() {
		return 0, false
	}
	ip = ip.Unmap()
	bit := dataprovider.IPListProtocolBit(protocol)
	if s.inProvider {
		return l.matchProvider(t, ip, protocol)
	}
	tbl := &s.v4[t]
	if ip.Is6() {
		tbl = &s.v6[t]
	}
	e, ok := tbl.lookup(ip, bit)
	return e.mode, ok
}

func (l *Lists) matchProvider(t dataprovider.IPListType, ip netip.Addr, protocol string) (int, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := l.store.MatchIPList(ctx, t, ip)
	if err != nil {
		l.log.Warn("unable to look up the IP lists", "ip", ip.String(), "error", err)
		return 0, false
	}
	best, mode, found := -1, 0, false
	for _, e := range list {
		if !e.AppliesTo(protocol) {
			continue
		}
		p, err := e.Prefix()
		if err != nil {
			continue
		}
		if p.Bits() > best {
			best, mode, found = p.Bits(), e.Mode, true
		}
	}
	return mode, found
}

// Len returns how many entries list t holds (1 when the lists live in
// the provider and the size is not known).
func (l *Lists) Len(t dataprovider.IPListType) int {
	s := l.snap.Load()
	if s == nil || t < 1 || t > 3 {
		return 0
	}
	return s.count[t]
}
