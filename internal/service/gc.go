package service

import (
	"os"
	"runtime"
	"runtime/debug"
	"time"
)

// gcBallastSize is the size of the garbage collector's ballast: one
// allocation that is never read or written, so it takes address space but
// no memory, and keeps the collector's heap goal above twice its size.
//
// A file server's live heap is small (a few MiB) while every transfer
// allocates a buffer per packet (x/crypto/ssh copies each SSH packet it
// reads, pkg/sftp allocates each request's data). With the default floor
// of 4 MiB the collector ran every few MiB moved: profiles of a 256 MiB
// SFTP upload showed a third of the server's CPU in marking, assists and
// the scavenger returning pages that the next packets faulted back in.
// With the ballast a cycle comes every ~32 MiB allocated instead, for at
// most that much more garbage in the process; the per-connection memory
// does not change, and once the live heap is large the ballast no longer
// matters (the goal is 2 x (live + ballast) instead of 2 x live).
const gcBallastSize = 32 << 20

// newGCBallast returns the ballast, or nil when the operator tunes the
// collector with GOGC or GOMEMLIMIT. The caller keeps it reachable for the
// life of the server (runtime.KeepAlive).
func newGCBallast() []byte {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return nil
	}
	return make([]byte, gcBallastSize)
}

// idleMemoryCheck is how often returnIdleMemory looks, and idleMemoryMin
// the idle heap worth giving back at once.
const (
	idleMemoryCheck = 5 * time.Second
	idleMemoryMin   = 64 << 20
)

// returnIdleMemory gives the memory of a finished burst back to the
// system: when no session is open and the heap holds more than
// idleMemoryMin of freed pages the runtime has not yet returned, it
// collects and returns them (debug.FreeOSMemory). Left alone, the runtime
// keeps them until its next periodic collection (about two minutes) and
// then releases them slowly, so the RSS stays at its peak long after the
// clients left. It costs one collection per burst, never one while
// sessions are open. It runs until stop is closed.
func returnIdleMemory(stop <-chan struct{}, every time.Duration, sessions func() int) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if sessions() > 0 {
			continue
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapIdle-ms.HeapReleased >= idleMemoryMin {
			debug.FreeOSMemory()
		}
	}
}
