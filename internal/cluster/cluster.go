// Package cluster makes several server processes on one shared database
// (data_provider.is_shared) act as one: each registers as a node, lists
// and closes the sessions of every node, and tells the others about user
// changes so their caches drop stale entries.
//
// Nodes call each other's REST API (the /api/v2/nodes routes of httpd)
// with the header X-SFTPGO-Node: Bearer <JWT>, an HS256 token with the
// audience "node" and a one-minute lifetime, signed with the key the
// target node stored in the database and accepted once.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// Header carries a node-to-node token.
const Header = "X-SFTPGO-Node"

const (
	tokenAudience = "node"
	tokenLifetime = time.Minute
	callTimeout   = 10 * time.Second
)

// LocalConnections are this node's own sessions.
type LocalConnections interface {
	Connections() []common.ConnectionStatus
	CloseConnection(id string) bool
}

// Cluster is this node's membership in the shared database.
type Cluster struct {
	store  *dataprovider.Store
	local  LocalConnections
	log    *slog.Logger
	client *http.Client
	self   dataprovider.Node
	// registered: the node has an address (data_provider.node.host and
	// port) and a row in the nodes table.
	registered bool

	mu   sync.Mutex
	used map[string]time.Time // token ids seen, until they expire

	stop chan struct{}
	wg   sync.WaitGroup
}

// New prepares this node from data_provider.node. Without a host and port
// the node is not reachable: it still sees the other nodes' sessions and
// tells them about user changes, but its own sessions are listed only
// locally.
func New(store *dataprovider.Store, cfg config.DataProviderConfig, local LocalConnections, logger *slog.Logger) (*Cluster, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	proto := cfg.Node.Proto
	if proto == "" {
		proto = "http"
	}
	if proto != "http" && proto != "https" {
		return nil, fmt.Errorf("cluster: data_provider.node.proto %q: must be http or https", proto)
	}
	c := &Cluster{
		store:  store,
		local:  local,
		log:    logger.With("component", "cluster"),
		client: &http.Client{Timeout: callTimeout},
		self:   dataprovider.Node{Host: cfg.Node.Host, Port: cfg.Node.Port, Proto: proto, Key: key},
		used:   map[string]time.Time{},
		stop:   make(chan struct{}),
	}
	c.registered = cfg.Node.Host != "" && cfg.Node.Port > 0
	if c.registered {
		c.self.Name = dataprovider.NodeName(cfg.Node.Host, cfg.Node.Port)
	}
	return c, nil
}

// Name is this node's name ("" when it has no address).
func (c *Cluster) Name() string { return c.self.Name }

// Start registers the node, keeps its heartbeat and passes local user
// changes on to the other nodes.
func (c *Cluster) Start(ctx context.Context) error {
	if c.registered {
		if err := c.store.RegisterNode(ctx, &c.self); err != nil {
			return fmt.Errorf("cluster: register node: %w", err)
		}
		c.log.Info("node registered", "node", c.self.Name, "address", c.self.URL())
		c.wg.Add(1)
		go c.heartbeat()
	} else {
		c.log.Warn("data_provider.node.host/port not set: other nodes cannot list or close this node's sessions")
	}
	c.store.OnLocalUserChange(c.broadcastUserChange)
	return nil
}

// Shutdown stops the heartbeat and removes the node's row.
func (c *Cluster) Shutdown(ctx context.Context) error {
	select {
	case <-c.stop:
		return nil
	default:
	}
	c.mu.Lock()
	close(c.stop)
	c.mu.Unlock()
	c.wg.Wait()
	if c.registered {
		return c.store.UnregisterNode(ctx, c.self.Name)
	}
	return nil
}

func (c *Cluster) heartbeat() {
	defer c.wg.Done()
	t := time.NewTicker(dataprovider.NodeHeartbeat)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			// A database outage makes this fail; the next beat retries,
			// and the node counts as alive again once one succeeds.
			if err := c.store.RegisterNode(ctx, &c.self); err != nil {
				c.log.Warn("node heartbeat failed", "error", err)
			}
			cancel()
			c.forgetExpired()
		}
	}
}

func (c *Cluster) forgetExpired() {
	now := time.Now()
	c.mu.Lock()
	for id, exp := range c.used {
		if now.After(exp) {
			delete(c.used, id)
		}
	}
	c.mu.Unlock()
}

// peers are the other active nodes.
func (c *Cluster) peers(ctx context.Context) ([]dataprovider.Node, error) {
	nodes, err := c.store.ActiveNodes(ctx)
	if err != nil {
		return nil, err
	}
	out := nodes[:0]
	for _, n := range nodes {
		if n.Name != c.self.Name {
			out = append(out, n)
		}
	}
	return out, nil
}

type nodeClaims struct {
	jwt.RegisteredClaims
}

// token signs a call to target with target's key.
func (c *Cluster) token(target dataprovider.Node) (string, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return "", err
	}
	now := time.Now()
	claims := nodeClaims{jwt.RegisteredClaims{
		Issuer:    c.self.Name,
		Subject:   target.Name,
		Audience:  jwt.ClaimStrings{tokenAudience},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
		ExpiresAt: jwt.NewNumericDate(now.Add(tokenLifetime)),
		ID:        hex.EncodeToString(id),
	}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(target.Key)
}

// ErrUnauthorized: a node-to-node call without a valid token.
var ErrUnauthorized = errors.New("invalid node token")

// AuthenticateNode checks the token of a call from another node: signed
// with this node's key, for this node, unexpired, never seen before.
func (c *Cluster) AuthenticateNode(r *http.Request) error {
	raw, ok := strings.CutPrefix(r.Header.Get(Header), "Bearer ")
	if !ok || !c.registered {
		return ErrUnauthorized
	}
	var claims nodeClaims
	_, err := jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return c.self.Key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithAudience(tokenAudience),
		jwt.WithSubject(c.self.Name), jwt.WithExpirationRequired())
	if err != nil || claims.ID == "" {
		return fmt.Errorf("%w: %v", ErrUnauthorized, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, seen := c.used[claims.ID]; seen {
		return fmt.Errorf("%w: token already used", ErrUnauthorized)
	}
	c.used[claims.ID] = claims.ExpiresAt.Time
	return nil
}

// call makes one node-to-node request and decodes a JSON answer into out
// (when not nil). It returns the HTTP status.
func (c *Cluster) call(ctx context.Context, n dataprovider.Node, method, path string, out any) (int, error) {
	tok, err := c.token(n)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, method, n.URL()+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set(Header, "Bearer "+tok)
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, err
		}
	}
	return resp.StatusCode, nil
}

// LocalConnections lists this node's sessions, each named with this node.
func (c *Cluster) LocalConnections() []common.ConnectionStatus {
	conns := c.local.Connections()
	for i := range conns {
		conns[i].Node = c.self.Name
	}
	return conns
}

// CloseLocalConnection closes a session of this node.
func (c *Cluster) CloseLocalConnection(id string) bool { return c.local.CloseConnection(id) }

// Connections lists the sessions of every active node: this node's, then
// the others' in node order. A node that does not answer is left out (and
// logged), so one dead node does not hide the rest.
func (c *Cluster) Connections() []common.ConnectionStatus {
	out := c.LocalConnections()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	peers, err := c.peers(ctx)
	if err != nil {
		c.log.Warn("cannot list the other nodes", "error", err)
		return out
	}
	results := make([][]common.ConnectionStatus, len(peers))
	var wg sync.WaitGroup
	for i, n := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var conns []common.ConnectionStatus
			status, err := c.call(ctx, n, http.MethodGet, "/api/v2/nodes/connections", &conns)
			if err != nil || status != http.StatusOK {
				c.log.Warn("cannot list a node's connections", "node", n.Name, "status", status, "error", err)
				return
			}
			for j := range conns {
				conns[j].Node = n.Name
			}
			results[i] = conns
		}()
	}
	wg.Wait()
	for _, r := range results {
		out = append(out, r...)
	}
	return out
}

// CloseConnection closes a session on whichever node holds it.
func (c *Cluster) CloseConnection(id string) bool {
	if c.local.CloseConnection(id) {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	peers, err := c.peers(ctx)
	if err != nil {
		c.log.Warn("cannot list the other nodes", "error", err)
		return false
	}
	for _, n := range peers {
		status, err := c.call(ctx, n, http.MethodDelete, "/api/v2/nodes/connections/"+url.PathEscape(id), nil)
		if err != nil {
			c.log.Warn("cannot reach a node", "node", n.Name, "error", err)
			continue
		}
		if status == http.StatusOK {
			return true
		}
	}
	return false
}

// UserChanged applies a user change reported by another node.
func (c *Cluster) UserChanged(username string) { c.store.NotifyPeerUserChange(username) }

// broadcastUserChange tells the other nodes that a user changed here, in
// the background: a node that misses it still drops its cached logins
// when they expire.
func (c *Cluster) broadcastUserChange(username string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.stop:
		return
	default:
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		peers, err := c.peers(ctx)
		if err != nil {
			c.log.Warn("cannot tell the other nodes about a user change", "user", username, "error", err)
			return
		}
		for _, n := range peers {
			status, err := c.call(ctx, n, http.MethodPost, "/api/v2/nodes/users/"+url.PathEscape(username)+"/changed", nil)
			if err != nil || status != http.StatusOK {
				c.log.Warn("cannot tell a node about a user change", "node", n.Name, "user", username,
					"status", status, "error", err)
			}
		}
	}()
}
