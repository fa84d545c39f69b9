package common

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

func TestClientLimits(t *testing.T) {
	s, _ := newTestServer(t, config.CommonConfig{MaxTotalConnections: 3, MaxPerHostConnections: 2})
	r1, err := s.AcceptClient("10.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptClient("10.0.0.1:2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptClient("10.0.0.1:3"); !errors.Is(err, ErrConnectionLimit) {
		t.Fatalf("per host: %v", err)
	}
	if _, err := s.AcceptClient("10.0.0.2:1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptClient("10.0.0.3:1"); !errors.Is(err, ErrConnectionLimit) {
		t.Fatalf("total: %v", err)
	}
	r1()
	r1() // idempotent
	if _, err := s.AcceptClient("10.0.0.3:1"); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

func TestMaxSessionsAndStatus(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{})
	u := testUser(t, "olga")
	u.MaxSessions = 2
	store.AddUser(u)
	var closed atomic.Int32
	mk := func(id string) *BaseConnection {
		return s.NewConnection(id, "SSH", "127.0.0.1:5", "SSH-2.0-test", u, func() error { closed.Add(1); return nil })
	}
	c1, c2, c3 := mk("1"), mk("2"), mk("3")
	if err := s.AddConnection(c1); err != nil {
		t.Fatal(err)
	}
	if err := s.AddConnection(c2); err != nil {
		t.Fatal(err)
	}
	if err := s.AddConnection(c3); !errors.Is(err, ErrConnectionLimit) {
		t.Fatalf("max sessions: %v", err)
	}
	c1.SetCommand("ls")
	st := s.Connections()
	if len(st) != 2 || st[0].Username != "olga" || st[0].Protocol != "SFTP" {
		t.Fatalf("status: %+v", st)
	}
	b, _ := json.Marshal(st[0])
	for _, k := range []string{`"username"`, `"connection_id"`, `"client_version"`, `"remote_address"`, `"connection_time"`, `"last_activity"`, `"protocol"`} {
		if !strings.Contains(string(b), k) {
			t.Fatalf("status JSON lacks %s: %s", k, b)
		}
	}
	if !s.CloseConnection("1") || s.CloseConnection("nope") {
		t.Fatal("CloseConnection result")
	}
	if closed.Load() != 1 || len(s.Connections()) != 1 {
		t.Fatalf("after close: %d callbacks, %d conns", closed.Load(), len(s.Connections()))
	}
	if err := s.AddConnection(c3); err != nil {
		t.Fatalf("slot freed: %v", err)
	}
}

func TestIdleTimeout(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{IdleTimeout: 1})
	u := testUser(t, "pete")
	store.AddUser(u)
	var closed atomic.Int32
	idle := s.NewConnection("idle", "SSH", "127.0.0.1:5", "", u, func() error { closed.Add(1); return nil })
	busy := s.NewConnection("busy", "SSH", "127.0.0.1:6", "", u, nil)
	s.AddConnection(idle)
	s.AddConnection(busy)
	later := time.Now().Add(2 * time.Minute)
	busy.lastActivity.Store(later.UnixNano())
	if n := s.CloseIdle(later); n != 1 || closed.Load() != 1 {
		t.Fatalf("closed %d", n)
	}
	if st := s.Connections(); len(st) != 1 || st[0].ConnectionID != "busy" {
		t.Fatalf("left: %+v", st)
	}
}

func TestIdleCheckerGoroutine(t *testing.T) {
	store := newStoreOnly()
	s, err := New(config.CommonConfig{IdleTimeout: 1}, Deps{Store: store, IdleCheckInterval: 10 * time.Millisecond, NewFs: testFs})
	if err != nil {
		t.Fatal(err)
	}
	u := testUser(t, "quinn")
	c := s.NewConnection("x", "SSH", "127.0.0.1:5", "", u, nil)
	s.AddConnection(c)
	c.lastActivity.Store(time.Now().Add(-2 * time.Minute).UnixNano())
	deadline := time.Now().Add(5 * time.Second)
	for len(s.Connections()) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if len(s.Connections()) != 0 {
		t.Fatal("idle connection not closed by the checker")
	}
	s.Close()
	s.Close()
}

func TestRegistryConcurrency(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{MaxTotalConnections: 1000})
	u := testUser(t, "rita")
	u.MaxSessions = 10
	store.AddUser(u)
	var wg sync.WaitGroup
	var refused atomic.Int32
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				rel, err := s.AcceptClient(fmt.Sprintf("10.0.%d.%d:1", i, j))
				if err != nil {
					t.Error(err)
					return
				}
				c := s.NewConnection(fmt.Sprintf("%d-%d", i, j), "SSH", "10.0.0.1:1", "", u, nil)
				if err := s.AddConnection(c); err != nil {
					refused.Add(1)
				} else {
					_ = s.Connections()
					if n := s.ActiveSessions("rita"); n > 10 {
						t.Errorf("%d sessions", n)
					}
					c.Close()
				}
				rel()
			}
		}()
	}
	wg.Wait()
	if n := s.ActiveSessions("rita"); n != 0 {
		t.Fatalf("%d sessions left", n)
	}
	_ = dataprovider.StatusEnabled
}
