package dataprovider

import "context"

// DefenderHost is a host the shared defender knows: its ban end (Unix
// milliseconds, 0 or past when not banned) and its score within the
// observation window asked for.
type DefenderHost struct {
	IP      string
	BanTime int64
	Score   int
}

// DefenderStorage keeps the defender's hosts and events in the provider
// (common.defender.driver "provider"), shared by every node of one
// database. Times are Unix milliseconds.
type DefenderStorage interface {
	AddDefenderEvent(ctx context.Context, ip string, score int, at int64) error
	// SetDefenderBanTime bans ip until the given time and forgets its
	// events.
	SetDefenderBanTime(ctx context.Context, ip string, until, now int64) error
	// GetDefenderHost returns ip with the score of its events since
	// since; ErrNotFound when unknown.
	GetDefenderHost(ctx context.Context, ip string, since int64) (DefenderHost, error)
	// ListDefenderHosts returns the hosts banned after now or with
	// events since since, most recently updated first.
	ListDefenderHosts(ctx context.Context, since, now int64, limit int) ([]DefenderHost, error)
	DeleteDefenderHost(ctx context.Context, ip string) error
	// CleanupDefender drops events older than before and hosts with no
	// events and no ban left.
	CleanupDefender(ctx context.Context, before, now int64) error
}

// DefenderStore is the shared defender storage of a Store, nil when the
// driver has none.
func (s *Store) DefenderStore() DefenderStorage {
	if o, ok := s.driver.(DefenderStorage); ok {
		return o
	}
	return nil
}
