package ftpd

import "testing"

func TestPassivePortsCoverRange(t *testing.T) {
	p := newPassivePorts(50000, 50009)
	if p.NumberAttempts() != 10 {
		t.Fatalf("attempts %d, want 10", p.NumberAttempts())
	}
	seen := map[int]int{}
	for range 2000 {
		exposed, listened, ok := p.FetchNext()
		if !ok || exposed != listened || exposed < 50000 || exposed > 50009 {
			t.Fatalf("FetchNext = %d, %d, %v", exposed, listened, ok)
		}
		seen[exposed]++
	}
	for port := 50000; port <= 50009; port++ {
		if seen[port] < 100 { // 200 expected
			t.Errorf("port %d drawn %d times in 2000", port, seen[port])
		}
	}
}
