package common

import (
	"sync"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/common/commontest"
	"github.com/sftpgo-ng/sftpgo/internal/config"
)

type eventDefender struct {
	mu     sync.Mutex
	events map[string][]DefenderEvent
	banned map[string]string // ip -> protocol banned for ("" all)
}

func (d *eventDefender) IsBanned(ip string) bool { return d.IsBannedFor(ip, "") }
func (d *eventDefender) IsBannedFor(ip, protocol string) bool {
	p, ok := d.banned[ip]
	return ok && (p == "" || p == protocol)
}
func (d *eventDefender) AddEvent(ip, protocol string, ev DefenderEvent) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.events[ip] = append(d.events[ip], ev)
}

// TestDefenderEventsOfConnections: max_per_host_connections and SSH
// clients that never authenticate are reported; the protocol-aware ban
// check is used when the defender offers it.
func TestDefenderEventsOfConnections(t *testing.T) {
	d := &eventDefender{events: map[string][]DefenderEvent{}, banned: map[string]string{"192.0.2.9": "FTP"}}
	s, err := New(config.CommonConfig{MaxPerHostConnections: 1}, Deps{Store: commontest.NewMemStore(), NewFs: testFs,
		UsersBaseDir: t.TempDir(), Login: LoginHooks{Defender: d}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	release, err := s.AcceptClient("192.0.2.1:1000")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if _, err := s.AcceptClient("192.0.2.1:1001"); err == nil {
		t.Fatal("second connection from the host accepted")
	}
	s.NoAuthAttempt("SSH", "192.0.2.2:22")
	if got := d.events["192.0.2.1"]; len(got) != 1 || got[0] != DefenderLimitExceeded {
		t.Fatalf("per-host limit events: %v", got)
	}
	if got := d.events["192.0.2.2"]; len(got) != 1 || got[0] != DefenderNoAuth {
		t.Fatalf("no-auth events: %v", got)
	}
	if !s.ipRefused("FTP", "192.0.2.9") || s.ipRefused("SSH", "192.0.2.9") {
		t.Fatal("the protocol-aware check was not used")
	}
}
