package dataprovider

import (
	"context"
	"errors"
	"net/netip"
	"strings"
)

// IPListQuery selects IP list entries: one type (0: every type), entries
// whose ipornet starts with Filter, after From in the order asked, at most
// Limit (0: all).
type IPListQuery struct {
	Type   IPListType
	Filter string
	From   string
	Limit  int
	Desc   bool
}

// IPListSignature changes whenever an IP list changes; matchers poll it
// to notice changes made by other nodes or by a restore.
type IPListSignature struct {
	Count      int64
	LastUpdate int64
	Sum        int64
}

// ipListOps stores IP list entries; *sqlOps and *memOps implement it, so
// it works inside a transaction too.
type ipListOps interface {
	GetIPListEntry(ctx context.Context, t IPListType, ipOrNet string) (IPListEntry, error)
	ListIPListEntries(ctx context.Context, q IPListQuery) ([]IPListEntry, error)
	AddIPListEntry(ctx context.Context, e *IPListEntry) error
	UpdateIPListEntry(ctx context.Context, e *IPListEntry) error
	DeleteIPListEntry(ctx context.Context, t IPListType, ipOrNet string) error
	// MatchIPList returns the entries of list t whose network contains ip.
	MatchIPList(ctx context.Context, t IPListType, ip netip.Addr) ([]IPListEntry, error)
	IPListsSignature(ctx context.Context) (IPListSignature, error)
}

var errNoIPLists = errors.New("dataprovider: this driver does not store IP lists")

func (s *Store) ipLists() (ipListOps, error) {
	if o, ok := s.driver.(ipListOps); ok {
		return o, nil
	}
	return nil, errNoIPLists
}

func opsIPLists(ops Ops) (ipListOps, error) {
	if o, ok := ops.(ipListOps); ok {
		return o, nil
	}
	return nil, errNoIPLists
}

// AddIPListEntry validates and adds an entry; ErrConflict when the same
// network is already in that list.
func (s *Store) AddIPListEntry(ctx context.Context, e *IPListEntry) error {
	o, err := s.ipLists()
	if err != nil {
		return err
	}
	if err := validateIPListEntry(e); err != nil {
		return err
	}
	e.CreatedAt = nowMillis()
	e.UpdatedAt = e.CreatedAt
	return o.AddIPListEntry(ctx, e)
}

// UpdateIPListEntry changes the mode, protocols and description of an
// existing entry (type and network name it).
func (s *Store) UpdateIPListEntry(ctx context.Context, e *IPListEntry) error {
	o, err := s.ipLists()
	if err != nil {
		return err
	}
	if err := validateIPListEntry(e); err != nil {
		return err
	}
	old, err := o.GetIPListEntry(ctx, e.Type, e.IPOrNet)
	if err != nil {
		return err
	}
	e.CreatedAt = old.CreatedAt
	e.UpdatedAt = max(nowMillis(), old.UpdatedAt+1)
	return o.UpdateIPListEntry(ctx, e)
}

// DeleteIPListEntry removes an entry.
func (s *Store) DeleteIPListEntry(ctx context.Context, t IPListType, ipOrNet string) error {
	o, err := s.ipLists()
	if err != nil {
		return err
	}
	if p, err := ParseIPOrNet(ipOrNet); err == nil {
		ipOrNet = p.String()
	}
	return o.DeleteIPListEntry(ctx, t, ipOrNet)
}

// GetIPListEntry returns one entry; ipOrNet may be a bare address or a
// network in any form ParseIPOrNet accepts.
func (s *Store) GetIPListEntry(ctx context.Context, t IPListType, ipOrNet string) (IPListEntry, error) {
	o, err := s.ipLists()
	if err != nil {
		return IPListEntry{}, err
	}
	if p, err := ParseIPOrNet(ipOrNet); err == nil {
		ipOrNet = p.String()
	}
	return o.GetIPListEntry(ctx, t, ipOrNet)
}

// ListIPListEntries returns entries ordered by ipornet.
func (s *Store) ListIPListEntries(ctx context.Context, q IPListQuery) ([]IPListEntry, error) {
	o, err := s.ipLists()
	if err != nil {
		return nil, err
	}
	return o.ListIPListEntries(ctx, q)
}

// MatchIPList returns the entries of list t that contain ip, through the
// range index (for lists too large to hold in memory).
func (s *Store) MatchIPList(ctx context.Context, t IPListType, ip netip.Addr) ([]IPListEntry, error) {
	o, err := s.ipLists()
	if err != nil {
		return nil, err
	}
	return o.MatchIPList(ctx, t, ip)
}

// IPListsSignature returns a value that changes with every IP list change.
func (s *Store) IPListsSignature(ctx context.Context) (IPListSignature, error) {
	o, err := s.ipLists()
	if err != nil {
		return IPListSignature{}, err
	}
	return o.IPListsSignature(ctx)
}

// dumpIPLists returns every entry for a backup.
func dumpIPLists(ctx context.Context, d Driver) ([]IPListEntry, error) {
	o, ok := d.(ipListOps)
	if !ok {
		return nil, nil
	}
	return o.ListIPListEntries(ctx, IPListQuery{})
}

// restoreIPLists adds or updates the entries of a backup inside the
// restore transaction; a dump entry keeps its timestamps.
func restoreIPLists(ctx context.Context, ops Ops, list []IPListEntry, addOnly bool) error {
	if len(list) == 0 {
		return nil
	}
	o, err := opsIPLists(ops)
	if err != nil {
		return err
	}
	now := nowMillis()
	for i := range list {
		e := list[i]
		if e.Mode == 0 && e.Type != IPListTypeDefender {
			e.Mode = ListModeAllow
		}
		if err := validateIPListEntry(&e); err != nil {
			return errors.Join(errors.New("restore IP list entry "+strings.TrimSpace(list[i].IPOrNet)), err)
		}
		if e.CreatedAt == 0 {
			e.CreatedAt = now
		}
		if e.UpdatedAt == 0 {
			e.UpdatedAt = now
		}
		if err := restoreOne(ctx, "IP list entry", e.IPOrNet, addOnly,
			func() error { _, err := o.GetIPListEntry(ctx, e.Type, e.IPOrNet); return err },
			func() error { return o.AddIPListEntry(ctx, &e) },
			func() error { e.UpdatedAt = max(e.UpdatedAt, now); return o.UpdateIPListEntry(ctx, &e) }); err != nil {
			return err
		}
	}
	return nil
}
