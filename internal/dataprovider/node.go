package dataprovider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"
)

// Node is one server process registered in a shared database
// (data_provider.is_shared): how other nodes reach its REST API and the
// key they sign their calls to it with.
type Node struct {
	Name  string `json:"name"`
	Host  string `json:"host"`
	Port  int    `json:"port"`
	Proto string `json:"proto"`
	// Key signs the calls other nodes make to this node. It lives in the
	// database only: whoever reads the database could read every account
	// anyway.
	Key       []byte `json:"key"`
	CreatedAt int64  `json:"created_at"`
	UpdatedAt int64  `json:"updated_at"`
}

// NodeActiveWindow is how long a node counts as alive after its last
// heartbeat; NodeHeartbeat is how often a node renews its row.
const (
	NodeActiveWindow = 2 * time.Minute
	NodeHeartbeat    = 55 * time.Second
	// nodeExpiry: rows of nodes silent for this long are deleted.
	nodeExpiry = 24 * time.Hour
)

// ErrNodesUnsupported: the driver cannot be shared between nodes.
var ErrNodesUnsupported = errors.New("data_provider.is_shared needs the postgresql or mysql driver")

// NodeName is a node's name: the hex SHA-256 of "host:port".
func NodeName(host string, port int) string {
	sum := sha256.Sum256([]byte(net.JoinHostPort(host, strconv.Itoa(port))))
	return hex.EncodeToString(sum[:])
}

// URL is the base URL of the node's REST API.
func (n Node) URL() string {
	proto := n.Proto
	if proto == "" {
		proto = "http"
	}
	return proto + "://" + net.JoinHostPort(n.Host, strconv.Itoa(n.Port))
}

type nodeData struct {
	Host  string `json:"host"`
	Port  int    `json:"port"`
	Proto string `json:"proto"`
	Key   []byte `json:"key"`
}

func (s *Store) nodeDriver() (*sqlDriver, error) {
	d, ok := s.driver.(*sqlDriver)
	if !ok {
		return nil, ErrNodesUnsupported
	}
	return d, nil
}

// RegisterNode adds this node or renews its row (its heartbeat); it also
// deletes the rows of nodes silent for a day.
func (s *Store) RegisterNode(ctx context.Context, n *Node) error {
	d, err := s.nodeDriver()
	if err != nil {
		return err
	}
	if n.Name == "" {
		n.Name = NodeName(n.Host, n.Port)
	}
	data, err := json.Marshal(nodeData{Host: n.Host, Port: n.Port, Proto: n.Proto, Key: n.Key})
	if err != nil {
		return err
	}
	now := nowMillis()
	return d.write(ctx, func(o *sqlOps) error {
		res, err := o.exec(ctx, "UPDATE {p}nodes SET data = ?, updated_at = ? WHERE name = ?", string(data), now, n.Name)
		if err != nil {
			return err
		}
		if rows, _ := res.RowsAffected(); rows == 0 {
			if _, err := o.exec(ctx, "INSERT INTO {p}nodes (name, data, created_at, updated_at) VALUES (?, ?, ?, ?)",
				n.Name, string(data), now, now); err != nil {
				return err
			}
			n.CreatedAt = now
		}
		n.UpdatedAt = now
		_, err = o.exec(ctx, "DELETE FROM {p}nodes WHERE updated_at < ?", now-nodeExpiry.Milliseconds())
		return err
	})
}

// UnregisterNode removes a node's row (a clean stop).
func (s *Store) UnregisterNode(ctx context.Context, name string) error {
	d, err := s.nodeDriver()
	if err != nil {
		return err
	}
	_, err = d.exec(ctx, "DELETE FROM {p}nodes WHERE name = ?", name)
	return err
}

// GetNode returns a node alive within NodeActiveWindow.
func (s *Store) GetNode(ctx context.Context, name string) (Node, error) {
	nodes, err := s.listNodes(ctx, "AND name = ?", name)
	if err != nil {
		return Node{}, err
	}
	if len(nodes) == 0 {
		return Node{}, fmt.Errorf("node %q: %w", name, ErrNotFound)
	}
	return nodes[0], nil
}

// ActiveNodes returns the nodes alive within NodeActiveWindow, ordered by
// name.
func (s *Store) ActiveNodes(ctx context.Context) ([]Node, error) {
	return s.listNodes(ctx, "")
}

func (s *Store) listNodes(ctx context.Context, where string, args ...any) ([]Node, error) {
	d, err := s.nodeDriver()
	if err != nil {
		return nil, err
	}
	since := nowMillis() - NodeActiveWindow.Milliseconds()
	rows, err := d.db.QueryContext(ctx, d.sq("SELECT name, data, created_at, updated_at FROM {p}nodes WHERE updated_at >= ? "+
		where+" ORDER BY name"), append([]any{since}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Node
	for rows.Next() {
		var n Node
		var data string
		if err := rows.Scan(&n.Name, &data, &n.CreatedAt, &n.UpdatedAt); err != nil {
			return nil, err
		}
		var nd nodeData
		if err := json.Unmarshal([]byte(data), &nd); err != nil {
			return nil, fmt.Errorf("node %q: %w", n.Name, err)
		}
		n.Host, n.Port, n.Proto, n.Key = nd.Host, nd.Port, nd.Proto, nd.Key
		out = append(out, n)
	}
	return out, rows.Err()
}

// peerListeners are told about changes made through this Store (not
// those reported by other nodes), to pass them on to the other nodes.
type peerListeners struct {
	mu  sync.RWMutex
	fns []UserChangeFunc
}

// OnLocalUserChange registers fn, called after every user change made
// through this Store; changes reported by other nodes through
// NotifyPeerUserChange do not reach it, so passing a change on cannot
// loop.
func (s *Store) OnLocalUserChange(fn UserChangeFunc) {
	s.peers.mu.Lock()
	s.peers.fns = append(s.peers.fns, fn)
	s.peers.mu.Unlock()
}

// NotifyPeerUserChange tells this node's listeners (caches, open
// sessions) that another node changed a user.
func (s *Store) NotifyPeerUserChange(username string) {
	s.listeners.mu.RLock()
	defer s.listeners.mu.RUnlock()
	for _, fn := range s.listeners.fns {
		fn(username)
	}
}

func (s *Store) notifyPeers(username string) {
	s.peers.mu.RLock()
	defer s.peers.mu.RUnlock()
	for _, fn := range s.peers.fns {
		fn(username)
	}
}

// checkShared refuses is_shared on a driver that other processes cannot
// share.
func checkShared(driver string, isShared int) error {
	if isShared == 1 && driver != "postgresql" && driver != "mysql" {
		return fmt.Errorf("dataprovider: driver %q: %w", driver, ErrNodesUnsupported)
	}
	return nil
}
