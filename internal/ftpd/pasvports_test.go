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

// TestPassivePortsDistinctRun: every run of size draws is a permutation of
// the range, so one PASV's candidate list needs size draws, not four
// times as many, and its first candidate still varies over the range.
func TestPassivePortsDistinctRun(t *testing.T) {
	p := newPassivePorts(50000, 50099)
	first := map[int]bool{}
	for run := range 50 {
		seen := map[int]bool{}
		for i := range 100 {
			port, _, _ := p.FetchNext()
			if seen[port] {
				t.Fatalf("run %d: port %d drawn twice", run, port)
			}
			seen[port] = true
			if i == 0 {
				first[port] = true
			}
		}
	}
	if len(first) < 20 { // about 40 distinct expected from 50 runs
		t.Fatalf("first candidates of 50 runs: only %d distinct ports", len(first))
	}
}
