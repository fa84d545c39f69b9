package ftpd

import (
	crand "crypto/rand"
	"math/rand/v2"
	"sync"
)

// passivePorts picks passive ports for the library, uniformly at random
// in the configured range as the library's own PortRange does, but from a
// ChaCha8 generator (cryptographically strong, seeded from crypto/rand)
// instead of a crypto/rand big.Int per draw. The library asks for
// NumberAttempts distinct candidates on every PASV/EPSV and tries them in
// order; drawing with replacement it needed up to four draws per port of
// the range (404 for the default 50000-50100) and a map probe for each
// duplicate. Draws are therefore without replacement: each run of size
// draws is a fresh random permutation of the range (Fisher-Yates, one
// step per draw), so a PASV gets its candidates in size draws and its
// first candidate is still uniform over the range.
type passivePorts struct {
	start, size int
	mu          sync.Mutex
	rng         *rand.Rand
	perm        []uint16 // offsets; perm[:left] not drawn yet in this run
	left        int
}

func newPassivePorts(start, end int) *passivePorts {
	var seed [32]byte
	crand.Read(seed[:])
	size := end - start + 1
	perm := make([]uint16, size)
	for i := range perm {
		perm[i] = uint16(i)
	}
	return &passivePorts{start: start, size: size, rng: rand.New(rand.NewChaCha8(seed)), perm: perm}
}

// FetchNext implements ftpserver.PasvPortGetter: the same port is
// exposed and listened on.
func (p *passivePorts) FetchNext() (int, int, bool) {
	p.mu.Lock()
	if p.left == 0 {
		p.left = p.size
	}
	i := p.rng.IntN(p.left)
	p.left--
	p.perm[i], p.perm[p.left] = p.perm[p.left], p.perm[i]
	port := p.start + int(p.perm[p.left])
	p.mu.Unlock()
	return port, port, true
}

// NumberAttempts implements ftpserver.PasvPortGetter: every port of the
// range may be tried, as with the library's PortRange.
func (p *passivePorts) NumberAttempts() int { return p.size }
