package service

import "os"

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
