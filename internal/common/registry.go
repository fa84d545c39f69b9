package common

import (
	"fmt"
	"net"
	"sort"
	"sync"
)

// registry tracks network clients (before authentication) and logged-in
// connections.
type registry struct {
	mu      sync.Mutex
	clients int
	perHost map[string]int
	conns   map[string]*BaseConnection
	perUser map[string]int
	// draining: a graceful stop has begun (Drain); no new clients.
	draining bool
}

func (r *registry) init() {
	r.perHost = make(map[string]int)
	r.conns = make(map[string]*BaseConnection)
	r.perUser = make(map[string]int)
}

func (r *registry) all() []*BaseConnection {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*BaseConnection, 0, len(r.conns))
	for _, c := range r.conns {
		out = append(out, c)
	}
	return out
}

func hostOf(remoteAddr string) string {
	if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return h
	}
	return remoteAddr
}

// AcceptClient counts a new network client against max_total_connections
// and max_per_host_connections before it authenticates. On success the
// caller must call release exactly once when the client goes away.
func (s *Server) AcceptClient(remoteAddr string) (release func(), err error) {
	host := hostOf(remoteAddr)
	r := &s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.draining {
		return nil, errShuttingDown()
	}
	if s.cfg.MaxTotalConnections > 0 && r.clients >= s.cfg.MaxTotalConnections {
		return nil, newErr(ErrConnectionLimit, "too many open connections")
	}
	if s.cfg.MaxPerHostConnections > 0 && r.perHost[host] >= s.cfg.MaxPerHostConnections {
		r.mu.Unlock() // the defender may query the provider
		s.hostLimitExceeded(host)
		r.mu.Lock()
		return nil, newErr(ErrConnectionLimit, "too many open connections from this host")
	}
	r.clients++
	r.perHost[host]++
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.clients--
			if r.perHost[host]--; r.perHost[host] <= 0 {
				delete(r.perHost, host)
			}
		})
	}, nil
}

// AddConnection registers an authenticated connection, enforcing the
// user's max_sessions.
func (s *Server) AddConnection(c *BaseConnection) error {
	r := &s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.conns[c.id]; ok {
		return fmt.Errorf("common: duplicate connection id %q", c.id)
	}
	if r.draining {
		return errShuttingDown()
	}
	user := c.User.Username
	if c.User.MaxSessions > 0 && r.perUser[user] >= c.User.MaxSessions {
		return newErr(ErrConnectionLimit, fmt.Sprintf("too many open sessions: %d", r.perUser[user]))
	}
	r.conns[c.id] = c
	r.perUser[user]++
	s.deps.Metrics.SetActiveConnections(len(r.conns))
	return nil
}

// RemoveConnection unregisters a connection; it is safe to call twice.
func (s *Server) RemoveConnection(c *BaseConnection) {
	r := &s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur, ok := r.conns[c.id]; !ok || cur != c {
		return
	}
	delete(r.conns, c.id)
	s.deps.Metrics.SetActiveConnections(len(r.conns))
	if r.perUser[c.User.Username]--; r.perUser[c.User.Username] <= 0 {
		delete(r.perUser, c.User.Username)
	}
}

// ActiveSessions returns how many connections a user has open.
func (s *Server) ActiveSessions(username string) int {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	return s.reg.perUser[username]
}

// TransferStatus describes a transfer in progress.
type TransferStatus struct {
	OperationType string `json:"operation_type"`
	Path          string `json:"path"`
	StartTime     int64  `json:"start_time"`
	Size          int64  `json:"size"`
}

// ConnectionStatus describes a logged-in connection, as the REST API
// shows it.
type ConnectionStatus struct {
	Username        string           `json:"username"`
	ConnectionID    string           `json:"connection_id"`
	ClientVersion   string           `json:"client_version,omitempty"`
	RemoteAddress   string           `json:"remote_address"`
	ConnectionTime  int64            `json:"connection_time"`
	Command         string           `json:"command,omitempty"`
	LastActivity    int64            `json:"last_activity"`
	Protocol        string           `json:"protocol"`
	ActiveTransfers []TransferStatus `json:"active_transfers,omitempty"`
	// Node is the node holding the session when the provider is shared.
	Node string `json:"node,omitempty"`
}

// Connections returns the logged-in connections ordered by connection
// time.
func (s *Server) Connections() []ConnectionStatus {
	conns := s.reg.all()
	out := make([]ConnectionStatus, 0, len(conns))
	for _, c := range conns {
		out = append(out, c.Status())
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ConnectionTime != out[j].ConnectionTime {
			return out[i].ConnectionTime < out[j].ConnectionTime
		}
		return out[i].ConnectionID < out[j].ConnectionID
	})
	return out
}

// CloseConnection disconnects the connection with this id and reports
// whether it was found.
func (s *Server) CloseConnection(id string) bool {
	s.reg.mu.Lock()
	c, ok := s.reg.conns[id]
	s.reg.mu.Unlock()
	if !ok {
		return false
	}
	c.Disconnect()
	return true
}

// ConnectionCount returns how many connections are logged in.
func (s *Server) ConnectionCount() int {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	return len(s.reg.conns)
}
