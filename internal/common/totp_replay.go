package common

import (
	"crypto/sha256"
	"sync"
	"time"
)

// totpReuseWindow is how long an accepted one-time code stays refused: a
// code is valid for three 30 s steps (one of clock skew either side), so
// two minutes covers its whole life.
const totpReuseWindow = 2 * time.Minute

// UsedCodes remembers the one-time codes accepted in the last two
// minutes, per secret (so per user or admin and configuration), so that
// a code observed on the wire or over a shoulder cannot be replayed. It
// lives in memory: every node of a cluster keeps its own.
type UsedCodes struct {
	mu        sync.Mutex
	seen      map[[32]byte]time.Time
	lastSweep time.Time
	now       func() time.Time
}

// NewUsedCodes returns an empty set; now nil means time.Now.
func NewUsedCodes(now func() time.Time) *UsedCodes {
	if now == nil {
		now = time.Now
	}
	return &UsedCodes{seen: map[[32]byte]time.Time{}, now: now}
}

// Use records code as used for secret. It returns false when the same
// code was already accepted for that secret within the window.
func (u *UsedCodes) Use(secret, code string) bool {
	k := sha256.Sum256([]byte(secret + "\x00" + code))
	now := u.now()
	u.mu.Lock()
	defer u.mu.Unlock()
	if now.Sub(u.lastSweep) > totpReuseWindow/4 {
		for key, at := range u.seen {
			if now.Sub(at) >= totpReuseWindow {
				delete(u.seen, key)
			}
		}
		u.lastSweep = now
	}
	if at, ok := u.seen[k]; ok && now.Sub(at) < totpReuseWindow {
		return false
	}
	u.seen[k] = now
	return true
}
