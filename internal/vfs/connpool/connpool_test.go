package connpool

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeConn struct {
	id     int
	closed atomic.Bool
	broken atomic.Bool
}

func (c *fakeConn) Close() error {
	c.closed.Store(true)
	return nil
}

func TestSharedReuseAndLinger(t *testing.T) {
	s := NewShared(50 * time.Millisecond)
	created := 0
	create := func() (io.Closer, error) {
		created++
		return &fakeConn{id: created}, nil
	}
	a, relA, err := s.Acquire("k", create)
	if err != nil {
		t.Fatal(err)
	}
	b, relB, err := s.Acquire("k", create)
	if err != nil {
		t.Fatal(err)
	}
	if a != b || created != 1 {
		t.Fatalf("two holders of one key got different values (created %d)", created)
	}
	other, relO, _ := s.Acquire("other", create)
	if other == a {
		t.Fatal("different keys share a value")
	}
	relO()
	relA()
	relA() // twice is harmless
	if a.(*fakeConn).closed.Load() {
		t.Fatal("closed while still held")
	}
	relB()
	// Re-acquired within the linger time: the same value, still open.
	c, relC, _ := s.Acquire("k", create)
	if c != a || a.(*fakeConn).closed.Load() {
		t.Fatal("lingering value not reused")
	}
	relC()
	deadline := time.Now().Add(5 * time.Second)
	for !a.(*fakeConn).closed.Load() {
		if time.Now().After(deadline) {
			t.Fatal("value not closed after the linger time")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s.Len() != 0 {
		t.Fatalf("%d entries left", s.Len())
	}
	if !other.(*fakeConn).closed.Load() {
		t.Fatal("other value not closed")
	}
}

func TestSharedClose(t *testing.T) {
	s := NewShared(time.Hour)
	v, rel, err := s.Acquire("k", func() (io.Closer, error) { return &fakeConn{}, nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if !v.(*fakeConn).closed.Load() {
		t.Fatal("Close left a held value open")
	}
	rel()
	if _, _, err := s.Acquire("k", func() (io.Closer, error) { return &fakeConn{}, nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Acquire after Close: %v", err)
	}
	// A failing create leaves nothing behind.
	s2 := NewShared(0)
	if _, _, err := s2.Acquire("k", func() (io.Closer, error) { return nil, errors.New("boom") }); err == nil || s2.Len() != 0 {
		t.Fatalf("failed create: err %v, %d entries", err, s2.Len())
	}
}

func newTestPool(t *testing.T, max int, wait time.Duration) (*Pool[*fakeConn], *atomic.Int32) {
	var dials atomic.Int32
	p := New(Options[*fakeConn]{
		Max: max,
		Dial: func(ctx context.Context) (*fakeConn, error) {
			return &fakeConn{id: int(dials.Add(1))}, nil
		},
		Check: func(c *fakeConn) error {
			if c.broken.Load() {
				return errors.New("stale")
			}
			return nil
		},
		Close: func(c *fakeConn) { c.Close() },
		Wait:  wait,
	})
	t.Cleanup(func() { p.Close() })
	return p, &dials
}

func TestPoolReuseAndCheck(t *testing.T) {
	p, dials := newTestPool(t, 2, 0)
	ctx := t.Context()
	a, err := p.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Put(a, true)
	b, _ := p.Get(ctx)
	if b != a || dials.Load() != 1 {
		t.Fatalf("idle connection not reused (%d dials)", dials.Load())
	}
	// A connection that fails its check is closed and replaced.
	b.broken.Store(true)
	p.Put(b, true)
	c, _ := p.Get(ctx)
	if c == b || !b.closed.Load() || dials.Load() != 2 {
		t.Fatalf("stale connection reused or not closed (%d dials)", dials.Load())
	}
	// One put back as not reusable is closed.
	p.Put(c, false)
	if !c.closed.Load() || p.Idle() != 0 {
		t.Fatal("broken connection kept")
	}
}

func TestPoolParallelAndBusy(t *testing.T) {
	p, dials := newTestPool(t, 3, 100*time.Millisecond)
	ctx := t.Context()
	var held []*fakeConn
	for range 3 {
		c, err := p.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	if dials.Load() != 3 {
		t.Fatalf("3 parallel users got %d connections", dials.Load())
	}
	start := time.Now()
	if _, err := p.Get(ctx); !errors.Is(err, ErrBusy) {
		t.Fatalf("Get with all lent: %v, want ErrBusy", err)
	}
	if time.Since(start) < 90*time.Millisecond {
		t.Fatal("Get did not wait")
	}
	// A waiter gets the first connection put back.
	var wg sync.WaitGroup
	var got *fakeConn
	wg.Go(func() {
		p2 := p
		c, err := p2.Get(context.Background())
		if err == nil {
			got = c
		}
	})
	time.Sleep(20 * time.Millisecond)
	p.Put(held[1], true)
	wg.Wait()
	if got != held[1] {
		t.Fatal("the waiter did not get the returned connection")
	}
	// A cancelled context stops the wait.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := p.Get(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with a cancelled context: %v", err)
	}
	p.Put(got, true)
	p.Put(held[0], true)
	p.Put(held[2], true)
	if p.Idle() != 3 {
		t.Fatalf("%d idle, want 3", p.Idle())
	}
	p.Close()
	for _, c := range held {
		if !c.closed.Load() {
			t.Fatal("Close left an idle connection open")
		}
	}
	if _, err := p.Get(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
}

func TestPoolMaxIdleAndDialError(t *testing.T) {
	fail := atomic.Bool{}
	p := New(Options[*fakeConn]{
		Max: 1,
		Dial: func(ctx context.Context) (*fakeConn, error) {
			if fail.Load() {
				return nil, errors.New("refused")
			}
			return &fakeConn{}, nil
		},
		Close:   func(c *fakeConn) { c.Close() },
		MaxIdle: 10 * time.Millisecond,
		Wait:    50 * time.Millisecond,
	})
	c, err := p.Get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	p.Put(c, true)
	time.Sleep(30 * time.Millisecond)
	fail.Store(true)
	if _, err := p.Get(t.Context()); err == nil || err.Error() != "refused" {
		t.Fatalf("Get: %v, want the dial error", err)
	}
	if !c.closed.Load() {
		t.Fatal("connection idle past MaxIdle not closed")
	}
	// The failed dial gave its slot back.
	fail.Store(false)
	if _, err := p.Get(t.Context()); err != nil {
		t.Fatalf("Get after a failed dial: %v", err)
	}
}
