package service

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

var sink [][]byte

func idleHeap() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapIdle - ms.HeapReleased
}

// TestReturnIdleMemory: after a burst (256 MiB allocated and dropped) the
// freed pages go back to the system once no session is open, and not
// while one is.
func TestReturnIdleMemory(t *testing.T) {
	var sessions atomic.Int64
	sessions.Store(1)
	stop := make(chan struct{})
	defer close(stop)
	go returnIdleMemory(stop, 20*time.Millisecond, func() int { return int(sessions.Load()) })
	for range 256 {
		sink = append(sink, make([]byte, 1<<20))
	}
	sink = nil
	runtime.GC()
	time.Sleep(200 * time.Millisecond)
	if idleHeap() < idleMemoryMin {
		t.Skipf("the runtime returned the pages by itself (idle %d MiB): nothing to observe", idleHeap()>>20)
	}
	sessions.Store(0)
	deadline := time.Now().Add(10 * time.Second)
	for idleHeap() >= idleMemoryMin && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if idle := idleHeap(); idle >= idleMemoryMin {
		t.Fatalf("%d MiB of freed heap kept with no session open", idle>>20)
	}
}
