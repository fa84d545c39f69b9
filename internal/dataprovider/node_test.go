package dataprovider

import (
	"context"
	"errors"
	"testing"
)

func TestNodesRegistry(t *testing.T) {
	ctx := context.Background()
	for _, driver := range sqlDrivers {
		t.Run(driver, func(t *testing.T) {
			s := newTestStore(t, driver)
			a := Node{Host: "10.0.0.1", Port: 8080, Proto: "http", Key: []byte("key-a")}
			must(t, s.RegisterNode(ctx, &a))
			if a.Name != NodeName("10.0.0.1", 8080) || len(a.Name) != 64 || a.CreatedAt == 0 {
				t.Fatalf("registered node: %+v", a)
			}
			b := Node{Host: "10.0.0.2", Port: 8443, Proto: "https", Key: []byte("key-b")}
			must(t, s.RegisterNode(ctx, &b))
			// a heartbeat renews the row, it does not add one
			a.Key = []byte("key-a2")
			must(t, s.RegisterNode(ctx, &a))
			nodes, err := s.ActiveNodes(ctx)
			must(t, err)
			if len(nodes) != 2 {
				t.Fatalf("active nodes: %+v", nodes)
			}
			got, err := s.GetNode(ctx, a.Name)
			must(t, err)
			if string(got.Key) != "key-a2" || got.URL() != "http://10.0.0.1:8080" {
				t.Fatalf("node a: %+v %s", got, got.URL())
			}
			// a node silent past the active window no longer counts; past
			// the expiry its row goes at the next registration
			rawExec(t, s, "UPDATE {p}nodes SET updated_at = ? WHERE name = ?",
				nowMillis()-NodeActiveWindow.Milliseconds()-1000, b.Name)
			if _, err := s.GetNode(ctx, b.Name); !errors.Is(err, ErrNotFound) {
				t.Fatalf("silent node: %v", err)
			}
			rawExec(t, s, "UPDATE {p}nodes SET updated_at = 1 WHERE name = ?", b.Name)
			must(t, s.RegisterNode(ctx, &a))
			var n int
			d := s.driver.(*sqlDriver)
			must(t, d.db.QueryRowContext(ctx, d.sq("SELECT COUNT(*) FROM {p}nodes")).Scan(&n))
			if n != 1 {
				t.Fatalf("expired row kept: %d rows", n)
			}
			must(t, s.UnregisterNode(ctx, a.Name))
			if nodes, _ := s.ActiveNodes(ctx); len(nodes) != 0 {
				t.Fatalf("after unregister: %+v", nodes)
			}
		})
	}
	for _, driver := range []string{"memory", "bolt"} {
		s := newTestStore(t, driver)
		if err := s.RegisterNode(ctx, &Node{Host: "h", Port: 1}); !errors.Is(err, ErrNodesUnsupported) {
			t.Fatalf("%s: %v", driver, err)
		}
	}
	cfg := testConfig("sqlite")
	cfg.IsShared = 1
	if _, err := Open(ctx, Options{Config: cfg, ConfigDir: t.TempDir()}); !errors.Is(err, ErrNodesUnsupported) {
		t.Fatalf("is_shared on sqlite: %v", err)
	}
}

// Changes made through a Store reach both kinds of listeners; a change
// reported by a peer reaches only the local ones, so it is not passed on
// again.
func TestPeerUserChange(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, "memory")
	var local, peer []string
	s.OnUserChange(func(u string) { local = append(local, u) })
	s.OnLocalUserChange(func(u string) { peer = append(peer, u) })
	u := newUser("pat")
	must(t, s.AddUser(ctx, &u))
	u.Password = "changed-password"
	must(t, s.UpdateUser(ctx, &u))
	s.NotifyPeerUserChange("remote-user")
	if len(peer) == 0 || peer[len(peer)-1] != "pat" {
		t.Fatalf("peer listeners: %v", peer)
	}
	for _, p := range peer {
		if p == "remote-user" {
			t.Fatal("a peer's change was passed on again")
		}
	}
	if local[len(local)-1] != "remote-user" {
		t.Fatalf("local listeners: %v", local)
	}
}
