package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// fakeConns is a node's session registry.
type fakeConns struct {
	mu    sync.Mutex
	conns []common.ConnectionStatus
}

func (f *fakeConns) Connections() []common.ConnectionStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]common.ConnectionStatus(nil), f.conns...)
}

func (f *fakeConns) CloseConnection(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, c := range f.conns {
		if c.ConnectionID == id {
			f.conns = append(f.conns[:i], f.conns[i+1:]...)
			return true
		}
	}
	return false
}

// testNode is a Cluster served by a small HTTP server with the node
// routes (what httpd serves in the product).
type testNode struct {
	*Cluster
	conns   *fakeConns
	changed chan string
	srv     *httptest.Server
}

func openStore(t *testing.T, file string) *dataprovider.Store {
	t.Helper()
	cfg := config.DataProviderConfig{Driver: "sqlite", Name: file}
	s, err := dataprovider.Open(context.Background(), dataprovider.Options{Config: cfg, ConfigDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func newTestNode(t *testing.T, dbFile string, sessions ...string) *testNode {
	t.Helper()
	n := &testNode{conns: &fakeConns{}, changed: make(chan string, 10)}
	for _, id := range sessions {
		n.conns.conns = append(n.conns.conns, common.ConnectionStatus{ConnectionID: id, Username: "u-" + id})
	}
	mux := http.NewServeMux()
	auth := func(next http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if err := n.AuthenticateNode(r); err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			next(w, r)
		}
	}
	mux.HandleFunc("GET /api/v2/nodes/connections", auth(func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(n.LocalConnections())
	}))
	mux.HandleFunc("DELETE /api/v2/nodes/connections/{id}", auth(func(w http.ResponseWriter, r *http.Request) {
		if !n.CloseLocalConnection(r.PathValue("id")) {
			http.NotFound(w, r)
		}
	}))
	mux.HandleFunc("POST /api/v2/nodes/users/{name}/changed", auth(func(w http.ResponseWriter, r *http.Request) {
		n.UserChanged(r.PathValue("name"))
	}))
	n.srv = httptest.NewServer(mux)
	t.Cleanup(n.srv.Close)
	host, portStr, _ := net.SplitHostPort(n.srv.Listener.Addr().String())
	port, _ := strconv.Atoi(portStr)
	store := openStore(t, dbFile)
	store.OnUserChange(func(u string) { n.changed <- u })
	cfg := config.DataProviderConfig{Node: config.NodeConfig{Host: host, Port: port, Proto: "http"}}
	c, err := New(store, cfg, n.conns, nil)
	if err != nil {
		t.Fatal(err)
	}
	n.Cluster = c
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Shutdown(context.Background()) })
	return n
}

func TestConnectionsAcrossNodes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "shared.db")
	a := newTestNode(t, db, "a1")
	b := newTestNode(t, db, "b1", "b2")
	conns := a.Connections()
	byID := map[string]string{}
	for _, c := range conns {
		byID[c.ConnectionID] = c.Node
	}
	if len(conns) != 3 || byID["a1"] != a.Name() || byID["b1"] != b.Name() || byID["b2"] != b.Name() {
		t.Fatalf("merged connections: %+v", conns)
	}
	if !a.CloseConnection("b2") {
		t.Fatal("closing B's session from A failed")
	}
	if got := b.conns.Connections(); len(got) != 1 || got[0].ConnectionID != "b1" {
		t.Fatalf("B's sessions after the close: %+v", got)
	}
	if a.CloseConnection("nope") {
		t.Fatal("an unknown session was closed")
	}
	// a user changed through A reaches B's listeners
	u := dataprovider.User{Username: "zoe", Status: 1, Password: "pw-zoe", HomeDir: "/srv/zoe",
		Permissions: map[string][]string{"/": {"*"}}}
	if err := a.store.AddUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	u.Password = "changed-pw"
	if err := a.store.UpdateUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-b.changed:
		if got != "zoe" {
			t.Fatalf("B was told about %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("B was not told about the user change")
	}
	// a stopped node leaves the registry: A lists only its own sessions
	b.Shutdown(context.Background())
	if conns := a.Connections(); len(conns) != 1 {
		t.Fatalf("after B stopped: %+v", conns)
	}
}

func TestNodeTokens(t *testing.T) {
	db := filepath.Join(t.TempDir(), "shared.db")
	a := newTestNode(t, db)
	b := newTestNode(t, db)
	target, err := a.store.GetNode(context.Background(), b.Name())
	if err != nil {
		t.Fatal(err)
	}
	call := func(header string) error {
		r := httptest.NewRequest(http.MethodGet, "/api/v2/nodes/connections", nil)
		if header != "" {
			r.Header.Set(Header, header)
		}
		return b.AuthenticateNode(r)
	}
	tok, err := a.token(target)
	if err != nil {
		t.Fatal(err)
	}
	if err := call("Bearer " + tok); err != nil {
		t.Fatalf("valid token: %v", err)
	}
	if err := call("Bearer " + tok); !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("replayed token: %v", err)
	}
	// signed for another node
	self, _ := a.store.GetNode(context.Background(), a.Name())
	other, _ := a.token(self)
	wrongKey := target
	wrongKey.Key = []byte("not the key of b")
	forged, _ := a.token(wrongKey)
	expired, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, nodeClaims{jwt.RegisteredClaims{
		Subject: b.Name(), Audience: jwt.ClaimStrings{tokenAudience}, ID: "x",
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(-time.Minute))}}).SignedString(target.Key)
	admin, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, nodeClaims{jwt.RegisteredClaims{
		Subject: b.Name(), Audience: jwt.ClaimStrings{"API"}, ID: "y",
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Minute))}}).SignedString(target.Key)
	for name, h := range map[string]string{"none": "", "not bearer": tok, "other subject": "Bearer " + other,
		"wrong key": "Bearer " + forged, "expired": "Bearer " + expired, "wrong audience": "Bearer " + admin} {
		if err := call(h); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestNodeWithoutAddress(t *testing.T) {
	store := openStore(t, filepath.Join(t.TempDir(), "db"))
	c, err := New(store, config.DataProviderConfig{}, &fakeConns{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown(context.Background())
	if nodes, _ := store.ActiveNodes(context.Background()); len(nodes) != 0 {
		t.Fatalf("a node without address registered: %+v", nodes)
	}
	if _, err := New(store, config.DataProviderConfig{Node: config.NodeConfig{Proto: "ftp"}}, &fakeConns{}, nil); err == nil {
		t.Fatal("proto ftp accepted")
	}
}
