package connpool

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrBusy is returned by Get when every connection stayed lent for the
// whole wait.
var ErrBusy = errors.New("connpool: all connections are busy")

// Options configure a Pool of connections of type C.
type Options[C any] struct {
	// Max is how many connections may be open at once (lent plus idle);
	// at least 1.
	Max int
	// Dial opens a new connection.
	Dial func(ctx context.Context) (C, error)
	// Check runs before an idle connection is lent again; an error
	// closes it and the next one (or a new one) is tried.
	Check func(C) error
	// Close closes a connection that is broken, stale or no longer needed.
	Close func(C)
	// MaxIdle closes, without checking them, connections idle for longer
	// (0: no limit).
	MaxIdle time.Duration
	// Wait bounds how long Get waits for a connection when Max are lent
	// (0: until the context ends).
	Wait time.Duration
}

// Pool lends connections that serve one caller at a time (an FTP control
// connection carries one transfer at a time), so parallel transfers each
// get their own instead of queueing behind one.
type Pool[C any] struct {
	o     Options[C]
	slots chan struct{} // one token per lent connection

	mu     sync.Mutex
	idle   []idleConn[C]
	closed bool
}

type idleConn[C any] struct {
	c     C
	since time.Time
}

// New returns an empty pool.
func New[C any](o Options[C]) *Pool[C] {
	if o.Max < 1 {
		o.Max = 1
	}
	return &Pool[C]{o: o, slots: make(chan struct{}, o.Max)}
}

// Get lends a connection: an idle one that passes Check, or a new one.
// Give it back with Put.
func (p *Pool[C]) Get(ctx context.Context) (C, error) {
	var zero C
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	if err := p.acquireSlot(ctx); err != nil {
		return zero, err
	}
	for {
		c, ok, err := p.popIdle()
		if err != nil {
			<-p.slots
			return zero, err
		}
		if !ok {
			break
		}
		if p.o.Check != nil {
			if err := p.o.Check(c); err != nil {
				p.o.Close(c)
				continue
			}
		}
		return c, nil
	}
	c, err := p.o.Dial(ctx)
	if err != nil {
		<-p.slots
		return zero, err
	}
	return c, nil
}

func (p *Pool[C]) acquireSlot(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
		return nil
	default:
	}
	var timeout <-chan time.Time
	if p.o.Wait > 0 {
		t := time.NewTimer(p.o.Wait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timeout:
		return fmt.Errorf("%w (%d open, waited %v)", ErrBusy, p.o.Max, p.o.Wait)
	}
}

// popIdle takes the most recently used idle connection, closing those
// idle for too long on the way.
func (p *Pool[C]) popIdle() (C, bool, error) {
	var zero C
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return zero, false, ErrClosed
	}
	var stale []C
	var found idleConn[C]
	ok := false
	for len(p.idle) > 0 {
		last := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if p.o.MaxIdle > 0 && time.Since(last.since) > p.o.MaxIdle {
			stale = append(stale, last.c)
			continue
		}
		found, ok = last, true
		break
	}
	p.mu.Unlock()
	for _, c := range stale {
		p.o.Close(c)
	}
	return found.c, ok, nil
}

// Put gives back a connection from Get. A connection that is broken or
// in an unknown state (a failed transfer) must be put back with reusable
// false: it is closed.
func (p *Pool[C]) Put(c C, reusable bool) {
	p.mu.Lock()
	if reusable && !p.closed {
		p.idle = append(p.idle, idleConn[C]{c: c, since: time.Now()})
		reusable = true
	} else {
		reusable = false
	}
	p.mu.Unlock()
	if !reusable {
		p.o.Close(c)
	}
	<-p.slots
}

// Idle returns how many connections wait for reuse.
func (p *Pool[C]) Idle() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

// Close closes the idle connections; connections still lent are closed
// when they are put back.
func (p *Pool[C]) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, ic := range idle {
		p.o.Close(ic.c)
	}
	return nil
}
