package ftpd

import (
	crand "crypto/rand"
	"math/rand/v2"
	"sync"
)

// passivePorts picks passive ports for the library, uniformly at random
// in the configured range as the library's own PortRange does, but from a
// ChaCha8 generator (cryptographically strong, seeded from crypto/rand)
// instead of a crypto/rand big.Int per draw. The library draws up to four
// candidates per port of the range for every PASV/EPSV (404 draws for the
// default 50000-50100), which made the port choice the largest single
// cost of a small upload.
type passivePorts struct {
	start, size int
	mu          sync.Mutex
	rng         *rand.Rand
}

func newPassivePorts(start, end int) *passivePorts {
	var seed [32]byte
	crand.Read(seed[:])
	return &passivePorts{start: start, size: end - start + 1, rng: rand.New(rand.NewChaCha8(seed))}
}

// FetchNext implements ftpserver.PasvPortGetter: the same port is
// exposed and listened on.
func (p *passivePorts) FetchNext() (int, int, bool) {
	p.mu.Lock()
	port := p.start + p.rng.IntN(p.size)
	p.mu.Unlock()
	return port, port, true
}

// NumberAttempts implements ftpserver.PasvPortGetter: every port of the
// range may be tried, as with the library's PortRange.
func (p *passivePorts) NumberAttempts() int { return p.size }
