package common

import (
	"context"
	"time"
)

// drainPoll is how often Drain looks for open transfers.
const drainPoll = 50 * time.Millisecond

// Drain prepares a graceful stop: from now on new clients and logins are
// refused on every protocol, and it returns once no transfer is open, or
// when ctx ends (the grace time is over) with the number still open.
// Sessions stay connected; the caller shuts the servers down afterwards.
func (s *Server) Drain(ctx context.Context) (open int) {
	s.reg.mu.Lock()
	s.reg.draining = true
	s.reg.mu.Unlock()
	t := time.NewTicker(drainPoll)
	defer t.Stop()
	for {
		open = s.openTransfers()
		if open == 0 {
			return 0
		}
		select {
		case <-ctx.Done():
			return open
		case <-t.C:
		}
	}
}

// openTransfers counts the transfers of every connection.
func (s *Server) openTransfers() int {
	n := 0
	for _, c := range s.reg.all() {
		c.mu.Lock()
		n += len(c.transfers)
		c.mu.Unlock()
	}
	return n
}

// errShuttingDown refuses new clients while draining.
func errShuttingDown() error { return newErr(ErrConnectionLimit, "server is shutting down") }
